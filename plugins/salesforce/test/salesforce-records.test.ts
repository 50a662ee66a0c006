import { createHash } from 'node:crypto';
import {
  createConnector,
  createMemoryAuditSink,
  createRateBudgetRegistry,
  createRedactor,
  endNote,
  idempotencyKey,
  isCrmConnectError,
  type PluginContext,
  silentLogger,
} from '@crm-connect/core';
import { agentAssigned, chatStarted, interactionEnded, voicemailReceived } from '@crm-connect/testkit';
import nock from 'nock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { salesforceSettingsSchema } from '../src/index.js';
import {
  adminAccessToken,
  adminRefreshToken,
  agentAccessTokens,
  agentPlugin,
  compositeCreated,
  contactId,
  dataPath,
  mockRefresh,
  mockSession,
  origin,
  plugin,
  settings,
  userRecord,
  users,
} from './salesforce-fixture.js';

const bearer = `Bearer ${adminAccessToken}`;
/** The tag of a note's idempotency key that its Tasks' subjects carry. */
const tag = (key: string) => createHash('sha256').update(key).digest('hex').slice(0, 8);
const caseId = '500xx000003DHP0AAO';

beforeAll(() => nock.disableNetConnect());
afterAll(() => nock.enableNetConnect());
afterEach(() => {
  // Clean up first, so one failing test does not leave interceptors to the next.
  const pending = nock.pendingMocks();
  nock.cleanAll();
  expect(pending, 'interceptors never called').toEqual([]);
});

function connector(overrides: Record<string, unknown> = {}) {
  const audit = createMemoryAuditSink();
  const instance = createConnector({
    plugin,
    settings: { ...settings, defaultUser: true, ...overrides },
    audit: audit.sink,
    rateBudgets: createRateBudgetRegistry(),
    http: { retry: { initialDelayMs: 1, maxDelayMs: 5 }, timeoutMs: 5_000 },
  });
  return { connector: instance, audit };
}

interface Captured {
  headers: Record<string, string | string[] | undefined>;
  body: CompositeBody;
}
interface Subrequest {
  method: string;
  url: string;
  referenceId: string;
  httpHeaders?: Record<string, string>;
  body?: Record<string, unknown>;
}
interface CompositeBody {
  allOrNone: boolean;
  compositeRequest: Subrequest[];
}

/** The composite endpoint answering `answers` in turn; returns every request it received. */
function mockComposite(...answers: [number, unknown][]): Captured[] {
  const captured: Captured[] = [];
  for (const [status, body] of answers) {
    nock(origin)
      .post(`${dataPath}/composite`, (received: CompositeBody) => {
        captured.push({ headers: {}, body: received });
        return true;
      })
      .matchHeader('authorization', bearer)
      .reply(function reply() {
        const last = captured.at(-1);
        if (last !== undefined) last.headers = this.req.headers;
        return [status, body];
      });
  }
  return captured;
}

const subrequest = (captured: Captured | undefined, referenceId: string) =>
  captured?.body.compositeRequest.find((sub) => sub.referenceId === referenceId);

describe('salesforce create: Contact and Case in one composite request', () => {
  it('finds or creates the Contact and creates the Case owned by the agent, performed by the admin', async () => {
    mockSession(adminRefreshToken, adminAccessToken, users.admin);
    nock(origin)
      .get(`${dataPath}/query`)
      .query({
        q: `SELECT Id, Name, Email, Username, IsActive FROM User WHERE Email = '${users.agent.email}' AND UserType = 'Standard' LIMIT 10`,
      })
      .matchHeader('authorization', bearer)
      .reply(200, { totalSize: 1, done: true, records: [userRecord(users.agent)] });
    const captured = mockComposite([200, compositeCreated(caseId)]);
    const { connector: instance } = connector({ alwaysUseAdmin: true, caseOrigins: { chat: 'Chat' } });
    const event = chatStarted({ agent: { id: 'platform-1', emails: [users.agent.email] } });
    const audit = await instance.handle(event);

    expect(audit).toMatchObject({
      outcome: 'created',
      recordId: caseId,
      owner: { id: users.agent.id },
      performer: { id: users.admin.id },
      performerReason: 'always-admin',
    });
    expect(captured).toHaveLength(1);
    expect(captured[0]?.headers['sforce-auto-assign']).toBe('FALSE');
    expect(captured[0]?.headers.authorization).toBe(bearer);
    const caseQuery = `SELECT Id, ContactId, OwnerId, Owner.Type, Owner.Name, Owner.Email, Owner.IsActive FROM Case WHERE CrmConnect_Interaction_Id__c = '${event.interactionId}' LIMIT 1`;
    expect(captured[0]?.body).toEqual({
      allOrNone: false,
      compositeRequest: [
        {
          method: 'POST',
          url: `${dataPath}/sobjects/Contact`,
          referenceId: 'contact',
          body: {
            CrmConnect_Contact_Key__c: 'jane.doe@example.com',
            FirstName: 'Jane',
            LastName: 'Doe',
            Email: 'jane.doe@example.com',
            Phone: '+15555550100',
          },
        },
        {
          method: 'POST',
          url: `${dataPath}/sobjects/Case`,
          referenceId: 'case',
          httpHeaders: { 'Sforce-Auto-Assign': 'FALSE' },
          body: {
            Subject: 'Chat with Jane Doe',
            Description: `Interaction ${event.interactionId} (chat) at ${event.occurredAt}.\n\n${event.firstMessage}`,
            Origin: 'Chat',
            OwnerId: users.agent.id,
            SuppliedName: 'Jane Doe',
            SuppliedEmail: 'jane.doe@example.com',
            SuppliedPhone: '+15555550100',
            Contact: { CrmConnect_Contact_Key__c: 'jane.doe@example.com' },
            CrmConnect_Interaction_Id__c: event.interactionId,
          },
        },
        {
          method: 'GET',
          url: `${dataPath}/query?q=${encodeURIComponent(caseQuery)}`,
          referenceId: 'caseRecord',
        },
      ],
    });
  });

  it('a voicemail from a phone number: the Contact is keyed by phone and the Case Origin is Phone', async () => {
    mockSession(adminRefreshToken, adminAccessToken, users.admin);
    const captured = mockComposite([200, compositeCreated(caseId, { contactExisted: true })]);
    const audit = await connector().connector.handle(
      voicemailReceived({ endUser: { phone: '+33612345678' } }),
    );
    expect(audit).toMatchObject({ outcome: 'created', owner: { id: users.admin.id } });
    expect(subrequest(captured[0], 'contact')?.body).toEqual({
      CrmConnect_Contact_Key__c: 'phone:+33612345678',
      LastName: '+33612345678',
      Phone: '+33612345678',
    });
    expect(subrequest(captured[0], 'case')?.body).toMatchObject({
      Subject: 'Voicemail from +33612345678',
      Origin: 'Phone',
      OwnerId: users.admin.id,
      Contact: { CrmConnect_Contact_Key__c: 'phone:+33612345678' },
    });
  });

  it('an end user known only by name: a Case without a Contact', async () => {
    mockSession(adminRefreshToken, adminAccessToken, users.admin);
    const answer = compositeCreated(caseId);
    answer.compositeResponse.shift();
    const captured = mockComposite([200, answer]);
    await connector().connector.handle(chatStarted({ endUser: { name: 'Walk-in visitor' } }));
    expect(captured[0]?.body.compositeRequest.map((sub) => sub.referenceId)).toEqual(['case', 'caseRecord']);
    expect(subrequest(captured[0], 'case')?.body).not.toHaveProperty('Contact');
  });

  it('a create retried after a lost answer finds the Case it made: one Case, reported as existing', async () => {
    mockSession(adminRefreshToken, adminAccessToken, users.admin);
    const captured: CompositeBody[] = [];
    nock(origin)
      .post(`${dataPath}/composite`, (body: CompositeBody) => captured.push(body) > 0)
      // A gateway lost Salesforce's answer: the Case was written, the client saw a 502.
      .reply(502, '<html><body><h1>502 Bad Gateway</h1></body></html>', { 'Content-Type': 'text/html' });
    nock(origin)
      .post(`${dataPath}/composite`, (body: CompositeBody) => captured.push(body) > 0)
      .reply(200, compositeCreated(caseId, { contactExisted: true, created: false }));
    const audit = await connector().connector.handle(chatStarted());
    expect(audit).toMatchObject({ recordId: caseId, outcome: 'existing', attempts: 2 });
    expect(captured).toHaveLength(2);
    expect(captured[1]).toEqual(captured[0]);
  });

  it('a late opening event never changes the existing Case: refused as a duplicate, its real owner reported', async () => {
    const event = chatStarted();
    mockSession(adminRefreshToken, adminAccessToken, users.admin);
    // Another worker made the Case; an agent has taken it since.
    const captured = mockComposite([
      200,
      compositeCreated(caseId, { contactExisted: true, created: false, owner: users.agent }),
    ]);
    const audit = await connector().connector.handle(event);
    expect(audit).toMatchObject({
      outcome: 'existing',
      recordId: caseId,
      owner: { id: users.agent.id, name: users.agent.name },
      attempts: 1,
    });
    expect(captured).toHaveLength(1);
    // A create, never an update: nothing in the request can change a Case that exists.
    const create = subrequest(captured[0], 'case');
    expect(create).toMatchObject({ method: 'POST', url: `${dataPath}/sobjects/Case` });
    expect(captured[0]?.body.compositeRequest.some((sub) => sub.method === 'PATCH')).toBe(false);
  });

  it('the existing Case reported by the plugin: created false, its owner with id, name, email and active', async () => {
    const connection = plugin.connect(salesforceSettingsSchema.parse(settings), context());
    mockRefresh(adminRefreshToken, adminAccessToken, users.admin);
    mockComposite([200, compositeCreated(caseId, { created: false, owner: users.otherAgent })]);
    const result = await connection.createTicket({
      event: chatStarted(),
      owner: users.admin,
      performer: users.admin,
      ownerReason: 'default-user',
      idempotencyKey: 'k',
      subject: 'Chat with Jane Doe',
      description: 'Hello',
    });
    expect(result).toMatchObject({
      created: false,
      ticket: { id: caseId, contactId },
      owner: {
        id: users.otherAgent.id,
        name: users.otherAgent.name,
        email: users.otherAgent.email,
        active: true,
      },
    });
    expect(result.performer).toBeUndefined();
  });

  it('an opening event redelivered after a restart finds the same Case', async () => {
    const event = chatStarted();
    mockSession(adminRefreshToken, adminAccessToken, users.admin);
    mockComposite([200, compositeCreated(caseId)]);
    expect(await connector().connector.handle(event)).toMatchObject({ outcome: 'created', recordId: caseId });
    mockSession(adminRefreshToken, adminAccessToken, users.admin);
    const captured = mockComposite([200, compositeCreated(caseId, { contactExisted: true, created: false })]);
    expect(await connector().connector.handle(event)).toMatchObject({
      outcome: 'existing',
      recordId: caseId,
    });
    expect(subrequest(captured[0], 'case')?.body?.CrmConnect_Interaction_Id__c).toBe(event.interactionId);
  });
});

describe('salesforce create: owner refused', () => {
  const refused = (error: { message: string; errorCode: string; fields: string[] }) => ({
    compositeResponse: [
      {
        body: { id: contactId, success: true, errors: [] },
        httpHeaders: {},
        httpStatusCode: 201,
        referenceId: 'contact',
      },
      { body: [error], httpHeaders: {}, httpStatusCode: 400, referenceId: 'case' },
      {
        body: { totalSize: 0, done: true, records: [] },
        httpHeaders: {},
        httpStatusCode: 200,
        referenceId: 'caseRecord',
      },
    ],
  });

  it.each([
    {
      message: `operation performed with inactive user [${users.agent.id.slice(0, 15)}] as owner of case`,
      errorCode: 'INACTIVE_OWNER_OR_USER',
      fields: [],
    },
    { message: 'invalid cross reference id', errorCode: 'INVALID_CROSS_REFERENCE_KEY', fields: ['OwnerId'] },
  ])('$errorCode: the default user takes the Case, with an audit event', async (error) => {
    mockSession(adminRefreshToken, adminAccessToken, users.admin);
    nock(origin)
      .get(`${dataPath}/query`)
      .query(true)
      .reply(200, { totalSize: 1, done: true, records: [userRecord(users.agent)] });
    const captured = mockComposite(
      [200, refused(error)],
      [200, compositeCreated(caseId, { contactExisted: true })],
    );
    const { connector: instance, audit } = connector();
    const result = await instance.handle(
      chatStarted({ agent: { id: 'platform-1', emails: [users.agent.email] } }),
    );
    expect(result).toMatchObject({
      outcome: 'created',
      reason: 'default-user',
      owner: { id: users.admin.id },
    });
    expect(subrequest(captured[0], 'case')?.body?.OwnerId).toBe(users.agent.id);
    expect(subrequest(captured[1], 'case')?.body?.OwnerId).toBe(users.admin.id);
    const fallback = audit.events().find((event) => event.reason === 'owner-fallback');
    expect(fallback).toMatchObject({ owner: { id: users.agent.id }, error: { code: 'owner_rejected' } });
    expect(fallback?.error?.message).toContain(error.errorCode);
  });

  it('without the default user the refusal is an error naming the owner, never a silent drop', async () => {
    mockSession(adminRefreshToken, adminAccessToken, users.admin);
    nock(origin)
      .get(`${dataPath}/query`)
      .query(true)
      .reply(200, { totalSize: 1, done: true, records: [userRecord(users.agent)] });
    mockComposite([
      200,
      refused({
        message: 'invalid cross reference id',
        errorCode: 'INVALID_CROSS_REFERENCE_KEY',
        fields: ['OwnerId'],
      }),
    ]);
    const { connector: instance, audit } = connector({ defaultUser: false });
    const error = await instance
      .handle(chatStarted({ agent: { id: 'platform-1', emails: [users.agent.email] } }))
      .catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: 'owner_rejected', ownerId: users.agent.id });
    expect(audit.events().at(-1)).toMatchObject({ outcome: 'failed', error: { code: 'owner_rejected' } });
  });
});

describe('salesforce errors', () => {
  it('403 REQUEST_LIMIT_EXCEEDED is a rate-limit error that is not retried', async () => {
    mockSession(adminRefreshToken, adminAccessToken, users.admin);
    let requests = 0;
    nock(origin)
      .post(`${dataPath}/composite`, () => {
        requests += 1;
        return true;
      })
      .times(3)
      .reply(403, [{ message: 'TotalRequests Limit exceeded.', errorCode: 'REQUEST_LIMIT_EXCEEDED' }]);
    const error = await connector()
      .connector.handle(chatStarted())
      .catch((caught: unknown) => caught);
    expect(isCrmConnectError(error) && error.code).toBe('rate_limited');
    expect(isCrmConnectError(error) && error.retryable).toBe(false);
    expect((error as Error).message).toContain('API request allocation for the last 24 hours');
    expect(requests).toBe(1);
    nock.cleanAll();
  });

  it('a Contact refused by a duplicate rule explains why the Case could not be created', async () => {
    mockSession(adminRefreshToken, adminAccessToken, users.admin);
    mockComposite([
      200,
      {
        compositeResponse: [
          {
            body: [
              {
                message: 'Use one of these records?',
                errorCode: 'DUPLICATES_DETECTED',
                fields: [],
              },
            ],
            httpHeaders: {},
            httpStatusCode: 400,
            referenceId: 'contact',
          },
          {
            body: [
              {
                message:
                  'Foreign key external ID: jane.doe@example.com not found for field CrmConnect_Contact_Key__c in entity Contact',
                errorCode: 'INVALID_FIELD',
                fields: [],
              },
            ],
            httpHeaders: {},
            httpStatusCode: 400,
            referenceId: 'case',
          },
          {
            body: { totalSize: 0, done: true, records: [] },
            httpHeaders: {},
            httpStatusCode: 200,
            referenceId: 'caseRecord',
          },
        ],
      },
    ]);
    const error = await connector()
      .connector.handle(chatStarted())
      .catch((caught: unknown) => caught);
    expect(isCrmConnectError(error) && error.code).toBe('crm_rejected_input');
    expect((error as Error).message).toContain('DUPLICATES_DETECTED');
    expect((error as Error).message).toContain('duplicate rule');
  });

  it('a missing external ID field is a configuration error that says what to create', async () => {
    mockSession(adminRefreshToken, adminAccessToken, users.admin);
    const answer = compositeCreated(caseId);
    const noSuchColumn = (entity: string) => ({
      body: [
        {
          message: `No such column 'CrmConnect_Interaction_Id__c' on ${entity}. If you are attempting to use a custom field, be sure to append the '__c' after the custom field name.`,
          errorCode: 'INVALID_FIELD',
          fields: [],
        },
      ] as unknown,
      httpHeaders: {},
      httpStatusCode: 400,
    });
    answer.compositeResponse[1] = { ...noSuchColumn('sobject of type Case'), referenceId: 'case' };
    answer.compositeResponse[2] = { ...noSuchColumn("entity 'Case'"), referenceId: 'caseRecord' };
    mockComposite([200, answer]);
    const error = await connector()
      .connector.handle(chatStarted())
      .catch((caught: unknown) => caught);
    expect(isCrmConnectError(error) && error.code).toBe('configuration_invalid');
    expect((error as Error).message).toContain('Create the external ID fields');
  });
});

describe('salesforce later events', () => {
  it('an agent assigned after a restart: the Case is found by interaction id and its owner changed', async () => {
    const event = chatStarted();
    mockSession(adminRefreshToken, adminAccessToken, users.admin);
    nock(origin)
      .get(`${dataPath}/query`)
      .query((query) => String(query.q).includes('FROM User'))
      .reply(200, { totalSize: 1, done: true, records: [userRecord(users.agent)] });
    nock(origin)
      .get(`${dataPath}/query`)
      .query({
        q: `SELECT Id, ContactId FROM Case WHERE CrmConnect_Interaction_Id__c = '${event.interactionId}' LIMIT 1`,
      })
      .reply(200, {
        totalSize: 1,
        done: true,
        records: [{ attributes: { type: 'Case' }, Id: caseId, ContactId: contactId }],
      });
    let patched: unknown;
    nock(origin)
      .patch(`${dataPath}/sobjects/Case/${caseId}`, (body) => {
        patched = body;
        return true;
      })
      .matchHeader('authorization', bearer)
      .matchHeader('sforce-auto-assign', 'FALSE')
      .reply(204);
    const audit = await connector().connector.handle(agentAssigned(event.interactionId, [users.agent.email]));
    expect(audit).toMatchObject({
      operation: 'change-owner',
      outcome: 'updated',
      owner: { id: users.agent.id },
    });
    expect(patched).toEqual({ OwnerId: users.agent.id });
  });

  it('a short note is one internal CaseComment; 4,000 bytes is the limit, in bytes', async () => {
    const connection = plugin.connect(salesforceSettingsSchema.parse(settings), context());
    mockRefresh(adminRefreshToken, adminAccessToken, users.admin);
    const comments: unknown[] = [];
    nock(origin)
      .post(`${dataPath}/sobjects/CaseComment`, (body) => comments.push(body) > 0)
      .matchHeader('authorization', bearer)
      .reply(201, { id: '00axx000000Jk2LAAS', success: true, errors: [] });
    const fits = 'é'.repeat(2_000); // 4,000 bytes in UTF-8
    await connection.addNote({
      interactionId: 'chat-1',
      ticket: { id: caseId },
      body: fits,
      performer: users.admin,
      idempotencyKey: 'k',
      mayExist: false,
    });
    expect(comments).toEqual([{ ParentId: caseId, CommentBody: fits, IsPublished: false }]);

    let tasks: { allOrNone: boolean; records: Record<string, unknown>[] } | undefined;
    nock(origin)
      .post(`${dataPath}/composite/sobjects`, (body) => {
        tasks = body;
        return true;
      })
      .reply(200, [{ id: '00Txx000001gPqSEAU', success: true, errors: [] }]);
    await connection.addNote({
      interactionId: 'chat-1',
      ticket: { id: caseId, contactId },
      body: `${fits}a`,
      performer: users.admin,
      idempotencyKey: 'k2',
      mayExist: false,
    });
    expect(tasks).toEqual({
      allOrNone: true,
      records: [
        {
          attributes: { type: 'Task' },
          WhatId: caseId,
          WhoId: contactId,
          Subject: `Interaction chat-1: notes and transcript [${tag('k2')}]`,
          Description: `${fits}a`,
          Status: 'Completed',
        },
      ],
    });
  });

  it('a long transcript becomes Tasks of at most 32,000 characters that add up to the whole text', async () => {
    mockSession(adminRefreshToken, adminAccessToken, users.admin);
    mockComposite([200, compositeCreated(caseId)]);
    const opened = chatStarted();
    const transcriptLines = Array.from(
      { length: 2_000 },
      (_, index) => `Customer: line ${index} of the conversation`,
    );
    const ended = interactionEnded(opened.interactionId, { transcript: transcriptLines.join('\n') });
    let tasks:
      | { allOrNone: boolean; records: { Subject: string; Description: string; WhoId: string }[] }
      | undefined;
    nock(origin)
      .post(`${dataPath}/composite/sobjects`, (body) => {
        tasks = body;
        return true;
      })
      .matchHeader('authorization', bearer)
      .reply(200, [
        { id: '00Txx000001gPqSEAU', success: true, errors: [] },
        { id: '00Txx000001gPqTEAU', success: true, errors: [] },
        { id: '00Txx000001gPqUEAU', success: true, errors: [] },
      ]);
    const { connector: instance } = connector();
    await instance.handle(opened);
    const audit = await instance.handle(ended);
    expect(audit).toMatchObject({ operation: 'add-note', outcome: 'updated' });
    const body = endNote(ended);
    expect(body.length).toBeGreaterThan(64_000);
    expect(body.length).toBeLessThan(96_000);
    expect(tasks?.allOrNone).toBe(true);
    const title = `Interaction ${opened.interactionId}: notes and transcript [${tag(idempotencyKey(opened.interactionId, 'add-note', body))}]`;
    expect(tasks?.records.map((task) => task.Subject)).toEqual([
      `${title} (part 1 of 3)`,
      `${title} (part 2 of 3)`,
      `${title} (part 3 of 3)`,
    ]);
    expect(
      tasks?.records.every((task) => task.Description.length <= 32_000 && task.WhoId === contactId),
    ).toBe(true);
    expect(tasks?.records.map((task) => task.Description).join('')).toBe(body);
  });

  it('a voicemail longer than a Case description continues in Tasks, written once per Case', async () => {
    const event = voicemailReceived({ transcription: 'Please call me back. '.repeat(2_000) });
    const full = `Interaction ${event.interactionId} (voice) at ${event.occurredAt}.\nDuration: 42 s.\n\n${event.transcription}`;
    const taskQuery = (query: Record<string, unknown>) =>
      String(query.q).startsWith('SELECT Id FROM Task') &&
      String(query.q).includes("Subject = 'Case description (continued)'");

    mockSession(adminRefreshToken, adminAccessToken, users.admin);
    const captured = mockComposite([200, compositeCreated(caseId)]);
    // A new Case: its continuation is written without looking for one first.
    let continued: { records: { Description: string; Subject: string }[] } | undefined;
    nock(origin)
      .post(`${dataPath}/composite/sobjects`, (body) => {
        continued = body;
        return true;
      })
      .reply(200, [{ id: '00Txx000001gPqSEAU', success: true, errors: [] }]);
    await connector().connector.handle(event);
    const description = String(subrequest(captured[0], 'case')?.body?.Description);
    expect(description.length).toBeLessThanOrEqual(32_000);
    expect(description).toMatch(
      /\[Continued in the completed Tasks "Case description \(continued\)" on this case\.\]$/,
    );
    const shown = description.slice(0, description.lastIndexOf('\n\n[Continued'));
    expect(`${shown}${continued?.records.map((task) => task.Description).join('')}`).toBe(full);

    // Redelivered after a restart: the continuation already exists, nothing is written twice.
    mockSession(adminRefreshToken, adminAccessToken, users.admin);
    mockComposite([200, compositeCreated(caseId, { contactExisted: true, created: false })]);
    nock(origin)
      .get(`${dataPath}/query`)
      .query(taskQuery)
      .reply(200, {
        totalSize: 1,
        done: true,
        records: [{ attributes: { type: 'Task' }, Id: '00Txx000001gPqSEAU' }],
      });
    expect(await connector().connector.handle(event)).toMatchObject({ outcome: 'existing' });
  });
});

describe('salesforce users', () => {
  it('finds an agent by email with an escaped SOQL literal, preferring the active user', async () => {
    const connection = plugin.connect(salesforceSettingsSchema.parse(settings), context());
    mockRefresh(adminRefreshToken, adminAccessToken, users.admin);
    nock(origin)
      .get(`${dataPath}/query`)
      .query({
        q: "SELECT Id, Name, Email, Username, IsActive FROM User WHERE Email = 'o\\'brien@acme.com' AND UserType = 'Standard' LIMIT 10",
      })
      .reply(200, {
        totalSize: 2,
        done: true,
        records: [
          { ...userRecord(users.deactivatedAgent), Email: "O'Brien@acme.com" },
          { ...userRecord(users.agent), Email: "O'Brien@acme.com" },
        ],
      });
    expect(await connection.findUserByEmail("o'brien@acme.com")).toMatchObject({
      id: users.agent.id,
      email: "o'brien@acme.com",
      active: true,
    });
  });

  it('lists active standard users across result pages', async () => {
    const connection = plugin.connect(salesforceSettingsSchema.parse(settings), context());
    mockRefresh(adminRefreshToken, adminAccessToken, users.admin);
    nock(origin)
      .get(`${dataPath}/query`)
      .query({
        q: "SELECT Id, Name, Email, Username, IsActive FROM User WHERE IsActive = true AND UserType = 'Standard' ORDER BY Name",
      })
      .reply(200, {
        totalSize: 2,
        done: false,
        nextRecordsUrl: `${dataPath}/query/01gxx0000002hQMAAY-2000`,
        records: [userRecord(users.agent)],
      });
    nock(origin)
      .get(`${dataPath}/query/01gxx0000002hQMAAY-2000`)
      .reply(200, { totalSize: 2, done: true, records: [userRecord(users.otherAgent)] });
    const pool = await connection.listAssignableUsers();
    expect(pool.map((user) => user.id)).toEqual([users.agent.id, users.otherAgent.id]);
  });
});

function context(): PluginContext {
  return {
    redactor: createRedactor(),
    logger: silentLogger,
    audit: () => {},
    rateBudgets: createRateBudgetRegistry(),
    http: { retry: { initialDelayMs: 1, maxDelayMs: 5 }, timeoutMs: 5_000 },
  };
}

describe('salesforce notes exactly once (mayExist)', () => {
  const note = (overrides: Partial<Parameters<ReturnType<typeof plugin.connect>['addNote']>[0]> = {}) => ({
    interactionId: 'chat-1',
    ticket: { id: caseId, contactId },
    body: 'Disposition: resolved\n\nCustomer: Hello\nAgent: Hi, how can I help?',
    performer: users.admin,
    idempotencyKey: 'crm-connect:chat-1:add-note:0123456789abcdef',
    mayExist: false,
    ...overrides,
  });
  const commentQuery = `SELECT Id, CommentBody FROM CaseComment WHERE ParentId = '${caseId}'`;
  const connect = () => {
    const connection = plugin.connect(salesforceSettingsSchema.parse(settings), context());
    mockRefresh(adminRefreshToken, adminAccessToken, users.admin);
    return connection;
  };

  it('mayExist false: one request, no lookup', async () => {
    const connection = connect();
    nock(origin)
      .post(`${dataPath}/sobjects/CaseComment`)
      .reply(201, { id: '00axx000000Jk2LAAS', success: true, errors: [] });
    expect(await connection.addNote(note())).toEqual({ attempts: 1, written: true });
  });

  it('mayExist true and the comment is there (line endings as Salesforce returns them): nothing written', async () => {
    const connection = connect();
    nock(origin)
      .get(`${dataPath}/query`)
      .query({ q: commentQuery })
      .reply(200, {
        totalSize: 2,
        done: true,
        records: [
          { attributes: { type: 'CaseComment' }, Id: '00axx000000Jk1AAAS', CommentBody: 'An agent note' },
          {
            attributes: { type: 'CaseComment' },
            Id: '00axx000000Jk2LAAS',
            CommentBody: 'Disposition: resolved\r\n\r\nCustomer: Hello\r\nAgent: Hi, how can I help?',
          },
        ],
      });
    expect(await connection.addNote(note({ mayExist: true }))).toMatchObject({ attempts: 1, written: false });
  });

  it('mayExist true and the comment is not there: one lookup, then the comment', async () => {
    const connection = connect();
    nock(origin)
      .get(`${dataPath}/query`)
      .query({ q: commentQuery })
      .reply(200, { totalSize: 0, done: true, records: [] });
    nock(origin)
      .post(`${dataPath}/sobjects/CaseComment`)
      .reply(201, { id: '00axx000000Jk2LAAS', success: true, errors: [] });
    expect(await connection.addNote(note({ mayExist: true }))).toMatchObject({ attempts: 2, written: true });
  });

  it('mayExist true for a long note: only the parts whose Task is missing are written', async () => {
    const connection = connect();
    const body = `${'a'.repeat(32_000)}${'b'.repeat(32_000)}${'c'.repeat(10)}`;
    const key = 'crm-connect:chat-1:add-note:fedcba9876543210';
    const title = `Interaction chat-1: notes and transcript [${tag(key)}]`;
    nock(origin)
      .get(`${dataPath}/query`)
      .query({ q: `SELECT Id, Subject FROM Task WHERE WhatId = '${caseId}'` })
      .reply(200, {
        totalSize: 3,
        done: true,
        records: [
          { attributes: { type: 'Task' }, Id: '00Txx000001gPqSEAU', Subject: `${title} (part 1 of 3)` },
          { attributes: { type: 'Task' }, Id: '00Txx000001gPqTEAU', Subject: `${title} (part 3 of 3)` },
          // Another note of the same interaction (another key): not this one's part 2.
          {
            attributes: { type: 'Task' },
            Id: '00Txx000001gPqUEAU',
            Subject: `Interaction chat-1: notes and transcript [${tag('other')}] (part 2 of 3)`,
          },
        ],
      });
    let sent: { records: { Subject: string; Description: string }[] } | undefined;
    nock(origin)
      .post(`${dataPath}/composite/sobjects`, (received) => {
        sent = received;
        return true;
      })
      .reply(200, [{ id: '00Txx000001gPqVEAU', success: true, errors: [] }]);
    const result = await connection.addNote(note({ body, idempotencyKey: key, mayExist: true }));
    expect(result).toMatchObject({ attempts: 2, written: true });
    expect(sent?.records.map((task) => [task.Subject, task.Description])).toEqual([
      [`${title} (part 2 of 3)`, 'b'.repeat(32_000)],
    ]);
  });

  it('a lookup answered in an undocumented shape is a typed error, and nothing is written', async () => {
    const connection = connect();
    nock(origin).get(`${dataPath}/query`).query({ q: commentQuery }).reply(200, { rows: [] });
    const error = await connection.addNote(note({ mayExist: true })).catch((caught: unknown) => caught);
    expect(isCrmConnectError(error) && error.code).toBe('invalid_response');
    expect((error as Error).message).toContain('find the note on the case');
  });
});

describe('salesforce writes by agents (agentSessions)', () => {
  const agentToken = `Bearer ${agentAccessTokens[users.agent.id]}`;
  const connect = () => agentPlugin.connect(salesforceSettingsSchema.parse(settings), context());

  it("the agent's own token makes the write; the result names no other performer", async () => {
    const connection = connect();
    nock(origin)
      .patch(`${dataPath}/sobjects/Case/${caseId}`)
      .matchHeader('authorization', agentToken)
      .reply(204);
    const result = await connection.changeOwner({
      interactionId: 'chat-1',
      ticket: { id: caseId },
      owner: users.agent,
      performer: users.agent,
    });
    expect(result).toEqual({ attempts: 1 });
  });

  it('Salesforce refuses the agent the write (no access to the record): the admin makes it, and the result names the admin', async () => {
    const connection = connect();
    nock(origin)
      .patch(`${dataPath}/sobjects/Case/${caseId}`)
      .matchHeader('authorization', agentToken)
      .reply(400, [
        {
          message: 'insufficient access rights on object id',
          errorCode: 'INSUFFICIENT_ACCESS_OR_READONLY',
          fields: [],
        },
      ]);
    mockRefresh(adminRefreshToken, adminAccessToken, users.admin);
    nock(origin).patch(`${dataPath}/sobjects/Case/${caseId}`).matchHeader('authorization', bearer).reply(204);
    const result = await connection.changeOwner({
      interactionId: 'chat-1',
      ticket: { id: caseId },
      owner: users.agent,
      performer: users.agent,
    });
    expect(result).toMatchObject({ attempts: 2, performer: { id: users.admin.id, role: 'admin' } });
  });

  it("an agent's expired access token: the admin writes the note, and the result names the admin", async () => {
    const connection = connect();
    nock(origin)
      .post(`${dataPath}/sobjects/CaseComment`)
      .matchHeader('authorization', agentToken)
      .reply(401, [{ message: 'Session expired or invalid', errorCode: 'INVALID_SESSION_ID' }]);
    mockRefresh(adminRefreshToken, adminAccessToken, users.admin);
    nock(origin)
      .post(`${dataPath}/sobjects/CaseComment`)
      .matchHeader('authorization', bearer)
      .reply(201, { id: '00axx000000Jk2LAAS', success: true, errors: [] });
    const result = await connection.addNote({
      interactionId: 'chat-1',
      ticket: { id: caseId },
      body: 'Agent: thanks!',
      performer: users.agent,
      idempotencyKey: 'k',
      mayExist: false,
    });
    expect(result).toMatchObject({ written: true, performer: { id: users.admin.id } });
  });
});
