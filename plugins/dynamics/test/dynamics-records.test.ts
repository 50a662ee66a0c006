import { type CrmConnection, type CrmUser, isCrmConnectError } from '@crm-connect/core';
import {
  agentAssigned,
  type CapturedRequest,
  chatStarted,
  interactionEnded,
  useHarness,
  voicemailReceived,
} from '@crm-connect/testkit';
import { describe, expect, it } from 'vitest';
import { dynamics } from '../src/index.js';
import {
  accessToken,
  contactId,
  createdIncident,
  dynamicsFixture,
  existingContact,
  organizationUrl,
  systemUser,
  tokenEndpoint,
  users,
  webApi,
} from './dynamics-fixture.js';

const harness = useHarness(dynamicsFixture);
const { mocks } = dynamicsFixture;
const incidents = `${webApi}/incidents`;
const annotations = `${webApi}/annotations`;
/** incidentid for interaction "chat-2026-0001": a v5 UUID that must never change between releases. */
const chatIncidentId = '92684375-46c5-5b2a-81fc-4c7dcafe0d11';
/** What a connection dropped after the request was sent looks like to the client. */
const connectionReset = () => Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
const uuidV5 = /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

const posts = (path: string) =>
  harness()
    .writes()
    .filter((request) => request.method === 'POST' && request.path.startsWith(path));
const bodyOf = (request: CapturedRequest | undefined) => (request?.body ?? {}) as Record<string, unknown>;
/** Answers a case create with the representation Dataverse returns for our $select. */
const echoIncident = (_uri: string, body: unknown) =>
  createdIncident(String((body as Record<string, unknown>).incidentid));

function connection(overrides: Record<string, unknown> = {}): CrmConnection {
  const settings = dynamics().settings.schema.parse({ ...dynamicsFixture.settings, ...overrides });
  return dynamics().connect(settings, harness().context());
}

describe('dynamics: creating a case', () => {
  it('binds the known contact and the owner in one POST, with the OData headers', async () => {
    const h = harness();
    tokenEndpoint({ optional: true });
    h.use(mocks.connectionUser);
    existingContact(h.crm());
    h.crm().post(incidents).query(true).reply(201, echoIncident);

    const audit = await h
      .connector({ defaultUser: true })
      .handle(chatStarted({ interactionId: 'chat-2026-0001' }));

    expect(audit).toMatchObject({ outcome: 'created', recordId: chatIncidentId, attempts: 1 });
    const [post] = posts(incidents);
    expect(post?.path).toBe(`${incidents}?$select=incidentid%2C_customerid_value`);
    expect(post?.headers).toMatchObject({
      authorization: `Bearer ${accessToken}`,
      accept: 'application/json',
      'odata-version': '4.0',
      'odata-maxversion': '4.0',
      'content-type': 'application/json; charset=utf-8',
      prefer: 'return=representation',
    });
    expect(post?.headers.callerobjectid).toBeUndefined();
    expect(post?.body).toEqual({
      incidentid: chatIncidentId,
      title: 'Chat with Jane Doe',
      description:
        'Interaction chat-2026-0001 (chat) at 2026-11-21T10:00:00Z.\n\nHello, my order #123 has not arrived.',
      caseorigincode: 3,
      'ownerid@odata.bind': `/systemusers(${users.admin.id})`,
      'customerid_contact@odata.bind': `/contacts(${contactId})`,
    });
    const lookup = h.requests.find((request) => request.path.startsWith(`${webApi}/contacts`));
    expect(decodeURIComponent(lookup?.path ?? '')).toContain(
      "$filter=statecode eq 0 and (emailaddress1 eq 'jane.doe@example.com' or mobilephone eq '+15555550100' or telephone1 eq '+15555550100')",
    );
  });

  it('creates a new customer inside the same request (deep insert), owned like the case', async () => {
    const h = harness();
    tokenEndpoint({ optional: true });
    h.use(mocks.connectionUser);
    h.crm().get(`${webApi}/contacts`).query(true).reply(200, { value: [] });
    h.crm()
      .post(incidents)
      .query(true)
      .reply(201, (_uri, body) => {
        const created = body as { incidentid: string; customerid_contact: { contactid: string } };
        return createdIncident(created.incidentid, created.customerid_contact.contactid);
      });

    const event = voicemailReceived({
      endUser: { name: 'Jane van der Berg', email: 'jane@example.org', phone: '+33612345678' },
    });
    const audit = await h.connector({ defaultUser: true }).handle(event);

    expect(h.writes()).toHaveLength(1);
    const body = bodyOf(posts(incidents)[0]);
    expect(body['customerid_contact@odata.bind']).toBeUndefined();
    expect(body.caseorigincode).toBe(1);
    expect(body.customerid_contact).toEqual({
      contactid: expect.stringMatching(uuidV5),
      firstname: 'Jane',
      lastname: 'van der Berg',
      emailaddress1: 'jane@example.org',
      mobilephone: '+33612345678',
      'ownerid@odata.bind': `/systemusers(${users.admin.id})`,
    });
    expect(body['ownerid@odata.bind']).toBe(`/systemusers(${users.admin.id})`);
    expect(audit.outcome).toBe('created');
  });

  it('finds a caller by phone alone, and takes the case id from OData-EntityId when there is no body', async () => {
    const h = harness();
    tokenEndpoint({ optional: true });
    h.use(mocks.connectionUser);
    h.crm()
      .get(`${webApi}/contacts`)
      .query(
        (query) =>
          query.$filter ===
          "statecode eq 0 and (mobilephone eq '+15555550123' or telephone1 eq '+15555550123')",
      )
      .reply(200, {
        value: [{ contactid: contactId, emailaddress1: null, mobilephone: null, telephone1: '+15555550123' }],
      });
    const createdId = 'a7b8c9d0-e1f2-4a3b-8c4d-5e6f7a8b9c0d';
    h.crm()
      .post(incidents)
      .query(true)
      .reply(204, '', { 'OData-EntityId': `${organizationUrl}${webApi}/incidents(${createdId})` });

    const event = chatStarted({ channel: 'sms', endUser: { phone: '+15555550123' } });
    const audit = await h.connector({ defaultUser: true }).handle(event);

    expect(audit.recordId).toBe(createdId);
    const body = bodyOf(posts(incidents)[0]);
    expect(body['customerid_contact@odata.bind']).toBe(`/contacts(${contactId})`);
    expect(body).not.toHaveProperty('caseorigincode');
  });

  it('keeps the description within 2,000 characters and puts the whole text in a note', async () => {
    const h = harness();
    tokenEndpoint({ optional: true });
    h.use(mocks.connectionUser);
    existingContact(h.crm());
    h.crm().post(incidents).query(true).reply(201, echoIncident);
    h.crm().post(annotations).reply(204, '');
    const transcription = Array.from({ length: 120 }, (_, line) => `Line ${line}: please call me back.`).join(
      '\n',
    );

    const audit = await h.connector({ defaultUser: true }).handle(voicemailReceived({ transcription }));

    const description = String(bodyOf(posts(incidents)[0]).description);
    expect(description.length).toBeLessThanOrEqual(2_000);
    expect(description).toContain('The full text is in the note "Description (full text)"');
    const note = bodyOf(posts(annotations)[0]);
    expect(note.subject).toBe('Description (full text)');
    expect(String(note.notetext)).toContain(transcription);
    expect(note['objectid_incident@odata.bind']).toBe(`/incidents(${audit.recordId})`);
    expect(note['ownerid@odata.bind']).toBe(`/systemusers(${users.admin.id})`);
    expect(audit.attempts).toBe(2);
  });
});

describe('dynamics: text limits', () => {
  it('a subject longer than the 200-character title is shortened and kept whole in the description', async () => {
    const h = harness();
    tokenEndpoint({ optional: true });
    h.use(mocks.connectionUser);
    existingContact(h.crm());
    h.crm().post(incidents).query(true).reply(201, echoIncident);
    const subject = `Order ${'1234567890'.repeat(23)} has not arrived`;

    await h.connector({ defaultUser: true }).handle(chatStarted({ subject }));

    const body = bodyOf(posts(incidents)[0]);
    expect(String(body.title)).toHaveLength(200);
    expect(String(body.title).endsWith('…')).toBe(true);
    expect(String(body.description).startsWith(`${subject}\n\n`)).toBe(true);
  });
});

describe('dynamics: owner and performer', () => {
  it('an identified agent owns the case and performs it through CallerObjectId', async () => {
    const h = harness();
    tokenEndpoint({ optional: true });
    h.use(mocks.connectionUser);
    h.use(mocks.userByEmail(users.agent.email, users.agent));
    existingContact(h.crm());
    h.crm().post(incidents).query(true).reply(201, echoIncident);

    const event = chatStarted({ agent: { id: 'p-1', emails: [users.agent.email] } });
    const audit = await h.connector().handle(event);

    expect(audit).toMatchObject({ reason: 'identified-agent', performerReason: 'owner' });
    const [post] = posts(incidents);
    expect(post?.headers.callerobjectid).toBe(users.agent.objectId);
    expect(post?.headers.mscrmcallerid).toBeUndefined();
    expect(bodyOf(post)['ownerid@odata.bind']).toBe(`/systemusers(${users.agent.id})`);
    const lookup = h.requests.find((request) => request.path.startsWith(`${webApi}/systemusers?`));
    expect(decodeURIComponent(lookup?.path ?? '')).toContain(
      "$filter=internalemailaddress eq 'alex.agent@contoso.com' and applicationid eq null",
    );
  });

  it('falls back to MSCRMCallerID for an agent without a Microsoft Entra object id', async () => {
    const h = harness();
    tokenEndpoint({ optional: true });
    h.use(mocks.connectionUser);
    h.crm()
      .get(`${webApi}/systemusers`)
      .query(true)
      .reply(200, { value: [{ ...systemUser(users.agent), azureactivedirectoryobjectid: null }] });
    existingContact(h.crm());
    h.crm().post(incidents).query(true).reply(201, echoIncident);

    await h.connector().handle(chatStarted({ agent: { id: 'p-1', emails: [users.agent.email] } }));

    const [post] = posts(incidents);
    expect(post?.headers.mscrmcallerid).toBe(users.agent.id);
    expect(post?.headers.callerobjectid).toBeUndefined();
  });

  it('impersonation off: the application user performs every write, the agent still owns the case', async () => {
    const h = harness();
    tokenEndpoint({ optional: true });
    h.use(mocks.connectionUser);
    h.use(mocks.userByEmail(users.agent.email, users.agent));
    existingContact(h.crm());
    h.crm().post(incidents).query(true).reply(201, echoIncident);

    const connector = h.connector({ impersonateAgents: false });
    expect(connector.capabilities).toEqual({
      performsAsAgent: false,
      alwaysUseAdmin: false,
    });
    const audit = await connector.handle(chatStarted({ agent: { id: 'p-1', emails: [users.agent.email] } }));

    expect(audit).toMatchObject({ performerReason: 'connection-user', performer: { id: users.admin.id } });
    const [post] = posts(incidents);
    expect(post?.headers.callerobjectid).toBeUndefined();
    expect(post?.headers.mscrmcallerid).toBeUndefined();
    expect(bodyOf(post)['ownerid@odata.bind']).toBe(`/systemusers(${users.agent.id})`);
  });

  it('default user off and no agent: the legacy random pool of enabled interactive users', async () => {
    const h = harness();
    tokenEndpoint({ optional: true });
    h.use(mocks.connectionUser);
    h.use(mocks.assignableUsers([users.agent, users.otherAgent]));
    existingContact(h.crm());
    h.crm().post(incidents).query(true).reply(201, echoIncident);

    const audit = await h.connector({ defaultUser: false }, () => 0.1).handle(chatStarted());

    expect(audit).toMatchObject({ reason: 'random-agent', owner: { id: users.agent.id } });
    const list = h.requests.find((request) => request.path.startsWith(`${webApi}/systemusers?`));
    expect(decodeURIComponent(list?.path ?? '')).toContain(
      '$filter=isdisabled eq false and accessmode eq 0 and applicationid eq null and internalemailaddress ne null',
    );
    expect(list?.headers.prefer).toBe('odata.maxpagesize=500');
  });

  it('never sends a case without an owner', async () => {
    const h = harness();
    tokenEndpoint({ optional: true });
    const owner = { id: '', active: true } as CrmUser;
    const error = await connection()
      .createTicket({
        event: chatStarted(),
        owner,
        performer: users.admin,
        idempotencyKey: 'crm-connect:x:create-ticket',
        ownerReason: 'default-user',
        subject: 'Chat with Jane Doe',
        description: 'Hello',
      })
      .catch((caught: unknown) => caught);
    expect(isCrmConnectError(error) && error.code).toBe('input_invalid');
    expect(String((error as Error).message)).toContain('never leaves a case unassigned');
    expect(h.requests).toEqual([]);
  });

  it('no default user and no active agent: nothing is sent', async () => {
    const h = harness();
    tokenEndpoint({ optional: true });
    h.use(mocks.connectionUser);
    h.use(mocks.assignableUsers([]));
    const error = await h
      .connector({ defaultUser: false })
      .handle(chatStarted())
      .catch((caught: unknown) => caught);
    expect(isCrmConnectError(error) && error.code).toBe('configuration_invalid');
    expect(h.writes()).toEqual([]);
  });

  it('an owner Dynamics refuses (disabled since cached) hands the case to the default user', async () => {
    const h = harness();
    tokenEndpoint({ optional: true });
    h.use(mocks.connectionUser);
    h.use(mocks.userByEmail(users.agent.email, users.agent));
    existingContact(h.crm());
    h.crm()
      .post(incidents)
      .query(true)
      .reply(403, {
        error: { code: '0x80040225', message: `The specified user(Id = ${users.agent.id}) is disabled.` },
      });
    existingContact(h.crm());
    h.crm().post(incidents).query(true).reply(201, echoIncident);

    const audit = await h
      .connector({ defaultUser: true })
      .handle(chatStarted({ agent: { id: 'p-1', emails: [users.agent.email] } }));

    expect(audit).toMatchObject({
      outcome: 'created',
      reason: 'default-user',
      owner: { id: users.admin.id },
    });
    const [refused, accepted] = posts(incidents);
    expect(refused?.headers.callerobjectid).toBe(users.agent.objectId);
    expect(bodyOf(accepted)['ownerid@odata.bind']).toBe(`/systemusers(${users.admin.id})`);
    expect(accepted?.headers.callerobjectid).toBeUndefined();
    expect(h.audit.events().some((event) => event.reason === 'owner-fallback')).toBe(true);
  });
});

describe('dynamics: one case per interaction', () => {
  it('a 429 storm (service protection) then success creates exactly one case', async () => {
    const h = harness();
    tokenEndpoint({ optional: true });
    h.use(mocks.connectionUser);
    existingContact(h.crm());
    const throttled = {
      error: {
        code: '0x80072322',
        message: 'Number of requests exceeded the limit of 6000 over time window of 300 seconds.',
      },
    };
    h.crm().post(incidents).query(true).times(4).reply(429, throttled, { 'Retry-After': '0' });
    h.crm().post(incidents).query(true).reply(201, echoIncident);

    const audit = await h
      .connector({ defaultUser: true })
      .handle(chatStarted({ interactionId: 'chat-2026-0001' }));

    expect(audit).toMatchObject({ outcome: 'created', recordId: chatIncidentId, attempts: 5 });
    const sent = posts(incidents);
    expect(sent).toHaveLength(5);
    // Every attempt names the same case: had Dataverse kept one, the next would be refused, not duplicated.
    expect(new Set(sent.map((request) => bodyOf(request).incidentid))).toEqual(new Set([chatIncidentId]));
  });

  it('a storm longer than the retries is a retryable rate-limit error', async () => {
    const h = harness();
    tokenEndpoint({ optional: true });
    h.use(mocks.connectionUser);
    existingContact(h.crm());
    h.crm()
      .post(incidents)
      .query(true)
      .times(5)
      .reply(
        429,
        { error: { code: '0x80072326', message: 'Combined execution time exceeded.' } },
        { 'Retry-After': '0' },
      );

    const error = await h
      .connector({ defaultUser: true })
      .handle(chatStarted())
      .catch((caught: unknown) => caught);

    expect(isCrmConnectError(error) && error.code).toBe('rate_limited');
    expect(isCrmConnectError(error) && error.retryable).toBe(true);
    expect(isCrmConnectError(error) && error.attempts).toBe(5);
    expect(String((error as Error).message)).toContain('service protection limits');
  });

  it('a connection dropped after Dataverse committed the case is retried without a second case', async () => {
    const h = harness();
    tokenEndpoint({ optional: true });
    h.use(mocks.connectionUser);
    existingContact(h.crm());
    h.crm().post(incidents).query(true).replyWithError(connectionReset());
    h.crm()
      .post(incidents)
      .query(true)
      .reply(412, {
        error: { code: '0x80040237', message: 'A record with matching key values already exists.' },
      });
    h.crm()
      .get(`${incidents}(${chatIncidentId})`)
      .query({ $select: 'incidentid,_customerid_value,_ownerid_value' })
      .reply(200, createdIncident(chatIncidentId));

    const audit = await h
      .connector({ defaultUser: true })
      .handle(chatStarted({ interactionId: 'chat-2026-0001' }));

    expect(audit).toMatchObject({ outcome: 'existing', recordId: chatIncidentId });
    expect(posts(incidents).map((request) => bodyOf(request).incidentid)).toEqual([
      chatIncidentId,
      chatIncidentId,
    ]);
  });

  it('an event redelivered after a restart finds the case it created', async () => {
    const h = harness();
    tokenEndpoint({ optional: true });
    h.use(mocks.connectionUser);
    existingContact(h.crm());
    h.crm()
      .post(incidents)
      .query(true)
      .reply(412, {
        error: { code: '0x80040237', message: 'A record with matching key values already exists.' },
      });
    h.crm().get(`${incidents}(${chatIncidentId})`).query(true).reply(200, createdIncident(chatIncidentId));

    const audit = await h
      .connector({ defaultUser: true })
      .handle(chatStarted({ interactionId: 'chat-2026-0001' }));
    expect(audit).toMatchObject({ outcome: 'existing', recordId: chatIncidentId });
  });

  it('a refused create that left no case is reported, not hidden', async () => {
    const h = harness();
    tokenEndpoint({ optional: true });
    h.use(mocks.connectionUser);
    existingContact(h.crm());
    h.crm()
      .post(incidents)
      .query(true)
      .reply(400, {
        error: {
          code: '0x80044331',
          message: "A validation error occurred. The length of the 'title' attribute exceeded.",
        },
      });
    h.crm()
      .get(`${incidents}(${chatIncidentId})`)
      .query(true)
      .reply(404, { error: { code: '0x80040217', message: 'Does Not Exist' } });

    const error = await h
      .connector({ defaultUser: true })
      .handle(chatStarted({ interactionId: 'chat-2026-0001' }))
      .catch((caught: unknown) => caught);
    expect(isCrmConnectError(error) && error.code).toBe('crm_rejected_input');
    expect(String((error as Error).message)).toContain("The length of the 'title' attribute exceeded");
    expect(posts(incidents)).toHaveLength(1);
  });
});

describe('dynamics: later events', () => {
  it('an agent assigned after a restart finds the case by its id and reassigns it as that agent', async () => {
    const h = harness();
    tokenEndpoint({ optional: true });
    h.use(mocks.connectionUser);
    h.use(mocks.userByEmail(users.agent.email, users.agent));
    h.crm().get(`${incidents}(${chatIncidentId})`).query(true).reply(200, createdIncident(chatIncidentId));
    h.crm().patch(`${incidents}(${chatIncidentId})`).reply(204, '');

    const audit = await h.connector().handle(agentAssigned('chat-2026-0001', [users.agent.email]));

    expect(audit).toMatchObject({ operation: 'change-owner', outcome: 'updated', recordId: chatIncidentId });
    const [patch] = h.writes();
    expect(patch?.method).toBe('PATCH');
    expect(patch?.headers['if-match']).toBe('*');
    expect(patch?.headers.callerobjectid).toBe(users.agent.objectId);
    expect(patch?.body).toEqual({ 'ownerid@odata.bind': `/systemusers(${users.agent.id})` });
  });

  it('reassigning a case that was deleted is a not-found error', async () => {
    const h = harness();
    tokenEndpoint({ optional: true });
    h.crm()
      .patch(`${incidents}(${chatIncidentId})`)
      .reply(404, {
        error: { code: '0x80040217', message: `incident With Id = ${chatIncidentId} Does Not Exist` },
      });
    const error = await connection({ impersonateAgents: false })
      .changeOwner({
        interactionId: 'chat-2026-0001',
        ticket: { id: chatIncidentId },
        owner: users.agent,
        performer: users.admin,
      })
      .catch((caught: unknown) => caught);
    expect(isCrmConnectError(error) && error.code).toBe('not_found');

    h.crm()
      .get(/\/api\/data\/v9\.2\/incidents\([0-9a-f-]{36}\)/)
      .query(true)
      .reply(404, { error: { code: '0x80040217', message: 'incident Does Not Exist' } });
    expect(await connection().findTicket('never-seen')).toBeUndefined();
  });

  it('the end of the interaction adds its transcript as a note on the case', async () => {
    const h = harness();
    tokenEndpoint({ optional: true });
    h.crm().post(annotations).reply(204, '');
    const result = await connection({ impersonateAgents: false }).addNote({
      interactionId: 'chat-2026-0001',
      ticket: { id: chatIncidentId },
      body: 'Disposition: resolved\n\nTranscript:\nCustomer: Hello',
      performer: users.admin,
      idempotencyKey: 'crm-connect:chat-2026-0001:add-note:1a2b',
      mayExist: false,
    });
    expect(result.attempts).toBe(1);
    const [post] = posts(annotations);
    expect(post?.body).toEqual({
      annotationid: expect.stringMatching(uuidV5),
      subject: 'Interaction chat-2026-0001: notes and transcript',
      notetext: 'Disposition: resolved\n\nTranscript:\nCustomer: Hello',
      'objectid_incident@odata.bind': `/incidents(${chatIncidentId})`,
      'ownerid@odata.bind': `/systemusers(${users.admin.id})`,
    });
  });

  it('a transcript longer than one note is split into numbered notes, nothing cut', async () => {
    const h = harness();
    tokenEndpoint({ optional: true });
    h.use(mocks.connectionUser);
    existingContact(h.crm());
    h.crm().post(incidents).query(true).reply(201, echoIncident);
    h.crm().post(annotations).times(3).reply(204, '');
    const transcript = Array.from(
      { length: 3_500 },
      (_, line) => `Customer: message ${line} ${'x'.repeat(40)}`,
    ).join('\n');

    const connector = h.connector({ defaultUser: true });
    const opened = chatStarted();
    await connector.handle(opened);
    const audit = await connector.handle(interactionEnded(opened.interactionId, { transcript }));

    expect(audit).toMatchObject({ operation: 'add-note', outcome: 'updated', attempts: 3 });
    const notes = posts(annotations).map(bodyOf);
    expect(notes.map((note) => note.subject)).toEqual([
      `Interaction ${opened.interactionId}: notes and transcript (part 1 of 3)`,
      `Interaction ${opened.interactionId}: notes and transcript (part 2 of 3)`,
      `Interaction ${opened.interactionId}: notes and transcript (part 3 of 3)`,
    ]);
    for (const note of notes) expect(String(note.notetext).length).toBeLessThanOrEqual(100_000);
    expect(notes.map((note) => note.notetext).join('')).toBe(
      `Disposition: resolved\n\nTranscript:\n${transcript}`,
    );
    expect(new Set(notes.map((note) => note.annotationid)).size).toBe(3);
  });

  it('a note whose first attempt was committed before the connection dropped is not written twice', async () => {
    const h = harness();
    tokenEndpoint({ optional: true });
    h.crm().post(annotations).replyWithError(connectionReset());
    h.crm()
      .post(annotations)
      .reply(412, { error: { code: '0x80040237', message: 'Cannot insert duplicate key.' } });
    h.crm()
      .get(/\/api\/data\/v9\.2\/annotations\([0-9a-f-]{36}\)/)
      .query({ $select: 'annotationid' })
      .reply(200, { annotationid: 'x' });

    const result = await connection({ impersonateAgents: false }).addNote({
      interactionId: 'chat-2026-0001',
      ticket: { id: chatIncidentId },
      body: 'Notes:\nCalled back.',
      performer: users.admin,
      idempotencyKey: 'crm-connect:chat-2026-0001:add-note:9f8e',
      mayExist: false,
    });

    expect(result.attempts).toBe(3);
    const [first, second] = posts(annotations);
    expect(bodyOf(first).annotationid).toBe(bodyOf(second).annotationid);
    expect(h.requests.at(-1)?.path).toBe(
      `${annotations}(${String(bodyOf(first).annotationid)})?$select=annotationid`,
    );
  });
});

describe('dynamics: error answers', () => {
  it('a missing privilege says which role to grant', async () => {
    const h = harness();
    tokenEndpoint({ optional: true });
    h.crm()
      .patch(`${incidents}(${chatIncidentId})`)
      .reply(403, {
        error: {
          code: '0x80040220',
          message: `Principal user (Id=${users.admin.id}, type=8) is missing prvAssignIncident privilege`,
        },
      });
    const error = await connection({ impersonateAgents: false })
      .changeOwner({
        interactionId: 'i-1',
        ticket: { id: chatIncidentId },
        owner: users.agent,
        performer: users.admin,
      })
      .catch((caught: unknown) => caught);
    expect(isCrmConnectError(error) && error.code).toBe('permission_denied');
    expect(String((error as Error).message)).toContain('security role');
    expect(String((error as Error).message)).toContain('prvAssignIncident');
  });

  it('a Dataverse server error on a read is retried', async () => {
    const h = harness();
    tokenEndpoint({ optional: true });
    h.crm()
      .get(`${incidents}(${chatIncidentId})`)
      .query(true)
      .reply(503, { error: { code: '0x80040216', message: 'An unexpected error occurred.' } });
    h.crm().get(`${incidents}(${chatIncidentId})`).query(true).reply(200, createdIncident(chatIncidentId));
    const found = await connection().findTicket('chat-2026-0001');
    expect(found).toEqual({
      id: chatIncidentId,
      contactId,
      url: `${organizationUrl}/main.aspx?pagetype=entityrecord&etn=incident&id=${chatIncidentId}`,
    });
  });
});
