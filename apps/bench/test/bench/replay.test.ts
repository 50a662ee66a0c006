import type { RequestLogEntry } from '@crm-connect/sandbox';
import { describe, expect, it } from 'vitest';
import { type Capture, prepare, templateOf } from '../../src/bench/replay.js';

/** A request as the sandbox's log records it. */
function entry(method: string, path: string, body: unknown, status = 201): RequestLogEntry {
  return {
    sequence: 1,
    at: '2026-11-21T10:00:00.000Z',
    method,
    path,
    query: '',
    route: undefined,
    principal: undefined,
    headers: { authorization: 'Bearer ***', 'content-type': 'application/json', host: '127.0.0.1:4010' },
    body,
    status,
    fault: undefined,
    handled: true,
    error: undefined,
    durationMs: 1,
  };
}

/** Kustomer's shape: a lookup, a create, then a note on the record the create answered with. */
function conversation(interactionId: string, conversationId: string): Capture {
  return {
    interactionId,
    recordId: conversationId,
    entries: [
      entry('GET', `/v1/conversations/externalId=${interactionId}`, undefined, 404),
      entry('POST', '/v1/conversations', { externalId: interactionId, customer: 'c-1' }),
      entry('POST', `/v1/conversations/${conversationId}/notes`, { externalId: `key:${interactionId}` }),
    ],
  };
}

/** Dataverse's shape: a client-chosen record id derived from the interaction. */
function incident(interactionId: string, incidentId: string): Capture {
  return {
    interactionId,
    recordId: incidentId,
    entries: [
      entry('POST', '/api/data/v9.2/incidents', { incidentid: incidentId, title: `Chat ${interactionId}` }),
    ],
  };
}

describe('bench: replaying what the connector sent', () => {
  it('turns the interaction id and the created record named by a later request into slots', () => {
    const template = templateOf(
      conversation('chat-a', '5f3c1a9e8b7d0000000000aa'),
      conversation('chat-b', '5f3c1a9e8b7d0000000000bb'),
    );
    expect(template.requests.map((request) => request.url)).toEqual([
      '/v1/conversations/externalId={{interaction}}',
      '/v1/conversations',
      '/v1/conversations/{{answer}}/notes',
    ]);
    expect(template.requests[0]?.status).toBe(404);
    // The client sets these itself; the credential is sent fresh.
    expect(template.requests[1]?.headers).toEqual({ 'content-type': 'application/json' });

    const [lookup, create, note] = prepare(template, 'chat-fresh');
    expect(lookup?.url).toBe('/v1/conversations/externalId=chat-fresh');
    expect(create?.body).toEqual({ externalId: 'chat-fresh', customer: 'c-1' });
    expect(note?.needsAnswer).toBe(true);
  });

  it('gives client-chosen UUIDs a fresh random value in each replay', () => {
    const template = templateOf(
      incident('chat-a', '0b1c5e6a-1111-5aaa-8bbb-000000000001'),
      incident('chat-b', '7d2e9f10-2222-5ccc-9ddd-000000000002'),
    );
    expect(template.uuidSlots).toBe(1);
    const [first] = prepare(template, 'chat-1');
    const [second] = prepare(template, 'chat-2');
    const idOf = (body: unknown) => (body as { incidentid: string }).incidentid;
    expect(idOf(first?.body)).toMatch(/^[0-9a-f-]{36}$/);
    expect(idOf(first?.body)).not.toBe(idOf(second?.body));
    expect(first?.body).toMatchObject({ title: 'Chat chat-1' });
  });

  it('refuses two interactions that differ beyond their ids: their requests could not be replayed faithfully', () => {
    const a = conversation('chat-a', '5f3c1a9e8b7d0000000000aa');
    const b = conversation('chat-b', '5f3c1a9e8b7d0000000000bb');
    const changed = { ...b, entries: [...b.entries.slice(0, 2), entry('PATCH', '/v1/other', {})] };
    expect(() => templateOf(a, changed)).toThrow(/cannot be replayed/);
  });
});
