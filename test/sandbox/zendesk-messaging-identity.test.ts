import { createZendeskSandbox, type ZendeskSandbox, zendeskSandboxSettings } from '@crm-connect/sandbox';
import { zendesk } from '@crm-connect/zendesk';
import { createMessagingInteractions, createSunshineWebhookReceiver } from '@crm-connect/zendesk/messaging';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { useZendeskSpecCheck } from '../../packages/sandbox/test/zendesk-openapi-check.js';
import {
  delivery,
  sunshineExamples,
  webhookSecret,
  withEvent,
} from '../../plugins/zendesk/test/messaging/sunshine-examples.js';
import { sunshineWebhookFindings } from '../../plugins/zendesk/test/messaging/sunshine-openapi-check.js';
import { connectorFor } from './connectors.js';

/**
 * A signed-in messaging user (messaging JWT or help-center sign-in) is the same Zendesk requester
 * on every channel and device: Sunshine webhooks (the spec's examples) through the receiver, the
 * mapping and the real Zendesk plugin, into the Zendesk sandbox. The requester is matched by
 * external id first, then by the verified email, and carries the external id; what an anonymous
 * user claims never binds to anyone's requester.
 */

let sandbox: ZendeskSandbox;
beforeEach(async () => {
  sandbox = createZendeskSandbox();
  await sandbox.start();
});
afterEach(async () => {
  await sandbox.stop();
});
useZendeskSpecCheck(() => [sandbox]);

/** Every webhook body a test delivers, held against the Sunshine Conversations spec after it. */
const delivered: unknown[] = [];
afterEach(async () => {
  const findings: string[] = [];
  for (const body of delivered.splice(0)) findings.push(...(await sunshineWebhookFindings(body)));
  expect(findings, 'webhook bodies that break the Sunshine Conversations spec').toEqual([]);
});

const steveId = '912382197';
const steveEmail = 'steve.rogers@example.com';
/** What Sunshine sends for Steve with "include full user": his identity from the sign-in, a profile. */
const signedInSteve = {
  id: '26508c10541a4b0ff472e5e2',
  externalId: steveId,
  authenticated: true,
  profile: { givenName: 'Steve', surname: 'Rogers' },
  identities: [{ type: 'email', value: steveEmail, verification: 'sso' }],
};

/** A platform: the receiver hands events to the mapping, the mapping to the Zendesk connector. */
function platform() {
  const connector = connectorFor(zendesk(), { ...zendeskSandboxSettings(sandbox), defaultUser: true });
  const interactions = createMessagingInteractions({ onInteraction: (event) => connector.handle(event) });
  const receiver = createSunshineWebhookReceiver({
    secret: webhookSecret,
    onEvent: (event) => interactions.handle(event),
  });
  return async (body: unknown) => {
    delivered.push(body);
    const response = await receiver.receive(delivery(body));
    expect(response.status).toBe(200);
  };
}

function defined<T>(value: T | undefined): T {
  if (value === undefined) throw new Error('no example event');
  return value;
}
const conversationCreate = defined(sunshineExamples.conversationCreate.events[0]);
const conversationMessage = defined(sunshineExamples.conversationMessage.events[0]);

/** The spec's conversation:create, with its user replaced. */
function created(eventId: string, conversationId: string, user: object) {
  return withEvent('conversationCreate', {
    id: eventId,
    payload: {
      ...conversationCreate.payload,
      conversation: { ...conversationCreate.payload.conversation, id: conversationId },
      user,
    },
  });
}

/** The spec's first end-user message (telegram), with its author's user replaced. */
function firstMessage(eventId: string, conversationId: string, user: object) {
  const { payload } = conversationMessage;
  return withEvent('conversationMessage', {
    id: eventId,
    payload: {
      ...payload,
      conversation: { ...payload.conversation, id: conversationId },
      message: { ...payload.message, author: { ...payload.message.author, user } },
    },
  });
}

const requesterOf = (conversationId: string) => {
  const tickets = sandbox.store.tickets.filter((ticket) =>
    (ticket.external_id ?? '').startsWith(`sunco:${conversationId}:`),
  );
  expect(tickets).toHaveLength(1);
  return sandbox.store.users.get(tickets[0]?.requester_id ?? -1);
};
const endUsers = () => sandbox.store.users.filter((user) => user.role === 'end-user');

function existingEndUser(fields: { name: string; email: string | null; external_id: string | null }) {
  const now = '2025-01-01T00:00:00Z';
  return sandbox.store.users.insert({
    id: sandbox.store.nextId.user(),
    role: 'end-user',
    role_type: null,
    active: true,
    suspended: false,
    phone: null,
    default_group_id: null,
    created_at: now,
    updated_at: now,
    ...fields,
  });
}

describe('zendesk sandbox: the messaging identity on the requester', () => {
  it('signed in (spec conversation:create, full user): the requester carries the external id and the verified email', async () => {
    const send = platform();
    await send(created('evt-web', 'conv-web', signedInSteve));
    expect(requesterOf('conv-web')).toMatchObject({
      external_id: steveId,
      email: steveEmail,
      name: 'Steve Rogers',
      role: 'end-user',
    });
  });

  it('the same person on another device and channel (spec message, external id only): the same requester', async () => {
    const send = platform();
    await send(created('evt-web', 'conv-web', signedInSteve));
    // The spec's message example: telegram, the truncated user (no profile, no identities).
    await send(firstMessage('evt-phone', 'conv-phone', conversationMessage.payload.message.author.user));
    expect(requesterOf('conv-phone')?.id).toBe(requesterOf('conv-web')?.id);
    expect(endUsers()).toHaveLength(1);
  });

  it('an end user Zendesk already knows by that email (no external id yet): found by email, and given the external id', async () => {
    const known = existingEndUser({ name: 'Steve R.', email: steveEmail, external_id: null });
    const send = platform();
    await send(created('evt-web', 'conv-web', signedInSteve));
    expect(requesterOf('conv-web')).toMatchObject({ id: known.id, external_id: steveId, name: 'Steve R.' });
    expect(endUsers()).toHaveLength(1);
    // Next time, on a device that gives no email, the external id finds him straight away.
    await send(
      firstMessage('evt-phone', 'conv-phone', { id: 'u2', externalId: steveId, authenticated: true }),
    );
    expect(requesterOf('conv-phone')?.id).toBe(known.id);
  });

  it('an anonymous user claiming Steve’s external id and email: never Steve’s requester, Steve untouched', async () => {
    const steve = existingEndUser({ name: 'Steve Rogers', email: steveEmail, external_id: steveId });
    const send = platform();
    await send(
      firstMessage('evt-anon', 'conv-anon', {
        id: 'u-anon',
        externalId: steveId,
        authenticated: false,
        profile: { givenName: 'Steve', surname: 'Rogers', email: steveEmail },
        identities: [{ type: 'email', value: steveEmail }],
      }),
    );
    const requester = requesterOf('conv-anon');
    expect(requester?.id).not.toBe(steve.id);
    expect(requester).toMatchObject({ external_id: null, email: null });
    expect(sandbox.store.users.get(steve.id)).toEqual(steve);
  });

  it('a signed-in user who typed someone else’s email in the profile: that user is neither the requester nor bound', async () => {
    const victim = existingEndUser({ name: 'Vic Tim', email: 'vic.tim@example.com', external_id: null });
    const send = platform();
    await send(
      created('evt-web', 'conv-web', {
        id: 'u3',
        externalId: 'usr_77',
        authenticated: true,
        profile: { givenName: 'Mallory', email: 'vic.tim@example.com' },
      }),
    );
    const requester = requesterOf('conv-web');
    expect(requester?.id).not.toBe(victim.id);
    expect(requester).toMatchObject({ external_id: 'usr_77', email: null });
    expect(sandbox.store.users.get(victim.id)).toEqual(victim);
  });

  it('a verified email already bound to another external id: not rebound; the requester is the external id’s own user', async () => {
    const other = existingEndUser({ name: 'Steve (shop)', email: steveEmail, external_id: 'shop-1' });
    const send = platform();
    await send(created('evt-web', 'conv-web', signedInSteve));
    const requester = requesterOf('conv-web');
    expect(requester?.id).not.toBe(other.id);
    expect(requester).toMatchObject({ external_id: steveId, email: null, name: 'Steve Rogers' });
    expect(sandbox.store.users.get(other.id)).toEqual(other);
  });
});
