import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { brotliCompressSync, deflateRawSync, deflateSync, gzipSync } from 'node:zlib';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createHttpClient } from '../src/http/http-client.js';
import {
  joinUrl,
  maxAnswerBytes,
  releaseIdleSockets,
  send,
  TransportFailure,
} from '../src/http/node-transport.js';
import { createRateBudgetRegistry } from '../src/http/rate-budget.js';
import { createRedactor } from '../src/redaction.js';

/**
 * The HTTP layer's transport against a real loopback server: what it sends (headers, bodies,
 * URLs) and how it reads what comes back (JSON or text, compressed, cut short, too large). No
 * nock here: its interception replaces the sockets whose pooling is tested below.
 */

interface Received {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

let server: Server;
let origin: string;
let received: Received[] = [];
let answer: (request: IncomingMessage, response: ServerResponse) => void;

beforeAll(async () => {
  server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      received.push({
        method: request.method ?? '',
        url: request.url ?? '',
        headers: request.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      });
      answer(request, response);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

beforeEach(() => {
  received = [];
  answer = (_request, response) => {
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end('{"ok":true}');
  };
});

const get = (path = '/x', timeoutMs = 5_000) =>
  send({ method: 'GET', url: `${origin}${path}`, headers: {}, body: undefined, timeoutMs });

describe('joinUrl', () => {
  it('keeps the base URL’s path, with one slash between', () => {
    expect(joinUrl('https://org.crm.dynamics.com/api/data/v9.2', '/incidents', undefined)).toBe(
      'https://org.crm.dynamics.com/api/data/v9.2/incidents',
    );
    expect(joinUrl('https://org.crm.dynamics.com/api/data/v9.2/', 'incidents', undefined)).toBe(
      'https://org.crm.dynamics.com/api/data/v9.2/incidents',
    );
  });

  it('any number of slashes between the two make one, and a path’s fragment is not sent with the query', () => {
    expect(joinUrl('https://a.test/api//', '//incidents', undefined)).toBe('https://a.test/api/incidents');
    expect(joinUrl('https://a.test', '/x#part', { a: 1 })).toBe('https://a.test/x?a=1');
  });

  it('takes an absolute URL as it is', () => {
    expect(joinUrl('https://a.test/api', 'https://a.test/next?page=2', undefined)).toBe(
      'https://a.test/next?page=2',
    );
  });

  it('encodes the query, leaves undefined values out, and appends to a query already there', () => {
    expect(
      joinUrl('https://a.test', '/q', {
        q: "SELECT Id FROM User WHERE Email = 'a&b@c.d'",
        n: 2,
        off: undefined,
      }),
    ).toBe('https://a.test/q?q=SELECT+Id+FROM+User+WHERE+Email+%3D+%27a%26b%40c.d%27&n=2');
    expect(joinUrl('https://a.test', '/q?page=2', { per_page: 100, active: true })).toBe(
      'https://a.test/q?page=2&per_page=100&active=true',
    );
    expect(joinUrl('https://a.test', '/q', { only: undefined })).toBe('https://a.test/q');
  });
});

describe('send', () => {
  it('sends a JSON body with its type and length, and the default headers', async () => {
    const response = await send({
      method: 'POST',
      url: `${origin}/tickets`,
      headers: { Authorization: 'Basic abc' },
      body: { ticket: { subject: 'Été' } },
      timeoutMs: 5_000,
    });
    expect(response).toMatchObject({ status: 200, data: { ok: true } });
    const [request] = received;
    expect(request?.body).toBe('{"ticket":{"subject":"Été"}}');
    expect(request?.headers).toMatchObject({
      authorization: 'Basic abc',
      'content-type': 'application/json',
      'content-length': String(Buffer.byteLength('{"ticket":{"subject":"Été"}}')),
      accept: 'application/json, text/plain, */*',
      'accept-encoding': 'gzip, deflate, br',
      'user-agent': 'crm-connect',
    });
  });

  it('sends a string body as it is, with the caller’s own headers winning whatever their case', async () => {
    await send({
      method: 'POST',
      url: `${origin}/token`,
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', Accept: 'application/json' },
      body: 'grant_type=client_credentials&scope=read',
      timeoutMs: 5_000,
    });
    const [request] = received;
    expect(request?.body).toBe('grant_type=client_credentials&scope=read');
    expect(request?.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(request?.headers.accept).toBe('application/json');
  });

  it('sends a URLSearchParams as a form, and bytes as they are', async () => {
    await send({
      method: 'POST',
      url: `${origin}/token`,
      headers: {},
      body: new URLSearchParams({ grant_type: 'client_credentials', scope: 'read write' }),
      timeoutMs: 5_000,
    });
    await send({
      method: 'PUT',
      url: `${origin}/file`,
      headers: { 'Content-Type': 'application/octet-stream' },
      body: Buffer.from('raw ✓'),
      timeoutMs: 5_000,
    });
    expect(
      received.map(({ body, headers }) => [body, headers['content-type'], headers['content-length']]),
    ).toEqual([
      ['grant_type=client_credentials&scope=read+write', 'application/x-www-form-urlencoded', '46'],
      ['raw ✓', 'application/octet-stream', String(Buffer.byteLength('raw ✓'))],
    ]);
  });

  it('a caller’s content type wins over JSON’s; a string body gets none of its own', async () => {
    await send({
      method: 'POST',
      url: `${origin}/v1/customers`,
      headers: { 'content-type': 'application/vnd.api+json' },
      body: { data: { type: 'customer' } },
      timeoutMs: 5_000,
    });
    await send({ method: 'POST', url: `${origin}/raw`, headers: {}, body: 'plain text', timeoutMs: 5_000 });
    expect(received.map((request) => request.headers['content-type'])).toEqual([
      'application/vnd.api+json',
      undefined,
    ]);
    expect(received[0]?.body).toBe('{"data":{"type":"customer"}}');
  });

  it('a body JSON cannot hold is refused before anything is sent', async () => {
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    for (const [body, reason] of [
      [circular, 'circular structure'],
      [{ big: 1n }, 'BigInt'],
      [() => 'a function', 'TypeError: a function is not JSON'],
    ] as const)
      await expect(
        send({ method: 'POST', url: `${origin}/x`, headers: {}, body, timeoutMs: 5_000 }),
      ).rejects.toMatchObject({
        code: 'ERR_INVALID_REQUEST',
        message: expect.stringMatching(
          new RegExp(`^the request cannot be sent: its body cannot be sent as JSON \\(.*${reason}`),
        ),
      });
    expect(received).toEqual([]);
  });

  it('an answer sent one byte per chunk costs its size, not a Buffer per byte', async () => {
    const text = JSON.stringify({ data: 'x'.repeat(200_000) });
    answer = (_request, response) => {
      response.writeHead(200, { 'content-type': 'application/json' });
      let at = 0;
      const more = () => {
        while (at < text.length) {
          const ok = response.write(text[at] ?? '');
          at += 1;
          if (!ok) {
            response.once('drain', more);
            return;
          }
        }
        response.end();
      };
      more();
    };
    const heapBefore = process.memoryUsage().heapUsed;
    const pending = get('/x', 30_000);
    let peak = 0;
    const sampler = setInterval(() => {
      peak = Math.max(peak, process.memoryUsage().heapUsed - heapBefore);
    }, 5);
    const response = await pending.finally(() => clearInterval(sampler));
    expect((response.data as { data: string }).data.length).toBe(200_000);
    // A Buffer per byte would be about 40 MB here; the answer itself is 0.2 MB.
    expect(peak).toBeLessThan(20_000_000);
  });

  it('sends no body and no content type without one', async () => {
    await get();
    expect(received[0]?.headers['content-type']).toBeUndefined();
    expect(received[0]?.body).toBe('');
  });

  it('returns a text answer as text, an empty one as an empty string, and drops a byte order mark', async () => {
    answer = (_request, response) => {
      response.writeHead(503, { 'content-type': 'text/html' });
      response.end('<html>down</html>');
    };
    expect(await get()).toMatchObject({ status: 503, data: '<html>down</html>' });
    answer = (_request, response) => {
      response.writeHead(204);
      response.end();
    };
    expect(await get()).toMatchObject({ status: 204, data: '' });
    answer = (_request, response) => {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('{"id":1}')]));
    };
    expect(await get()).toMatchObject({ data: { id: 1 } });
  });

  it('reads gzip, deflate and brotli answers', async () => {
    const text = JSON.stringify({ users: Array.from({ length: 50 }, (_, id) => ({ id })) });
    for (const [encoding, compress] of [
      ['gzip', gzipSync],
      ['deflate', deflateSync],
      ['br', brotliCompressSync],
    ] as const) {
      answer = (_request, response) => {
        response.writeHead(200, { 'content-type': 'application/json', 'content-encoding': encoding });
        response.end(compress(Buffer.from(text)));
      };
      expect((await get()).data, encoding).toEqual(JSON.parse(text));
    }
  });

  it('an empty answer is empty whatever encoding it names; x-gzip is gzip', async () => {
    answer = (_request, response) => {
      response.writeHead(204, { 'content-encoding': 'gzip' });
      response.end();
    };
    expect(await get()).toMatchObject({ status: 204, data: '' });
    answer = (_request, response) => {
      response.writeHead(200, { 'content-encoding': 'x-gzip' });
      response.end(gzipSync(Buffer.from('{"old":"name"}')));
    };
    expect((await get()).data).toEqual({ old: 'name' });
  });

  it('a body that does not decode as its encoding says is a typed failure', async () => {
    answer = (_request, response) => {
      response.writeHead(200, { 'content-encoding': 'gzip' });
      response.end('not gzip at all');
    };
    await expect(get()).rejects.toMatchObject({
      name: 'TransportFailure',
      code: 'ERR_BAD_ENCODING',
      message: expect.stringMatching(/^an undecodable gzip answer \(Error: .+\)$/),
    });
  });

  it('identity is no encoding; one it does not know (whatever its name) is refused, never read as text', async () => {
    answer = (_request, response) => {
      response.writeHead(200, { 'content-encoding': 'identity' });
      response.end('{"plain":true}');
    };
    expect((await get()).data).toEqual({ plain: true });
    for (const encoding of ['zstd', 'constructor', '__proto__', 'toString']) {
      answer = (_request, response) => {
        response.writeHead(200, { 'content-encoding': encoding });
        response.end('{"plain":true}');
      };
      await expect(get(), encoding).rejects.toMatchObject({
        code: 'ERR_BAD_ENCODING',
        message: `an answer in an encoding this client does not read (${encoding.toLowerCase()})`,
      });
    }
  });

  it('deflate without its zlib wrapper, as some servers send it, is read too', async () => {
    answer = (_request, response) => {
      response.writeHead(200, { 'content-encoding': 'deflate' });
      response.end(deflateRawSync(Buffer.from('{"raw":true}')));
    };
    expect((await get()).data).toEqual({ raw: true });
  });

  it('empty entries in the encoding list are no encoding', async () => {
    answer = (_request, response) => {
      response.writeHead(200, { 'content-encoding': ', gzip,' });
      response.end(gzipSync(Buffer.from('{"listed":true}')));
    };
    expect((await get()).data).toEqual({ listed: true });
  });

  it('stacked encodings are undone last first', async () => {
    answer = (_request, response) => {
      response.writeHead(200, { 'content-encoding': 'gzip, br' });
      response.end(brotliCompressSync(gzipSync(Buffer.from('{"twice":true}'))));
    };
    expect((await get()).data).toEqual({ twice: true });
  });

  it('a header Node refuses to send is an error at once, with no deadline left running', async () => {
    const timersBefore = process.getActiveResourcesInfo().filter((kind) => kind === 'Timeout').length;
    await expect(
      send({
        method: 'GET',
        url: `${origin}/x`,
        headers: { 'X-Injected': 'a\r\nHost: elsewhere.test' },
        body: undefined,
        timeoutMs: 60_000,
      }),
    ).rejects.toMatchObject({
      name: 'TransportFailure',
      code: 'ERR_INVALID_REQUEST',
      message: expect.stringContaining('Invalid character in header content ["X-Injected"]'),
    });
    expect(process.getActiveResourcesInfo().filter((kind) => kind === 'Timeout').length).toBe(timersBefore);
    expect(received).toEqual([]);
  });

  it('returns a redirect as an answer, never following it', async () => {
    answer = (_request, response) => {
      response.writeHead(302, { location: `${origin}/elsewhere` });
      response.end();
    };
    const response = await get();
    expect(response.status).toBe(302);
    expect(response.headers.location).toBe(`${origin}/elsewhere`);
    expect(received.map((request) => request.url)).toEqual(['/x']);
  });

  it('an answer cut short is a failure, not a truncated answer', async () => {
    answer = (_request, response) => {
      response.writeHead(200, { 'content-type': 'application/json', 'content-length': '1000' });
      response.write('{"partial":');
      setTimeout(() => response.socket?.destroy(), 20);
    };
    const error = await get().catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(Error);
    expect(error).toMatchObject({ code: 'ECONNRESET' });
  });

  it('an answer larger than the cap is refused before it fills the heap', async () => {
    const megabyte = Buffer.alloc(1024 * 1024, 0x61);
    answer = (_request, response) => {
      response.writeHead(200, { 'content-type': 'text/plain' });
      let sent = 0;
      const more = () => {
        while (sent <= maxAnswerBytes) {
          sent += megabyte.length;
          if (!response.write(megabyte)) {
            response.once('drain', more);
            return;
          }
        }
        response.end();
      };
      response.on('error', () => {});
      more();
    };
    await expect(get()).rejects.toMatchObject({
      name: 'TransportFailure',
      code: 'ERR_ANSWER_TOO_LARGE',
      message: `the answer passed ${maxAnswerBytes} bytes`,
    });
  });

  it('a compressed answer that inflates past the cap is refused, however small it came', async () => {
    const bomb = gzipSync(Buffer.alloc(maxAnswerBytes + 1));
    expect(bomb.length).toBeLessThan(maxAnswerBytes / 100);
    answer = (_request, response) => {
      response.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip' });
      response.end(bomb);
    };
    await expect(get()).rejects.toMatchObject({
      name: 'TransportFailure',
      code: 'ERR_ANSWER_TOO_LARGE',
      message: `the gzip answer passed ${maxAnswerBytes} bytes decoded`,
    });
  });

  it('a deadline ends the whole exchange, an answer that never comes included', async () => {
    answer = () => {
      // Never answered: only the deadline ends it.
    };
    const error = await get('/x', 200).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(TransportFailure);
    expect(error).toMatchObject({ code: 'ETIMEDOUT', message: 'no answer within 200 ms' });
  });

  it('refuses a URL that is not http or https, or not a URL, sending nothing', async () => {
    for (const [url, message] of [
      ['file:///etc/passwd', 'not an http or https URL (file:)'],
      ['not a url', 'not an http or https URL (unreadable)'],
    ] as const)
      await expect(
        send({ method: 'GET', url, headers: {}, body: undefined, timeoutMs: 1_000 }),
        url,
      ).rejects.toMatchObject({ name: 'TransportFailure', code: 'ERR_BAD_URL', message });
  });

  it('a refused connection carries the socket’s own code', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const { port } = closed.address() as AddressInfo;
    await new Promise((resolve) => closed.close(resolve));
    await expect(
      send({
        method: 'GET',
        url: `http://127.0.0.1:${port}/`,
        headers: {},
        body: undefined,
        timeoutMs: 5_000,
      }),
    ).rejects.toMatchObject({ code: 'ECONNREFUSED' });
  });
});

describe('releaseIdleSockets', () => {
  const connections = () =>
    new Promise<number>((resolve, reject) =>
      server.getConnections((error, count) => (error ? reject(error) : resolve(count))),
    );
  async function connectionsDownTo(target: number): Promise<number> {
    for (let wait = 0; wait < 50 && (await connections()) > target; wait += 1)
      await new Promise((resolve) => setTimeout(resolve, 20));
    return connections();
  }

  it('ends the idle keep-alive sockets to the hosts a client sent to, and only those', async () => {
    server.closeAllConnections();
    const hosts = new Set<string>();
    await send({ method: 'GET', url: `${origin}/x`, headers: {}, body: undefined, timeoutMs: 5_000 }, hosts);
    expect(hosts).toEqual(new Set([`127.0.0.1:${new URL(origin).port}:`]));
    expect(await connections()).toBe(1);
    releaseIdleSockets(['127.0.0.2:1:', `127.0.0.1:${new URL(origin).port}0:`]);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(await connections(), 'another host’s release leaves this one').toBe(1);
    // Among other hosts, as a client that sent to several releases them.
    releaseIdleSockets(['127.0.0.2:1:', ...hosts]);
    expect(await connectionsDownTo(0)).toBe(0);
  });

  it('names each host as the agents name its pool: default ports filled in, IPv6 without brackets', async () => {
    const hosts = new Set<string>();
    for (const url of [
      'http://127.0.0.1/',
      'https://127.0.0.1/',
      'http://[::1]:9/',
      'https://localhost:8443/',
    ])
      await send({ method: 'GET', url, headers: {}, body: undefined, timeoutMs: 2_000 }, hosts).catch(
        () => undefined,
      );
    expect([...hosts]).toEqual(['127.0.0.1:80:', '127.0.0.1:443:', '::1:9:', 'localhost:8443:']);
  });

  it('an HTTP client’s close() ends the sockets it used', async () => {
    server.closeAllConnections();
    const client = createHttpClient({
      pluginId: 'testcrm',
      baseUrl: origin,
      auth: { headers: async () => ({}) },
      budget: createRateBudgetRegistry().forAccount('close', { requestsPerInterval: 100 }),
      redactor: createRedactor(),
    });
    await client.request({ method: 'GET', path: '/x', operation: 'read' });
    expect(await connections()).toBe(1);
    client.close();
    expect(await connectionsDownTo(0)).toBe(0);
  });

  it('a client closed while a request is under way ends that socket too, once the exchange is done', async () => {
    server.closeAllConnections();
    let release: () => void = () => {};
    answer = (_request, response) => {
      release = () => response.end('{}');
    };
    const client = createHttpClient({
      pluginId: 'testcrm',
      baseUrl: origin,
      auth: { headers: async () => ({}) },
      budget: createRateBudgetRegistry().forAccount('inflight', { requestsPerInterval: 100 }),
      redactor: createRedactor(),
    });
    const pending = client.request({ method: 'GET', path: '/x', operation: 'read' });
    while (received.length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    client.close();
    release();
    await expect(pending).resolves.toMatchObject({ status: 200 });
    expect(await connectionsDownTo(0)).toBe(0);
  });

  it('a POST answered normally keeps its socket for the next request, through a client too', async () => {
    server.closeAllConnections();
    await send({ method: 'POST', url: `${origin}/x`, headers: {}, body: { a: 1 }, timeoutMs: 5_000 });
    await send({ method: 'POST', url: `${origin}/x`, headers: {}, body: { a: 2 }, timeoutMs: 5_000 });
    const client = createHttpClient({
      pluginId: 'testcrm',
      baseUrl: origin,
      auth: { headers: async () => ({}) },
      budget: createRateBudgetRegistry().forAccount('reuse', { requestsPerInterval: 100 }),
      redactor: createRedactor(),
    });
    await client.request({ method: 'POST', path: '/x', body: { a: 3 }, operation: 'create' });
    await client.request({ method: 'POST', path: '/x', body: { a: 4 }, operation: 'create' });
    // Long enough for a socket ended by mistake to be seen gone by the server.
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(await connections()).toBe(1);
  });

  it('an answer that comes before the upload is all sent ends that socket: it never returns to the pool', async () => {
    server.closeAllConnections();
    const early = createServer((_request, response) => {
      // Answers at once and reads nothing more, without closing: the rest of the body is stuck.
      response.writeHead(413, { 'content-type': 'application/json' });
      response.end('{"error":"too large"}');
    });
    await new Promise<void>((resolve) => early.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(early.address() as AddressInfo).port}/upload`;
    try {
      const big = 'x'.repeat(8 * 1024 * 1024);
      const answered = await send({ method: 'POST', url, headers: {}, body: big, timeoutMs: 5_000 });
      expect(answered.status).toBe(413);
      const open = () =>
        new Promise<number>((resolve, reject) =>
          early.getConnections((error, count) => (error ? reject(error) : resolve(count))),
        );
      for (let wait = 0; wait < 50 && (await open()) > 0; wait += 1)
        await new Promise((resolve) => setTimeout(resolve, 20));
      expect(await open()).toBe(0);
    } finally {
      early.closeAllConnections();
      await new Promise((resolve) => early.close(resolve));
    }
  });

  it('leaves a socket that carries a request: the exchange completes', async () => {
    server.closeAllConnections();
    let release: () => void = () => {};
    answer = (_request, response) => {
      release = () => {
        response.writeHead(200, { 'content-type': 'application/json' });
        response.end('{"late":true}');
      };
    };
    const hosts = new Set<string>();
    const pending = send(
      { method: 'GET', url: `${origin}/x`, headers: {}, body: undefined, timeoutMs: 5_000 },
      hosts,
    );
    while (received.length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    releaseIdleSockets(hosts);
    release();
    await expect(pending).resolves.toMatchObject({ status: 200, data: { late: true } });
  });
});

describe('what the HTTP layer makes of the transport’s failures', () => {
  const clientWith = (auth: Record<string, string> = {}, timeoutMs?: number) =>
    createHttpClient({
      pluginId: 'testcrm',
      baseUrl: origin,
      auth: { headers: async () => auth },
      budget: createRateBudgetRegistry().forAccount(`layer-${Math.random()}`, { requestsPerInterval: 100 }),
      redactor: createRedactor(['token-with-a-newline']),
      retry: { initialDelayMs: 1, maxDelayMs: 2 },
      timeoutMs,
    });

  it('input Node cannot send is a typed input error, tried once, never a retried transport failure', async () => {
    // A token read from a file with its line break, and a body JSON cannot hold.
    const client = clientWith({ Authorization: 'Bearer token-with-a-newline\n' });
    const error = await client
      .request({ method: 'GET', path: '/x', operation: 'read x' })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({
      code: 'input_invalid',
      retryable: false,
      attempts: 1,
      cause: { code: 'ERR_INVALID_REQUEST' },
    });
    expect(String((error as Error).message)).toContain('testcrm: read x: the request cannot be sent:');
    expect(String((error as Error).message)).not.toContain('token-with-a-newline');
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    await expect(
      clientWith().request({ method: 'PUT', path: '/x', body: circular, operation: 'update x' }),
    ).rejects.toMatchObject({ code: 'input_invalid', retryable: false, attempts: 1 });
    expect(received).toEqual([]);
  });

  it('a base URL that is not http or https is the caller’s error, tried once', async () => {
    const client = createHttpClient({
      pluginId: 'testcrm',
      baseUrl: 'ftp://files.crm.test',
      auth: { headers: async () => ({}) },
      budget: createRateBudgetRegistry().forAccount('ftp', { requestsPerInterval: 100 }),
      redactor: createRedactor(),
    });
    await expect(client.request({ method: 'GET', path: '/x', operation: 'read x' })).rejects.toMatchObject({
      code: 'input_invalid',
      attempts: 1,
      message: 'testcrm: read x: not an http or https URL (ftp:). Nothing was sent.',
      cause: { code: 'ERR_BAD_URL' },
    });
  });

  it('a path that is no URL once joined fails as a typed transport error naming the CRM’s origin', async () => {
    answer = (request) => request.socket.destroy();
    const error = await clientWith()
      .request({
        method: 'GET',
        path: '//[x/find?api_key=token-with-a-newline',
        operation: 'find',
        idempotent: false,
      })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'transport_failed' });
    expect(String((error as Error).message)).toContain(`Check that ${origin} is reachable`);
    expect(JSON.stringify(error)).not.toContain('token-with-a-newline');
  });

  it('an error answer nested too deep to print is still a typed error', async () => {
    answer = (_request, response) => {
      response.writeHead(400, { 'content-type': 'application/json' });
      response.end(`${'['.repeat(100_000)}${']'.repeat(100_000)}`);
    };
    await expect(
      clientWith().request({ method: 'GET', path: '/x', operation: 'read x' }),
    ).rejects.toMatchObject({
      status: 400,
      cause: { body: '[an answer too deeply nested to print]' },
    });
  });

  it('a timeout a timer cannot hold is refused when the client is made', () => {
    for (const timeoutMs of [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 31])
      expect(() => clientWith({}, timeoutMs), String(timeoutMs)).toThrow(
        expect.objectContaining({
          code: 'configuration_invalid',
          message: `testcrm: the HTTP timeout must be a whole number of milliseconds from 1 to 2147483647, not ${timeoutMs}.`,
          issues: [{ path: 'http.timeoutMs', message: 'http.timeoutMs: 1 to 2147483647 ms' }],
        }),
      );
    for (const timeoutMs of [1, 2 ** 31 - 1]) expect(() => clientWith({}, timeoutMs)).not.toThrow();
  });
});
