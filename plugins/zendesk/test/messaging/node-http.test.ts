import { createServer, request as httpRequest, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ConfigurationError } from '@crm-connect/core';
import { afterEach, describe, expect, it } from 'vitest';
import {
  createChatVisitorTokenEndpoint,
  createSunshineWebhookReceiver,
  nodeTokenEndpoint,
  nodeWebhookReceiver,
  type SunshineEvent,
  verifyChatVisitorJwt,
} from '../../src/messaging/index.js';
import { chatSecret } from './jwt-helpers.js';
import { sunshineExamples, webhookSecret } from './sunshine-examples.js';

/** The plain Node `http` adapters, on a real server bound to the loopback interface. */

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => new Promise((resolve) => server.close(resolve))));
});

async function serve(listener: RequestListener): Promise<string> {
  const server = createServer(listener);
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describe('nodeTokenEndpoint', () => {
  it('serves the token to the widget jwtFn as text, uncached; nobody signed in gets 401 and nothing', async () => {
    const endpoint = createChatVisitorTokenEndpoint({
      secret: chatSecret,
      identify: (request) =>
        request.headers.cookie === 'session=jane'
          ? { name: 'Jane Doe', email: 'jane.doe@example.com', externalId: 'user-123456' }
          : undefined,
    });
    const url = await serve(nodeTokenEndpoint(endpoint));

    const response = await fetch(`${url}/zendesk/chat-token`, { headers: { cookie: 'session=jane' } });
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(response.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    await expect(verifyChatVisitorJwt(await response.text(), { secret: chatSecret })).resolves.toMatchObject({
      external_id: 'user-123456',
    });

    const anonymous = await fetch(`${url}/zendesk/chat-token`);
    expect(anonymous.status).toBe(401);
    expect(await anonymous.text()).toBe('');
  });
});

describe('nodeWebhookReceiver', () => {
  it('reads the raw body and answers what the receiver decided', async () => {
    const events: SunshineEvent[] = [];
    const receiver = createSunshineWebhookReceiver({
      secret: webhookSecret,
      onEvent: (event) => events.push(event),
    });
    const url = await serve(nodeWebhookReceiver(receiver));
    const body = JSON.stringify(sunshineExamples.conversationCreate);

    const accepted = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'X-API-Key': webhookSecret },
      body,
    });
    expect(accepted.status).toBe(200);
    expect(await accepted.json()).toMatchObject({ processed: 1 });
    expect(events.map((event) => event.type)).toEqual(['conversation:create']);

    const refused = await fetch(url, { method: 'POST', headers: { 'X-API-Key': 'wrong' }, body });
    expect(refused.status).toBe(401);
  });

  it('answers 413 as soon as the body passes the limit, without waiting for (or buffering) the rest', async () => {
    const receiver = createSunshineWebhookReceiver({
      secret: webhookSecret,
      maxBodyBytes: 1024,
      onEvent: () => {
        throw new Error('must not be called');
      },
    });
    const url = new URL(await serve(nodeWebhookReceiver(receiver)));
    const request = httpRequest({
      host: url.hostname,
      port: url.port,
      method: 'POST',
      headers: { 'x-api-key': webhookSecret, 'transfer-encoding': 'chunked' },
    });
    // The server closes the connection once it has answered; only its answer matters here.
    request.on('error', () => undefined);
    const status = new Promise<number>((resolve) =>
      request.on('response', (response) => {
        response.resume();
        resolve(response.statusCode ?? 0);
      }),
    );
    // 4 KiB sent and the upload left open: an adapter that waited for the end would never answer.
    request.write('x'.repeat(4096));
    expect(await status).toBe(413);
    request.destroy();
  });

  it('answers 408 and closes the connection when the body drips slower than the deadline', async () => {
    const handled: SunshineEvent[] = [];
    const receiver = createSunshineWebhookReceiver({
      secret: webhookSecret,
      onEvent: (event) => handled.push(event),
    });
    const url = new URL(await serve(nodeWebhookReceiver(receiver, { bodyTimeoutMs: 300 })));
    const body = JSON.stringify(sunshineExamples.conversationCreate);
    const started = performance.now();
    const request = httpRequest({
      host: url.hostname,
      port: url.port,
      method: 'POST',
      headers: {
        'x-api-key': webhookSecret,
        'content-type': 'application/json',
        'content-length': String(Buffer.byteLength(body)),
      },
    });
    request.on('error', () => undefined);
    const closed = new Promise<void>((resolve) => request.on('close', resolve));
    const answer = new Promise<{ status: number; connection: string | undefined; body: string }>((resolve) =>
      request.on('response', (response) => {
        let text = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => {
          text += chunk;
        });
        response.on('end', () =>
          resolve({ status: response.statusCode ?? 0, connection: response.headers.connection, body: text }),
        );
      }),
    );
    // One byte every 50 ms: the whole body would take minutes, and each byte resets an idle timer.
    let sent = 0;
    const drip = setInterval(() => {
      if (sent < body.length && !request.destroyed) request.write(body[sent++] ?? '');
    }, 50);
    try {
      const { status, connection, body: text } = await answer;
      expect(status).toBe(408);
      expect(connection).toBe('close');
      expect(JSON.parse(text)).toMatchObject({ code: 'body_timeout' });
      await closed;
      const elapsed = performance.now() - started;
      expect(elapsed).toBeGreaterThanOrEqual(250);
      expect(elapsed).toBeLessThan(3_000);
      expect(sent).toBeLessThan(body.length);
      expect(handled).toHaveLength(0);
    } finally {
      clearInterval(drip);
      request.destroy();
    }
  });

  it('a body that arrives within the deadline is handled as usual', async () => {
    const handled: SunshineEvent[] = [];
    const receiver = createSunshineWebhookReceiver({
      secret: webhookSecret,
      onEvent: (event) => handled.push(event),
    });
    const url = await serve(nodeWebhookReceiver(receiver, { bodyTimeoutMs: 2_000 }));
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'X-API-Key': webhookSecret },
      body: JSON.stringify(sunshineExamples.conversationCreate),
    });
    expect(response.status).toBe(200);
    expect(handled).toHaveLength(1);
  });

  it('a body deadline that is not a positive number of ms is refused when the adapter is made', () => {
    const receiver = createSunshineWebhookReceiver({ secret: webhookSecret, onEvent: () => undefined });
    expect(() => nodeWebhookReceiver(receiver, { bodyTimeoutMs: 0 })).toThrow(ConfigurationError);
    expect(() => nodeWebhookReceiver(receiver, { bodyTimeoutMs: Number.NaN })).toThrow(ConfigurationError);
  });
});
