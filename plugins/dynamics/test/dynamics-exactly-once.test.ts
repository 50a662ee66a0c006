import type { CrmConnection } from '@crm-connect/core';
import { chatStarted, useHarness } from '@crm-connect/testkit';
import { describe, expect, it } from 'vitest';
import { dynamics } from '../src/index.js';
import {
  dynamicsFixture,
  existingContact,
  systemUser,
  tokenEndpoint,
  users,
  webApi,
} from './dynamics-fixture.js';

/**
 * Issue 13: a create never changes an existing case and reports its real owner; a note found
 * whole is reported as not written, with no extra call on the happy path.
 */

const harness = useHarness(dynamicsFixture);
const { mocks } = dynamicsFixture;
const incidents = `${webApi}/incidents`;
const annotations = `${webApi}/annotations`;
/** incidentid for interaction "chat-2026-0001" (see dynamics-records.test.ts). */
const chatIncidentId = '92684375-46c5-5b2a-81fc-4c7dcafe0d11';
const duplicate = {
  error: { code: '0x80040237', message: 'A record with matching key values already exists.' },
};
const connectionReset = () => Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
const incidentRead = (ownerId: string) => ({
  '@odata.etag': 'W/"4711200"',
  incidentid: chatIncidentId,
  _customerid_value: '4a5b6c7d-8e9f-4a0b-9c1d-2e3f4a5b6c7d',
  _ownerid_value: ownerId,
});

function connection(): CrmConnection {
  const settings = dynamics().settings.schema.parse({
    ...dynamicsFixture.settings,
    impersonateAgents: false,
  });
  return dynamics().connect(settings, harness().context());
}

const note = (mayExist: boolean) => ({
  interactionId: 'chat-2026-0001',
  ticket: { id: chatIncidentId },
  body: 'Disposition: resolved\n\nTranscript:\nCustomer: Hello',
  performer: users.admin,
  idempotencyKey: 'crm-connect:chat-2026-0001:add-note:1a2b',
  mayExist,
});

describe('dynamics: an existing case is never changed by a create', () => {
  it('a redelivered create (no link) is refused as a duplicate: created false, owner the case owner read from Dynamics', async () => {
    const h = harness();
    h.use(mocks.connectionUser);
    existingContact(h.crm());
    h.crm().post(incidents).query(true).reply(412, duplicate);
    h.crm()
      .get(`${incidents}(${chatIncidentId})`)
      .query({ $select: 'incidentid,_customerid_value,_ownerid_value' })
      .reply(200, incidentRead(users.agent.id));
    h.crm().get(`${webApi}/systemusers(${users.agent.id})`).query(true).reply(200, systemUser(users.agent));

    const audit = await h
      .connector({ defaultUser: true })
      .handle(chatStarted({ interactionId: 'chat-2026-0001' }));

    expect(audit).toMatchObject({
      outcome: 'existing',
      recordId: chatIncidentId,
      owner: { id: users.agent.id, name: 'Alex Agent' },
    });
    // One create attempt, refused: nothing else was written, no PATCH.
    expect(h.writes().map((request) => `${request.method} ${request.path.split('?')[0]}`)).toEqual([
      `POST ${incidents}`,
    ]);
  });

  it('an existing case owned by the application user needs no user lookup', async () => {
    const h = harness();
    h.use(mocks.connectionUser);
    existingContact(h.crm());
    h.crm().post(incidents).query(true).reply(412, duplicate);
    h.crm().get(`${incidents}(${chatIncidentId})`).query(true).reply(200, incidentRead(users.admin.id));

    const audit = await h
      .connector({ defaultUser: true })
      .handle(chatStarted({ interactionId: 'chat-2026-0001' }));

    expect(audit).toMatchObject({ outcome: 'existing', owner: { id: users.admin.id } });
  });

  it('an owner Dynamics cannot show as a user (a team) is not guessed: the audit names no owner', async () => {
    const h = harness();
    h.use(mocks.connectionUser);
    existingContact(h.crm());
    h.crm().post(incidents).query(true).reply(412, duplicate);
    const teamId = '7e8f9a0b-1c2d-4e3f-8a4b-5c6d7e8f9a0b';
    h.crm().get(`${incidents}(${chatIncidentId})`).query(true).reply(200, incidentRead(teamId));
    h.crm()
      .get(`${webApi}/systemusers(${teamId})`)
      .query(true)
      .reply(404, {
        error: { code: '0x80040217', message: `systemuser With Id = ${teamId} Does Not Exist` },
      });

    const audit = await h
      .connector({ defaultUser: true })
      .handle(chatStarted({ interactionId: 'chat-2026-0001' }));

    expect(audit).toMatchObject({ outcome: 'existing', recordId: chatIncidentId });
    expect(audit.owner).toBeUndefined();
  });
});

describe('dynamics: notes written, or found', () => {
  it('the happy path: one POST, written', async () => {
    const h = harness();
    tokenEndpoint({ optional: true });
    h.crm().post(annotations).reply(204, '');
    const result = await connection().addNote(note(false));
    expect(result).toEqual({ attempts: 1, written: true });
    expect(h.requests).toHaveLength(1);
  });

  it('a note found whole (refused as a duplicate on its first attempt): not written', async () => {
    const h = harness();
    tokenEndpoint({ optional: true });
    h.crm().post(annotations).reply(412, duplicate);
    h.crm()
      .get(/\/api\/data\/v9\.2\/annotations\([0-9a-f-]{36}\)/)
      .query({ $select: 'annotationid' })
      .reply(200, { annotationid: 'x' });
    const result = await connection().addNote(note(true));
    expect(result.written).toBe(false);
    expect(h.writes()).toHaveLength(1);
  });

  it("a note this call's own first attempt wrote (its answer lost, the retry refused as a duplicate): written", async () => {
    const h = harness();
    tokenEndpoint({ optional: true });
    h.crm().post(annotations).replyWithError(connectionReset());
    h.crm().post(annotations).reply(412, duplicate);
    h.crm()
      .get(/\/api\/data\/v9\.2\/annotations\([0-9a-f-]{36}\)/)
      .query({ $select: 'annotationid' })
      .reply(200, { annotationid: 'x' });
    const result = await connection().addNote(note(false));
    expect(result).toEqual({ attempts: 3, written: true });
  });
});
