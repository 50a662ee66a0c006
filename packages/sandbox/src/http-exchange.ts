import type { IncomingMessage, ServerResponse } from 'node:http';

/**
 * One request and its answer as a sandbox route sees them: the body is read and parsed before the
 * route runs, and the answer is a plain value the machinery serialises (JSON unless told
 * otherwise), so routes stay free of stream handling.
 */

export type HttpMethod = 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface SandboxRequest {
  /**
   * The sandbox's own origin as this request reached it (`http://127.0.0.1:49213`), from the
   * socket rather than the Host header, for the absolute URLs CRMs put in answers.
   */
  origin: string;
  method: string;
  /** The path without its query string, percent-encoding kept (routes decode their parameters). */
  path: string;
  query: URLSearchParams;
  /** Lowercased header names; repeated headers joined with ", ". */
  headers: Readonly<Record<string, string>>;
  /**
   * JSON bodies parsed; form bodies (`application/x-www-form-urlencoded`, what OAuth token
   * endpoints receive) as an object of strings; any other body as its text; `undefined` when empty.
   */
  body: unknown;
}

export interface SandboxResponse {
  status: number;
  /** Sent as given; `Content-Type` is set from the body unless present here. */
  headers?: Readonly<Record<string, string>> | undefined;
  /** An object or array is sent as JSON, a string as text; `undefined` sends no body. */
  body?: unknown;
}

/** Thrown when a request body cannot be read as its Content-Type says; the sandbox answers in its CRM's error shape. */
export class MalformedBodyError extends Error {
  /** The HTTP status that fits: 400 for a malformed body, 413 for one over the size limit. */
  readonly status: number;
  constructor(message: string, status = 400) {
    super(message);
    this.name = 'MalformedBodyError';
    this.status = status;
  }
}

/** A JSON answer. */
export function json(
  status: number,
  body: unknown,
  headers?: Readonly<Record<string, string>>,
): SandboxResponse {
  return { status, body, headers };
}

function flattenHeaders(incoming: IncomingMessage): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(incoming.headers)) {
    if (value === undefined) continue;
    headers[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
  }
  return headers;
}

async function readText(incoming: IncomingMessage, maxBytes: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of incoming) {
    const buffer = chunk as Buffer;
    size += buffer.length;
    // Keep reading to the end so the connection stays usable, but stop keeping the bytes.
    if (size <= maxBytes) chunks.push(buffer);
  }
  if (size > maxBytes) throw new MalformedBodyError(`The body is over ${maxBytes} bytes.`, 413);
  return Buffer.concat(chunks).toString('utf8');
}

function parseBody(text: string, contentType: string): unknown {
  if (text === '') return undefined;
  const mediaType = contentType.split(';')[0]?.trim().toLowerCase() ?? '';
  if (mediaType === 'application/json' || mediaType.endsWith('+json')) {
    try {
      return JSON.parse(text) as unknown;
    } catch (error) {
      throw new MalformedBodyError(`The JSON body does not parse: ${(error as Error).message}`);
    }
  }
  if (mediaType === 'application/x-www-form-urlencoded') {
    return Object.fromEntries(new URLSearchParams(text));
  }
  return text;
}

function originOf(incoming: IncomingMessage): string {
  const { socket } = incoming;
  const scheme = 'encrypted' in socket && socket.encrypted === true ? 'https' : 'http';
  const address = socket.localAddress ?? '127.0.0.1';
  const host = address.includes(':') ? `[${address}]` : address;
  return `${scheme}://${host}:${socket.localPort ?? 0}`;
}

/** Reads the whole request; throws `MalformedBodyError` when the body is too large or does not parse. */
export async function readRequest(incoming: IncomingMessage, maxBodyBytes: number): Promise<SandboxRequest> {
  // The host is irrelevant: only the path and query of the request target are read.
  const target = new URL(incoming.url ?? '/', 'http://sandbox.invalid');
  const headers = flattenHeaders(incoming);
  const text = await readText(incoming, maxBodyBytes);
  return {
    origin: originOf(incoming),
    method: (incoming.method ?? 'GET').toUpperCase(),
    path: target.pathname,
    query: target.searchParams,
    headers,
    body: parseBody(text, headers['content-type'] ?? ''),
  };
}

/** Writes an answer; `extraHeaders` (rate-limit counters, say) never override the route's own. */
export function sendResponse(
  outgoing: ServerResponse,
  response: SandboxResponse,
  extraHeaders: Readonly<Record<string, string>> = {},
): void {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries({ ...extraHeaders, ...response.headers })) {
    headers[name.toLowerCase()] = value;
  }
  let payload: string | undefined;
  if (typeof response.body === 'string') {
    payload = response.body;
    headers['content-type'] ??= 'text/plain; charset=utf-8';
  } else if (response.body !== undefined) {
    payload = JSON.stringify(response.body);
    headers['content-type'] ??= 'application/json; charset=utf-8';
  }
  headers['content-length'] = String(payload === undefined ? 0 : Buffer.byteLength(payload));
  outgoing.writeHead(response.status, headers);
  outgoing.end(payload);
}
