import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
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

/** Reads the raw body, or `undefined` once it grows past `maxBytes` (the rest is not buffered). */
function readBody(request: IncomingMessage, maxBytes: number): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    request.on('data', (chunk: Buffer) => {
      if (tooLarge) return;
      size += chunk.length;
      if (size > maxBytes) {
        tooLarge = true;
        chunks.length = 0;
        resolve(undefined);
        return;
      }
      chunks.push(chunk);
    });
    request.on('end', () => {
      if (!tooLarge) resolve(Buffer.concat(chunks));
    });
    request.on('error', reject);
  });
}

/** `createServer(nodeWebhookReceiver(receiver))`, or `app.post('/sunshine/webhook', nodeWebhookReceiver(receiver))`. */
export function nodeWebhookReceiver(receiver: SunshineWebhookReceiver): RequestListener {
  return (request, response) => {
    readBody(request, receiver.maxBodyBytes)
      .then(async (body) => {
        if (body === undefined) {
          // Answer at once and stop reading: nothing past the limit is buffered.
          response.setHeader('Connection', 'close');
          send(response, 413, { 'Content-Type': 'application/json' }, '{"error":"body too large"}');
          response.on('finish', () => request.destroy());
          return;
        }
        const answer = await receiver.receive({ method: request.method, headers: request.headers, body });
        send(response, answer.status, answer.headers, answer.body);
      })
      .catch(() => {
        if (!response.headersSent)
          send(response, 500, { 'Content-Type': 'application/json' }, '{"error":"internal"}');
      });
  };
}
