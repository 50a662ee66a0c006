import { type AddNoteInput, type CrmConnection, idempotencyKey } from '@crm-connect/core';
import { chatStarted, useHarness } from '@crm-connect/testkit';
import { describe, expect, it } from 'vitest';
import { commentParts } from '../src/zendesk-notes.js';
import {
  createdTicketReply,
  origin,
  rateLimitHeaders,
  updatedTicketReply,
  users,
  wireTicket,
  zendeskFixture,
} from './zendesk-fixture.js';

/**
 * Notes exactly once and the truthful owner of an existing ticket, against recorded-shape
 * answers. A comment is a ticket update (PUT) Zendesk never de-duplicates: each part carries its
 * key in the update's audit metadata (`metadata` on the ticket, kept as `audit.metadata.custom`),
 * and a note that may be there already is looked up in the ticket's audits before writing.
 * https://developer.zendesk.com/api-reference/ticketing/tickets/ticket_audits/#list-audits-for-a-ticket
 */

const harness = useHarness(zendeskFixture);

function connection(): CrmConnection {
  const { plugin } = zendeskFixture;
  return plugin.connect(plugin.settings.schema.parse(zendeskFixture.settings), harness().context());
}

const ticket = { id: '35436', url: `${origin}/agent/tickets/35436` };
const noteKey = idempotencyKey('chat-1', 'add-note', 'Transcript');

function note(overrides: Partial<AddNoteInput> = {}): AddNoteInput {
  return {
    interactionId: 'chat-1',
    ticket,
    body: 'Transcript',
    performer: users.admin,
    idempotencyKey: noteKey,
    mayExist: false,
    ...overrides,
  };
}

interface NoteBody {
  ticket: { comment: { body: string; public: boolean }; metadata?: Record<string, unknown> };
}

/** An audit as Zendesk lists it (TicketAuditsForTicketResponseExample, trimmed). */
function audit(id: number, custom: Record<string, unknown>, events: Record<string, unknown>[] = []) {
  return {
    id,
    ticket_id: 35436,
    author_id: Number(users.admin.id),
    created_at: '2026-11-21T10:20:00Z',
    metadata: { custom, system: { ip_address: '203.0.113.9', client: 'axios/1.13' } },
    via: { channel: 'api', source: { from: {}, to: {}, rel: null } },
    events,
  };
}

const comment = (body: string) => ({ id: 2127301148, type: 'Comment', body, public: false });

function auditsPage(audits: unknown[], after?: string) {
  return {
    audits,
    meta: { has_more: after !== undefined, after_cursor: after ?? null, before_cursor: null },
    links: {
      prev: null,
      next:
        after === undefined ? null : `${origin}/api/v2/tickets/35436/audits.json?page%5Bafter%5D=${after}`,
    },
  };
}

describe('zendesk notes: the audit metadata key and the lookup', () => {
  it('mayExist false: one PUT carrying the key in the audit metadata, no lookup', async () => {
    harness()
      .crm()
      .put('/api/v2/tickets/35436')
      .reply(...updatedTicketReply(35436));
    const result = await connection().addNote(note());
    expect(result).toEqual({ attempts: 1, written: true });
    const requests = harness().requests;
    expect(requests).toHaveLength(1);
    expect(requests[0]?.body as NoteBody).toEqual({
      ticket: {
        comment: { body: 'Transcript', public: false },
        metadata: { crm_connect_note: noteKey },
      },
    });
  });

  it('mayExist true, the note found on the second page of audits: nothing written', async () => {
    harness()
      .crm()
      .get('/api/v2/tickets/35436/audits')
      .query({ 'page[size]': '100' })
      .reply(200, auditsPage([audit(1, {}, [comment('Interaction chat-1')])], 'cursor-2'), rateLimitHeaders);
    harness()
      .crm()
      .get('/api/v2/tickets/35436/audits')
      .query({ 'page[size]': '100', 'page[after]': 'cursor-2' })
      .reply(200, auditsPage([audit(2, { crm_connect_note: noteKey }, [comment('Transcript')])]));
    const result = await connection().addNote(note({ mayExist: true }));
    expect(result).toEqual({ attempts: 2, written: false });
    expect(harness().writes()).toHaveLength(0);
  });

  it('mayExist true, not found: looked up once, then written once', async () => {
    harness()
      .crm()
      .get('/api/v2/tickets/35436/audits')
      .query({ 'page[size]': '100' })
      .reply(200, auditsPage([audit(1, {}, [comment('Interaction chat-1')])]));
    harness()
      .crm()
      .put('/api/v2/tickets/35436')
      .reply(...updatedTicketReply(35436));
    const result = await connection().addNote(note({ mayExist: true }));
    expect(result).toEqual({ attempts: 2, written: true });
    expect(harness().writes()).toHaveLength(1);
  });

  it('a note written before keys were carried is recognised by its text', async () => {
    harness()
      .crm()
      .get('/api/v2/tickets/35436/audits')
      .query(true)
      .reply(200, auditsPage([audit(1, {}, [comment('Transcript')])]));
    expect(await connection().addNote(note({ mayExist: true }))).toEqual({ attempts: 1, written: false });
    expect(harness().writes()).toHaveLength(0);
  });

  it('a note in three parts whose first part landed: only parts 2 and 3 are written, each with its key', async () => {
    const body = Array.from({ length: 1_600 }, (_, n) => `Customer: message ${n} ${'x'.repeat(70)}\n`).join(
      '',
    );
    const parts = commentParts(body, noteKey);
    expect(parts).toHaveLength(3);
    harness()
      .crm()
      .get('/api/v2/tickets/35436/audits')
      .query(true)
      .reply(200, auditsPage([audit(7, { crm_connect_note: parts[0]?.key }, [comment('(part 1 of 3)')])]));
    harness()
      .crm()
      .put('/api/v2/tickets/35436')
      .times(2)
      .reply(...updatedTicketReply(35436));
    const result = await connection().addNote(note({ body, mayExist: true }));
    expect(result).toEqual({ attempts: 3, written: true });
    const written = harness()
      .writes()
      .map((request) => (request.body as NoteBody).ticket);
    expect(written.map((update) => update.metadata)).toEqual([
      { crm_connect_note: parts[1]?.key },
      { crm_connect_note: parts[2]?.key },
    ]);
    expect(written.map((update) => update.comment.body.slice(0, 13))).toEqual([
      '(part 2 of 3)',
      '(part 3 of 3)',
    ]);
  });

  it('an answer to the note that does not parse: a retryable error (the comment may be there; the redelivery looks)', async () => {
    harness().crm().put('/api/v2/tickets/35436').reply(200, '<html>Maintenance</html>');
    const error = await connection()
      .addNote(note())
      .catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: 'invalid_response', retryable: true });
    expect(harness().writes()).toHaveLength(1);
  });

  it('an audits answer that does not parse is a typed error, and nothing is written', async () => {
    harness().crm().get('/api/v2/tickets/35436/audits').query(true).reply(200, { audits: 'none' });
    await expect(connection().addNote(note({ mayExist: true }))).rejects.toMatchObject({
      code: 'invalid_response',
    });
    expect(harness().writes()).toHaveLength(0);
  });
});

describe('zendesk createTicket: an existing ticket keeps its owner, and says who it is', () => {
  const event = chatStarted();
  const input = () => ({
    event,
    owner: users.admin,
    performer: users.admin,
    ownerReason: 'default-user' as const,
    idempotencyKey: idempotencyKey(event.interactionId, 'create-ticket'),
    subject: 'Chat with Jane Doe',
    description: 'Hello',
  });

  it('an Idempotency-Key replay (hit): the ticket as it is now is read, its assignee reported as owner', async () => {
    harness()
      .crm()
      .post('/api/v2/tickets')
      .reply(...createdTicketReply(35436, 'hit'));
    harness()
      .crm()
      .get('/api/v2/tickets/35436')
      .reply(200, { ticket: wireTicket(35436, { assignee_id: Number(users.agent.id) }) });
    const result = await connection().createTicket(input());
    expect(result).toMatchObject({
      ticket: { id: '35436' },
      created: false,
      attempts: 2,
      owner: { id: users.agent.id, active: true },
    });
    expect(harness().writes()).toHaveLength(1);
  });

  it('a created ticket needs no read: one call, no owner reported beyond the one asked for', async () => {
    harness()
      .crm()
      .post('/api/v2/tickets')
      .reply(...createdTicketReply(35436));
    const result = await connection().createTicket(input());
    expect(result).toEqual({
      ticket: expect.objectContaining({ id: '35436' }),
      created: true,
      attempts: 1,
    });
    expect(harness().requests).toHaveLength(1);
  });

  it('the key used with another body: the ticket found by external_id, its assignee as owner', async () => {
    harness().crm().post('/api/v2/tickets').reply(400, {
      error: 'IdempotentRequestError',
      description: 'The Idempotency-Key was used before with a different request.',
    });
    harness()
      .crm()
      .get('/api/v2/tickets')
      .query({ external_id: event.interactionId })
      .reply(200, {
        tickets: [
          wireTicket(35450, { external_id: event.interactionId, assignee_id: Number(users.agent.id) }),
        ],
        next_page: null,
        previous_page: null,
        count: 1,
      });
    const result = await connection().createTicket(input());
    expect(result).toMatchObject({ created: false, owner: { id: users.agent.id, active: true } });
  });

  it('an unassigned existing ticket: no owner reported rather than a wrong one', async () => {
    harness()
      .crm()
      .post('/api/v2/tickets')
      .reply(...createdTicketReply(35436, 'hit'));
    harness()
      .crm()
      .get('/api/v2/tickets/35436')
      .reply(200, { ticket: wireTicket(35436, { assignee_id: null }) });
    const result = await connection().createTicket(input());
    expect(result.created).toBe(false);
    expect(result.owner).toBeUndefined();
  });

  it('a create answer that does not parse: the ticket is looked up by external_id and reported as found', async () => {
    harness().crm().post('/api/v2/tickets').reply(201, '<html>Created</html>');
    harness()
      .crm()
      .get('/api/v2/tickets')
      .query({ external_id: event.interactionId })
      .reply(200, {
        tickets: [wireTicket(35460, { external_id: event.interactionId })],
        next_page: null,
        previous_page: null,
        count: 1,
      });
    const result = await connection().createTicket(input());
    expect(result).toMatchObject({
      ticket: { id: '35460' },
      created: false,
      owner: { id: users.admin.id },
    });
  });

  it('a create answer that does not parse and no ticket found: a retryable error (the key makes the retry safe)', async () => {
    harness().crm().post('/api/v2/tickets').reply(201, '<html>Created</html>');
    harness()
      .crm()
      .get('/api/v2/tickets')
      .query({ external_id: event.interactionId })
      .reply(200, { tickets: [], next_page: null, previous_page: null, count: 0 });
    await expect(connection().createTicket(input())).rejects.toMatchObject({
      code: 'invalid_response',
      retryable: true,
    });
  });

  it('a replay of a ticket whose description took several comments: the remaining parts are looked up, only missing ones written', async () => {
    const description = 'Hello, I am calling about my invoice. '.repeat(3_200);
    const key = idempotencyKey(event.interactionId, 'create-ticket');
    const parts = commentParts(description, key);
    expect(parts).toHaveLength(3);
    harness()
      .crm()
      .post('/api/v2/tickets')
      .reply(...createdTicketReply(35436, 'hit'));
    harness()
      .crm()
      .get('/api/v2/tickets/35436')
      .reply(200, { ticket: wireTicket(35436) });
    harness()
      .crm()
      .get('/api/v2/tickets/35436/audits')
      .query(true)
      .reply(200, auditsPage([audit(3, { crm_connect_note: parts[1]?.key })]));
    harness()
      .crm()
      .put('/api/v2/tickets/35436')
      .reply(...updatedTicketReply(35436));
    const result = await connection().createTicket({ ...input(), description });
    expect(result).toMatchObject({ created: false, attempts: 4 });
    const [, update] = harness().writes();
    expect((update?.body as NoteBody | undefined)?.ticket.metadata).toEqual({
      crm_connect_note: parts[2]?.key,
    });
  });
});

describe('zendesk reassignment: an answer that does not parse', () => {
  it('is a retryable typed error (repeating an assignment is harmless)', async () => {
    harness().crm().put('/api/v2/tickets/35436').reply(200, 'OK');
    const error = await connection()
      .changeOwner({ interactionId: 'chat-1', ticket, owner: users.agent, performer: users.admin })
      .catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: 'invalid_response', retryable: true });
  });
});
