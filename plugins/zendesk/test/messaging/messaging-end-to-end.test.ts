import { idempotencyKey } from '@crm-connect/core';
import type { CapturedRequest } from '@crm-connect/testkit';
import { useHarness } from '@crm-connect/testkit';
import { describe, expect, it } from 'vitest';
import { createMessagingInteractions, createSunshineWebhookReceiver } from '../../src/messaging/index.js';
import {
  createdTicketReply,
  rateLimitHeaders,
  updatedTicketReply,
  users,
  wireUser,
  zendeskFixture,
} from '../zendesk-fixture.js';
import { delivery, exampleAppId, sunshineExamples, webhookSecret, withEvent } from './sunshine-examples.js';

/**
 * A signed Sunshine webhook for a new conversation, through the receiver, the mapping and a real
 * connector with the Zendesk plugin, to the mocked Zendesk API: exactly one ticket, owned by the
 * default user, requested by the authenticated end user.
 */
const harness = useHarness(zendeskFixture);

const interactionId = 'sunco:f52b01137aa6c250bc7251fa:5f74a0d52b5315fc007e798a';
/** The Support user Zendesk keeps for the messaging user signed in with external id 912382197. */
const steve = { id: '360009876501', name: 'Steve Rogers', active: true, role: 'end-user' };

interface TicketBody {
  ticket: {
    assignee_id?: number;
    requester_id?: number;
    requester?: { name: string; email: string };
  } & Record<string, unknown>;
}
const ticketCreates = () =>
  harness()
    .requests.filter((request) => request.method === 'POST' && request.path === '/api/v2/tickets')
    .map((request: CapturedRequest) => request.body as TicketBody);

/** What a platform writes: the receiver hands events to the mapping, the mapping to `connector.handle`. */
function platform() {
  const connector = harness().connector({ defaultUser: true });
  const interactions = createMessagingInteractions({ onInteraction: (event) => connector.handle(event) });
  return createSunshineWebhookReceiver({
    secret: webhookSecret,
    appId: exampleAppId,
    onEvent: (event) => interactions.handle(event),
    logger: harness().logger,
  });
}

function connectionUserAnswers() {
  harness().use(zendeskFixture.mocks.connectionUser);
}

function steveFound(times = 1) {
  harness()
    .crm()
    .get('/api/v2/users/search')
    .query({ external_id: '912382197' })
    .times(times)
    .reply(
      200,
      { users: [wireUser(steve, { external_id: '912382197', email: null })], count: 1 },
      rateLimitHeaders,
    );
}

describe('messaging end to end: a new conversation becomes one Zendesk ticket', () => {
  it('conversation:create (spec example) → one ticket, owned by the default user, requested by the authenticated user', async () => {
    connectionUserAnswers();
    steveFound();
    harness()
      .crm()
      .post('/api/v2/tickets')
      .matchHeader('idempotency-key', `crm-connect:${interactionId}:create-ticket`)
      .reply(...createdTicketReply(35436));
    const receiver = platform();

    const response = await receiver.receive(delivery(sunshineExamples.conversationCreate));
    expect(response.status).toBe(200);

    const creates = ticketCreates();
    expect(creates).toHaveLength(1);
    expect(creates[0]?.ticket).toMatchObject({
      subject: 'Conversation with 912382197',
      assignee_id: Number(users.admin.id),
      requester_id: Number(steve.id),
      external_id: interactionId,
      tags: ['crm_connect', 'crm_connect_channel_messaging'],
    });
    expect(harness().audit.events()).toEqual([
      expect.objectContaining({
        interactionId,
        operation: 'create-ticket',
        outcome: 'created',
        recordId: '35436',
        reason: 'default-user',
        owner: { id: users.admin.id, name: users.admin.name },
      }),
    ]);

    // Sunshine redelivers it (a timeout on its side), then the user's first message arrives: no second ticket.
    const replay = await receiver.receive(delivery(sunshineExamples.conversationCreate));
    expect(JSON.parse(replay.body)).toMatchObject({ duplicates: 1 });
    const firstMessage = await receiver.receive(
      delivery(withEvent('conversationMessage', { id: 'evt-first-message' })),
    );
    expect(firstMessage.status).toBe(200);
    expect(ticketCreates()).toHaveLength(1);
    expect(harness().writes()).toHaveLength(1);
  });

  it('control passed to the Agent Workspace writes nothing; the release adds an internal note, the owner unchanged', async () => {
    connectionUserAnswers();
    steveFound();
    harness()
      .crm()
      .post('/api/v2/tickets')
      .reply(...createdTicketReply(35436));
    harness()
      .crm()
      .put('/api/v2/tickets/35436')
      .reply(...updatedTicketReply(35436));
    const receiver = platform();
    await receiver.receive(delivery(sunshineExamples.conversationCreate));
    const toAgents = withEvent('passControl', {
      id: 'evt-to-agents',
      payload: {
        conversation: {
          id: 'f52b01137aa6c250bc7251fa',
          type: 'personal',
          activeSwitchboardIntegration: {
            id: 'sb-aw',
            name: 'zd-agentWorkspace',
            integrationType: 'zd:agentWorkspace',
          },
        },
      },
    });
    expect((await receiver.receive(delivery(toAgents))).status).toBe(200);
    expect(harness().writes()).toHaveLength(1);

    expect(
      (await receiver.receive(delivery(withEvent('releaseControl', { id: 'evt-release' })))).status,
    ).toBe(200);
    const [, note] = harness().writes();
    expect(note).toMatchObject({ method: 'PUT', path: '/api/v2/tickets/35436' });
    const body = 'Disposition: Messaging conversation released: no integration is in control';
    expect(note?.body).toEqual({
      ticket: {
        comment: { body, public: false },
        metadata: { crm_connect_note: idempotencyKey(interactionId, 'add-note', body) },
      },
    });
  });

  it('a wrong X-API-Key writes nothing', async () => {
    const response = await platform().receive(
      delivery(sunshineExamples.conversationCreate, 'not-the-secret'),
    );
    expect(response.status).toBe(401);
    expect(harness().requests).toHaveLength(0);
  });

  it('Zendesk refusing the first attempt: 500 to Sunshine, and its redelivery creates the one ticket', async () => {
    connectionUserAnswers();
    steveFound(2);
    harness()
      .crm()
      .post('/api/v2/tickets')
      .reply(403, { error: 'Forbidden', description: 'You do not have access to this page.' });
    harness()
      .crm()
      .post('/api/v2/tickets')
      .reply(...createdTicketReply(35437));
    const receiver = platform();

    expect((await receiver.receive(delivery(sunshineExamples.conversationCreate))).status).toBe(500);
    expect((await receiver.receive(delivery(sunshineExamples.conversationCreate))).status).toBe(200);
    expect((await receiver.receive(delivery(sunshineExamples.conversationCreate))).status).toBe(200);
    expect(
      harness()
        .audit.events()
        .map((event) => event.outcome),
    ).toEqual(['failed', 'created']);
    expect(ticketCreates()).toHaveLength(2);
  });

  it('the first message of a signed-in user with the full user: the requester is created with the external id and the verified email', async () => {
    connectionUserAnswers();
    harness()
      .crm()
      .get('/api/v2/users/search')
      .query({ external_id: '912382197' })
      .reply(200, { users: [], count: 0 }, rateLimitHeaders);
    harness()
      .crm()
      .get('/api/v2/users/search')
      .query({ query: 'email:steve.rogers@example.com' })
      .reply(200, { users: [], count: 0 }, rateLimitHeaders);
    harness()
      .crm()
      .post('/api/v2/users/create_or_update', {
        user: {
          name: 'Steve Rogers',
          email: 'steve.rogers@example.com',
          external_id: '912382197',
          role: 'end-user',
          skip_verify_email: true,
        },
      })
      .reply(201, { user: wireUser(steve, { external_id: '912382197', email: 'steve.rogers@example.com' }) });
    harness()
      .crm()
      .post('/api/v2/tickets')
      .reply(...createdTicketReply(35438));
    const message = sunshineExamples.conversationMessage.events[0];
    if (message === undefined) throw new Error('the message example has no event');
    const author = {
      ...message.payload.message.author,
      user: {
        ...message.payload.message.author.user,
        // The profile can be filled in by the user; only the sign-in's identity is their email.
        profile: { givenName: 'Steve', surname: 'Rogers', email: 'typed@example.com' },
        identities: [{ type: 'email', value: 'steve.rogers@example.com', verification: 'sso' }],
      },
    };
    const body = withEvent('conversationMessage', {
      payload: { ...message.payload, message: { ...message.payload.message, author } },
    });

    expect((await platform().receive(delivery(body))).status).toBe(200);
    const [create] = ticketCreates();
    expect(create?.ticket).toMatchObject({
      subject: 'Social conversation with Steve Rogers',
      requester_id: Number(steve.id),
      assignee_id: Number(users.admin.id),
      comment: {
        body: `Interaction ${interactionId} (social) at 2020-09-30T18:00:56.820Z.\n\nhello`,
        public: false,
      },
    });
    expect(create?.ticket.requester).toBeUndefined();
    expect(ticketCreates()).toHaveLength(1);
  });
});
