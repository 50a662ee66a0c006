import { describe, expect, it } from 'vitest';
import { isCrmConnectError } from '../src/errors.js';
import { parseInteractionEvent } from '../src/events.js';

const chat = {
  type: 'chat.started',
  interactionId: 'chat-1',
  channel: 'chat',
  occurredAt: '2026-11-21T10:00:00Z',
  endUser: { name: 'Jane Doe', email: 'Jane.Doe@Example.com' },
};

function errorOf(input: unknown) {
  try {
    parseInteractionEvent(input);
  } catch (error) {
    return error;
  }
  throw new Error('expected a validation error');
}

describe('interaction events', () => {
  it('accepts each event type and normalises emails', () => {
    expect(parseInteractionEvent(chat)).toMatchObject({ endUser: { email: 'jane.doe@example.com' } });
    expect(
      parseInteractionEvent({ ...chat, type: 'voicemail.received', channel: 'voice', durationSeconds: 30 })
        .type,
    ).toBe('voicemail.received');
    expect(
      parseInteractionEvent({ ...chat, type: 'call.abandoned', channel: 'voice', waitSeconds: 12 }).type,
    ).toBe('call.abandoned');
    expect(
      parseInteractionEvent({
        ...chat,
        type: 'agent.assigned',
        agent: { id: 'a1', emails: ['A@acme.test', 'b@acme.test'] },
      }),
    ).toMatchObject({ agent: { emails: ['a@acme.test', 'b@acme.test'] } });
    expect(parseInteractionEvent({ ...chat, type: 'interaction.ended', transcript: 'hi' }).type).toBe(
      'interaction.ended',
    );
  });

  it('names every bad field and how to fix it', () => {
    const error = errorOf({
      ...chat,
      interactionId: 'has spaces',
      occurredAt: 'yesterday',
      endUser: { phone: '0612' },
    });
    expect(isCrmConnectError(error) && error.code).toBe('input_invalid');
    const message = String((error as Error).message);
    expect(message).toContain('interactionId');
    expect(message).toContain('occurredAt');
    expect(message).toContain('E.164');
  });

  it('requires a way to recognise the end user', () => {
    expect(String((errorOf({ ...chat, endUser: {} }) as Error).message)).toContain('at least one of');
  });

  it('an assignment without an agent is rejected', () => {
    expect(isCrmConnectError(errorOf({ ...chat, type: 'agent.assigned' }))).toBe(true);
  });

  it('unknown event types and non-objects are typed errors, never crashes', () => {
    for (const input of [
      null,
      42,
      'chat',
      [],
      { ...chat, type: 'chat.exploded' },
      { __proto__: { type: 'chat.started' } },
    ]) {
      expect(isCrmConnectError(errorOf(input))).toBe(true);
    }
  });

  it('an agent needs at least one email', () => {
    const error = errorOf({ ...chat, agent: { id: 'a1', emails: [] } });
    expect(String((error as Error).message)).toContain('at least one email');
  });
});
