import { ConfigurationError, type Logger } from '@crm-connect/core';
import { describe, expect, it } from 'vitest';
import {
  createChatVisitorTokenEndpoint,
  createMessagingTokenEndpoint,
  verifyChatVisitorJwt,
  verifyMessagingJwt,
} from '../../src/messaging/index.js';
import { chatSecret, clock, decodePart, messagingKeys, nowMs } from './jwt-helpers.js';

const visitor = { name: 'Jane Doe', email: 'jane.doe@example.com', externalId: 'user-123456' };
const get = { method: 'GET', headers: { cookie: 'session=abc' } };

function recordingLogger() {
  const lines: string[] = [];
  const logger: Logger = {
    log: (level, message, fields) => lines.push(`${level} ${message} ${JSON.stringify(fields)}`),
  };
  return { logger, lines };
}

describe('token endpoint for the Chat widget jwtFn', () => {
  it('answers the bare token as uncached text/plain for the signed-in visitor', async () => {
    const endpoint = createChatVisitorTokenEndpoint({
      secret: chatSecret,
      now: clock(),
      identify: (request) => (request.headers.cookie === 'session=abc' ? visitor : undefined),
    });
    const response = await endpoint(get);
    expect(response.status).toBe(200);
    expect(response.headers).toMatchObject({
      'Content-Type': 'text/plain; charset=utf-8',
      'Cache-Control': 'no-store',
    });
    await expect(
      verifyChatVisitorJwt(response.body, { secret: chatSecret, now: clock() }),
    ).resolves.toMatchObject({
      external_id: 'user-123456',
    });
  });

  it('mints a fresh token on every call (jwtFn is called again during a chat)', async () => {
    let now = nowMs;
    const endpoint = createChatVisitorTokenEndpoint({
      secret: chatSecret,
      now: () => {
        now += 60_000;
        return now;
      },
      identify: () => visitor,
    });
    const first = (await endpoint(get)).body;
    const second = (await endpoint(get)).body;
    expect(second).not.toBe(first);
    expect(Number(decodePart(second, 1).iat) - Number(decodePart(first, 1).iat)).toBe(60);
  });

  it('nobody signed in: 401 with an EMPTY body, so the widget never takes an error text for a token', async () => {
    const endpoint = createChatVisitorTokenEndpoint({ secret: chatSecret, identify: () => undefined });
    expect(await endpoint(get)).toEqual({
      status: 401,
      headers: { 'Cache-Control': 'no-store', 'X-Content-Type-Options': 'nosniff' },
      body: '',
    });
  });

  it('other methods: 405 naming the allowed ones', async () => {
    const endpoint = createChatVisitorTokenEndpoint({ secret: chatSecret, identify: () => visitor });
    const response = await endpoint({ method: 'PUT', headers: {} });
    expect(response).toMatchObject({ status: 405, body: '' });
    expect(response.headers.Allow).toBe('GET, POST');
  });

  it('a visitor without an external id: 500, empty body, and a log line that names the field, never the secret', async () => {
    const { logger, lines } = recordingLogger();
    const endpoint = createChatVisitorTokenEndpoint({
      secret: chatSecret,
      logger,
      identify: () => ({ ...visitor, externalId: '' }),
    });
    expect(await endpoint(get)).toMatchObject({ status: 500, body: '' });
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      /error Chat visitor token endpoint could not mint a token .*input_invalid.*externalId/,
    );
    expect(lines.join('\n')).not.toContain(chatSecret);
  });

  it('a failing session lookup: 500, and its message is redacted', async () => {
    const { logger, lines } = recordingLogger();
    const endpoint = createChatVisitorTokenEndpoint({
      secret: chatSecret,
      logger,
      identify: () => {
        throw new Error(`session store refused key ${chatSecret}`);
      },
    });
    expect((await endpoint(get)).status).toBe(500);
    expect(lines[0]).toContain('session store refused key [REDACTED]');
  });
});

describe('token endpoint configuration', () => {
  it('a bad secret or key list fails when the endpoint is created, not on each request', () => {
    expect(() => createChatVisitorTokenEndpoint({ secret: 'short', identify: () => visitor })).toThrow(
      ConfigurationError,
    );
    expect(() =>
      createChatVisitorTokenEndpoint({ secret: chatSecret, ttlSeconds: 600, identify: () => visitor }),
    ).toThrow(/ttlSeconds: must be at most 420 s/);
    expect(() =>
      createMessagingTokenEndpoint({
        keys: [...messagingKeys],
        keyId: 'app_gone',
        identify: () => undefined,
      }),
    ).toThrow(ConfigurationError);
  });
});

describe('token endpoint for the messaging widget loginUser', () => {
  it('answers a kid-signed messaging token for the signed-in user', async () => {
    const endpoint = createMessagingTokenEndpoint({
      keys: [...messagingKeys],
      now: clock(),
      identify: () => ({ externalId: 'usr_12345', name: 'Jane Soap' }),
    });
    const response = await endpoint({ method: 'POST', headers: {} });
    expect(response.status).toBe(200);
    expect(decodePart(response.body, 0).kid).toBe(messagingKeys[0].id);
    await expect(
      verifyMessagingJwt(response.body, { keys: [...messagingKeys], now: clock() }),
    ).resolves.toMatchObject({
      scope: 'user',
      external_id: 'usr_12345',
    });
  });

  it('every signing key secret is redacted from its logs', async () => {
    const { logger, lines } = recordingLogger();
    const endpoint = createMessagingTokenEndpoint({
      keys: [...messagingKeys],
      logger,
      identify: () => {
        throw new Error(`leaked ${messagingKeys[0].secret} and ${messagingKeys[1].secret}`);
      },
    });
    expect((await endpoint(get)).status).toBe(500);
    expect(lines[0]).toContain('leaked [REDACTED] and [REDACTED]');
  });
});

describe('token endpoint deadline', () => {
  it('a session lookup that never answers: 503 with an empty body once the deadline passes', async () => {
    const { logger, lines } = recordingLogger();
    const endpoint = createChatVisitorTokenEndpoint({
      secret: chatSecret,
      identify: () => new Promise<undefined>(() => undefined),
      timeoutMs: 100,
      logger,
    });
    const started = performance.now();
    const response = await endpoint(get);
    expect(response).toEqual({
      status: 503,
      headers: { 'Cache-Control': 'no-store', 'X-Content-Type-Options': 'nosniff', 'Retry-After': '1' },
      body: '',
    });
    expect(performance.now() - started).toBeLessThan(2_000);
    expect(lines.some((line) => line.includes('did not answer within 100 ms'))).toBe(true);
  });

  it('a deadline that is not a positive number of ms is a configuration error', () => {
    expect(() =>
      createMessagingTokenEndpoint({ keys: messagingKeys, identify: () => undefined, timeoutMs: -1 }),
    ).toThrow(ConfigurationError);
  });
});
