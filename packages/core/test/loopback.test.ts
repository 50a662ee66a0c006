import { describe, expect, it } from 'vitest';
import { isLoopbackHost, loopbackOrigin } from '../src/loopback.js';

describe('loopback URLs (local sandboxes)', () => {
  it.each([
    ['http://127.0.0.1:4010/api/v2', 'http://127.0.0.1:4010'],
    ['https://localhost:8443', 'https://localhost:8443'],
    ['http://[::1]:9000/', 'http://[::1]:9000'],
    ['  HTTP://LOCALHOST:1  ', 'http://localhost:1'],
  ])('%s → %s', (input, origin) => {
    expect(loopbackOrigin(input)).toBe(origin);
  });

  it.each([
    'http://acme.zendesk.com',
    'http://127.0.0.2:80',
    'http://localhost.evil.test',
    '127.0.0.1:4010',
    'ftp://localhost',
    'http://user:pass@localhost:1',
    'not a url',
  ])('refuses %s', (input) => {
    expect(loopbackOrigin(input)).toBeUndefined();
  });

  it('knows the loopback host names', () => {
    expect(['127.0.0.1', 'localhost', '[::1]', 'LocalHost'].every(isLoopbackHost)).toBe(true);
    expect(isLoopbackHost('10.0.0.1')).toBe(false);
  });
});
