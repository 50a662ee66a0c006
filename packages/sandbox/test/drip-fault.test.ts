import { request as httpRequest } from 'node:http';
import {
  createRouteTable,
  createSandbox,
  createTable,
  faultSchema,
  json,
  type Sandbox,
  type SandboxDialect,
} from '@crm-connect/sandbox';
import { afterEach, describe, expect, it } from 'vitest';

/**
 * The `drip` fault: the answer's status and headers at once, then its body one byte at a time.
 * On a minimal sandbox (notes) like the machinery's, so what is checked is the fault alone.
 */

interface Note {
  id: number;
  text: string;
}

const dialect: SandboxDialect = {
  notFound: () => json(404, { problem: 'no such route' }),
  methodNotAllowed: () => json(405, { problem: 'wrong method' }),
  malformedBody: (error) => json(error.status, { problem: error.message }),
  rateLimited: ({ retryAfter }) => json(429, { problem: 'slow down' }, { 'Retry-After': retryAfter }),
  serverError: ({ status }) => json(status, { problem: 'server error' }),
};

type NotesSandbox = Sandbox<{ notes: ReturnType<typeof createTable<Note>> }>;

function notesSandbox(): NotesSandbox {
  const notes = createTable<Note>();
  let nextId = 1;
  const routes = createRouteTable([
    {
      method: 'POST',
      path: '/notes',
      name: 'notes.create',
      handler(request) {
        const { body } = request;
        const text = typeof body === 'object' && body !== null && 'text' in body ? body.text : undefined;
        if (typeof text !== 'string') return json(422, { problem: 'text is required' });
        return json(201, notes.insert({ id: nextId++, text }));
      },
    },
  ]);
  return createSandbox({
    name: 'notes',
    routes,
    dialect,
    store: { notes },
    seed: { users: [], credentials: {} },
    revokeCredential: () => undefined,
    deactivateUser: () => undefined,
  });
}

const running: Sandbox<unknown>[] = [];
async function started(): Promise<NotesSandbox> {
  const sandbox = notesSandbox();
  running.push(sandbox);
  await sandbox.start();
  return sandbox;
}
afterEach(async () => {
  await Promise.all(running.splice(0).map((sandbox) => sandbox.stop()));
});

/** Posts a note with node:http and an idle-socket timer of `idleTimeoutMs`: when the headers came, each chunk, and whether the timer fired. */
function postWatched(url: string, text: string, idleTimeoutMs: number) {
  const started = performance.now();
  return new Promise<{
    status: number;
    headersAfterMs: number;
    chunks: number;
    body: string;
    idleTimedOut: boolean;
    totalMs: number;
  }>((resolve, reject) => {
    let idleTimedOut = false;
    const outgoing = httpRequest(
      `${url}/notes`,
      { method: 'POST', headers: { 'content-type': 'application/json' }, timeout: idleTimeoutMs },
      (incoming) => {
        const headersAfterMs = performance.now() - started;
        const chunks: Buffer[] = [];
        incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
        incoming.on('error', reject);
        incoming.on('end', () =>
          resolve({
            status: incoming.statusCode ?? 0,
            headersAfterMs,
            chunks: chunks.length,
            body: Buffer.concat(chunks).toString('utf8'),
            idleTimedOut,
            totalMs: performance.now() - started,
          }),
        );
      },
    );
    outgoing.on('timeout', () => {
      idleTimedOut = true;
    });
    outgoing.on('error', reject);
    outgoing.end(JSON.stringify({ text }));
  });
}

describe('drip fault', () => {
  it('processes the request, sends the headers at once, then the body one byte every N ms: an idle timer never fires', async () => {
    const sandbox = await started();
    const fault = sandbox.faults.inject({ kind: 'drip', route: 'notes.create', byteIntervalMs: 10 });
    const answer = await postWatched(sandbox.url, 'slowly', 100);
    const expected = JSON.stringify({ id: 1, text: 'slowly' });
    expect(answer.status).toBe(201);
    expect(answer.body).toBe(expected);
    expect(answer.headersAfterMs).toBeLessThan(100);
    // One byte at a time (the client may read two that arrived together, never the whole body).
    expect(answer.chunks).toBeGreaterThan(expected.length / 2);
    expect(answer.totalMs).toBeGreaterThanOrEqual(expected.length * 10 - 20);
    expect(answer.idleTimedOut).toBe(false);
    expect(sandbox.store.notes.all()).toEqual([{ id: 1, text: 'slowly' }]);
    expect(fault.exhausted()).toBe(true);
    // Logged once the last byte went out.
    expect(sandbox.log.entries()).toEqual([
      expect.objectContaining({ fault: 'drip', handled: true, status: 201 }),
    ]);
    expect(sandbox.log.entries()[0]?.durationMs).toBeGreaterThanOrEqual(expected.length * 10 - 20);
  });

  it('only a deadline for the whole exchange ends the wait; the sandbox stops dripping once the client has gone', async () => {
    const sandbox = await started();
    sandbox.faults.inject({ kind: 'drip', route: 'notes.create', byteIntervalMs: 30 });
    const response = await fetch(`${sandbox.url}/notes`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ text: 'a write the client gives up on' }),
      signal: AbortSignal.timeout(200),
    });
    // The status came at once, and the write is committed.
    expect(response.status).toBe(201);
    expect(sandbox.store.notes.count()).toBe(1);
    await expect(response.text()).rejects.toThrow();
    await expect.poll(() => sandbox.log.entries().length).toBe(1);
    // Logged when the client went away, long before the whole body (about 1.5 s) could have dripped.
    expect(sandbox.log.entries()[0]?.durationMs).toBeLessThan(1_000);
    // The sandbox answers the next request normally.
    expect((await postWatched(sandbox.url, 'next', 1_000)).status).toBe(201);
  });

  it("before handling: nothing is processed, the CRM's 503 is what drips", async () => {
    const sandbox = await started();
    sandbox.faults.inject({ kind: 'drip', when: 'before-handling', byteIntervalMs: 5 });
    const answer = await postWatched(sandbox.url, 'never stored', 1_000);
    expect(answer.status).toBe(503);
    expect(JSON.parse(answer.body)).toEqual({ problem: 'server error' });
    expect(answer.chunks).toBeGreaterThan(1);
    expect(sandbox.store.notes.count()).toBe(0);
    expect(sandbox.log.entries()[0]).toMatchObject({ fault: 'drip', handled: false, status: 503 });
  });

  it('stop() ends a drip under way', async () => {
    const sandbox = await started();
    sandbox.faults.inject({ kind: 'drip', byteIntervalMs: 1_000 });
    const answer = postWatched(sandbox.url, 'interrupted', 5_000);
    await expect.poll(() => sandbox.store.notes.count()).toBe(1);
    const stopping = performance.now();
    await sandbox.stop();
    await expect(answer).rejects.toThrow();
    expect(performance.now() - stopping).toBeLessThan(500);
  });

  it('needs a positive whole byte interval', () => {
    expect(faultSchema.safeParse({ kind: 'drip' }).success).toBe(false);
    expect(faultSchema.safeParse({ kind: 'drip', byteIntervalMs: 0 }).success).toBe(false);
    expect(faultSchema.parse({ kind: 'drip', byteIntervalMs: 50 })).toMatchObject({
      when: 'after-handling',
      times: 1,
    });
  });
});
