import type { InteractionEvent } from '@crm-connect/core';
import { describe, expect, it } from 'vitest';
import {
  type ConversationStore,
  channelForSource,
  createMemoryConversationStore,
  createMessagingInteractions,
  createSunshineWebhookReceiver,
  type InteractionOutcome,
  type MessagingInteractionsOptions,
  type OpenInteraction,
} from '../../src/messaging/index.js';
import { delivery, sunshineExamples, webhookSecret, withEvent } from './sunshine-examples.js';

const conversationId = 'f52b01137aa6c250bc7251fa';
const example = sunshineExamples.conversationMessage.events[0];
if (example === undefined) throw new Error('the message example has no event');
const messagePayload = example.payload;

/** The receiver wired to the mapping, as a platform wires it; every interaction handed over is collected. */
function pipeline(options: Partial<MessagingInteractionsOptions> = {}) {
  const interactions: InteractionEvent[] = [];
  const outcomes: InteractionOutcome[] = [];
  const mapping = createMessagingInteractions({
    onInteraction: (event) => {
      interactions.push(event);
    },
    ...options,
  });
  const receiver = createSunshineWebhookReceiver({
    secret: webhookSecret,
    onEvent: async (event) => {
      outcomes.push(await mapping.handle(event));
    },
  });
  const send = async (body: unknown) => {
    const response = await receiver.receive(delivery(body));
    expect(response.status).toBe(200);
  };
  return { send, interactions, outcomes };
}

/** The message example with its author, content or source changed. */
function message(
  id: string,
  changes: { author?: object; content?: object; source?: object; conversation?: object },
) {
  return withEvent('conversationMessage', {
    id,
    payload: {
      ...messagePayload,
      conversation: { ...messagePayload.conversation, ...changes.conversation },
      message: {
        ...messagePayload.message,
        author: { ...messagePayload.message.author, ...changes.author },
        content: changes.content ?? messagePayload.message.content,
        source: { ...messagePayload.message.source, ...changes.source },
      },
    },
  });
}

describe('conversation start → chat.started', () => {
  it('conversation:create (spec example): chat.started with the authenticated identity, channel from source.type', async () => {
    const { send, interactions } = pipeline();
    await send(sunshineExamples.conversationCreate);
    expect(interactions).toEqual([
      {
        type: 'chat.started',
        interactionId: `sunco:${conversationId}:5f74a0d52b5315fc007e798a`,
        channel: 'messaging',
        occurredAt: '2020-09-30T15:14:29.834Z',
        endUser: { externalId: '912382197', verified: true },
      },
    ]);
  });

  it('the first end-user message (spec example) opens it when no create came: text, author name, telegram → social', async () => {
    const { send, interactions } = pipeline();
    await send(sunshineExamples.conversationMessage);
    expect(interactions).toEqual([
      {
        type: 'chat.started',
        interactionId: `sunco:${conversationId}:5f74a0d52b5315fc007e798a`,
        channel: 'social',
        occurredAt: '2020-09-30T18:00:56.820Z',
        endUser: { name: 'Steve Rogers', externalId: '912382197', verified: true },
        firstMessage: 'hello',
      },
    ]);
  });

  it('later messages, and a create after the first message, open nothing more', async () => {
    const { send, interactions, outcomes } = pipeline();
    await send(withEvent('conversationCreate', { id: 'evt-create' }));
    await send(withEvent('conversationMessage', { id: 'evt-message-1' }));
    await send(withEvent('conversationMessage', { id: 'evt-message-2' }));
    expect(interactions).toHaveLength(1);
    expect(outcomes.slice(1)).toEqual([
      { ignored: 'an interaction is already open' },
      { ignored: 'an interaction is already open' },
    ]);
  });

  it('business messages (bot, agent, echoes) never open an interaction', async () => {
    const { send, interactions, outcomes } = pipeline();
    await send(message('evt-business', { author: { type: 'business', subtypes: ['AI'], user: undefined } }));
    expect(interactions).toHaveLength(0);
    expect(outcomes).toEqual([{ ignored: 'not a message from the end user' }]);
  });

  it('two deliveries racing for one new conversation open exactly one interaction', async () => {
    const interactions: InteractionEvent[] = [];
    const mapping = createMessagingInteractions({
      onInteraction: async (event) => {
        await new Promise((resolve) => setTimeout(resolve, 5));
        interactions.push(event);
      },
    });
    const receiver = createSunshineWebhookReceiver({
      secret: webhookSecret,
      onEvent: (event) => mapping.handle(event),
    });
    await Promise.all([
      receiver.receive(delivery(withEvent('conversationCreate', { id: 'evt-a' }))),
      receiver.receive(delivery(withEvent('conversationMessage', { id: 'evt-b' }))),
    ]);
    expect(interactions.map((event) => event.type)).toEqual(['chat.started']);
  });

  it('group conversations and conversations the Agent Workspace controls open nothing', async () => {
    const { send, interactions, outcomes } = pipeline();
    await send(message('evt-group', { conversation: { type: 'sdkGroup' } }));
    await send(
      message('evt-aw', {
        conversation: {
          activeSwitchboardIntegration: {
            id: 'sb-aw',
            name: 'zd-agentWorkspace',
            integrationType: 'zd:agentWorkspace',
          },
        },
      }),
    );
    expect(interactions).toHaveLength(0);
    expect(outcomes).toEqual([
      { ignored: 'a group conversation has no single end user' },
      { ignored: 'the Agent Workspace is in control: Zendesk writes its own ticket' },
    ]);
  });
});

describe('the end user', () => {
  const profile = { givenName: 'Jane', surname: 'Doe', email: 'Jane.Doe@Example.com' };
  /** The read-only identities Zendesk gives a signed-in user (messaging JWT or help center), with the full user. */
  const identities = [{ type: 'email', value: 'Jane.Doe@Example.com', verification: 'sso' }];

  it('authenticated, with the full user: external id, the email of its identity, profile name, marked verified', async () => {
    const { send, interactions } = pipeline();
    await send(
      message('evt-1', {
        author: {
          user: { id: 'u1', externalId: 'usr_42', authenticated: true, profile, identities },
        },
      }),
    );
    expect(interactions[0]?.endUser).toEqual({
      name: 'Jane Doe',
      email: 'jane.doe@example.com',
      externalId: 'usr_42',
      verified: true,
    });
  });

  it('authenticated, but the email only in the profile (which the user can fill in): the email is left out', async () => {
    const { send, interactions } = pipeline();
    await send(
      message('evt-1', {
        author: {
          user: {
            id: 'u1',
            externalId: 'usr_42',
            authenticated: true,
            profile: { ...profile, email: 'someone.else@example.com' },
            identities: [{ type: 'phone', value: '+15145550100' }],
          },
        },
      }),
    );
    expect(interactions[0]?.endUser).toEqual({ name: 'Jane Doe', externalId: 'usr_42', verified: true });
  });

  it('not authenticated: neither its external id nor its emails choose the Zendesk requester', async () => {
    const { send, interactions } = pipeline();
    await send(
      message('evt-1', {
        author: {
          user: { id: 'u1', externalId: 'usr_42', authenticated: false, profile, identities },
        },
      }),
    );
    expect(interactions[0]?.endUser).toEqual({ name: 'Jane Doe' });
  });

  it('an identifier too long for Zendesk is left out, never cut into someone else’s', async () => {
    const { send, interactions } = pipeline();
    await send(
      message('evt-1', {
        author: {
          user: { id: 'u1', externalId: 'x'.repeat(256), authenticated: true, profile, identities },
        },
      }),
    );
    expect(interactions[0]?.endUser).toEqual({
      name: 'Jane Doe',
      email: 'jane.doe@example.com',
      verified: true,
    });
  });

  it('anonymous and nameless: named after the Sunshine user id', async () => {
    const { send, interactions } = pipeline();
    await send(
      message('evt-1', {
        author: { displayName: undefined, userId: 'u-anon', user: { id: 'u-anon', authenticated: false } },
      }),
    );
    expect(interactions[0]?.endUser).toEqual({ name: 'Messaging user u-anon' });
  });

  it('an SMS client: the phone number from the client', async () => {
    const { send, interactions } = pipeline();
    await send(
      message('evt-1', {
        author: { displayName: undefined, user: { id: 'u1', authenticated: false } },
        source: { type: 'twilio', client: { externalId: '+15145550100', displayName: '+15145550100' } },
      }),
    );
    expect(interactions[0]).toMatchObject({ channel: 'sms', endUser: { phone: '+15145550100' } });
  });

  it('a message without text: its type and link', async () => {
    const { send, interactions } = pipeline();
    await send(
      message('evt-1', { content: { type: 'image', mediaUrl: 'https://media.smooch.io/photo.jpg' } }),
    );
    expect(interactions[0]).toMatchObject({ firstMessage: '(image) https://media.smooch.io/photo.jpg' });
  });
});

describe('switchboard events → ownership', () => {
  it('control passed to the Agent Workspace: nothing to write, the interaction stays open', async () => {
    const { send, interactions, outcomes } = pipeline();
    await send(withEvent('conversationCreate', { id: 'evt-open' }));
    await send(
      withEvent('passControl', {
        id: 'evt-pass',
        payload: {
          conversation: {
            id: conversationId,
            type: 'personal',
            activeSwitchboardIntegration: {
              id: 'sb-aw',
              name: 'zd-agentWorkspace',
              integrationType: 'zd:agentWorkspace',
            },
          },
        },
      }),
    );
    await send(withEvent('conversationMessage', { id: 'evt-message' }));
    expect(interactions.map((event) => event.type)).toEqual(['chat.started']);
    expect(outcomes[1]).toEqual({
      ignored: 'control passed to the Agent Workspace: Zendesk agents own the conversation',
    });
  });

  it('control passed to another integration (spec example, to the bot): the ticket keeps its owner', async () => {
    const { send, interactions, outcomes } = pipeline();
    await send(withEvent('conversationCreate', { id: 'evt-open' }));
    await send(sunshineExamples.passControl);
    expect(interactions).toHaveLength(1);
    expect(outcomes[1]).toEqual({
      ignored: 'control passed to another integration: the ticket keeps its owner',
    });
  });

  it('released (spec example): interaction.ended; the next end-user message opens a new interaction', async () => {
    const { send, interactions } = pipeline();
    await send(withEvent('conversationCreate', { id: 'evt-open' }));
    await send(withEvent('releaseControl', { id: 'evt-release' }));
    await send(withEvent('conversationMessage', { id: 'evt-back' }));
    expect(interactions).toEqual([
      expect.objectContaining({ type: 'chat.started', interactionId: `sunco:${conversationId}:evt-open` }),
      {
        type: 'interaction.ended',
        interactionId: `sunco:${conversationId}:evt-open`,
        channel: 'messaging',
        occurredAt: '2020-09-30T15:14:29.834Z',
        endUser: { externalId: '912382197', verified: true },
        disposition: 'Messaging conversation released: no integration is in control',
      },
      expect.objectContaining({ type: 'chat.started', interactionId: `sunco:${conversationId}:evt-back` }),
    ]);
  });

  it.each([
    ['ticketClosed', 'Messaging conversation handed back: the Zendesk ticket was closed'],
    ['transferToEmail', 'Messaging conversation moved to email'],
  ])('passControl with reason %s ends the interaction', async (reason, disposition) => {
    const { send, interactions } = pipeline();
    await send(withEvent('conversationCreate', { id: 'evt-open' }));
    const pass = sunshineExamples.passControl.events[0];
    await send(withEvent('passControl', { id: 'evt-pass', payload: { ...pass?.payload, reason } }));
    expect(interactions[1]).toMatchObject({ type: 'interaction.ended', disposition });
  });

  it('a release with no interaction open, offers and failures: nothing', async () => {
    const { send, interactions, outcomes } = pipeline();
    await send(sunshineExamples.releaseControl);
    await send(withEvent('offerControl', { id: 'evt-offer' }));
    await send(withEvent('passControlFailure', { id: 'evt-failure' }));
    await send(withEvent('conversationRead', { id: 'evt-read' }));
    expect(interactions).toHaveLength(0);
    expect(outcomes).toEqual([
      { ignored: 'no interaction is open for this conversation' },
      { ignored: 'switchboard:offerControl does not change who owns the conversation' },
      { ignored: 'switchboard:passControl:failure does not change who owns the conversation' },
      { ignored: 'conversation:read does not change who owns the conversation' },
    ]);
  });
});

describe('hand-over failures', () => {
  it('a failed hand-over keeps the conversation for its interaction: the redelivery hands the same one over, another first message opens none', async () => {
    const conversations = createMemoryConversationStore();
    let fail = true;
    const handed: string[] = [];
    const mapping = createMessagingInteractions({
      conversations,
      onInteraction: (event) => {
        handed.push(event.interactionId);
        if (fail) throw new Error('Zendesk unavailable');
      },
    });
    const receiver = createSunshineWebhookReceiver({
      secret: webhookSecret,
      onEvent: (event) => mapping.handle(event),
    });
    const opened = `sunco:${conversationId}:5f74a0d52b5315fc007e798a`;
    expect((await receiver.receive(delivery(sunshineExamples.conversationCreate))).status).toBe(500);
    // Reserved before the hand-over: the ticket may exist even though the hand-over failed.
    expect(conversations.get(conversationId)).toMatchObject({ interactionId: opened });
    fail = false;
    await receiver.receive(delivery(withEvent('conversationMessage', { id: 'evt-message' })));
    expect((await receiver.receive(delivery(sunshineExamples.conversationCreate))).status).toBe(200);
    expect(handed).toEqual([opened, opened]);
    expect(conversations.get(conversationId)).toMatchObject({ interactionId: opened });
  });
});

describe('several processes sharing one conversation store', () => {
  /** One process: its own receiver (with its own event store) and mapping, the shared conversations. */
  function worker(conversations: ConversationStore, handled: InteractionEvent[], handleMs = 0) {
    const mapping = createMessagingInteractions({
      conversations,
      onInteraction: async (event) => {
        await new Promise((resolve) => setTimeout(resolve, handleMs));
        handled.push(event);
      },
    });
    const receiver = createSunshineWebhookReceiver({
      secret: webhookSecret,
      onEvent: async (event) => {
        await mapping.handle(event);
      },
    });
    return async (body: unknown) => {
      const response = await receiver.receive(delivery(body));
      expect(response.status).toBe(200);
    };
  }

  it('the conversation:create and the first message, received by two processes at once, open one interaction', async () => {
    const conversations = createMemoryConversationStore();
    const handled: InteractionEvent[] = [];
    const [first, second] = [worker(conversations, handled, 20), worker(conversations, handled, 20)];
    await Promise.all([
      first(withEvent('conversationCreate', { id: 'evt-create' })),
      second(withEvent('conversationMessage', { id: 'evt-message' })),
    ]);
    expect(handled.map((event) => event.type)).toEqual(['chat.started']);
    expect(conversations.get(conversationId)).toMatchObject({ interactionId: handled[0]?.interactionId });
  });

  it('an opening event delivered again to another process is handed over again (the connector finds its ticket), not ignored', async () => {
    const conversations = createMemoryConversationStore();
    const handled: InteractionEvent[] = [];
    const [first, second] = [worker(conversations, handled), worker(conversations, handled)];
    await first(withEvent('conversationCreate', { id: 'evt-create' }));
    await second(withEvent('conversationCreate', { id: 'evt-create' }));
    expect(handled.map((event) => [event.type, event.interactionId])).toEqual([
      ['chat.started', `sunco:${conversationId}:evt-create`],
      ['chat.started', `sunco:${conversationId}:evt-create`],
    ]);
  });

  it('a slow close does not close the interaction another process opened since', async () => {
    const conversations = createMemoryConversationStore();
    const handled: InteractionEvent[] = [];
    const slow = worker(conversations, handled, 50);
    const fast = worker(conversations, handled);
    await fast(withEvent('conversationCreate', { id: 'evt-create' }));
    // Both see the first interaction open and end it; the fast one then sees the next message open a new one.
    const slowRelease = slow(withEvent('releaseControl', { id: 'evt-release' }));
    await new Promise((resolve) => setTimeout(resolve, 10));
    const pass = sunshineExamples.passControl.events[0];
    await fast(
      withEvent('passControl', { id: 'evt-pass', payload: { ...pass?.payload, reason: 'ticketClosed' } }),
    );
    await fast(withEvent('conversationMessage', { id: 'evt-next' }));
    await slowRelease;
    expect(conversations.get(conversationId)).toMatchObject({
      interactionId: `sunco:${conversationId}:evt-next`,
    });
    // So a later message is part of it, not a third interaction.
    await fast(withEvent('conversationMessage', { id: 'evt-later' }));
    expect(handled.filter((event) => event.type === 'chat.started')).toHaveLength(2);
  });
});

describe('the memory conversation store', () => {
  const open = (eventId: string): OpenInteraction => ({
    interactionId: `sunco:${conversationId}:${eventId}`,
    channel: 'messaging',
    endUser: { externalId: '912382197', verified: true },
  });

  it('setIfAbsent: the first value stays, and every caller reads it', async () => {
    const conversations = createMemoryConversationStore();
    expect(await conversations.setIfAbsent(conversationId, open('a'))).toEqual({
      stored: true,
      value: open('a'),
    });
    expect(await conversations.setIfAbsent(conversationId, open('b'))).toEqual({
      stored: false,
      value: open('a'),
    });
  });

  it('deleteIf: deletes only the value it is given (compared by content)', async () => {
    const conversations = createMemoryConversationStore();
    await conversations.setIfAbsent(conversationId, open('a'));
    expect(await conversations.deleteIf(conversationId, open('b'))).toBe(false);
    const sameContent: OpenInteraction = {
      endUser: { verified: true, externalId: '912382197' },
      channel: 'messaging',
      interactionId: open('a').interactionId,
    };
    expect(await conversations.deleteIf(conversationId, sameContent)).toBe(true);
    expect(await conversations.get(conversationId)).toBeUndefined();
    expect(await conversations.deleteIf(conversationId, open('a'))).toBe(false);
  });
});

describe('channel from source.type', () => {
  it.each([
    ['web', 'messaging'],
    ['ios', 'messaging'],
    ['android', 'messaging'],
    ['unity', 'messaging'],
    ['api:conversations', 'messaging'],
    ['twilio', 'sms'],
    ['messagebird', 'sms'],
    ['googlercs', 'sms'],
    ['whatsapp', 'social'],
    ['messenger', 'social'],
    ['instagram', 'social'],
    ['telegram', 'social'],
    ['apple', 'social'],
    ['mailgun', 'email'],
    ['a-channel-added-next-year', 'messaging'],
    [undefined, 'messaging'],
  ])('%s → %s', (source, channel) => {
    expect(channelForSource(source)).toBe(channel);
  });
});
