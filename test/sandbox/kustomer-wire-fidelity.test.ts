import { createConnector, createRateBudgetRegistry, isCrmConnectError } from '@crm-connect/core';
import { kustomer } from '@crm-connect/kustomer';
import {
  createKustomerSandbox,
  type KustomerSandbox,
  type KustomerSandboxOptions,
  kustomerSandboxSettings,
} from '@crm-connect/sandbox';
import { afterEach, describe, expect, it } from 'vitest';
import { connectorFor } from './connectors.js';
import { chatStarted, interactionEnded } from './events.js';

/**
 * The real Kustomer plugin against a sandbox that refuses what Kustomer refuses and answers a rate
 * limit with the headers Kustomer documents: a note over 10,240 characters is split into notes the
 * sandbox accepts, and a 429 without Retry-After is waited out by its `x-ratelimit-reset`, in
 * either form the sandbox can send it (seconds to wait, epoch second), with or without a
 * Retry-After besides.
 */

let sandbox: KustomerSandbox;
async function start(options: KustomerSandboxOptions = {}) {
  sandbox = createKustomerSandbox(options);
  await sandbox.start();
  return sandbox;
}
afterEach(async () => {
  await sandbox.stop();
});

const connector = () => connectorFor(kustomer(), { ...kustomerSandboxSettings(sandbox), defaultUser: true });
/** Like `connector`, but a Retry-After over 5 s is not waited out within the request: the error says how long it is. */
const impatient = () =>
  createConnector({
    plugin: kustomer(),
    settings: { ...kustomerSandboxSettings(sandbox), defaultUser: true },
    rateBudgets: createRateBudgetRegistry(),
    http: { retry: { initialDelayMs: 1, maxDelayMs: 5, maxRetryAfterMs: 5_000 }, timeoutMs: 5_000 },
  });

async function failure(promise: Promise<unknown>) {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  if (!isCrmConnectError(error)) throw new Error(`expected a crm-connect error, got ${String(error)}`);
  return error;
}

describe('kustomer sandbox: notes within Kustomer’s limit', () => {
  it('a 25,000-character transcript is three notes of at most 10,240 characters, all accepted, nothing lost', async () => {
    await start();
    const c = connector();
    const opened = chatStarted();
    const created = await c.handle(opened);
    const line = 'Customer: the parcel is still not here, could you look again please?\n';
    const transcript = line.repeat(Math.ceil(25_000 / line.length));
    const ended = await c.handle({
      ...interactionEnded(opened.interactionId),
      transcript,
      disposition: undefined,
    });
    expect(ended).toMatchObject({ outcome: 'updated' });
    const notes = sandbox.store.notes
      .filter((note) => note.conversationId === created.recordId)
      .filter((note) => note.body.includes('Customer: the parcel'));
    expect(notes).toHaveLength(3);
    for (const note of notes) expect(note.body.length).toBeLessThanOrEqual(10_240);
    expect(notes.map((note) => note.body.replace(/^\(part \d+ of \d+\)\n\n/, '')).join('')).toBe(
      `Transcript:\n${transcript}`,
    );
    expect(sandbox.log.entries().filter((entry) => entry.status === 400)).toEqual([]);
  });
});

describe('kustomer sandbox: rate-limit answers as Kustomer documents them', () => {
  const shapes: { what: string; options: KustomerSandboxOptions; retryAfter: boolean }[] = [
    { what: 'x-ratelimit-reset in seconds, no Retry-After (the default)', options: {}, retryAfter: false },
    {
      what: 'x-ratelimit-reset as an epoch second, no Retry-After',
      options: { rateLimitAnswer: { reset: 'epoch-seconds' } },
      retryAfter: false,
    },
    {
      what: 'x-ratelimit-reset and a Retry-After',
      options: { rateLimitAnswer: { retryAfter: true } },
      retryAfter: true,
    },
  ];

  for (const shape of shapes) {
    it(`${shape.what}: the wait is read and honoured`, async () => {
      await start(shape.options);
      // A long wait is not waited out within a request: the error says how long it is.
      sandbox.faults.inject({ kind: 'rate-limit', route: 'users.current', retryAfterSeconds: 30 });
      const error = await failure(impatient().validateCredentials());
      expect(error).toMatchObject({ code: 'rate_limited', retryable: true });
      expect(error.retryAfterMs).toBeGreaterThan(29_000);
      expect(error.retryAfterMs).toBeLessThanOrEqual(30_000);
      const refused = sandbox.log.entries().find((entry) => entry.status === 429);
      expect(refused).toBeDefined();

      // A short one is waited out: the read is sent again once it has passed, and succeeds.
      sandbox.faults.inject({ kind: 'rate-limit', route: 'users.current', retryAfterSeconds: 0.3 });
      const started = Date.now();
      const check = await connector().validateCredentials();
      expect(check.connectionUser).toMatchObject({ role: 'machine' });
      const attempts = sandbox.log
        .entries()
        .filter((entry) => entry.route === 'users.current')
        .slice(-2);
      expect(attempts.map((entry) => entry.status)).toEqual([429, 200]);
      const [first, second] = attempts.map((entry) => Date.parse(entry.at));
      expect((second ?? 0) - (first ?? 0)).toBeGreaterThanOrEqual(280);
      expect(Date.now() - started).toBeLessThan(5_000);
    });
  }

  it('the answer itself carries the documented headers, and a Retry-After only when asked for', async () => {
    await start();
    sandbox.faults.inject({ kind: 'rate-limit', retryAfterSeconds: 2 });
    const answer = await fetch(`${sandbox.url}/v1/users/current`, {
      headers: { authorization: `Bearer ${sandbox.seed.credentials.apiKey}` },
    });
    expect(answer.status).toBe(429);
    expect(answer.headers.get('x-ratelimit-reset')).toBe('2');
    expect(answer.headers.get('x-ratelimit-remaining')).toBe('0');
    expect(answer.headers.get('retry-after')).toBeNull();
  });
});
