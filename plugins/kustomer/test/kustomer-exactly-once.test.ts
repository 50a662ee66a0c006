import { isCrmConnectError } from '@crm-connect/core';
import { chatStarted, interactionEnded, useHarness } from '@crm-connect/testkit';
import { describe, expect, it } from 'vitest';
import { maxNoteLength } from '../src/kustomer-notes.js';
import {
  conversationBody,
  conversationLookup,
  customerBody,
  janeByEmail,
  kustomerFixture,
  noteBody,
  notFound,
  userResource,
  users,
} from './kustomer-fixture.js';

/**
 * Issue 13: every note written exactly once (looked up exactly when it may exist already), a
 * malformed answer to a write never loses what the platform sent, and an existing conversation
 * is reported with its real owner, never changed by a create.
 */

const harness = useHarness(kustomerFixture);
type Body = Record<string, unknown>;
const conversationId = '6c3d4e5f60718293a4b5c6d7';
const notesPath = `/v1/conversations/${conversationId}/notes`;
const request = (method: string, path: string) => `${method} ${path}`;
const trail = () => harness().requests.map((sent) => request(sent.method, sent.path.split('?')[0] ?? ''));
const notesPage = (notes: readonly Body[]) => ({
  data: notes.map((note, index) => noteBody(`n${index + 1}`, conversationId, note).data),
  links: { next: null },
});

/** Connector A opens the conversation and writes the end-of-interaction note; returns what it posted. */
async function writtenByA(transcript?: string) {
  const h = harness();
  const opened = chatStarted();
  h.use(kustomerFixture.mocks.connectionUser);
  h.use(kustomerFixture.mocks.createTicket(conversationId));
  const parts = transcript === undefined ? 1 : Math.ceil(transcript.length / maxNoteLength);
  h.crm()
    .post(notesPath)
    .times(parts)
    .reply(201, (_uri, body) => noteBody('n9', conversationId, body as Body));
  const a = h.connector({ defaultUser: true });
  await a.handle(opened);
  const ended = interactionEnded(
    opened.interactionId,
    transcript === undefined ? {} : { transcript, disposition: undefined },
  );
  const audit = await a.handle(ended);
  expect(audit).toMatchObject({ operation: 'add-note', outcome: 'updated' });
  const notes = h
    .writes()
    .filter((sent) => sent.path === notesPath)
    .map((sent) => sent.body as Body);
  return { opened, ended, description: notes[0] as Body, endNotes: notes.slice(1) };
}

describe('kustomer: each note exactly once', () => {
  it('the happy path (the note cannot exist yet) looks nothing up before writing', async () => {
    const h = harness();
    await writtenByA();
    expect(trail()).toEqual([
      request('GET', '/v1/users/current'),
      expect.stringMatching(/^GET \/v1\/conversations\/externalId=/),
      request('GET', janeByEmail),
      request('POST', '/v1/conversations'),
      request('POST', notesPath),
      request('POST', notesPath),
    ]);
    expect(h.writes()).toHaveLength(3);
  });

  it('redelivered to a fresh connector, a note found whole is not written again, and the audit says so', async () => {
    const h = harness();
    const { opened, ended, description, endNotes } = await writtenByA();
    const writes = h.writes().length;

    h.use(kustomerFixture.mocks.connectionUser);
    h.crm()
      .get(conversationLookup)
      .reply(200, conversationBody(conversationId, { externalId: opened.interactionId }));
    h.crm()
      .get(notesPath)
      .query({ page: 1, pageSize: 100 })
      .reply(200, notesPage([description, ...endNotes]));
    const audit = await h.connector({ defaultUser: true }).handle(ended);

    expect(audit).toMatchObject({ operation: 'add-note', outcome: 'existing', reason: 'already-written' });
    expect(h.writes()).toHaveLength(writes);
  });

  it('a long note that partly landed: one listing, and only the missing part is written', async () => {
    const h = harness();
    const line = 'Customer: my parcel is still not here, can you check again please?\n';
    const transcript = line.repeat(Math.ceil((maxNoteLength * 2.5) / line.length));
    const { opened, ended, description, endNotes } = await writtenByA(transcript);
    expect(endNotes).toHaveLength(3);
    const writes = h.writes().length;

    // Parts 1 and 2 landed (the answer of part 2 was lost); part 3 was never sent.
    h.use(kustomerFixture.mocks.connectionUser);
    h.crm()
      .get(conversationLookup)
      .reply(200, conversationBody(conversationId, { externalId: opened.interactionId }));
    h.crm()
      .get(notesPath)
      .query({ page: 1, pageSize: 100 })
      .reply(200, notesPage([description, ...endNotes.slice(0, 2)]));
    h.crm()
      .post(notesPath)
      .reply(201, (_uri, body) => noteBody('n10', conversationId, body as Body));
    const audit = await h.connector({ defaultUser: true }).handle(ended);

    expect(audit).toMatchObject({ operation: 'add-note', outcome: 'updated', attempts: 1 });
    const sent = h.writes().slice(writes);
    expect(sent.map((write) => write.body)).toEqual([endNotes[2]]);
    expect(
      h.requests.filter((seen) => seen.method === 'GET' && seen.path.startsWith(notesPath)),
    ).toHaveLength(1);
  });
});

describe('kustomer: an answer that does not parse', () => {
  it('a conversation create committed but answered 200 with an unexpected body is looked up: one conversation, its first note written once', async () => {
    const h = harness();
    const event = chatStarted();
    h.use(kustomerFixture.mocks.connectionUser);
    h.crm().get(conversationLookup).reply(404, notFound);
    h.crm().get(janeByEmail).reply(200, customerBody());
    h.crm().post('/v1/conversations').reply(200, { ok: true });
    h.crm()
      .get(conversationLookup)
      .reply(200, conversationBody(conversationId, { externalId: event.interactionId }));
    h.crm()
      .get(notesPath)
      .query(true)
      .reply(200, { data: [], links: { next: null } });
    h.crm()
      .post(notesPath)
      .reply(201, (_uri, body) => noteBody('n1', conversationId, body as Body));

    const audit = await h.connector({ defaultUser: true }).handle(event);

    expect(audit).toMatchObject({ outcome: 'created', recordId: conversationId });
    expect(h.writes().map((write) => write.path)).toEqual(['/v1/conversations', notesPath]);
    expect(((h.writes()[1]?.body ?? {}) as Body).body).toContain('Hello, my order #123 has not arrived.');
  });

  it('a note create answered with a body that is not JSON is looked up, not sent twice', async () => {
    const h = harness();
    const event = chatStarted();
    h.use(kustomerFixture.mocks.connectionUser);
    h.crm().get(conversationLookup).reply(404, notFound);
    h.crm().get(janeByEmail).reply(200, customerBody());
    h.crm()
      .post('/v1/conversations')
      .reply(201, (_uri, body) => conversationBody(conversationId, body as Body));
    let posted: Body | undefined;
    h.crm()
      .post(notesPath, (body: Body) => {
        posted = body;
        return true;
      })
      .reply(200, '<html><body>OK</body></html>', { 'Content-Type': 'text/html' });
    h.crm()
      .get(notesPath)
      .query(true)
      .reply(200, () => notesPage([posted ?? {}]));

    const audit = await h.connector({ defaultUser: true }).handle(event);

    expect(audit).toMatchObject({ outcome: 'created', recordId: conversationId });
    expect(h.writes().filter((write) => write.path === notesPath)).toHaveLength(1);
  });

  it('a read answered with an unexpected body is a typed error (invalid_response), not retryable, naming no value', async () => {
    const h = harness();
    h.use(kustomerFixture.mocks.connectionUser);
    h.crm()
      .get(conversationLookup)
      .reply(200, { data: { secretish: 'value-never-shown' } });
    const settings = kustomerFixture.plugin.settings.schema.parse(kustomerFixture.settings);
    const error = await kustomerFixture.plugin
      .connect(settings, h.context())
      .findTicket('chat-1')
      .catch((caught: unknown) => caught);
    expect(isCrmConnectError(error) && error.code).toBe('invalid_response');
    expect(isCrmConnectError(error) && error.retryable).toBe(false);
    expect(String((error as Error).message)).not.toContain('value-never-shown');
  });
});

describe('kustomer: an existing conversation is never changed by a create', () => {
  it('chat.started redelivered (no link) after the agent took it: created false, owner the assignee, nothing written', async () => {
    const h = harness();
    const event = chatStarted();
    h.use(kustomerFixture.mocks.connectionUser);
    h.crm()
      .get(conversationLookup)
      .reply(
        200,
        conversationBody(conversationId, {
          externalId: event.interactionId,
          assignedUsers: [users.agent.id],
        }),
      );
    h.crm()
      .get(`/v1/users/${users.agent.id}`)
      .reply(200, { data: userResource(users.agent) });
    h.crm()
      .get(notesPath)
      .query(true)
      .reply(
        200,
        notesPage([
          { body: 'Hello', externalId: `crm-connect:${event.interactionId}:create-ticket:description` },
        ]),
      );

    const audit = await h.connector({ defaultUser: true }).handle(event);

    expect(audit).toMatchObject({
      outcome: 'existing',
      recordId: conversationId,
      owner: { id: users.agent.id, name: 'Alex Agent' },
    });
    expect(h.writes()).toEqual([]);
  });

  it("an existing conversation assigned to the key's own user needs no user lookup", async () => {
    const h = harness();
    const event = chatStarted();
    h.use(kustomerFixture.mocks.connectionUser);
    h.crm()
      .get(conversationLookup)
      .reply(
        200,
        conversationBody(conversationId, {
          externalId: event.interactionId,
          assignedUsers: [users.admin.id],
        }),
      );
    h.crm()
      .get(notesPath)
      .query(true)
      .reply(
        200,
        notesPage([
          { body: 'x', externalId: `crm-connect:${event.interactionId}:create-ticket:description` },
        ]),
      );

    const audit = await h.connector({ defaultUser: true }).handle(event);

    expect(audit).toMatchObject({ outcome: 'existing', owner: { id: users.admin.id } });
    expect(h.requests.filter((seen) => seen.path.startsWith('/v1/users/5'))).toEqual([]);
  });
});
