import type { SandboxRequest, SandboxResponse } from '../http-exchange.js';
import { maskBody, maskHeaders } from '../request-log.js';
import type { Route } from '../routes.js';

/**
 * What the Zendesk sandbox's routes answered, request beside answer, so a test can hold every
 * exchange against Zendesk's OpenAPI file (packages/sandbox/spec/). The request log says what
 * arrived and its status; this says what the route put in the answer. Answers the machinery makes
 * itself (an injected fault, the steady rate limit, an unknown path) and the replacement body of a
 * `malformed-answer` fault are not here: they are not the API's answers.
 */

export interface ZendeskAnswer {
  /** 1 for the first answer this sandbox's routes gave. */
  sequence: number;
  /** The route that answered (`tickets.create`). */
  route: string;
  method: string;
  /** The request path as received (a `.json` suffix kept). */
  path: string;
  /** The query string without `?`, or ''. */
  query: string;
  /** Request headers, lowercased, credentials masked. */
  requestHeaders: Readonly<Record<string, string>>;
  /** The parsed request body, secret fields masked. */
  requestBody: unknown;
  status: number;
  /** The route's own headers, lowercased (`content-type` only when the route set one). */
  headers: Readonly<Record<string, string>>;
  /** The answer's body as the route gave it (an object is sent as JSON, a string as text), secret fields masked. */
  body: unknown;
}

export interface ZendeskAnswerLog {
  /** Answers in order (the most recent `maxEntries`). */
  entries(): readonly ZendeskAnswer[];
  clear(): void;
}

export interface ZendeskAnswerRecorder extends ZendeskAnswerLog {
  /** The same routes, each recording what it answered. */
  record(routes: readonly Route[]): Route[];
}

function lowercase(headers: Readonly<Record<string, string>> | undefined): Record<string, string> {
  return Object.fromEntries(
    Object.entries(headers ?? {}).map(([name, value]) => [name.toLowerCase(), value]),
  );
}

export function createZendeskAnswerLog(maxEntries = 10_000): ZendeskAnswerRecorder {
  let entries: ZendeskAnswer[] = [];
  let sequence = 0;
  const keep = (request: SandboxRequest, route: Route, response: SandboxResponse) => {
    sequence += 1;
    entries.push({
      sequence,
      route: route.name,
      method: request.method,
      path: request.path,
      query: request.query.toString(),
      requestHeaders: maskHeaders(request.headers),
      requestBody: maskBody(request.body),
      status: response.status,
      headers: lowercase(response.headers),
      body: maskBody(response.body),
    });
    // Bounded, like the request log: a sandbox left running under the CLI must not grow without end.
    if (entries.length > maxEntries) entries = entries.slice(-maxEntries);
  };
  return {
    entries: () => entries,
    clear() {
      entries = [];
    },
    record: (routes) =>
      routes.map((route) => ({
        ...route,
        handler: async (request, context) => {
          const response = await route.handler(request, context);
          keep(request, route, response);
          return response;
        },
      })),
  };
}
