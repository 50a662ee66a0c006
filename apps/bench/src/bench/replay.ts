import { randomUUID } from 'node:crypto';
import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { createHttpClient, createRedactor, type HttpMethod } from '@crm-connect/core';
import axios from 'axios';
import { unthrottledBudgets } from '../unthrottled-budgets.js';

/**
 * The connector's HTTP requests for one interaction, replayed by a bare keep-alive axios client:
 * the same methods, paths, headers and bodies, read from the sandbox's request log (nothing in the
 * connector is hooked), with fresh per-interaction values so the sandbox does the same work again.
 *
 * Per-interaction values are found by capturing two interactions and comparing them: the
 * interaction id; UUIDs the client chose (Dataverse takes a client-chosen record id); and the id of
 * the record just created when a later request names it (Kustomer's note goes to the conversation
 * the create answered with), which the replay reads from that earlier answer, like any client.
 */

const interactionSlot = '{{interaction}}';
const answerSlot = '{{answer}}';
const uuidPattern = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi;

/** Headers the HTTP client sets itself, or that carry the credential (sent fresh by the replay). */
const clientHeaders = new Set([
  'host',
  'connection',
  'content-length',
  'transfer-encoding',
  'authorization',
  'user-agent',
  'accept-encoding',
]);

/** One request as sent, its per-interaction values replaced by slots. */
export interface RequestTemplate {
  method: string;
  /** Path and query string. */
  url: string;
  headers: Record<string, string>;
  /** The JSON body as text, or `undefined`. */
  body: string | undefined;
  /** The status the sandbox answered the connector with: the replay must get the same. */
  status: number;
}

/** Where a replay finds the id of the record it created: the JSON path in one earlier answer. */
export interface AnswerSource {
  request: number;
  path: readonly (string | number)[];
}

export interface InteractionTemplate {
  requests: readonly RequestTemplate[];
  /** How many client-chosen UUIDs an interaction has. */
  uuidSlots: number;
  /** Set by `calibrate` when a request names the created record. */
  answerSource: AnswerSource | undefined;
}

/**
 * What the replay reads of a request the sandbox logged (its `RequestLogEntry` has more): an
 * entry read in the bench's own process, or one sent over from the sandbox host process.
 */
export interface LoggedRequest {
  method: string;
  path: string;
  /** The query string without `?`, or ''. */
  query: string;
  headers: Readonly<Record<string, string>>;
  body?: unknown;
  /** `undefined` when no answer went out. */
  status?: number | undefined;
}

/** A captured interaction: its log entries, its interaction id, and the record the connector reported. */
export interface Capture {
  entries: readonly LoggedRequest[];
  interactionId: string;
  recordId: string | undefined;
}

function requestOf(entry: LoggedRequest): RequestTemplate {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(entry.headers)) {
    if (!clientHeaders.has(name)) headers[name] = value;
  }
  return {
    method: entry.method,
    url: entry.query === '' ? entry.path : `${entry.path}?${entry.query}`,
    headers,
    body: entry.body === undefined ? undefined : JSON.stringify(entry.body),
    status: entry.status ?? 0,
  };
}

/** The capture as text with its interaction id, and the created record's id where a request names it, as slots. */
function slotted(capture: Capture): string {
  let text = JSON.stringify(capture.entries.map(requestOf));
  text = text.split(capture.interactionId).join(interactionSlot);
  const { recordId } = capture;
  // A client-chosen UUID is handled below; short ids (Zendesk's numbers) could match unrelated text.
  if (
    recordId !== undefined &&
    recordId.length >= 8 &&
    !new RegExp(`^${uuidPattern.source}$`, 'i').test(recordId)
  ) {
    text = text.split(recordId).join(answerSlot);
  }
  return text;
}

/** Builds the template from two captures of the same kind of interaction; throws if they differ otherwise. */
export function templateOf(first: Capture, second: Capture): InteractionTemplate {
  let a = slotted(first);
  let b = slotted(second);
  const uuidsA = a.match(uuidPattern) ?? [];
  const uuidsB = b.match(uuidPattern) ?? [];
  let uuidSlots = 0;
  for (const [index, uuid] of uuidsA.entries()) {
    const other = uuidsB[index];
    if (other === undefined || other.toLowerCase() === uuid.toLowerCase() || !a.includes(uuid)) continue;
    const slot = `{{uuid:${uuidSlots}}}`;
    uuidSlots += 1;
    a = a.split(uuid).join(slot);
    b = b.split(other).join(slot);
  }
  if (a !== b) {
    let at = 0;
    while (at < a.length && a[at] === b[at]) at += 1;
    throw new Error(
      `Two interactions of the same kind sent different requests beyond their ids, so they cannot be replayed: …${a.slice(Math.max(0, at - 60), at + 60)}… versus …${b.slice(Math.max(0, at - 60), at + 60)}…`,
    );
  }
  if (a.includes('"***"'))
    throw new Error('A captured request body holds a masked secret: it cannot be replayed');
  return { requests: JSON.parse(a) as RequestTemplate[], uuidSlots, answerSource: undefined };
}

/** A request ready to send but for the created record's id. */
export interface PreparedRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  /** The parsed body: a client serialises it when it sends it, as every client does. */
  body: unknown;
  /** The body's text while it still names the created record (filled, then parsed, when sent). */
  bodyWithAnswer: string | undefined;
  needsAnswer: boolean;
  status: number;
}

/** Fills the interaction id and fresh UUIDs: done before the clock starts, like building a request object. */
export function prepare(template: InteractionTemplate, interactionId: string): PreparedRequest[] {
  const uuids = Array.from({ length: template.uuidSlots }, () => randomUUID());
  const fill = (text: string) => {
    let filled = text.split(interactionSlot).join(interactionId);
    for (const [index, uuid] of uuids.entries()) filled = filled.split(`{{uuid:${index}}}`).join(uuid);
    return filled;
  };
  return template.requests.map((request) => {
    const url = fill(request.url);
    const text = request.body === undefined ? undefined : fill(request.body);
    const bodyNamesAnswer = text?.includes(answerSlot) === true;
    return {
      method: request.method,
      url,
      headers: Object.fromEntries(
        Object.entries(request.headers).map(([name, value]) => [name, fill(value)]),
      ),
      body: text === undefined || bodyNamesAnswer ? undefined : (JSON.parse(text) as unknown),
      bodyWithAnswer: bodyNamesAnswer ? text : undefined,
      needsAnswer: url.includes(answerSlot) || bodyNamesAnswer,
      status: request.status,
    };
  });
}

/** One request as a client sends it. */
export interface OutgoingRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  body: unknown;
  /** The status the connector got: a client that treats other statuses as errors must accept it. */
  expectedStatus: number;
}

/** Sends a request and resolves to its answer, whatever the status. */
export type Sender = (request: OutgoingRequest) => Promise<{ status: number; data: unknown }>;

/** The bare client: axios with keep-alive agents of its own and one Authorization header. */
export function bareSender(baseUrl: string, authorization: string): Sender {
  const client = axios.create({
    baseURL: baseUrl,
    validateStatus: () => true,
    maxRedirects: 0,
    httpAgent: new HttpAgent({ keepAlive: true }),
    httpsAgent: new HttpsAgent({ keepAlive: true }),
  });
  return (request) =>
    client.request({
      method: request.method,
      url: request.url,
      headers: { ...request.headers, Authorization: authorization },
      data: request.body,
    });
}

/**
 * The connector's HTTP layer alone (`createHttpClient`: retry policy, rate budget, credential
 * redaction, request ids, logging, error mapping), with the same fixed credential as the bare
 * client: the difference to the bare client is the HTTP layer's cost, the rest the connector's and plugin's.
 */
export function httpLayerSender(baseUrl: string, authorization: string): Sender {
  const http = createHttpClient({
    pluginId: 'bench',
    baseUrl,
    auth: { headers: async () => ({ Authorization: authorization }) },
    budget: unthrottledBudgets().forAccount('bench:http-layer', { requestsPerInterval: 1 }),
    redactor: createRedactor([authorization.replace(/^(Basic|Bearer)\s+/i, '')]),
  });
  return (request) =>
    http.request({
      method: request.method as HttpMethod,
      path: request.url,
      headers: request.headers,
      body: request.body,
      operation: 'replay',
      acceptStatus: [request.expectedStatus],
    });
}

function valueAt(data: unknown, path: readonly (string | number)[]): unknown {
  let value = data;
  for (const step of path) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<string | number, unknown>)[step];
  }
  return value;
}

/** The path of the first string leaf equal to `wanted`. */
function pathOf(
  data: unknown,
  wanted: string,
  path: (string | number)[] = [],
): (string | number)[] | undefined {
  if (data === wanted) return path;
  if (data === null || typeof data !== 'object') return undefined;
  for (const [key, value] of Object.entries(data)) {
    const found = pathOf(value, wanted, [...path, Array.isArray(data) ? Number(key) : key]);
    if (found !== undefined) return found;
  }
  return undefined;
}

function outgoing(request: PreparedRequest, answer: string | undefined): OutgoingRequest {
  if (!request.needsAnswer) {
    return { ...request, expectedStatus: request.status };
  }
  if (answer === undefined) throw new Error('The replay has no record id to put in a later request');
  return {
    method: request.method,
    url: request.url.split(answerSlot).join(answer),
    headers: request.headers,
    body:
      request.bodyWithAnswer === undefined
        ? request.body
        : (JSON.parse(request.bodyWithAnswer.split(answerSlot).join(answer)) as unknown),
    expectedStatus: request.status,
  };
}

/** Sends one interaction's requests in order; throws if any answer differs in status from the connector's. */
export async function replay(
  template: InteractionTemplate,
  prepared: readonly PreparedRequest[],
  send: Sender,
): Promise<void> {
  let answer: string | undefined;
  for (const [index, request] of prepared.entries()) {
    const sent = outgoing(request, answer);
    const response = await send(sent);
    if (response.status !== request.status) {
      throw new Error(
        `The replay of ${sent.method} ${sent.url} got HTTP ${response.status}, the connector got ${request.status}`,
      );
    }
    const source = template.answerSource;
    if (source?.request === index) {
      const value = valueAt(response.data, source.path);
      answer = typeof value === 'string' ? value : undefined;
    }
  }
}

/**
 * When a request names the record just created, finds where the earlier answers carry its id: one
 * replay, untimed, whose record id is read from the sandbox's store. Call it once, before timing.
 */
export async function calibrate(
  template: InteractionTemplate,
  interactionId: string,
  send: Sender,
  /** Reads the store (in this process, or the sandbox host's: hence a promise allowed). */
  recordIdFor: (interactionId: string) => string | undefined | Promise<string | undefined>,
): Promise<InteractionTemplate> {
  const prepared = prepare(template, interactionId);
  const firstNaming = prepared.findIndex((request) => request.needsAnswer);
  if (firstNaming < 0) {
    await replay(template, prepared, send);
    return template;
  }
  const answers: unknown[] = [];
  for (const request of prepared.slice(0, firstNaming)) {
    answers.push((await send(outgoing(request, undefined))).data);
  }
  const recordId = await recordIdFor(interactionId);
  if (recordId === undefined) throw new Error('The sandbox holds no record for the calibration replay');
  for (const [index, data] of answers.entries()) {
    const path = pathOf(data, recordId);
    if (path === undefined) continue;
    // Finish the calibration interaction with the id now known.
    const rest = prepared
      .slice(firstNaming)
      .map((request) => ({ ...outgoing(request, recordId), needsAnswer: false }));
    for (const request of rest) {
      const response = await send(request);
      if (response.status !== request.expectedStatus) {
        throw new Error(
          `The calibration replay of ${request.method} ${request.url} got HTTP ${response.status}`,
        );
      }
    }
    return { ...template, answerSource: { request: index, path } };
  }
  throw new Error(`No answer of the replay carries the id ${recordId} of the record it created`);
}
