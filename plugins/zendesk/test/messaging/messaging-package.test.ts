import { readFileSync } from 'node:fs';
import {
  createChatVisitorTokenEndpoint,
  createMessagingInteractions,
  createMessagingTokenEndpoint,
  createSunshineClient,
  createSunshineWebhookReceiver,
  nodeTokenEndpoint,
  nodeWebhookReceiver,
  signChatVisitorJwt,
  signMessagingJwt,
  verifyChatVisitorJwt,
  verifyMessagingJwt,
} from '@crm-connect/zendesk/messaging';
import { describe, expect, it } from 'vitest';

/** The subpath export: `@crm-connect/zendesk/messaging`, types first, separate from the plugin's main entry. */

const packageJson = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
  exports: Record<string, Record<string, string>>;
};

describe('@crm-connect/zendesk/messaging', () => {
  it('is a subpath export of the Zendesk plugin, types first', () => {
    expect(Object.entries(packageJson.exports['./messaging'] ?? {})).toEqual([
      ['types', './dist/messaging/index.d.ts'],
      ['default', './dist/messaging/index.js'],
    ]);
  });

  it('exposes the token, webhook, mapping and client entry points', () => {
    const entryPoints = [
      signChatVisitorJwt,
      verifyChatVisitorJwt,
      signMessagingJwt,
      verifyMessagingJwt,
      createChatVisitorTokenEndpoint,
      createMessagingTokenEndpoint,
      createSunshineWebhookReceiver,
      createMessagingInteractions,
      createSunshineClient,
      nodeTokenEndpoint,
      nodeWebhookReceiver,
    ];
    for (const entryPoint of entryPoints) expect(typeof entryPoint, entryPoint.name).toBe('function');
  });
});
