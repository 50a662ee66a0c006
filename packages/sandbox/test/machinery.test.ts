import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { Agent, request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createRouteTable,
  createSandbox,
  createTable,
  faultSchema,
  json,
  type Sandbox,
  type SandboxDialect,
  type SandboxOptions,
  sandboxOptionsSchema,
} from '@crm-connect/sandbox';
import { afterEach, describe, expect, it } from 'vitest';

/**
 * The shared machinery, on a minimal sandbox ("notes": create, show, fail) so what is checked is
 * the machinery, not a CRM's rules. Each CRM sandbox has its own tests over plain HTTP here; the
 * real plugins are driven against them in test/sandbox/ at the repository root.
 */

interface Note {
  id: number;
  text: string;
}

const dialect: SandboxDialect = {
  notFound: () => json(404, { problem: 'no such route' }),
  methodNotAllowed: (_request, allowed) => json(405, { problem: 'wrong method', allowed }),
  malformedBody: (error) => json(error.status, { problem: error.message }),
  rateLimited: ({ retryAfter, limit }) =>
    json(429, { problem: 'slow down', limit: limit ?? null }, { 'Retry-After': retryAfter }),
  serverError: ({ status }) => json(status, { problem: 'server error' }),
  commonHeaders: (limit): Record<string, string> =>
    limit === undefined ? {} : { 'X-Remaining': String(limit.remaining) },
};

function notesSandbox(
  options: SandboxOptions = {},
): Sandbox<{ notes: ReturnType<typeof createTable<Note>> }> {
  const notes = createTable<Note>();
  let nextId = 1;
  const routes = createRouteTable([
    {
      method: 'POST',
      path: '/notes',
      name: 'notes.create',
      handler(request, context) {
        context.identify(request.headers.authorization === undefined ? 'anonymous' : 'caller-1');
        const { body } = request;
        const text = typeof body === 'object' && body !== null && 'text' in body ? body.text : undefined;
        if (typeof text !== 'string') return json(422, { problem: 'text is required' });
        return json(201, notes.insert({ id: nextId++, text }));
      },
    },
    {
      method: 'GET',
      path: '/notes/by-text=:text',
      name: 'notes.byText',
      handler: (_request, { params }) => {
        const note = notes.find((candidate) => candidate.text === params.text);
        return note === undefined ? json(404, {}) : json(200, note);
      },
    },
    {
      method: 'GET',
      path: '/notes/:id',
      name: 'notes.show',
      handler: (_request, { params }) =>
        json(200, { id: params.id, note: notes.get(Number(params.id)) ?? null }),
    },
    {
      method: 'POST',
      path: '/echo',
      name: 'echo',
      handler: (request) => json(200, { body: request.body ?? null, query: request.query.get('q') }),
    },
    {
      method: 'GET',
      path: '/broken',
      name: 'broken',
      handler: () => {
        throw new Error('a bug in the sandbox');
      },
    },
  ]);
  return createSandbox(
    {
      name: 'notes',
      routes,
      dialect,
      store: { notes },
      seed: { users: [], credentials: {} },
      revokeCredential: () => undefined,
      deactivateUser: () => undefined,
    },
    options,
  );
}

const running: Sandbox<unknown>[] = [];
async function started(options: SandboxOptions = {}) {
  const sandbox = notesSandbox(options);
  running.push(sandbox);
  await sandbox.start();
  return sandbox;
}
afterEach(async () => {
  await Promise.all(running.splice(0).map((sandbox) => sandbox.stop()));
});

async function post(url: string, body: unknown, headers: Record<string, string> = {}) {
  return fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
}

describe('sandbox server', () => {
  it('listens on 127.0.0.1 on an ephemeral port, and start() returns the base URL', async () => {
    const sandbox = notesSandbox();
    running.push(sandbox);
    expect(() => sandbox.url).toThrow(/not started/);
    const url = await sandbox.start();
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(Number(new URL(url).port)).toBeGreaterThan(0);
    expect(sandbox.url).toBe(url);
    await expect(sandbox.start()).rejects.toThrow(/already listening/);
  });

  it('listens on ::1 when asked, and refuses any address that is not loopback', async () => {
    const sandbox = await started({ host: '::1' });
    expect(sandbox.url).toMatch(/^http:\/\/\[::1\]:\d+$/);
    expect((await post(`${sandbox.url}/notes`, { text: 'over IPv6' })).status).toBe(201);
    // The type already allows only loopback addresses; options read from a command line or a file
    // reach createSandbox through this schema, which refuses the rest.
    expect(sandboxOptionsSchema.safeParse({ host: '0.0.0.0' }).success).toBe(false);
    expect(sandboxOptionsSchema.safeParse({ host: '192.168.1.20' }).success).toBe(false);
  });

  it('stop() closes every socket, idle keep-alive ones included, and frees the port', async () => {
    const sandbox = await started();
    const { port } = new URL(sandbox.url);
    const agent = new Agent({ keepAlive: true });
    let socket: Socket | undefined;
    await new Promise<void>((resolve, reject) => {
      const request = httpRequest(`${sandbox.url}/notes/1`, { agent }, (response) => {
        response.resume();
        response.on('end', () => resolve());
      });
      request.on('socket', (assigned: Socket) => {
        socket = assigned;
      });
      request.on('error', reject);
      request.end();
    });
    // The answer is in: the connection now waits, idle, in the agent's keep-alive pool.
    expect(socket?.destroyed).toBe(false);
    const socketClosed = new Promise((resolve) => socket?.once('close', resolve));
    await sandbox.stop();
    await socketClosed;
    const refused = await new Promise<string>((resolve) => {
      const probe = connect(Number(port), '127.0.0.1');
      probe.on('connect', () => resolve('connected'));
      probe.on('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? 'error'));
    });
    expect(refused).toBe('ECONNREFUSED');
    agent.destroy();
  });

  it('stop() does not wait for a request in progress: its connection is closed at once', async () => {
    const sandbox = await started();
    sandbox.faults.inject({ kind: 'slow', delayMs: 10_000 });
    const pending = fetch(`${sandbox.url}/notes/1`).then(
      (response) => response.status,
      () => 'connection closed',
    );
    await new Promise((resolve) => setTimeout(resolve, 50));
    const before = performance.now();
    await sandbox.stop();
    expect(performance.now() - before).toBeLessThan(1_000);
    expect(await pending).toBe('connection closed');
  });

  it('serves https with the certificate it is given', async () => {
    const directory = mkdtempSync(join(tmpdir(), 'sandbox-tls-'));
    try {
      execFileSync(
        'openssl',
        [
          'req',
          '-x509',
          '-newkey',
          'ec',
          '-pkeyopt',
          'ec_paramgen_curve:prime256v1',
          '-nodes',
          '-days',
          '1',
          '-subj',
          '/CN=127.0.0.1',
          '-addext',
          'subjectAltName=IP:127.0.0.1',
          '-keyout',
          join(directory, 'key.pem'),
          '-out',
          join(directory, 'cert.pem'),
        ],
        { stdio: 'ignore' },
      );
      const cert = readFileSync(join(directory, 'cert.pem'), 'utf8');
      const key = readFileSync(join(directory, 'key.pem'), 'utf8');
      const sandbox = await started({ tls: { key, cert } });
      expect(sandbox.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
      const status = await new Promise<number | undefined>((resolve, reject) => {
        const request = httpsRequest(`${sandbox.url}/notes/1`, { ca: cert }, (response) => {
          response.resume();
          resolve(response.statusCode);
        });
        request.on('error', reject);
        request.end();
      });
      expect(status).toBe(200);
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  });
});

describe('requests, routes and answers', () => {
  it('parses JSON and form bodies, decodes path parameters, and answers JSON', async () => {
    const sandbox = await started();
    const echoed = await post(`${sandbox.url}/echo?q=a%20b`, { hello: 'world' });
    expect(echoed.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(await echoed.json()).toEqual({ body: { hello: 'world' }, query: 'a b' });
    const form = await fetch(`${sandbox.url}/echo`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'grant_type=client_credentials&scope=read+write',
    });
    expect(await form.json()).toEqual({
      body: { grant_type: 'client_credentials', scope: 'read write' },
      query: null,
    });
    await post(`${sandbox.url}/notes`, { text: 'jane@example.com' });
    const found = await fetch(`${sandbox.url}/notes/by-text=jane%40example.com`);
    expect(await found.json()).toEqual({ id: 1, text: 'jane@example.com' });
  });

  it('answers what no route handles in the dialect of the sandbox: 404, 405, malformed JSON, a bug as 500', async () => {
    const sandbox = await started();
    expect((await fetch(`${sandbox.url}/nowhere`)).status).toBe(404);
    const wrongMethod = await fetch(`${sandbox.url}/notes`, { method: 'DELETE' });
    expect(wrongMethod.status).toBe(405);
    expect(await wrongMethod.json()).toEqual({ problem: 'wrong method', allowed: ['POST'] });
    const malformed = await fetch(`${sandbox.url}/notes`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"text": ',
    });
    expect(malformed.status).toBe(400);
    expect(((await malformed.json()) as { problem: string }).problem).toContain('does not parse');
    const broken = await fetch(`${sandbox.url}/broken`);
    expect(broken.status).toBe(500);
    expect(sandbox.log.entries().at(-1)?.error).toContain('a bug in the sandbox');
  });

  it('refuses a body over the size limit with 413', async () => {
    const sandbox = await started({ maxBodyBytes: 64 });
    const response = await post(`${sandbox.url}/notes`, { text: 'x'.repeat(100) });
    expect(response.status).toBe(413);
    expect(sandbox.store.notes.count()).toBe(0);
  });

  it('logs every request: route, principal, status, with credentials masked', async () => {
    const sandbox = await started();
    const seen: string[] = [];
    const unsubscribe = sandbox.log.subscribe((entry) =>
      seen.push(`${entry.method} ${entry.path} ${entry.status}`),
    );
    await post(
      `${sandbox.url}/notes`,
      { text: 'hello', client_secret: 'abc' },
      { authorization: 'Bearer s3cr3t' },
    );
    unsubscribe();
    await fetch(`${sandbox.url}/notes/1`);
    const [created, shown] = sandbox.log.entries();
    expect(created).toMatchObject({
      sequence: 1,
      method: 'POST',
      path: '/notes',
      route: 'notes.create',
      principal: 'caller-1',
      status: 201,
      handled: true,
      fault: undefined,
      body: { text: 'hello', client_secret: '***' },
    });
    expect(created?.headers.authorization).toBe('Bearer ***');
    expect(JSON.stringify(sandbox.log.entries())).not.toContain('s3cr3t');
    expect(shown).toMatchObject({ sequence: 2, route: 'notes.show', status: 200 });
    expect(seen).toEqual(['POST /notes 201']);
  });
});

describe('fault injection', () => {
  it('a rate limit on one route, twice: 429 with Retry-After, nothing processed, then normal answers', async () => {
    const sandbox = await started();
    const fault = sandbox.faults.inject({
      kind: 'rate-limit',
      route: 'notes.create',
      times: 2,
      retryAfterSeconds: 0.05,
    });
    expect((await fetch(`${sandbox.url}/notes/1`)).status).toBe(200);
    const statuses: number[] = [];
    for (let attempt = 0; attempt < 3; attempt += 1) {
      const response = await post(`${sandbox.url}/notes`, { text: `try ${attempt}` });
      statuses.push(response.status);
      if (response.status === 429) expect(response.headers.get('retry-after')).toBe('0.05');
    }
    expect(statuses).toEqual([429, 429, 201]);
    expect(sandbox.store.notes.all().map((note) => note.text)).toEqual(['try 2']);
    expect(fault.applied()).toBe(2);
    expect(fault.exhausted()).toBe(true);
    expect(sandbox.faults.active()).toEqual([]);
    expect(sandbox.log.entries().map((entry) => entry.fault)).toEqual([
      undefined,
      'rate-limit',
      'rate-limit',
      undefined,
    ]);
  });

  it('targets by method and path pattern, skips the first matches, and can apply always until cancelled', async () => {
    const sandbox = await started();
    const fault = sandbox.faults.inject({
      kind: 'server-error',
      method: 'GET',
      path: '/notes/*',
      skip: 1,
      times: 'always',
      status: 502,
    });
    expect((await fetch(`${sandbox.url}/notes/1`)).status).toBe(200);
    expect((await fetch(`${sandbox.url}/notes/2`)).status).toBe(502);
    expect((await fetch(`${sandbox.url}/notes/3`)).status).toBe(502);
    expect((await post(`${sandbox.url}/notes`, { text: 'a POST is not targeted' })).status).toBe(201);
    fault.cancel();
    expect((await fetch(`${sandbox.url}/notes/4`)).status).toBe(200);
    expect(fault.applied()).toBe(2);
  });

  it('validates faults at the edge, as the CLI will hand them over', () => {
    const sandbox = notesSandbox();
    expect(() => sandbox.faults.inject({ kind: 'server-error', status: 404 })).toThrow();
    expect(() => sandbox.faults.inject({ kind: 'slow', delayMs: -1 })).toThrow();
    expect(() => sandbox.faults.inject({ kind: 'drop', path: 'notes' })).toThrow(/must start with \//);
    // An unknown kind does not type-check; from the CLI's JSON it meets the schema inject() applies.
    expect(faultSchema.safeParse({ kind: 'explode' }).success).toBe(false);
  });

  it('slow: the answer comes late, the request is processed', async () => {
    const sandbox = await started();
    sandbox.faults.inject({ kind: 'slow', delayMs: 150 });
    const before = performance.now();
    expect((await post(`${sandbox.url}/notes`, { text: 'late' })).status).toBe(201);
    expect(performance.now() - before).toBeGreaterThanOrEqual(140);
  });

  it('a drop before handling loses the request: no answer and nothing stored', async () => {
    const sandbox = await started();
    sandbox.faults.inject({ kind: 'drop', route: 'notes.create' });
    await expect(post(`${sandbox.url}/notes`, { text: 'lost' })).rejects.toThrow();
    expect(sandbox.store.notes.count()).toBe(0);
    expect(sandbox.log.entries()[0]).toMatchObject({ fault: 'drop', handled: false, status: undefined });
  });

  it('a drop after handling commits the write, then destroys the socket before answering', async () => {
    const sandbox = await started();
    sandbox.faults.inject({ kind: 'drop', when: 'after-handling', route: 'notes.create' });
    await expect(post(`${sandbox.url}/notes`, { text: 'committed' })).rejects.toThrow();
    expect(sandbox.store.notes.all()).toEqual([{ id: 1, text: 'committed' }]);
    expect(sandbox.log.entries()[0]).toMatchObject({ fault: 'drop', handled: true, status: undefined });
    // The connection is gone, the sandbox is not: the next request is answered.
    expect((await fetch(`${sandbox.url}/notes/1`)).status).toBe(200);
  });
});

describe('steady rate limit', () => {
  it('accepts N requests per scaled minute, refuses the next with the wait, and counts down', async () => {
    const sandbox = await started();
    // 3 requests per minute, the minute lasting 200 ms.
    sandbox.limitRate({ requestsPerMinute: 3, timeScale: 300 });
    const answers = [];
    for (let attempt = 0; attempt < 4; attempt += 1) answers.push(await fetch(`${sandbox.url}/notes/1`));
    expect(answers.map((answer) => answer.status)).toEqual([200, 200, 200, 429]);
    expect(answers.map((answer) => answer.headers.get('x-remaining'))).toEqual(['2', '1', '0', '0']);
    const refused = answers[3];
    expect(await refused?.json()).toEqual({ problem: 'slow down', limit: 3 });
    const retryAfter = Number(refused?.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(0.2);
    await new Promise((resolve) => setTimeout(resolve, retryAfter * 1000 + 10));
    expect((await fetch(`${sandbox.url}/notes/1`)).status).toBe(200);
    expect(sandbox.log.entries()[3]?.fault).toBe('rate-window');
    sandbox.limitRate(undefined);
    for (let attempt = 0; attempt < 5; attempt += 1)
      expect((await fetch(`${sandbox.url}/notes/1`)).status).toBe(200);
  });

  it('follows the sandbox clock: a refused request gets the time until the oldest one leaves the window', async () => {
    let now = 1_000_000;
    const sandbox = await started({ clock: () => now });
    sandbox.limitRate({ requestsPerMinute: 2 });
    expect((await fetch(`${sandbox.url}/notes/1`)).status).toBe(200);
    now += 20_000;
    expect((await fetch(`${sandbox.url}/notes/1`)).status).toBe(200);
    now += 10_000;
    const refused = await fetch(`${sandbox.url}/notes/1`);
    expect(refused.status).toBe(429);
    // The first request leaves the 60 s window 30 s from now: whole seconds, as CRMs send them.
    expect(refused.headers.get('retry-after')).toBe('30');
    now += 30_001;
    expect((await fetch(`${sandbox.url}/notes/1`)).status).toBe(200);
  });
});
