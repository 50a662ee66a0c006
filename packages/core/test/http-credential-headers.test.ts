import nock from 'nock';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { type AuthProvider, createHttpClient } from '../src/http/http-client.js';
import { createRateBudgetRegistry } from '../src/http/rate-budget.js';
import type { Logger } from '../src/logging.js';
import { createRedactor, REDACTED, type Redactor } from '../src/redaction.js';

/**
 * A credential the HTTP layer sends in a credential header (Authorization, Proxy-Authorization,
 * X-Api-Key, Api-Key, Cookie) is registered with the redactor as sent, so an error or a log line
 * that later quotes it shows `[REDACTED]`; it is held for 24 hours.
 */

const origin = 'https://credentials.crm.test';

function setup(headers: Record<string, string>, redactor: Redactor = createRedactor()) {
  const lines: string[] = [];
  const logger: Logger = {
    log: (level, message, fields) => lines.push(`${level} ${message} ${JSON.stringify(fields)}`),
  };
  const auth: AuthProvider = { headers: async () => headers };
  const client = createHttpClient({
    pluginId: 'testcrm',
    baseUrl: origin,
    auth,
    budget: createRateBudgetRegistry().forAccount('credentials', { requestsPerInterval: 1_000 }),
    redactor,
    logger,
    retry: { maxRetries: 0 },
  });
  return { client, redactor, lines };
}

beforeAll(() => {
  nock.disableNetConnect();
});

afterEach(() => {
  vi.useRealTimers();
  const pending = nock.pendingMocks();
  nock.cleanAll();
  expect(pending).toEqual([]);
});

describe('each credential header is redacted from a later error that echoes it', () => {
  for (const header of ['X-Api-Key', 'api-key', 'Cookie', 'Proxy-Authorization', 'authorization']) {
    it(`${header}`, async () => {
      const credential = `cred-${header.toLowerCase()}-7f3a9c1e`;
      const { client, lines } = setup({ [header]: credential });
      nock(origin)
        .get('/me')
        .matchHeader(header, credential)
        .reply(403, { error: `credential ${credential} may not read this` });
      const error = await client
        .request({ method: 'GET', path: '/me', operation: 'who am i' })
        .catch((e: unknown) => e);
      expect(error).toMatchObject({ code: 'permission_denied' });
      expect((error as Error).message).toContain(`credential ${REDACTED} may not read this`);
      expect(JSON.stringify(lines)).not.toContain(credential);
    });
  }
});

describe('what is registered', () => {
  it('a Bearer or Basic credential is registered without its scheme, whatever its case', async () => {
    const redactor = createRedactor();
    nock(origin).get('/me').twice().reply(200, {});
    await setup({ Authorization: 'Bearer tok-bearer-1234' }, redactor).client.request({
      method: 'GET',
      path: '/me',
      operation: 'who am i',
    });
    await setup({ Authorization: 'basic dXNlcjpwYXNzd29yZA==' }, redactor).client.request({
      method: 'GET',
      path: '/me',
      operation: 'who am i',
    });
    // The credential itself is registered: it is redacted wherever it is quoted, scheme or not.
    expect(redactor.redact('token tok-bearer-1234; cred dXNlcjpwYXNzd29yZA==')).toBe(
      `token ${REDACTED}; cred ${REDACTED}`,
    );
    expect(redactor.redact('Bearer and basic are words')).toBe('Bearer and basic are words');
  });

  it('however many blanks follow the scheme', async () => {
    const redactor = createRedactor();
    nock(origin).get('/me').reply(200, {});
    await setup({ Authorization: 'Bearer   spaced-token-5678' }, redactor).client.request({
      method: 'GET',
      path: '/me',
      operation: 'who am i',
    });
    expect(redactor.redact('{"token":"spaced-token-5678"}')).toBe(`{"token":"${REDACTED}"}`);
  });

  it('a scheme word inside a credential is part of it', async () => {
    const redactor = createRedactor();
    nock(origin).get('/me').reply(200, {});
    await setup({ Cookie: 'session=abc; Bearer xyz-123' }, redactor).client.request({
      method: 'GET',
      path: '/me',
      operation: 'who am i',
    });
    expect(redactor.redact('sent: session=abc; Bearer xyz-123')).toBe(`sent: ${REDACTED}`);
    expect(redactor.redact('xyz-123')).toBe('xyz-123');
  });

  it('other auth headers are not secrets: an impersonated user stays readable', async () => {
    const redactor = createRedactor();
    nock(origin).get('/me').reply(200, {});
    await setup({ 'X-Act-As-User': 'agent-7-0123456789' }, redactor).client.request({
      method: 'GET',
      path: '/me',
      operation: 'who am i',
    });
    expect(redactor.size()).toBe(0);
  });

  it('a credential seen only as sent is held 24 hours, then dropped', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const redactor = createRedactor();
    nock(origin).get('/me').reply(200, {});
    await setup({ 'x-api-key': 'uncovered-key-0123456789' }, redactor).client.request({
      method: 'GET',
      path: '/me',
      operation: 'who am i',
    });
    vi.advanceTimersByTime(24 * 60 * 60_000 - 1);
    expect(redactor.redact('uncovered-key-0123456789')).toBe(REDACTED);
    vi.advanceTimersByTime(1);
    expect(redactor.redact('uncovered-key-0123456789')).toBe('uncovered-key-0123456789');
    expect(redactor.size()).toBe(0);
  });

  it('a credential a registered secret already covers adds nothing, and keeps the secret’s own lifetime', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const redactor = createRedactor(['registered-api-key-42']);
    nock(origin).get('/me').reply(200, {});
    await setup({ 'Api-Key': 'registered-api-key-42' }, redactor).client.request({
      method: 'GET',
      path: '/me',
      operation: 'who am i',
    });
    vi.advanceTimersByTime(25 * 60 * 60_000);
    expect(redactor.size()).toBe(1);
    expect(redactor.redact('registered-api-key-42')).toBe(REDACTED);
  });
});

describe('a secret echoed in a JSON error body', () => {
  it('is redacted from the error even when JSON escapes it (a quote, a backslash)', async () => {
    const password = 'Tr0ub4dor"&\\3-horse';
    const { client, lines } = setup(
      { Authorization: 'Bearer unrelated-token-0001' },
      createRedactor([password]),
    );
    nock(origin).post('/login').reply(422, { error: 'invalid', echoed: { password } });
    const error = await client
      .request({ method: 'POST', path: '/login', body: { password }, operation: 'log in' })
      .catch((e: unknown) => e);
    const escaped = JSON.stringify(password).slice(1, -1);
    expect(error).toMatchObject({ code: 'crm_rejected_input' });
    expect((error as Error).message).toContain(`"password":"${REDACTED}"`);
    expect(`${(error as Error).message} ${JSON.stringify(error)} ${lines.join('\n')}`).not.toContain(escaped);
  });
});
