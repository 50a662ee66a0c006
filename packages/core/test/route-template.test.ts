import { describe, expect, it } from 'vitest';
import { routeTemplate } from '../src/telemetry/route-template.js';

describe('routeTemplate: paths as low-cardinality templates, without ids or queries', () => {
  it.each([
    ['/api/v2/tickets.json', '/api/v2/tickets.json'],
    ['/services/oauth2/token', '/services/oauth2/token'],
    ['/api/v2/tickets/7.json', '/api/v2/tickets/{id}.json'],
    ['/api/v2/tickets/123.json', '/api/v2/tickets/{id}.json'],
    ['/api/v2/users/search.json?query=email:jane@example.com', '/api/v2/users/search.json'],
    ['/api/data/v9.2/incidents(5f1c2d3e-0000-4000-8000-000000000001)', '/api/data/v9.2/incidents({id})'],
    ['/api/data/v9.2/contacts', '/api/data/v9.2/contacts'],
    [
      '/services/data/v60.0/sobjects/Case/Interaction_Id__c/chat-42',
      '/services/data/v60.0/sobjects/Case/Interaction_Id__c/{id}',
    ],
    [
      '/services/data/v60.0/sobjects/Contact/Email/jane@example.com',
      '/services/data/v60.0/sobjects/Contact/Email/{id}',
    ],
    ['/v1/customers/email=jane%40example.com', '/v1/customers/{id}'],
    ['https://login.example.com/id/00D000000000001/005000000000001?oauth_token=secret', '/id/{id}/{id}'],
    ['/v1/conversations/aVeryLongOpaqueIdentifierWithoutAnyDigitsInIt', '/v1/conversations/{id}'],
  ])('%s → %s', (path, template) => {
    expect(routeTemplate(path)).toBe(template);
  });
});
