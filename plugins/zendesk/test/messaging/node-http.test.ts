import { createServer, request as httpRequest, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
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
});
