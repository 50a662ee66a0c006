import nock from 'nock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  AuthenticationError,
  ConflictError,
  type CreateOnceOptions,
  createHttpClient,
  createOnce,
  createRateBudgetRegistry,
  createRedactor,
  RateLimitedError,
  TransportError,
} from '../src/index.js';

/**
 * A CRM without an idempotency key, in memory: `create` may write the record and still fail
 * (the answer lost), `find` sees what was written. Every record written is counted.
 */
function memoryCrm(failures: Array<{ error: Error; landed: boolean; attempts?: number }>) {
  const records: string[] = [];
  const calls: string[] = [];
  return {
    records,
    calls,
    create: async () => {
      calls.push('create');
      const failure = failures.shift();
      if (failure === undefined || failure.landed) records.push(`record-${records.length + 1}`);
      if (failure !== undefined) {
        if (failure.attempts !== undefined) Object.assign(failure.error, { attempts: failure.attempts });
        throw failure.error;
      }
      return { value: records.at(-1) as string, attempts: 1 };
    },
    find: async () => {
      calls.push('find');
      return records[0];
    },
  };
}

const fast = { retry: { initialDelayMs: 1, maxDelayMs: 2 }, timeoutMs: 40 };
const serverError = () =>
  new TransportError('mycrm: create failed with HTTP 503', { pluginId: 'mycrm', status: 503 });
const noAnswer = () => new TransportError('mycrm: create timed out after 40 ms', { pluginId: 'mycrm' });

function run(crm: ReturnType<typeof memoryCrm>, options: Partial<CreateOnceOptions<string>> = {}) {
  return createOnce({ create: crm.create, find: crm.find, http: fast, ...options });
}

describe('createOnce', () => {
  it('creates once when the first create answers', async () => {
    const crm = memoryCrm([]);
    expect(await run(crm)).toEqual({ value: 'record-1', created: true, found: false, attempts: 1 });
    expect(crm.calls).toEqual(['create']);
  });

  it('with findFirst, an existing record is returned and nothing is created', async () => {
    const crm = memoryCrm([]);
    crm.records.push('record-0');
    expect(await run(crm, { findFirst: true })).toEqual({
      value: 'record-0',
      created: false,
      found: true,
      attempts: 0,
    });
    expect(crm.calls).toEqual(['find']);
  });

  it('a create that landed but answered 503 is found, not written again', async () => {
    const crm = memoryCrm([{ error: serverError(), landed: true }]);
    expect(await run(crm)).toEqual({ value: 'record-1', created: true, found: true, attempts: 1 });
    expect(crm.records).toHaveLength(1);
    expect(crm.calls).toEqual(['create', 'find']);
  });

  it('a create that got no answer is looked up only after the wait, so a write still landing is found', async () => {
    const crm = memoryCrm([{ error: noAnswer(), landed: false }]);
    let landed = false;
    // The first create lands on the CRM 30 ms after the client gave up on it.
    setTimeout(() => {
      crm.records.push('record-late');
      landed = true;
    }, 30);
    const started = performance.now();
    const result = await run(crm, { settleMs: 60 });
    expect(landed).toBe(true);
    expect(performance.now() - started).toBeGreaterThanOrEqual(55);
    expect(result).toMatchObject({ value: 'record-late', created: true, found: true });
    expect(crm.records).toEqual(['record-late']);
  });

  it('the wait defaults to the HTTP timeout', async () => {
    const crm = memoryCrm([{ error: noAnswer(), landed: true }]);
    const started = performance.now();
    await run(crm);
    expect(performance.now() - started).toBeGreaterThanOrEqual(35);
  });

  it('a failure that left nothing behind is created again, after the lookup', async () => {
    const crm = memoryCrm([{ error: serverError(), landed: false }]);
    expect(await run(crm)).toEqual({ value: 'record-1', created: true, found: false, attempts: 2 });
    expect(crm.calls).toEqual(['create', 'find', 'create']);
  });

  it('a "duplicate" answer: the record another writer made is returned, created false', async () => {
    const crm = memoryCrm([
      { error: new ConflictError('mycrm: duplicate external id', { pluginId: 'mycrm' }), landed: true },
    ]);
    expect(await run(crm)).toMatchObject({ value: 'record-1', created: false, found: true });
  });

  it('without find, an uncertain failure is thrown, never repeated', async () => {
    const crm = memoryCrm([{ error: serverError(), landed: true }]);
    await expect(run(crm, { find: undefined })).rejects.toMatchObject({ code: 'transport_failed' });
    expect(crm.calls).toEqual(['create']);
  });

  it('without find, a rate-limited create (refused unprocessed) is repeated', async () => {
    const crm = memoryCrm([
      {
        error: new RateLimitedError('mycrm: rate limit', { pluginId: 'mycrm', retryAfterMs: 5 }),
        landed: false,
      },
    ]);
    expect(await run(crm, { find: undefined })).toMatchObject({
      value: 'record-1',
      created: true,
      attempts: 2,
    });
  });

  it('an error that is not uncertain is thrown at once, nothing looked up', async () => {
    const crm = memoryCrm([
      { error: new AuthenticationError('mycrm: bad key', { pluginId: 'mycrm' }), landed: false },
    ]);
    await expect(run(crm)).rejects.toMatchObject({ code: 'authentication_failed' });
    expect(crm.calls).toEqual(['create']);
  });

  it('gives up after maxRetries + 1 rounds, with every HTTP attempt counted', async () => {
    const crm = memoryCrm([
      { error: serverError(), landed: false, attempts: 1 },
      { error: serverError(), landed: false, attempts: 1 },
      { error: serverError(), landed: false, attempts: 1 },
    ]);
    const error = await run(crm, { http: { ...fast, retry: { ...fast.retry, maxRetries: 2 } } }).catch(
      (caught: unknown) => caught,
    );
    expect(error).toMatchObject({ code: 'transport_failed', attempts: 3 });
    expect(crm.records).toEqual([]);
    expect(crm.calls).toEqual(['create', 'find', 'create', 'find', 'create', 'find']);
  });

  it('an error that is not a crm-connect error is thrown as is', async () => {
    const failing = new Error('bug in the plugin');
    await expect(
      createOnce({
        create: async () => {
          throw failing;
        },
        find: async () => 'never',
      }),
    ).rejects.toBe(failing);
  });
});

describe('createOnce over the HTTP layer', () => {
  const origin = 'https://api.crm.test';
  beforeAll(() => nock.disableNetConnect());
  afterAll(() => nock.enableNetConnect());
  afterEach(() => {
    const pending = nock.pendingMocks();
    nock.cleanAll();
    expect(pending).toEqual([]);
  });

  it('a POST the CRM applied but answered 503 is sent once, and the record is found by its external id', async () => {
    const http = createHttpClient({
      pluginId: 'mycrm',
      baseUrl: origin,
      auth: { headers: async () => ({ Authorization: 'Bearer mycrm-key-0123456789' }) },
      budget: createRateBudgetRegistry().forAccount('mycrm', { requestsPerInterval: 100 }),
      redactor: createRedactor(),
      // Not `fast`'s 40 ms: on a loaded machine the lookup itself could take that long, time out,
      // and be retried against an interceptor already used (seen under Stryker's parallel runs).
      retry: fast.retry,
      timeoutMs: 5_000,
    });
    let posts = 0;
    nock(origin)
      .post('/records', () => {
        posts += 1;
        return true;
      })
      .reply(503, 'Service Unavailable');
    nock(origin)
      .get('/records')
      .query({ external_id: 'chat-1' })
      .reply(200, { records: [{ id: 'r-1' }] });
    const find = async () => {
      const response = await http.request<{ records: Array<{ id: string }> }>({
        method: 'GET',
        path: '/records',
        query: { external_id: 'chat-1' },
        operation: 'find record',
      });
      return response.data.records[0]?.id;
    };
    const result = await createOnce({
      http: fast,
      find,
      create: async () => {
        // No idempotent flag, no key: the HTTP layer makes one attempt, createOnce decides the rest.
        const response = await http.request<{ id: string }>({
          method: 'POST',
          path: '/records',
          operation: 'create record',
          body: { external_id: 'chat-1' },
        });
        return { value: response.data.id, attempts: response.attempts };
      },
    });
    expect(result).toEqual({ value: 'r-1', created: true, found: true, attempts: 1 });
    expect(posts).toBe(1);
  });
});
