import type { FaultKind } from './faults.js';

/**
 * Every request a sandbox received and what became of it: the answer's status, the fault that
 * was applied, whom the request was authenticated as. Tests read it to prove a fault really
 * happened; the CLI can print it as it grows.
 */

export interface RequestLogEntry {
  /** 1 for the sandbox's first request. */
  sequence: number;
  /** When the request arrived, ISO 8601. */
  at: string;
  method: string;
  path: string;
  /** The query string without `?`, or ''. */
  query: string;
  /** The name of the route that matched, if any. */
  route: string | undefined;
  /** The id of the user the request was authenticated as, once a route identified them. */
  principal: string | undefined;
  /** Request headers, lowercased, with credentials masked. */
  headers: Readonly<Record<string, string>>;
  /** The parsed request body, with secret fields masked. */
  body: unknown;
  /** The status answered; `undefined` when no answer went out (the connection was dropped, or the client had gone). */
  status: number | undefined;
  /** The fault injected into this request (`rate-window` for the steady rate limit). */
  fault: FaultKind | 'rate-window' | undefined;
  /** True when the route ran (its writes are in the store), whether or not an answer was sent. */
  handled: boolean;
  /** A failure inside the sandbox itself (a bug), answered as a 500. */
  error: string | undefined;
  durationMs: number;
}

export type RequestLogListener = (entry: RequestLogEntry) => void;

export interface RequestLog {
  /** Entries in arrival order (the most recent `maxEntries`). */
  entries(): readonly RequestLogEntry[];
  /** Calls `listener` with each entry once its request is finished; returns the unsubscribe function. */
  subscribe(listener: RequestLogListener): () => void;
  clear(): void;
}

export interface RequestLogWriter extends RequestLog {
  record(entry: RequestLogEntry): void;
}

const schemeHeaders = new Set(['authorization', 'proxy-authorization']);
const credentialHeaders = new Set([...schemeHeaders, 'cookie', 'x-api-key']);
const secretFields = /secret|password|token|verifier|assertion/i;

/** `Basic ***`, `Bearer ***`: the scheme stays readable, the credential does not. */
export function maskHeaders(headers: Readonly<Record<string, string>>): Record<string, string> {
  const masked: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (!credentialHeaders.has(name)) masked[name] = value;
    else if (schemeHeaders.has(name) && /^\S+\s/.test(value)) masked[name] = `${value.split(/\s/)[0]} ***`;
    else masked[name] = '***';
  }
  return masked;
}

/** Masks the values of secret-looking fields (`client_secret`, `refresh_token`…) at any depth. */
export function maskBody(body: unknown): unknown {
  if (Array.isArray(body)) return body.map(maskBody);
  if (typeof body !== 'object' || body === null) return body;
  return Object.fromEntries(
    Object.entries(body).map(([name, value]) => [
      name,
      secretFields.test(name) && typeof value === 'string' ? '***' : maskBody(value),
    ]),
  );
}

export function createRequestLog(maxEntries = 10_000): RequestLogWriter {
  let entries: RequestLogEntry[] = [];
  const listeners = new Set<RequestLogListener>();
  return {
    entries: () => entries,
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    clear() {
      entries = [];
    },
    record(entry) {
      entries.push(entry);
      // Bounded: a sandbox left running under the CLI must not grow without end.
      if (entries.length > maxEntries) entries = entries.slice(-maxEntries);
      for (const listener of listeners) listener(entry);
    },
  };
}
