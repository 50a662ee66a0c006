import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import { ConfigurationError } from '@crm-connect/core';
import { pluginId } from './options.js';
import type { TokenEndpoint } from './token-endpoint.js';
import type { SunshineWebhookReceiver } from './webhook-receiver.js';

/**
 * Adapters for plain Node `http` servers (and anything that hands out `IncomingMessage` /
 * `ServerResponse`, such as Express without a body parser on these routes). Other frameworks call
 * `endpoint(request)` and `receiver.receive(request)` directly with their headers and raw body.
 */

function send(
  response: ServerResponse,
  status: number,
  headers: Readonly<Record<string, string>>,
  body: string,
) {
  response.writeHead(status, { ...headers, 'Content-Length': String(Buffer.byteLength(body)) });
  response.end(body);
}

/** `createServer(nodeTokenEndpoint(endpoint))`, or `app.get('/zendesk/token', nodeTokenEndpoint(endpoint))`. */
export function nodeTokenEndpoint(endpoint: TokenEndpoint): RequestListener {
  return (request, response) => {
    endpoint({ method: request.method ?? 'GET', headers: request.headers }).then(
      (answer) => send(response, answer.status, answer.headers, answer.body),
      () => send(response, 500, { 'Cache-Control': 'no-store' }, ''),
    );
  };
}

export interface NodeWebhookReceiverOptions {
  /**
   * Deadline for reading the whole body, from the moment the request reaches the handler. A
   * client that sends the headers and then drips the body (or stops) is answered 408 and the
   * connection closed, instead of holding it until Node's own `requestTimeout` (300 s by default).
   * Sunshine sends its whole body at once. Default 10,000 ms.
   */
  bodyTimeoutMs?: number | undefined;
}

const defaultBodyTimeoutMs = 10_000;

type BodyRead = { kind: 'body'; body: Buffer } | { kind: 'too-large' } | { kind: 'timeout' };

/**
 * Reads the raw body within `timeoutMs`; stops (and keeps nothing more) once it grows past
 * `maxBytes`. A timer started once bounds the whole read: an idle timer reset by every chunk would
 * let one byte a second hold the connection for hours.
 */
function readBody(request: IncomingMessage, maxBytes: number, timeoutMs: number): Promise<BodyRead> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const settle = (result: BodyRead) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (result.kind !== 'body') chunks.length = 0;
      resolve(result);
    };
    const timer = setTimeout(() => settle({ kind: 'timeout' }), timeoutMs);
    request.on('data', (chunk: Buffer) => {
      if (settled) return;
      size += chunk.length;
      if (size > maxBytes) {
        settle({ kind: 'too-large' });
        return;
      }
      chunks.push(chunk);
    });
    request.on('end', () => settle({ kind: 'body', body: Buffer.concat(chunks) }));
    request.on('error', (error) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      reject(error);
    });
  });
}

/** Answers at once and closes the connection: nothing more of the body is read or buffered. */
function refuseAndClose(request: IncomingMessage, response: ServerResponse, status: number, body: string) {
  response.setHeader('Connection', 'close');
  send(response, status, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' }, body);
  response.on('finish', () => request.destroy());
}

/**
 * `createServer(nodeWebhookReceiver(receiver))`, or `app.post('/sunshine/webhook', nodeWebhookReceiver(receiver))`.
 * A `ConfigurationError` when `bodyTimeoutMs` is not a positive number of milliseconds.
 */
export function nodeWebhookReceiver(
  receiver: SunshineWebhookReceiver,
  options: NodeWebhookReceiverOptions = {},
): RequestListener {
  const bodyTimeoutMs = options.bodyTimeoutMs ?? defaultBodyTimeoutMs;
  if (!Number.isFinite(bodyTimeoutMs) || bodyTimeoutMs <= 0 || bodyTimeoutMs > 2_147_483_647) {
    throw new ConfigurationError('bodyTimeoutMs must be a positive number of milliseconds.', {
      pluginId,
      issues: [
        { path: 'bodyTimeoutMs', message: 'bodyTimeoutMs: must be a positive number of milliseconds' },
      ],
    });
  }
  return (request, response) => {
    readBody(request, receiver.maxBodyBytes, bodyTimeoutMs)
      .then(async (read) => {
        if (read.kind === 'too-large') {
          refuseAndClose(request, response, 413, '{"code":"body_too_large","error":"body too large"}');
          return;
        }
        if (read.kind === 'timeout') {
          refuseAndClose(
            request,
            response,
            408,
            `{"code":"body_timeout","error":"the body did not arrive within ${bodyTimeoutMs} ms"}`,
          );
          return;
        }
        const answer = await receiver.receive({
          method: request.method,
          headers: request.headers,
          body: read.body,
        });
        send(response, answer.status, answer.headers, answer.body);
      })
      .catch(() => {
        if (!response.headersSent)
          send(response, 500, { 'Content-Type': 'application/json' }, '{"error":"internal"}');
      });
  };
}
