import type * as Http from 'node:http';
import type { ClientRequest, IncomingHttpHeaders, IncomingMessage } from 'node:http';
import type * as Https from 'node:https';
import { createRequire } from 'node:module';
import { promisify } from 'node:util';
import { brotliDecompress, gunzip, inflate, inflateRaw } from 'node:zlib';
import { parseUrl } from '../parse-url.js';

/**
 * The HTTP layer's transport: one exchange over Node's own `http`/`https` clients and keep-alive
 * agents. Axios did this before; it spent 2–3 × the CPU of `node:http` per request on work this
 * layer does not use (config merging, header objects, transform chains, a proxy lookup per request)
 * and, at 1–4 requests per write, that alone was more than issue #15 allows the whole connector
 * over a bare client (docs/benchmarks.md). Everything above the socket that the layer needs is
 * here: URL joining, query strings, JSON bodies, decompression, JSON answers, a size cap and a
 * deadline for the whole exchange.
 */

// Node's own module objects, whose `request` is read per exchange: an interceptor (nock, in a
// platform's or our own tests) replaces it there, and an ES import binding would not see it.
const require = createRequire(import.meta.url);
const http = require('node:http') as typeof Http;
const https = require('node:https') as typeof Https;

// One keep-alive agent pair per process: connection reuse is most of the cost on a hot path.
const agents = {
  'http:': new http.Agent({ keepAlive: true, maxSockets: 64 }),
  'https:': new https.Agent({ keepAlive: true, maxSockets: 64 }),
};

/** What an answer may weigh: a CRM answer is kilobytes; a host streaming without end must not fill the heap. */
export const maxAnswerBytes = 32 * 1024 * 1024;

/** Headers sent unless the caller names them (compared case-insensitively). */
const defaultHeaders: Readonly<Record<string, string>> = {
  accept: 'application/json, text/plain, */*',
  'accept-encoding': 'gzip, deflate, br',
  'user-agent': 'crm-connect',
};

/** Decoders held to the same cap once decoded: a few kB of gzip can inflate to gigabytes. */
const decodeOptions = { maxOutputLength: maxAnswerBytes };
// A Map, not an object: the header's value must not reach `constructor` or `__proto__`.
const decoders: ReadonlyMap<string, (body: Buffer) => Promise<Buffer>> = new Map([
  ['gzip', (body: Buffer) => promisify(gunzip)(body, decodeOptions)],
  ['x-gzip', (body: Buffer) => promisify(gunzip)(body, decodeOptions)],
  // HTTP's deflate is zlib-wrapped; some servers send it raw, without the wrapper.
  ['deflate', (body: Buffer) => promisify(inflate)(body, decodeOptions).catch(rawDeflate(body))],
  ['br', (body: Buffer) => promisify(brotliDecompress)(body, decodeOptions)],
]);

/** Reads a body that failed as zlib-wrapped deflate as raw deflate, unless it failed on the size cap. */
function rawDeflate(body: Buffer) {
  return (error: unknown): Promise<Buffer> =>
    isTooLarge(error) ? Promise.reject(error) : promisify(inflateRaw)(body, decodeOptions);
}

function isTooLarge(error: unknown): boolean {
  return (
    typeof error === 'object' && error !== null && 'code' in error && error.code === 'ERR_BUFFER_TOO_LARGE'
  );
}

export interface TransportRequest {
  method: string;
  /** The absolute URL, query included (see `joinUrl`). */
  url: string;
  headers: Readonly<Record<string, string>>;
  /** A string or bytes as they are, a `URLSearchParams` as a form, anything else (but `undefined`) as JSON. */
  body: unknown;
  /** The deadline of the whole exchange (connect, headers, body), in ms. */
  timeoutMs: number;
}

export interface TransportResponse {
  status: number;
  headers: IncomingHttpHeaders;
  /** The answer parsed as JSON when it is JSON, else its text ('' when empty). */
  data: unknown;
}

/** Why an exchange ended without an answer; `code` is the socket's (ECONNRESET, …) or ours. */
export class TransportFailure extends Error {
  constructor(
    message: string,
    readonly code: string,
  ) {
    super(message);
    this.name = 'TransportFailure';
  }
}

/**
 * A path joined to the base URL as text, so a base URL with a path (Dataverse's
 * `/api/data/v9.2`) keeps it; an absolute URL is taken as it is. The query's `undefined` values
 * are left out.
 */
export function joinUrl(
  baseUrl: string,
  path: string,
  query: Readonly<Record<string, string | number | boolean | undefined>> | undefined,
): string {
  const url = /^[a-z][a-z0-9+.-]*:\/\//i.test(path)
    ? path
    : `${baseUrl.replace(/\/+$/, '')}/${path.replace(/^\/+/, '')}`;
  if (query === undefined) return url;
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(query)) {
    if (value !== undefined) search.append(name, String(value));
  }
  const text = search.toString();
  if (text === '') return url;
  const hash = url.indexOf('#');
  const bare = hash === -1 ? url : url.slice(0, hash);
  return `${bare}${bare.includes('?') ? '&' : '?'}${text}`;
}

/**
 * Sends one exchange. `hosts`, when given, collects the host each request went to (as the
 * keep-alive agents name their socket pools), so that `releaseIdleSockets` can end them later.
 */
export function send(request: TransportRequest, hosts?: Set<string>): Promise<TransportResponse> {
  const target = parseUrl(request.url);
  if (target?.protocol !== 'https:' && target?.protocol !== 'http:')
    return Promise.reject(
      new TransportFailure(`not an http or https URL (${target?.protocol ?? 'unreadable'})`, 'ERR_BAD_URL'),
    );
  const agent = target.protocol === 'https:' ? agents['https:'] : agents['http:'];
  const headers: Record<string, string> = {};
  const named = new Set<string>();
  for (const [name, value] of Object.entries(request.headers)) {
    headers[name] = value;
    named.add(name.toLowerCase());
  }
  for (const [name, value] of Object.entries(defaultHeaders)) {
    if (!named.has(name)) headers[name] = value;
  }
  let body: ReturnType<typeof payloadOf>;
  try {
    body = payloadOf(request.body);
  } catch (error) {
    return Promise.reject(invalidRequest(`its body cannot be sent as JSON (${String(error)})`));
  }
  if (body.payload !== undefined) {
    if (body.contentType !== undefined && !named.has('content-type'))
      headers['content-type'] = body.contentType;
    headers['content-length'] = String(Buffer.byteLength(body.payload));
  }
  hosts?.add(poolPrefix(target));
  const open = target.protocol === 'https:' ? https.request : http.request;

  return new Promise<TransportResponse>((resolve, reject) => {
    let settled = false;
    const settle = (outcome: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(deadline);
      // An answer that came before the body was all sent (a 401 or 413 to an upload): the socket
      // still owes the server the rest, so it must not go back to the pool, nor hold its slot.
      if (!outgoing.writableFinished) outgoing.destroy();
      outcome();
    };
    const fail = (error: unknown) =>
      settle(() => {
        outgoing.destroy();
        reject(error);
      });
    const deadline = setTimeout(
      () => fail(new TransportFailure(`no answer within ${request.timeoutMs} ms`, 'ETIMEDOUT')),
      request.timeoutMs,
    );
    deadline.unref();

    let outgoing: ClientRequest;
    try {
      outgoing = open(target, { method: request.method, headers, agent }, (answer: IncomingMessage) => {
        const collected = new AnswerBuffer(Number(answer.headers['content-length']));
        answer.on('data', (chunk: Buffer) => {
          if (!collected.add(chunk))
            fail(new TransportFailure(`the answer passed ${maxAnswerBytes} bytes`, 'ERR_ANSWER_TOO_LARGE'));
        });
        answer.on('error', fail);
        answer.on('close', () => {
          if (!answer.complete) fail(new TransportFailure('the connection closed mid-answer', 'ECONNRESET'));
        });
        answer.on('end', () => {
          const finish = (decoded: Buffer) =>
            settle(() =>
              resolve({
                status: answer.statusCode ?? 0,
                headers: answer.headers,
                data: parseAnswer(decoded),
              }),
            );
          decodeAnswer(collected.bytes(), answer.headers['content-encoding']).then(finish, fail);
        });
      });
    } catch (error) {
      // Refused before anything was sent (a header value with a line break, a method Node rejects).
      settled = true;
      clearTimeout(deadline);
      reject(invalidRequest(error instanceof Error ? error.message : String(error)));
      return;
    }
    outgoing.on('error', fail);
    outgoing.end(body.payload);
  });
}

/** A request Node or JSON cannot send as it is: nothing left, and sending it again cannot help. */
function invalidRequest(reason: string): TransportFailure {
  return new TransportFailure(`the request cannot be sent: ${reason}`, 'ERR_INVALID_REQUEST');
}

/**
 * An answer's bytes, gathered into one buffer grown by doubling up to the cap: a Buffer kept per
 * 'data' chunk costs about 200 bytes of heap each, so an answer sent one byte per chunk would
 * have weighed 200 × its size.
 */
class AnswerBuffer {
  private buffer: Buffer;
  private length = 0;

  constructor(announced: number) {
    // The announced length sizes the first buffer, up to 1 MiB: a server announcing 32 MiB and
    // sending nothing must not make each request hold that much.
    const hint = Number.isSafeInteger(announced) && announced > 0 ? announced : 16 * 1024;
    this.buffer = Buffer.allocUnsafe(Math.min(hint, 1024 * 1024));
  }

  /** False once the answer passed the cap (nothing more is kept). */
  add(chunk: Buffer): boolean {
    const needed = this.length + chunk.length;
    if (needed > maxAnswerBytes) return false;
    if (needed > this.buffer.length) {
      const grown = Buffer.allocUnsafe(Math.min(Math.max(needed, this.buffer.length * 2), maxAnswerBytes));
      this.buffer.copy(grown, 0, 0, this.length);
      this.buffer = grown;
    }
    chunk.copy(this.buffer, this.length);
    this.length = needed;
    return true;
  }

  bytes(): Buffer {
    return this.buffer.subarray(0, this.length);
  }
}

/**
 * The body as sent, decoded in the reverse order of its `Content-Encoding` list (`gzip, br` was
 * gzipped, then brotli-compressed). An encoding it does not know is refused rather than handed
 * on as text: compressed bytes read as a CRM's answer would be nonsense.
 */
async function decodeAnswer(body: Buffer, header: string | undefined): Promise<Buffer> {
  if (header === undefined || body.length === 0) return body;
  const encodings = header
    .split(',')
    .map((name) => name.trim().toLowerCase())
    .filter((name) => name !== '' && name !== 'identity');
  let decoded = body;
  for (const encoding of encodings.reverse()) {
    const decode = decoders.get(encoding);
    if (decode === undefined)
      throw new TransportFailure(
        `an answer in an encoding this client does not read (${encoding})`,
        'ERR_BAD_ENCODING',
      );
    try {
      decoded = await decode(decoded);
    } catch (error) {
      throw decodeFailure(encoding, error);
    }
  }
  return decoded;
}

/**
 * The start of the agents' name for a host's socket pool: `host:port:` (an https pool's name goes
 * on with its TLS options), the host without an IPv6 address's brackets, as Node names it.
 */
function poolPrefix(target: URL): string {
  const host = target.hostname.startsWith('[') ? target.hostname.slice(1, -1) : target.hostname;
  return `${host}:${target.port || (target.protocol === 'https:' ? '443' : '80')}:`;
}

/**
 * Ends the idle keep-alive sockets to these hosts (`send`'s `hosts`), so a closed client leaves
 * no connection open behind it. Sockets carrying a request are left alone; another client's next
 * request to the same host opens a new socket.
 */
export function releaseIdleSockets(hosts: Iterable<string>): void {
  const prefixes = [...hosts];
  if (prefixes.length === 0) return;
  for (const agent of Object.values(agents)) {
    for (const [name, sockets] of Object.entries(agent.freeSockets)) {
      if (!prefixes.some((prefix) => name.startsWith(prefix))) continue;
      for (const socket of sockets ?? []) socket.destroy();
    }
  }
}

/**
 * The bytes of a body and the type they go with: a string or bytes as they are (their caller sets
 * the type), a `URLSearchParams` as a form, anything else as JSON. A form is not JSON-encoded to
 * `{}`, which is all `JSON.stringify` makes of it.
 */
function payloadOf(body: unknown): {
  payload: string | Uint8Array | undefined;
  contentType: string | undefined;
} {
  if (body === undefined) return { payload: undefined, contentType: undefined };
  if (typeof body === 'string' || body instanceof Uint8Array)
    return { payload: body, contentType: undefined };
  if (body instanceof URLSearchParams)
    return { payload: body.toString(), contentType: 'application/x-www-form-urlencoded' };
  const json: string | undefined = JSON.stringify(body);
  // A function or a symbol: JSON has nothing to send for it, and sending nothing would hide that.
  if (json === undefined) throw new TypeError(`a ${typeof body} is not JSON`);
  return { payload: json, contentType: 'application/json' };
}

function decodeFailure(encoding: string | undefined, error: unknown): TransportFailure {
  // zlib's own code when the decoded answer would pass `maxOutputLength`.
  if (isTooLarge(error))
    return new TransportFailure(
      `the ${encoding} answer passed ${maxAnswerBytes} bytes decoded`,
      'ERR_ANSWER_TOO_LARGE',
    );
  return new TransportFailure(`an undecodable ${encoding} answer (${String(error)})`, 'ERR_BAD_ENCODING');
}

/** JSON when it parses, else the text: a CRM's HTML error page or plain-text token stays readable. */
function parseAnswer(body: Buffer): unknown {
  if (body.length === 0) return '';
  // A UTF-8 byte order mark is not part of the text.
  const text = body.toString('utf8', body[0] === 0xef && body[1] === 0xbb && body[2] === 0xbf ? 3 : 0);
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}
