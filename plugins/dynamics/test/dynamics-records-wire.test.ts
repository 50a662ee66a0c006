import {
  type CreateTicketInput,
  type CrmUser,
  createMemoryAuditSink,
  createRateBudgetRegistry,
  createRedactingLogger,
  createRedactor,
} from '@crm-connect/core';
import { chatStarted } from '@crm-connect/testkit';
import nock from 'nock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { annotationIdFor, incidentIdFor } from '../src/dynamics-ids.js';
import { dynamics } from '../src/index.js';

/**
 * What dynamics-records.ts sends and how it reads Dataverse's answers: the connection called
 * directly over nock and the real HTTP layer, with its own answers (not the conformance fixture).
 */

const organizationUrl = 'https://contoso.crm4.dynamics.com';
const webApi = '/api/data/v9.2';
const tenantId = '8f3e1c2a-5b7d-4e9f-a1c3-d5e7f9b1c3a5';
const clientId = '2c9d4e6f-8a1b-4c3d-9e5f-7a9b1c3d5e7f';
const clientSecret = 'Xq48Q~r2Yt.k9Lw3Zp7Vn1Bc6Df0Gh5Jm8Ks4UaB';
const accessToken = 'eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.eyJhdWQiOiJyZWNvcmRzLXdpcmUifQ.c2lnbmF0dXJlLXdpcmU';
const application: CrmUser = {
  id: '6f1d2b3c-4e5a-4b6c-8d7e-9f0a1b2c3d4e',
  name: '# CRM Connect',
  active: true,
};
const agent: CrmUser = {
  id: '0b7c8d9e-1f2a-4b3c-9d4e-5f6a7b8c9d0e',
  email: 'alex.agent@contoso.com',
  name: 'Alex Agent',
  active: true,
};
const contactId = '4a5b6c7d-8e9f-4a0b-9c1d-2e3f4a5b6c7d';
const duplicateKey = {
  error: { code: '0x80040237', message: 'A record with matching key values already exists.' },
};

beforeAll(() => nock.disableNetConnect());
afterAll(() => nock.enableNetConnect());
afterEach(() => {
  const pending = nock.pendingMocks();
  nock.cleanAll();
  expect(pending, 'interceptors never called').toEqual([]);
});

function connect() {
  nock('https://login.microsoftonline.com')
    .post(`/${tenantId}/oauth2/v2.0/token`)
    .query(true)
    .optionally()
    .reply(200, { token_type: 'Bearer', expires_in: 3599, ext_expires_in: 3599, access_token: accessToken });
  const plugin = dynamics();
  const redactor = createRedactor();
  return plugin.connect(
    plugin.settings.schema.parse({
      organizationUrl,
      tenantId,
      clientId,
      clientSecret,
      impersonateAgents: false,
    }),
    {
      redactor,
      logger: createRedactingLogger({ log: () => undefined }, redactor),
      audit: createMemoryAuditSink().sink,
      rateBudgets: createRateBudgetRegistry(),
      http: { retry: { initialDelayMs: 1, maxDelayMs: 5 }, timeoutMs: 5_000 },
    },
  );
}

const crm = () => nock(organizationUrl);
/** The end user is a known contact. */
const contactFound = () =>
  crm()
    .get(`${webApi}/contacts`)
    .query(true)
    .reply(200, { value: [{ contactid: contactId, emailaddress1: 'jane.doe@example.com' }] });

function input(overrides: Partial<CreateTicketInput> = {}): CreateTicketInput {
  return {
    event: chatStarted({ endUser: { name: 'Jane Doe', email: 'jane.doe@example.com' } }),
    owner: agent,
    performer: application,
    ownerReason: 'identified-agent',
    idempotencyKey: 'key-1',
    subject: 'Chat with Jane Doe',
    description: 'Hello',
    ...overrides,
  };
}

const caught = (promise: Promise<unknown>) =>
  promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (error: unknown) => error as Error & Record<string, unknown>,
  );

describe('dynamics case create: refused before anything is sent', () => {
  it.each<[string, unknown]>([
    ['an id that is not a Dynamics user id', { id: 'alex', active: true }],
    ['a numeric id', { id: 42, active: true }],
    ['no owner at all (a JavaScript caller)', undefined],
  ])('an owner with %s', async (_name, owner) => {
    const error = await caught(connect().createTicket(input({ owner: owner as CrmUser })));
    expect(error).toMatchObject({
      code: 'input_invalid',
      pluginId: 'dynamics',
      issues: [{ path: 'owner', message: 'owner: must be a Dynamics systemuser id' }],
    });
  });

  it.each([
    ['with a name', agent, 'Alex Agent'],
    ['without a name', { id: agent.id, active: true }, agent.id],
  ])('a disabled owner %s: an owner refusal naming them', async (_name, owner, shown) => {
    const event = input().event;
    const error = await caught(connect().createTicket(input({ event, owner: { ...owner, active: false } })));
    expect(error).toMatchObject({ code: 'owner_rejected', pluginId: 'dynamics', ownerId: agent.id });
    expect(error.message).toBe(
      `dynamics: ${shown} is disabled in Dynamics 365 and cannot own the case of interaction ${event.interactionId}.`,
    );
  });
});

describe('dynamics case create: what is sent and read back', () => {
  it('a channel without a standard case origin sends none', async () => {
    const connection = connect();
    contactFound();
    let body: Record<string, unknown> | undefined;
    crm()
      .post(`${webApi}/incidents`, (sent: Record<string, unknown>) => {
        body = sent;
        return true;
      })
      .query(true)
      .reply(201, { incidentid: 'c1d2e3f4-a5b6-4c7d-8e9f-0a1b2c3d4e5f', _customerid_value: contactId });
    const event = { ...input().event, channel: 'sms' as const };
    await connection.createTicket(input({ event }));
    expect(body).toEqual({
      incidentid: incidentIdFor(event.interactionId),
      title: 'Chat with Jane Doe',
      description: 'Hello',
      'ownerid@odata.bind': `/systemusers(${agent.id})`,
      'customerid_contact@odata.bind': `/contacts(${contactId})`,
    });
  });

  it('a created case answered without its customer keeps the contact it was bound to', async () => {
    const connection = connect();
    contactFound();
    crm()
      .post(`${webApi}/incidents`)
      .query(true)
      .reply(201, { incidentid: 'c1d2e3f4-a5b6-4c7d-8e9f-0a1b2c3d4e5f', _customerid_value: null });
    const result = await connection.createTicket(input());
    expect(result.ticket).toMatchObject({ id: 'c1d2e3f4-a5b6-4c7d-8e9f-0a1b2c3d4e5f', contactId });
  });

  it('a description of exactly 2,000 characters fits: no note', async () => {
    const connection = connect();
    contactFound();
    crm()
      .post(`${webApi}/incidents`)
      .query(true)
      .reply(201, { incidentid: contactId, _customerid_value: contactId });
    // The subject fits the title, so the description is the text alone.
    const result = await connection.createTicket(input({ description: 'x'.repeat(2_000) }));
    expect(result.attempts).toBe(1);
  });

  it('a longer description: its start within 2,000 UTF-16 units, unlabelled, the whole text in a keyed note', async () => {
    const connection = connect();
    contactFound();
    let description = '';
    crm()
      .post(`${webApi}/incidents`, (sent: { description: string }) => {
        description = sent.description;
        return true;
      })
      .query(true)
      .reply(201, { incidentid: contactId, _customerid_value: contactId });
    let note: Record<string, unknown> | undefined;
    crm()
      .post(`${webApi}/annotations`, (sent: Record<string, unknown>) => {
        note = sent;
        return true;
      })
      .reply(204);
    const text = '🙂'.repeat(1_500);
    const result = await connection.createTicket(input({ description: text, idempotencyKey: 'key-7' }));
    expect(result.attempts).toBe(2);
    expect(description.length).toBeLessThanOrEqual(2_000);
    // As much as fits is kept, counted in UTF-16 units (an emoji is two).
    expect(description.length).toBeGreaterThanOrEqual(1_999);
    expect(description.startsWith('🙂🙂')).toBe(true);
    expect(description.endsWith('\n\n[…] The full text is in the note "Description (full text)".')).toBe(
      true,
    );
    expect(note).toMatchObject({
      annotationid: annotationIdFor('key-7:description', 0),
      subject: 'Description (full text)',
      notetext: text,
    });
  });
});

describe('dynamics case create: the case exists already', () => {
  function refusedAsDuplicate(interactionId: string, ownerId: string) {
    contactFound();
    crm()
      .post(`${webApi}/incidents`)
      .query(true)
      .reply(503, { error: { code: '0x80040216', message: 'Busy' } });
    crm().post(`${webApi}/incidents`).query(true).reply(412, duplicateKey);
    crm()
      .get(`${webApi}/incidents(${incidentIdFor(interactionId)})`)
      .query(true)
      .reply(200, {
        incidentid: incidentIdFor(interactionId),
        _customerid_value: contactId,
        _ownerid_value: ownerId,
      });
    crm().get(`${webApi}/WhoAmI`).reply(200, {
      BusinessUnitId: '9a0b1c2d-3e4f-4a5b-8c6d-7e8f9a0b1c2d',
      UserId: application.id,
      OrganizationId: '5e6f7a8b-9c0d-4e1f-a2b3-c4d5e6f7a8b9',
    });
    crm()
      .get(`${webApi}/systemusers(${application.id})`)
      .query(true)
      .reply(200, {
        systemuserid: application.id,
        fullname: application.name,
        isdisabled: false,
        accessmode: 4,
        applicationid: clientId,
        systemuserroles_association: [
          { roleid: 'c1d2e3f4-a5b6-4c7d-8e9f-0a1b2c3d4e5f', name: 'CRM Connect' },
        ],
      });
  }

  it('its owner cannot be read: no owner reported, attempts count both creates and the read', async () => {
    const connection = connect();
    const event = input().event;
    refusedAsDuplicate(event.interactionId, agent.id);
    crm()
      .get(`${webApi}/systemusers(${agent.id})`)
      .query(true)
      .reply(403, {
        error: { code: '0x80040220', message: 'Principal user is missing prvReadUser privilege' },
      });
    const result = await connection.createTicket(input({ event }));
    expect(result).toEqual({
      ticket: {
        id: incidentIdFor(event.interactionId),
        contactId,
        url: expect.stringContaining(incidentIdFor(event.interactionId)),
      },
      created: false,
      attempts: 3,
      owner: undefined,
    });
  });
});

describe('dynamics findTicket', () => {
  it('an unreadable case answer is a typed error naming the lookup', async () => {
    const connection = connect();
    crm()
      .get(`${webApi}/incidents(${incidentIdFor('chat-1')})`)
      .query(true)
      .reply(200, { title: 'no id' });
    const error = await caught(connection.findTicket('chat-1'));
    expect(error).toMatchObject({ code: 'invalid_response' });
    expect(error.message).toContain('"find case"');
  });

  it('a refused lookup names it', async () => {
    const connection = connect();
    crm()
      .get(`${webApi}/incidents(${incidentIdFor('chat-2')})`)
      .query(true)
      .reply(403, {
        error: { code: '0x80040220', message: 'Principal user is missing prvReadIncident privilege' },
      });
    const error = await caught(connection.findTicket('chat-2'));
    expect(error).toMatchObject({ code: 'permission_denied' });
    expect(error.message).toContain('find case');
  });
});
