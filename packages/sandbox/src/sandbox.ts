import type { IncomingMessage, ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import { createFaultInjector, type Fault, type FaultInjector } from './faults.js';
import {
  MalformedBodyError,
  readRequest,
  type SandboxRequest,
  type SandboxResponse,
  sendResponse,
} from './http-exchange.js';
import { createRateWindow, type RateWindow, type RateWindowInput, retryAfterHeader } from './rate-window.js';
import {
  createRequestLog,
  maskBody,
  maskHeaders,
  type RequestLog,
  type RequestLogEntry,
} from './request-log.js';
import type { RouteTable } from './routes.js';
import { createSandboxServer, serverOptionsSchema } from './sandbox-server.js';
import type { SandboxSeed } from './seed.js';

/**
 * A sandbox CRM: the loopback server, the route table, the store, the request log and fault
 * injection put together. Every request goes through the same steps: read and parse the body,
 * find the route, apply the steady rate limit, then an injected fault if one is due, run the
 * route, and answer (or drop the connection). A CRM sandbox supplies only what is its own: the
 * routes, the store and seed, and its dialect — how it words the errors the machinery produces.
 */

/** How a CRM words the answers the machinery itself produces. */
export interface SandboxDialect {
  /** No route has this path. */
  notFound(request: SandboxRequest): SandboxResponse;
  /** The path exists for other methods. */
  methodNotAllowed(request: SandboxRequest, allowed: readonly string[]): SandboxResponse;
  /** The body did not parse (`error.status` 400) or was too large (413). */
  malformedBody(error: MalformedBodyError): SandboxResponse;
  /** Over the rate limit (Zendesk, Kustomer: 429; Salesforce answers 403 REQUEST_LIMIT_EXCEEDED). */
  rateLimited(input: {
    retryAfter: string;
    limit: number | undefined;
    /** The route the refused request matched: a CRM answers its OAuth endpoints unlike its API. */
    route?: string | undefined;
  }): SandboxResponse;
  /** A server error (injected, or a bug in the sandbox). */
  serverError(input: {
    status: number;
    retryAfter: string | undefined;
    /** The route the request matched, as for `rateLimited`. */
    route?: string | undefined;
  }): SandboxResponse;
  /** Headers on every answer (rate-limit counters, API usage); `limit` is the steady rate limit's state, if one is set. */
  commonHeaders?(limit: { limit: number; remaining: number } | undefined): Readonly<Record<string, string>>;
}

export interface SandboxDefinition<TStore, TSeed extends SandboxSeed> {
  /** `zendesk`, `kustomer`, `dynamics`, `salesforce`. */
  name: string;
  routes: RouteTable;
  dialect: SandboxDialect;
  store: TStore;
  seed: TSeed;
  /** Rewrites a path before routing (Zendesk accepts an optional `.json` suffix). */
  rewritePath?: ((path: string) => string) | undefined;
  /** Makes the named seeded credential stop working, as the CRM does when it is revoked or deleted. Throws for an unknown name. */
  revokeCredential(name: string): void;
  /** Deactivates the user with this email the way the CRM does (suspend, delete, disable). Throws for an unknown email. */
  deactivateUser(email: string): void;
}

export const sandboxOptionsSchema = serverOptionsSchema.extend({
  /** The largest request body accepted, in bytes. Default 10 MiB. */
  maxBodyBytes: z
    .number()
    .int()
    .positive()
    .default(10 * 1024 * 1024),
});

export type SandboxOptions = z.input<typeof sandboxOptionsSchema> & {
  /** The sandbox's clock in ms since the epoch (token and idempotency-key lifetimes, the rate limit). Default `Date.now`. */
  clock?: (() => number) | undefined;
};

export interface Sandbox<TStore, TSeed extends SandboxSeed = SandboxSeed> {
  readonly name: string;
  /** The base URL; throws until `start()` has resolved. */
  readonly url: string;
  /** Starts listening on loopback; resolves to the base URL. */
  start(): Promise<string>;
  /** Stops listening and closes every connection. */
  stop(): Promise<void>;
  /** The records, to read and count directly. */
  readonly store: TStore;
  /** The seeded users and credentials. */
  readonly seed: TSeed;
  readonly log: RequestLog;
  readonly faults: FaultInjector;
  /** Enforces a steady rate limit (N requests per scaled minute); `undefined` lifts it. */
  limitRate(limit: RateWindowInput | undefined): void;
  revokeCredential(name: string): void;
  deactivateUser(email: string): void;
}

/** What an injected fault makes of a request before its route runs. */
type Intervention = { respond: SandboxResponse } | { drop: true } | undefined;

export function createSandbox<TStore, TSeed extends SandboxSeed>(
  definition: SandboxDefinition<TStore, TSeed>,
  input: SandboxOptions = {},
): Sandbox<TStore, TSeed> {
  const { clock = Date.now, ...serverInput } = input;
  const options = sandboxOptionsSchema.parse(serverInput);
  const { dialect } = definition;
  const log = createRequestLog();
  const faults = createFaultInjector();
  let rateWindow: RateWindow | undefined;
  let sequence = 0;

  async function intervene(fault: Fault | undefined, route: string | undefined): Promise<Intervention> {
    if (fault === undefined) return undefined;
    switch (fault.kind) {
      case 'rate-limit':
        return {
          respond: dialect.rateLimited({
            retryAfter: String(fault.retryAfterSeconds),
            limit: undefined,
            route,
          }),
        };
      case 'server-error':
        return {
          respond: dialect.serverError({
            status: fault.status,
            retryAfter: fault.retryAfterSeconds === undefined ? undefined : String(fault.retryAfterSeconds),
            route,
          }),
        };
      case 'slow':
        await sleep(fault.delayMs);
        return undefined;
      case 'drop':
        return fault.when === 'before-handling' ? { drop: true } : undefined;
      case 'malformed-answer':
        return undefined;
      case 'drip':
        // Before handling nothing is processed: the CRM's 503 is what drips (see `finish`).
        return fault.when === 'before-handling'
          ? { respond: dialect.serverError({ status: 503, retryAfter: undefined, route }) }
          : undefined;
    }
  }

  async function handle(incoming: IncomingMessage, outgoing: ServerResponse): Promise<void> {
    const started = performance.now();
    sequence += 1;
    const entry: RequestLogEntry = {
      sequence,
      at: new Date(clock()).toISOString(),
      method: (incoming.method ?? 'GET').toUpperCase(),
      path: (incoming.url ?? '/').split('?')[0] ?? '/',
      query: '',
      route: undefined,
      principal: undefined,
      headers: {},
      body: undefined,
      status: undefined,
      fault: undefined,
      handled: false,
      error: undefined,
      durationMs: 0,
    };
    let limitState: { limit: number; remaining: number } | undefined;
    /** Set by a `drip` fault: the answer's body goes out one byte every this many ms. */
    let byteIntervalMs: number | undefined;
    const logged = () => {
      entry.durationMs = Math.round(performance.now() - started);
      log.record(entry);
    };
    // Answers, or drops the connection; a client gone meanwhile (its timeout during a slow
    // request, or the sandbox stopping) gets nothing, and the log says no answer went out. A
    // dripping answer is logged once its last byte went out or its client went away.
    const finish = (response: SandboxResponse | 'drop') => {
      if (response === 'drop') {
        incoming.socket.destroy();
      } else if (!incoming.socket.destroyed) {
        entry.status = response.status;
        const extraHeaders = dialect.commonHeaders?.(limitState);
        if (byteIntervalMs !== undefined) {
          drip(incoming, outgoing, response, extraHeaders, byteIntervalMs).then(logged, () => {
            incoming.socket.destroy();
            logged();
          });
          return;
        }
        sendResponse(outgoing, response, extraHeaders);
      }
      logged();
    };

    let request: SandboxRequest;
    try {
      request = await readRequest(incoming, options.maxBodyBytes);
    } catch (error) {
      if (error instanceof MalformedBodyError) return finish(dialect.malformedBody(error));
      throw error;
    }
    entry.query = request.query.toString();
    entry.headers = maskHeaders(request.headers);
    entry.body = maskBody(request.body);
    const path = definition.rewritePath?.(request.path) ?? request.path;
    const match = definition.routes.match(request.method, path);
    if (match.kind === 'found') entry.route = match.route.name;

    if (rateWindow !== undefined) {
      const admission = rateWindow.admit(clock());
      limitState = { limit: admission.limit, remaining: admission.remaining };
      if (!admission.admitted) {
        entry.fault = 'rate-window';
        return finish(
          dialect.rateLimited({
            retryAfter: retryAfterHeader(admission.retryAfterMs),
            limit: admission.limit,
            route: entry.route,
          }),
        );
      }
    }
    const fault = faults.take({ method: request.method, path, route: entry.route });
    entry.fault = fault?.kind;
    if (fault?.kind === 'drip') byteIntervalMs = fault.byteIntervalMs;
    const intervention = await intervene(fault, entry.route);
    if (intervention !== undefined) return finish('respond' in intervention ? intervention.respond : 'drop');

    let response: SandboxResponse;
    if (match.kind === 'found') {
      try {
        response = await match.route.handler(request, {
          params: match.params,
          identify: (principal) => {
            entry.principal = principal;
          },
        });
        entry.handled = true;
      } catch (error) {
        // A bug in the sandbox, not a simulated failure: answered as the CRM's 500 and kept in the log.
        entry.error = error instanceof Error ? (error.stack ?? error.message) : String(error);
        response = dialect.serverError({ status: 500, retryAfter: undefined, route: entry.route });
      }
    } else if (match.kind === 'wrong-method') {
      response = dialect.methodNotAllowed(request, match.allowed);
    } else {
      response = dialect.notFound(request);
    }
    if (fault?.kind === 'drop' && fault.when === 'after-handling') return finish('drop');
    if (fault?.kind === 'malformed-answer') return finish(malformed(response, fault));
    return finish(response);
  }

  const server = createSandboxServer((incoming, outgoing) => {
    handle(incoming, outgoing).catch(() => {
      // Reading the request failed (the client went away): nothing left to answer.
      incoming.socket.destroy();
    });
  }, options);

  return {
    name: definition.name,
    get url() {
      const { url } = server;
      if (url === undefined)
        throw new Error(`The ${definition.name} sandbox is not started: call start() first`);
      return url;
    },
    start: () => server.start(),
    stop: () => server.stop(),
    store: definition.store,
    seed: definition.seed,
    log,
    faults,
    limitRate(limit) {
      rateWindow = limit === undefined ? undefined : createRateWindow(limit);
    },
    revokeCredential: (name) => definition.revokeCredential(name),
    deactivateUser: (email) => definition.deactivateUser(email),
  };
}

/** The route's answer with its body replaced (and its status, if the fault names one); its content type follows the new body. */
function malformed(
  response: SandboxResponse,
  fault: Extract<Fault, { kind: 'malformed-answer' }>,
): SandboxResponse {
  const headers = Object.fromEntries(
    Object.entries(response.headers ?? {}).filter(([name]) => name.toLowerCase() !== 'content-type'),
  );
  return { status: fault.status ?? response.status, headers, body: fault.body };
}

/**
 * Sends an answer as `sendResponse` does, but only its status and headers at once, then its body
 * one byte every `byteIntervalMs`: a CRM (or a proxy) trickling its answer, which an idle-socket
 * timer never notices. Stops as soon as the client has gone (its deadline, or the sandbox stopping).
 */
async function drip(
  incoming: IncomingMessage,
  outgoing: ServerResponse,
  response: SandboxResponse,
  extraHeaders: Readonly<Record<string, string>> = {},
  byteIntervalMs: number,
): Promise<void> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries({ ...extraHeaders, ...response.headers })) {
    headers[name.toLowerCase()] = value;
  }
  const text = typeof response.body === 'string';
  if (response.body !== undefined)
    headers['content-type'] ??= text ? 'text/plain; charset=utf-8' : 'application/json; charset=utf-8';
  const payload = Buffer.from(
    response.body === undefined ? '' : text ? String(response.body) : JSON.stringify(response.body),
  );
  headers['content-length'] = String(payload.length);
  const gone = () => outgoing.destroyed || incoming.socket.destroyed;
  outgoing.writeHead(response.status, headers);
  outgoing.flushHeaders();
  for (const byte of payload) {
    await sleep(byteIntervalMs);
    if (gone()) return;
    outgoing.write(Buffer.of(byte));
  }
  if (!gone()) outgoing.end();
}
