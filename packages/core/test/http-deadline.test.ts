import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import nock from 'nock';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { TransportError } from '../src/errors.js';
import { createHttpClient } from '../src/http/http-client.js';
import { createRateBudgetRegistry } from '../src/http/rate-budget.js';
import { createRedactor } from '../src/redaction.js';

/**
 * A timeout is a deadline for the whole exchange, not an idle timer: a CRM that answers headers
 * at once and then drips one byte every 100 ms must not hold a call past its deadline.
 */

let server: Server;
let origin: string;
const open = new Set<NodeJS.Timeout>();

beforeAll(async () => {
  nock.enableNetConnect('127.0.0.1');
  server = createServer((request, response) => {
    response.writeHead(200, { 'content-type': 'application/json' });
    response.write('{"data":"');
    const drip = setInterval(() => response.write('x'), 300);
    open.add(drip);
    request.socket.on('close', () => {
      clearInterval(drip);
      open.delete(drip);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  for (const drip of open) clearInterval(drip);
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  nock.disableNetConnect();
});

describe('http client deadline', () => {
  it('ends a dripping answer at the deadline with a retryable transport error', async () => {
    const client = createHttpClient({
      pluginId: 'testcrm',
      baseUrl: origin,
      auth: { headers: async () => ({}) },
      budget: createRateBudgetRegistry().forAccount('drip', { requestsPerInterval: 100, intervalMs: 60_000 }),
      redactor: createRedactor(),
      timeoutMs: 1_000,
      retry: { maxRetries: 0 },
    });
    const started = performance.now();
    const error = await client
      .request({ method: 'GET', path: '/slow', operation: 'read slowly' })
      .catch((caught: unknown) => caught);
    const elapsed = performance.now() - started;
    expect(error).toMatchObject({ code: 'transport_failed', retryable: true });
    expect(String((error as Error).message)).toContain('timed out after 1000 ms');
    // Ended by the client's own deadline for the whole exchange, not by an idle-socket timer,
    // which a dripping CRM defeats.
    expect(error).toMatchObject({ cause: { code: 'ETIMEDOUT' } });
    // Generous against a loaded machine, yet far below the 10 s an idle timer allowed.
    expect(elapsed).toBeLessThan(3_000);
  });
});

describe('http client: credentials stay on the CRM and survive a failed refresh', () => {
  const origin = 'https://api.crm.test';
  const budget = () =>
    createRateBudgetRegistry().forAccount(`b-${Math.random()}`, { requestsPerInterval: 100 });

  it('refuses an absolute URL on another origin before anything is sent', async () => {
    nock.disableNetConnect();
    const headers = vi.fn(async () => ({ Authorization: 'Bearer secret-token-123456' }));
    const client = createHttpClient({
      pluginId: 'testcrm',
      baseUrl: origin,
      auth: { headers },
      budget: budget(),
      redactor: createRedactor(),
    });
    const error = await client
      .request({ method: 'GET', path: 'https://attacker.test/next-page', operation: 'list users' })
      .catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: 'input_invalid' });
    expect(headers).not.toHaveBeenCalled();
  });

  it('a protocol-relative path (//host/…) stays on the CRM: it is a path, never another host', async () => {
    nock.disableNetConnect();
    // axios took `//attacker.test/x` for an absolute URL and sent the credentials there.
    const onCrm = nock(origin)
      .get('/attacker.test/steal')
      .matchHeader('authorization', 'Bearer secret-token-123456')
      .reply(200, { ok: true });
    const elsewhere = nock('https://attacker.test').get(/.*/).reply(200, {});
    const client = createHttpClient({
      pluginId: 'testcrm',
      baseUrl: origin,
      auth: { headers: async () => ({ Authorization: 'Bearer secret-token-123456' }) },
      budget: budget(),
      redactor: createRedactor(),
    });
    for (const path of ['//attacker.test/steal', '///attacker.test/steal']) {
      await expect(client.request({ method: 'GET', path, operation: 'read' }), path).resolves.toMatchObject({
        status: 200,
      });
      onCrm.get('/attacker.test/steal').reply(200, { ok: true });
    }
    expect(elsewhere.isDone()).toBe(false);
    nock.cleanAll();
  });

  it('a refresh that fails for a passing reason is tried again on the retry, not skipped', async () => {
    nock.disableNetConnect();
    let token = 'stale-token-123456';
    let refreshes = 0;
    const auth = {
      headers: async () => ({ Authorization: `Bearer ${token}` }),
      refresh: async () => {
        refreshes += 1;
        if (refreshes === 1) throw new TransportError('token endpoint unavailable', { retryable: true });
        token = 'fresh-token-123456';
        return true;
      },
    };
    nock(origin).get('/me').matchHeader('authorization', 'Bearer stale-token-123456').times(2).reply(401, {});
    nock(origin).get('/me').matchHeader('authorization', 'Bearer fresh-token-123456').reply(200, { id: 1 });
    const client = createHttpClient({
      pluginId: 'testcrm',
      baseUrl: origin,
      auth,
      budget: budget(),
      redactor: createRedactor(),
      retry: { initialDelayMs: 1, maxDelayMs: 2 },
    });
    await expect(client.request({ method: 'GET', path: '/me', operation: 'read me' })).resolves.toMatchObject(
      {
        status: 200,
      },
    );
    expect(refreshes).toBe(2);
  });
});

describe('http client deadline: nothing left behind', () => {
  it('an answered request leaves no deadline timer pending', async () => {
    nock.disableNetConnect();
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    try {
      const client = createHttpClient({
        pluginId: 'testcrm',
        baseUrl: 'https://timers.crm.test',
        auth: { headers: async () => ({}) },
        budget: createRateBudgetRegistry().forAccount('timers', { requestsPerInterval: 100 }),
        redactor: createRedactor(),
      });
      nock('https://timers.crm.test').get('/x').reply(200, {});
      const pending = client.request({ method: 'GET', path: '/x', operation: 'read' });
      let settled = false;
      void pending.then(() => (settled = true));
      for (let turns = 0; turns < 200 && !settled; turns += 1)
        await new Promise((resolve) => setImmediate(resolve));
      await expect(pending).resolves.toMatchObject({ status: 200 });
      expect(vi.getTimerCount()).toBe(0);
    } finally {
      vi.useRealTimers();
      nock.cleanAll();
    }
  });
});
