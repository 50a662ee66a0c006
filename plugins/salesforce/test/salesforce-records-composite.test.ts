import {
  type CreateTicketInput,
  type CrmUser,
  createMemoryAuditSink,
  createRateBudgetRegistry,
  createRedactingLogger,
  createRedactor,
  type PluginContext,
} from '@crm-connect/core';
import { chatStarted } from '@crm-connect/testkit';
import nock from 'nock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createMemoryTokenStore, salesforce, salesforceSettingsSchema } from '../src/index.js';

/**
 * How salesforce-records.ts reads the composite answer of a create (which subrequest failed, what
 * the Case read back says about its owner), and the other records calls' errors and retries. The
 * connection is called directly over nock and the real HTTP layer, with its own org setup (not
 * the conformance fixture).
 */

const origin = 'https://acme.my.salesforce.com';
const dataPath = '/services/data/v62.0';
const orgId = '00Dxx0000001gPL';
const clientId = '3MVG9rZjd7MXFdLhZ4yRk1Vq7Qb8uW3n2Jm5pS6tX0aC9eD1fG2hI3jK4lM5nO6pQ7rS8tU9vW0xY';
const clientSecret = 'C8A2F07B3E9D4C16A5B0E7F2D9C3B8A14E6F0D2C7B9A3E5F1D8C4B6A0E2F9D7C';
const refreshToken =
  '5Aep861TSESvWeug_xvFHRBTTbf_YrTWgEyjBJrVXD8LiGdJ5dFQB4jFNvDsmT3bJkvFqZjD9bCTvuGTEkrHw2o';
const accessToken = `${orgId}!AQ4AQRecordsCompositeTestToken0123456789abcdefghijklmnopqrstuvwxyzAB`;
const agentToken = `${orgId}!AQ4AQAgentOwnSessionTokenForRecords0123456789abcdefghijklmnopqrstuvw`;
const admin = { id: '005xx000001SwiUAAS', email: 'ada.admin@acme.com', name: 'Ada Admin', active: true };
const agent = { id: '005xx000001TkBqAAK', email: 'alex.agent@acme.com', name: 'Alex Agent', active: true };
const caseId = '500xx000003DHP0AAO';
const contactId = '003xx000004TmiQAAS';

const tokenStore = createMemoryTokenStore();
await tokenStore.set(
  { orgId, userId: admin.id },
  { refreshToken, status: 'active', updatedAt: '2026-11-20T09:30:00.000Z' },
);
const settings = salesforceSettingsSchema.parse({
  orgId,
  loginUrl: origin,
  clientId,
  clientSecret,
  apiVersion: '62.0',
  adminConnections: [
    {
      userId: admin.id,
      username: admin.email,
      name: admin.name,
      email: admin.email,
      orgId,
      instanceUrl: origin,
      status: 'active',
      linkedAt: '2026-11-20T09:30:00.000Z',
    },
  ],
});

beforeAll(() => nock.disableNetConnect());
afterAll(() => nock.enableNetConnect());
afterEach(() => {
  const pending = nock.pendingMocks();
  nock.cleanAll();
  expect(pending, 'interceptors never called').toEqual([]);
});

function context(): PluginContext {
  const redactor = createRedactor();
  return {
    redactor,
    logger: createRedactingLogger({ log: () => undefined }, redactor),
    audit: createMemoryAuditSink().sink,
    rateBudgets: createRateBudgetRegistry(),
    http: { retry: { initialDelayMs: 1, maxDelayMs: 5 }, timeoutMs: 5_000 },
  };
}

/** A connection whose admin session starts with a token refresh. */
function connect(agentSessions = false) {
  nock(origin)
    .post('/services/oauth2/token', (body: Record<string, string>) => body.refresh_token === refreshToken)
    .reply(200, {
      access_token: accessToken,
      instance_url: origin,
      id: `https://login.salesforce.com/id/${orgId}AAA/${admin.id}`,
      token_type: 'Bearer',
      issued_at: '1763719200000',
      signature: 'c2lnbmF0dXJl',
    });
  const plugin = salesforce({
    tokenStore,
    ...(agentSessions
      ? {
          agentSessions: (userId: string) =>
            userId === agent.id ? { accessToken: agentToken, instanceUrl: origin } : undefined,
        }
      : {}),
  });
  return plugin.connect(settings, context());
}

interface Subrequest {
  referenceId: string;
  body?: Record<string, unknown>;
}
/** The composite endpoint answering once; returns the body it received. */
function composite(
  status: number,
  answer: nock.Body,
  token = accessToken,
): { body?: { compositeRequest: Subrequest[] } } {
  const received: { body?: { compositeRequest: Subrequest[] } } = {};
  nock(origin)
    .post(`${dataPath}/composite`, (body: { compositeRequest: Subrequest[] }) => {
      received.body = body;
      return true;
    })
    .matchHeader('authorization', `Bearer ${token}`)
    .reply(status, answer);
  return received;
}

const contactCreated = {
  referenceId: 'contact',
  httpStatusCode: 201,
  httpHeaders: {},
  body: { id: contactId, success: true, errors: [] },
};
const caseCreated = {
  referenceId: 'case',
  httpStatusCode: 201,
  httpHeaders: {},
  body: { id: caseId, success: true, errors: [] },
};
const refused = (
  referenceId: string,
  ...errors: { errorCode: string; message: string; fields?: string[] }[]
) => ({
  referenceId,
  httpStatusCode: 400,
  httpHeaders: {},
  body: errors.map((error) => ({ fields: [], ...error })),
});
const readBack = (...records: Record<string, unknown>[]) => ({
  referenceId: 'caseRecord',
  httpStatusCode: 200,
  httpHeaders: {},
  body: { totalSize: records.length, done: true, records },
});

function input(overrides: Partial<CreateTicketInput> = {}): CreateTicketInput {
  return {
    event: chatStarted(),
    owner: admin,
    performer: admin,
    ownerReason: 'default-user',
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

describe('salesforce create: what the composite answer says', () => {
  it('no read-back in the answer: the Case id comes from its create result, with its Lightning link', async () => {
    const connection = connect();
    composite(200, { compositeResponse: [contactCreated, caseCreated] });
    const result = await connection.createTicket(input());
    expect(result).toEqual({
      ticket: { id: caseId, contactId: undefined, url: `${origin}/lightning/r/Case/${caseId}/view` },
      created: true,
      attempts: 1,
      owner: undefined,
      performer: undefined,
    });
  });

  it('no Case result at all: a typed error saying what is missing', async () => {
    const connection = connect();
    composite(200, { compositeResponse: [contactCreated, readBack()] });
    const error = await caught(connection.createTicket(input()));
    expect(error).toMatchObject({ code: 'invalid_response' });
    expect(error.message).toContain(
      'the answer to "create case" does not have the documented shape (no Case result)',
    );
  });

  it('a Case result that is neither created nor refused, and nothing read back: a typed error', async () => {
    const connection = connect();
    composite(200, { compositeResponse: [{ ...caseCreated, httpStatusCode: 200 }, readBack()] });
    const error = await caught(connection.createTicket(input()));
    expect(error.message).toContain(
      'the answer to "create case" does not have the documented shape (no Case created or found)',
    );
  });

  it('a created Case whose answer carries no id and nothing read back: a typed error', async () => {
    const connection = connect();
    composite(200, { compositeResponse: [{ ...caseCreated, body: { success: true } }, readBack()] });
    const error = await caught(connection.createTicket(input()));
    expect(error.message).toContain(
      'the answer to "create case" does not have the documented shape (no Case id)',
    );
  });

  it('an answer without compositeResponse: a typed error naming the create', async () => {
    const connection = connect();
    composite(200, { results: [] });
    const error = await caught(connection.createTicket(input()));
    expect(error).toMatchObject({ code: 'invalid_response' });
    expect(error.message).toContain('the answer to "create case"');
  });

  it('the whole composite refused: the typed error names the create', async () => {
    const connection = connect();
    composite(400, [{ errorCode: 'JSON_PARSER_ERROR', message: 'Unexpected character' }]);
    const error = await caught(connection.createTicket(input()));
    expect(error).toMatchObject({ code: 'crm_rejected_input', status: 400 });
    expect(error.message).toContain('salesforce: create case failed (HTTP 400, JSON_PARSER_ERROR');
  });

  it('a subject longer than 255 characters is clipped to 255 UTF-16 units', async () => {
    const connection = connect();
    const sent = composite(200, { compositeResponse: [contactCreated, caseCreated, readBack()] });
    await connection.createTicket(input({ subject: `Chat with ${'🙂'.repeat(200)}` }));
    const subject = String(
      sent.body?.compositeRequest.find((sub) => sub.referenceId === 'case')?.body?.Subject,
    );
    expect(subject.length).toBeLessThanOrEqual(255);
    expect(subject.length).toBeGreaterThanOrEqual(250);
    expect(subject.startsWith('Chat with 🙂🙂')).toBe(true);
  });

  it('an agent performing for the default user: the owner sent is the default user, not the agent', async () => {
    const connection = connect(true);
    const sent = composite(200, { compositeResponse: [contactCreated, caseCreated, readBack()] }, agentToken);
    const result = await connection.createTicket(input({ performer: agent, owner: admin }));
    expect(sent.body?.compositeRequest.find((sub) => sub.referenceId === 'case')?.body?.OwnerId).toBe(
      admin.id,
    );
    expect(result.owner).toBeUndefined();
    // The refresh prepared for the admin session is not used: the agent's own session wrote.
    nock.cleanAll();
  });
});

describe('salesforce create: which refusal is reported', () => {
  it('the owner refused while the Contact failed too: the owner refusal wins (the default user can take over)', async () => {
    const connection = connect();
    composite(200, {
      compositeResponse: [
        refused('contact', {
          errorCode: 'REQUIRED_FIELD_MISSING',
          message: 'Required fields are missing: [LastName]',
          fields: ['LastName'],
        }),
        refused('case', {
          errorCode: 'INACTIVE_OWNER_OR_USER',
          message: `operation performed with inactive user [${agent.id}] as owner of case`,
        }),
        readBack(),
      ],
    });
    const error = await caught(
      connection.createTicket(input({ owner: agent, ownerReason: 'identified-agent' })),
    );
    expect(error).toMatchObject({ code: 'owner_rejected', ownerId: agent.id });
  });

  it('the Contact could not be created: its refusal explains the Case failure', async () => {
    const connection = connect();
    composite(200, {
      compositeResponse: [
        refused('contact', {
          errorCode: 'REQUIRED_FIELD_MISSING',
          message: 'Required fields are missing: [LastName]',
          fields: ['LastName'],
        }),
        refused('case', {
          errorCode: 'INVALID_FIELD',
          message: 'Contact not found by key',
          fields: ['Contact'],
        }),
        readBack(),
      ],
    });
    const error = await caught(connection.createTicket(input()));
    expect(error).toMatchObject({ code: 'crm_rejected_input', status: 400 });
    expect(error.message).toContain('salesforce: create case failed (HTTP 400, REQUIRED_FIELD_MISSING');
  });

  it('a Contact refused as a duplicate only is expected: the Case refusal is reported', async () => {
    const connection = connect();
    composite(200, {
      compositeResponse: [
        refused('contact', { errorCode: 'DUPLICATE_VALUE', message: 'duplicate value found' }),
        refused('case', {
          errorCode: 'FIELD_CUSTOM_VALIDATION_EXCEPTION',
          message: 'Subject is required by a rule',
        }),
        readBack(),
      ],
    });
    const error = await caught(connection.createTicket(input()));
    expect(error).toMatchObject({ code: 'crm_rejected_input', retryable: false });
    expect(error.message).toContain('FIELD_CUSTOM_VALIDATION_EXCEPTION: Subject is required by a rule');
  });

  it('a Contact refused as a duplicate AND for another reason: that other reason is reported', async () => {
    const connection = connect();
    composite(200, {
      compositeResponse: [
        refused(
          'contact',
          { errorCode: 'DUPLICATE_VALUE', message: 'duplicate value found' },
          { errorCode: 'STRING_TOO_LONG', message: 'Phone: data value too large', fields: ['Phone'] },
        ),
        refused('case', {
          errorCode: 'FIELD_CUSTOM_VALIDATION_EXCEPTION',
          message: 'Subject is required by a rule',
        }),
        readBack(),
      ],
    });
    const error = await caught(connection.createTicket(input()));
    expect(error.message).toContain('STRING_TOO_LONG');
  });

  it('a Contact refused with a body that is not Salesforce’s error list: that refusal is reported', async () => {
    const connection = connect();
    composite(200, {
      compositeResponse: [
        { referenceId: 'contact', httpStatusCode: 500, httpHeaders: {}, body: 'Internal error' },
        refused('case', {
          errorCode: 'INVALID_FIELD',
          message: 'Contact not found by key',
          fields: ['Contact'],
        }),
        readBack(),
      ],
    });
    const error = await caught(connection.createTicket(input()));
    expect(error).toMatchObject({ code: 'transport_failed', status: 500, retryable: true });
  });

  it('an end user without a contact key and a refused Case: the Case refusal, no Contact step', async () => {
    const connection = connect();
    const sent = composite(200, {
      compositeResponse: [
        refused('case', { errorCode: 'FIELD_CUSTOM_VALIDATION_EXCEPTION', message: 'Rule' }),
        readBack(),
      ],
    });
    const error = await caught(
      connection.createTicket(input({ event: chatStarted({ endUser: { name: 'Walk-in visitor' } }) })),
    );
    expect(error).toMatchObject({ code: 'crm_rejected_input' });
    expect(error.message).toContain(
      'salesforce: create case failed (HTTP 400, FIELD_CUSTOM_VALIDATION_EXCEPTION',
    );
    expect(sent.body?.compositeRequest.map((sub) => sub.referenceId)).toEqual(['case', 'caseRecord']);
  });
});

describe('salesforce create: the owner of a Case that existed', () => {
  const existing = (record: Record<string, unknown>) => ({
    compositeResponse: [
      refused('contact', { errorCode: 'DUPLICATE_VALUE', message: 'duplicate value found' }),
      refused('case', { errorCode: 'DUPLICATE_VALUE', message: 'duplicate value found' }),
      readBack({ Id: caseId, ContactId: contactId, ...record }),
    ],
  });

  it.each<[string, Record<string, unknown>, CrmUser | undefined]>([
    [
      'a queue: active, with its name, no email',
      {
        OwnerId: '00Gxx000000AbCdEAK',
        Owner: { Type: 'Queue', Name: 'Support Queue', Email: null, IsActive: null },
      },
      { id: '00Gxx000000AbCdEAK', name: 'Support Queue', email: undefined, active: true, role: 'queue' },
    ],
    [
      'a deactivated user: inactive, email in lower case',
      {
        OwnerId: agent.id,
        Owner: { Type: 'User', Name: agent.name, Email: 'Alex.Agent@ACME.com', IsActive: false },
      },
      { id: agent.id, name: agent.name, email: agent.email, active: false, role: undefined },
    ],
    [
      'an owner id without its Owner object: not claimed active',
      { OwnerId: agent.id },
      { id: agent.id, name: undefined, email: undefined, active: false, role: undefined },
    ],
    ['no owner id', { OwnerId: null, Owner: null }, undefined],
    ['no owner field at all', {}, undefined],
  ])('%s', async (_name, record, owner) => {
    const connection = connect();
    composite(200, existing(record));
    const result = await connection.createTicket(input());
    expect(result.created).toBe(false);
    expect(result.ticket).toEqual({
      id: caseId,
      contactId,
      url: `${origin}/lightning/r/Case/${caseId}/view`,
    });
    expect(result.owner).toEqual(owner);
  });
});

describe('salesforce create: a description longer than a Case holds', () => {
  it('32,000 characters fit: no Task', async () => {
    const connection = connect();
    const sent = composite(200, { compositeResponse: [contactCreated, caseCreated, readBack()] });
    const result = await connection.createTicket(input({ description: 'x'.repeat(32_000) }));
    expect(result.attempts).toBe(1);
    const description = sent.body?.compositeRequest.find((sub) => sub.referenceId === 'case')?.body
      ?.Description;
    expect(description).toBe('x'.repeat(32_000));
  });

  it('one more: the Description says where the rest is, a Task holds it, attempts add up', async () => {
    const connection = connect();
    const sent = composite(200, { compositeResponse: [contactCreated, caseCreated, readBack()] });
    let tasks: { records: { Subject: string; Description: string; WhatId: string }[] } | undefined;
    nock(origin)
      .post(`${dataPath}/composite/sobjects`, (body: typeof tasks) => {
        tasks = body;
        return true;
      })
      .reply(200, [{ id: '00Txx000001AbCdEAK', success: true, errors: [] }]);
    // Emoji are two UTF-16 units each: the split counts units, not code points.
    const text = `${'🙂'.repeat(16_000)}x`;
    const result = await connection.createTicket(input({ description: text }));
    expect(result.attempts).toBe(2);
    const description = String(
      sent.body?.compositeRequest.find((sub) => sub.referenceId === 'case')?.body?.Description,
    );
    expect(description.length).toBeLessThanOrEqual(32_000);
    expect(
      description.endsWith('[Continued in the completed Tasks "Case description (continued)" on this case.]'),
    ).toBe(true);
    const kept = description.slice(0, description.indexOf('\n\n[Continued'));
    // As much as fits is kept: counted in UTF-16 units, an emoji is two.
    expect(description.length).toBeGreaterThanOrEqual(31_999);
    expect(tasks?.records).toHaveLength(1);
    expect(tasks?.records[0]).toMatchObject({ WhatId: caseId, Subject: 'Case description (continued)' });
    expect(kept + tasks?.records[0]?.Description).toBe(text);
  });
});

describe('salesforce findTicket and changeOwner', () => {
  it('findTicket reports the Case with its Contact', async () => {
    const connection = connect();
    nock(origin)
      .get(`${dataPath}/query`)
      .query(true)
      .reply(200, { totalSize: 1, done: true, records: [{ Id: caseId, ContactId: contactId }] });
    expect(await connection.findTicket('chat-1')).toEqual({ id: caseId, contactId });
  });

  it('a refused lookup names it', async () => {
    const connection = connect();
    nock(origin)
      .get(`${dataPath}/query`)
      .query(true)
      .reply(400, [
        { errorCode: 'INVALID_FIELD', message: "No such column 'CrmConnect_Interaction_Id__c' on Case" },
      ]);
    const error = await caught(connection.findTicket('chat-1'));
    expect(error).toMatchObject({ code: 'configuration_invalid' });
    expect(error.message).toContain('salesforce: find case failed');
  });

  it('a reassignment that met a server error is sent again (the same owner twice is harmless)', async () => {
    const connection = connect();
    nock(origin)
      .patch(`${dataPath}/sobjects/Case/${caseId}`, { OwnerId: agent.id })
      .reply(503, 'Unavailable');
    nock(origin)
      .patch(`${dataPath}/sobjects/Case/${caseId}`, { OwnerId: agent.id })
      .matchHeader('sforce-auto-assign', 'FALSE')
      .reply(204);
    const result = await connection.changeOwner({
      interactionId: 'chat-1',
      ticket: { id: caseId },
      owner: agent,
      performer: admin,
    });
    expect(result).toMatchObject({ attempts: 2 });
  });

  it('a reassignment to a deleted Case names the reassignment', async () => {
    const connection = connect();
    nock(origin)
      .patch(`${dataPath}/sobjects/Case/${caseId}`)
      .reply(404, [{ errorCode: 'ENTITY_IS_DELETED', message: 'entity is deleted', fields: [] }]);
    const error = await caught(
      connection.changeOwner({
        interactionId: 'chat-1',
        ticket: { id: caseId },
        owner: agent,
        performer: admin,
      }),
    );
    expect(error).toMatchObject({ code: 'not_found' });
    expect(error.message).toContain('salesforce: change case owner failed (HTTP 404, ENTITY_IS_DELETED');
  });
});

describe('salesforce writes: an unreadable success page may follow a write that was made', () => {
  const proxyPage = '<html><body>Request accepted</body></html>';

  it('an unreadable 200 to the composite create is a retryable error (the redelivery finds the Case)', async () => {
    const connection = connect();
    composite(200, proxyPage);
    const error = await caught(connection.createTicket(input()));
    expect(error).toMatchObject({ code: 'invalid_response', retryable: true, status: 200, attempts: 1 });
    expect(error.message).toContain('the answer to "create case" with HTTP 200');
    expect(error.message).toContain('Salesforce accepted the request, so the write may have been made');
  });

  it('an unreadable 200 to the CaseComment create is a retryable error (the redelivery finds the note)', async () => {
    const connection = connect();
    nock(origin)
      .post(`${dataPath}/sobjects/CaseComment`, {
        ParentId: caseId,
        CommentBody: 'Called back.',
        IsPublished: false,
      })
      .matchHeader('authorization', `Bearer ${accessToken}`)
      .reply(200, proxyPage);
    const error = await caught(
      connection.addNote({
        interactionId: 'chat-1',
        ticket: { id: caseId },
        body: 'Called back.',
        performer: admin,
        idempotencyKey: 'note-key-1',
        mayExist: false,
      }),
    );
    expect(error).toMatchObject({ code: 'invalid_response', retryable: true, status: 200, attempts: 1 });
    expect(error.message).toContain('the answer to "add case comment" with HTTP 200');
  });
});
