import { describe, expect, it } from 'vitest';
import { createConnector } from '../src/connector.js';
import { ConfigurationError, CrmConnectError, InvalidInputError, RateLimitedError } from '../src/errors.js';
import {
  alex,
  apiToken,
  assignedTo,
  chatStarted,
  connectTo,
  ended,
  recordingCrm,
} from './support/recording-plugin.js';

/** What the connector refuses, and how every failure reaches the caller: typed, redacted, audited. */

describe('connector: an invalid event', () => {
  it.each([
    ['an unknown type', { ...chatStarted, type: 'chat.paused' }, 'type'],
    [
      'an interaction id outside the safe alphabet',
      { ...chatStarted, interactionId: 'i 1/../x' },
      'interactionId',
    ],
    ['an end user with nothing to recognise them by', { ...chatStarted, endUser: {} }, 'endUser'],
    ['a time without a time zone', { ...chatStarted, occurredAt: '2026-12-01T10:00:00' }, 'occurredAt'],
    ['an assignment without its agent', { ...assignedTo(alex), agent: undefined }, 'agent'],
  ])(
    'with %s is an input error naming the field; nothing is asked, written or audited',
    async (_, event, field) => {
      const crm = recordingCrm();
      const { connector, events } = connectTo(crm);
      const failure = connector.handle(event);
      await expect(failure).rejects.toBeInstanceOf(InvalidInputError);
      await expect(failure).rejects.toMatchObject({
        code: 'input_invalid',
        retryable: false,
        issues: [expect.objectContaining({ path: field })],
      });
      expect(crm.calls).toEqual([]);
      expect(events()).toEqual([]);
    },
  );
});

describe('connector: invalid settings', () => {
  it('are a configuration error naming the plugin and the field, before the plugin connects', () => {
    const crm = recordingCrm();
    const create = () => createConnector({ plugin: crm.plugin, settings: { defaultUser: 'yes' as never } });
    expect(create).toThrow(ConfigurationError);
    expect(create).toThrow(/^Invalid recording settings: defaultUser: /);
    expect(crm.contexts).toEqual([]);
  });
});

describe('connector: a failure', () => {
  it.each([
    ['opening a record', 'createTicket', undefined, chatStarted, 'create-ticket'],
    ['changing the owner', 'changeOwner', chatStarted, assignedTo(alex), 'change-owner'],
    ['adding a note', 'addNote', chatStarted, ended, 'add-note'],
  ] as const)(
    'while %s reaches the caller typed, and is audited with its operation and attempts',
    async (_, method, before, event, operation) => {
      const crm = recordingCrm();
      const { connector, events } = connectTo(crm);
      if (before !== undefined) await connector.handle(before);
      crm.override(method, async () => {
        throw new RateLimitedError('slow down', { pluginId: 'recording', attempts: 4 });
      });
      await expect(connector.handle(event)).rejects.toBeInstanceOf(RateLimitedError);
      expect(events().at(-1)).toEqual({
        at: expect.any(String),
        crm: 'recording',
        interactionId: 'i-1',
        eventType: event.type,
        operation,
        reason: 'error',
        attempts: 4,
        outcome: 'failed',
        error: { code: 'rate_limited', message: 'slow down' },
      });
    },
  );

  it('that is not a typed error is wrapped as internal_error, the original kept as its cause, secrets redacted', async () => {
    const crm = recordingCrm();
    const original = new Error(`socket hang up (Authorization: Bearer ${apiToken})`);
    crm.override('createTicket', async () => {
      throw original;
    });
    const { connector, events } = connectTo(crm);
    const failure = connector.handle(chatStarted);
    await expect(failure).rejects.toBeInstanceOf(CrmConnectError);
    const error = (await failure.catch((caught: unknown) => caught)) as CrmConnectError;
    expect(error).toMatchObject({
      code: 'internal_error',
      pluginId: 'recording',
      message: 'Unexpected failure: Error: socket hang up (Authorization: Bearer [REDACTED])',
    });
    expect(error.cause).toBe(original);
    expect(events()).toEqual([
      expect.objectContaining({
        operation: 'create-ticket',
        reason: 'error',
        attempts: 0,
        outcome: 'failed',
        error: {
          code: 'internal_error',
          message: 'Unexpected failure: Error: socket hang up (Authorization: Bearer [REDACTED])',
        },
      }),
    ]);
  });

  it('with a typed message holding a secret is audited redacted', async () => {
    const crm = recordingCrm();
    crm.override('createTicket', async () => {
      throw new RateLimitedError(`token ${apiToken} is over its limit`, { pluginId: 'recording' });
    });
    const { connector, events } = connectTo(crm);
    await expect(connector.handle(chatStarted)).rejects.toMatchObject({ code: 'rate_limited' });
    expect(events()[0]?.error).toEqual({
      code: 'rate_limited',
      message: 'token [REDACTED] is over its limit',
    });
  });
});
