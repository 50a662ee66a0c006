import {
  type CrmUser,
  endNote,
  idempotencyKey,
  isCrmConnectError,
  type PluginSettingsSchema,
} from '@crm-connect/core';
import { describe, expect, it } from 'vitest';
import {
  agentAssigned,
  chatStarted,
  interactionEnded,
  nextInteractionId,
  voicemailReceived,
} from '../events.js';
import type { ConformanceFixture } from '../fixture.js';
import type { Harness } from '../harness.js';
import { expectWritten, keysOf, keysSent, sameEndpoint } from '../written.js';

/**
 * The connector's paths off the happy path, through the plugin: an owner the CRM refuses, no
 * assignable agent, an assignment that overtakes its opening event, a multi-step create that fails
 * half-way. Each checks what the CRM received, as the fixture declares it.
 */
export function connectorPathsSuite<TSchema extends PluginSettingsSchema>(
  fixture: ConformanceFixture<TSchema>,
  harness: () => Harness<TSchema>,
): void {
  const { plugin, users, mocks } = fixture;
  const ticketId = fixture.ticketId ?? 'ticket-1';
  const performsAsAgent = plugin.capabilities(plugin.settings.schema.parse(fixture.settings)).performsAsAgent;
  const agentPerformer = performsAsAgent ? users.agent : users.admin;
  const {
    createTicketOwnerRejected,
    findTicket,
    createTicketStepFails,
    createTicketExisting,
    addNoteToFoundTicket,
    createTicketLongDescription,
    createTicketContactRefused,
    createTicketRefused,
  } = mocks;
  const ownerDetails = fixture.existingOwnerDetails;

  describe(`${plugin.id}: connector paths`, () => {
    const refused =
      'an owner the CRM refuses: the default user owns and performs the record, the refusal audited';
    if (createTicketOwnerRejected === undefined)
      it.todo(`${refused} (the fixture has no createTicketOwnerRejected)`);
    else
      it(refused, async () => {
        const h = harness();
        h.use(mocks.connectionUser);
        h.use(mocks.userByEmail(users.agent.email, users.agent));
        h.use(createTicketOwnerRejected(ticketId, users.agent));
        const event = chatStarted({ agent: { id: 'platform-1', emails: [users.agent.email] } });
        const audit = await h.connector({ defaultUser: true }).handle(event);
        expect(audit).toMatchObject({
          operation: 'create-ticket',
          outcome: 'created',
          reason: 'default-user',
          recordId: ticketId,
          owner: { id: users.admin.id },
          performer: { id: users.admin.id },
        });
        expect(h.audit.events().map((entry) => [entry.reason, entry.outcome, entry.owner?.id])).toEqual([
          ['owner-fallback', 'failed', users.agent.id],
          ['default-user', 'created', users.admin.id],
        ]);
        const writes = h.writes();
        const refusedAt = writes.findIndex((request) => fixture.ownerOf(request) !== undefined);
        expect(refusedAt, 'a write carrying the refused owner').toBeGreaterThanOrEqual(0);
        expect(fixture.ownerOf(writes[refusedAt] as (typeof writes)[number])).toBe(users.agent.id);
        expect(fixture.performerOf(writes[refusedAt] as (typeof writes)[number])).toBe(agentPerformer.id);
        expectWritten(fixture, 'createTicket', writes.slice(refusedAt + 1), {
          event,
          ticketId,
          owner: users.admin,
          performer: users.admin,
        });
      });

    it('default user off and no active agent: a configuration error naming the fix, nothing written', async () => {
      const h = harness();
      h.use(mocks.connectionUser);
      h.use(mocks.assignableUsers([users.deactivatedAgent]));
      const error = await h
        .connector({ defaultUser: false })
        .handle(chatStarted())
        .catch((caught: unknown) => caught);
      expect(isCrmConnectError(error) && [error.code, error.retryable]).toEqual([
        'configuration_invalid',
        false,
      ]);
      expect(String((error as Error).message)).toContain('Enable the default user');
      expect(h.writes()).toEqual([]);
    });

    const overtakes =
      'an assignment that overtakes its opening event opens the record owned by the agent; the late opening writes nothing';
    if (findTicket === undefined) it.todo(`${overtakes} (the fixture has no findTicket)`);
    else
      it(overtakes, async () => {
        const h = harness();
        const opening = chatStarted();
        h.use(mocks.connectionUser);
        h.use(mocks.userByEmail(users.agent.email, users.agent));
        h.use(findTicket(opening.interactionId, undefined));
        h.use(mocks.createTicket(ticketId));
        const connector = h.connector({ defaultUser: true });
        const assigned = agentAssigned(opening.interactionId, [users.agent.email]);
        const audit = await connector.handle(assigned);
        expect(audit).toMatchObject({
          operation: 'create-ticket',
          outcome: 'created',
          reason: 'identified-agent',
          recordId: ticketId,
          owner: { id: users.agent.id },
        });
        expectWritten(fixture, 'createTicket', h.writes(), {
          // The connector opens the record as the chat it stands for.
          event: { ...assigned, type: 'chat.started' },
          ticketId,
          owner: users.agent,
          performer: agentPerformer,
        });
        const writes = h.writes().length;
        const late = await connector.handle(opening);
        expect(late).toMatchObject({ outcome: 'existing', recordId: ticketId, reason: 'already-linked' });
        expect(h.writes().length).toBe(writes);
      });

    for (const [who, owner] of [
      ['an agent', users.agent],
      ['the default user', users.admin],
    ] as const) {
      const existing = `an opening event redelivered to a worker without its link leaves the record as it is and reports its current owner (${who})`;
      if (createTicketExisting === undefined)
        it.todo(`${existing} (the fixture has no createTicketExisting)`);
      else
        it(existing, async () => {
          const h = harness();
          h.use(mocks.connectionUser);
          h.use(createTicketExisting(ticketId, owner));
          const event = chatStarted();
          const audit = await h.connector({ defaultUser: true }).handle(event);
          expect(audit).toMatchObject({
            operation: 'create-ticket',
            outcome: 'existing',
            recordId: ticketId,
            owner: { id: owner.id },
          });
          expect(audit.attempts).toBeGreaterThanOrEqual(1);
          expect(audit.attempts).toBeLessThanOrEqual(h.requests.length);
          // Whatever it sent (a replayed create, a refused duplicate), nothing reassigned the record.
          const reassignments = fixture.writes.changeOwner({
            event,
            ticketId,
            owner: users.admin,
            performer: users.admin,
          });
          const reassigned = h
            .writes()
            .filter((write) => reassignments.some((request) => sameEndpoint(request, write)));
          expect(reassigned, 'writes that reassign the existing record').toEqual([]);
        });
    }

    // A deactivated owner too, when the plugin reports whether the owner is active.
    const owners = [
      ['an agent', users.agent],
      ['the default user', users.admin],
      ...(ownerDetails?.includes('active') === true
        ? ([['an agent deactivated since', users.deactivatedAgent]] as const)
        : []),
    ] as const;
    for (const [who, owner] of owners) {
      const details = `the plugin reports the existing record's owner with its ${['id', ...(ownerDetails ?? [])].join(', ')} (${who})`;
      if (createTicketExisting === undefined || ownerDetails === undefined)
        it.todo(`${details} (the fixture has no createTicketExisting or existingOwnerDetails)`);
      // The id alone: the check above has it from the audit.
      else if (ownerDetails.length === 0) continue;
      else
        it(details, async () => {
          const h = harness();
          h.use(mocks.connectionUser);
          h.use(createTicketExisting(ticketId, owner));
          const connection = await plugin.connect(
            plugin.settings.schema.parse(fixture.settings),
            h.context(),
          );
          // Its user read first, as the connector does before a write.
          await connection.connectionUser();
          const { admin } = users;
          const event = chatStarted();
          const result = await connection.createTicket({
            event,
            owner: admin,
            performer: admin,
            ownerReason: 'default-user',
            idempotencyKey: idempotencyKey(event.interactionId, 'create-ticket'),
            subject: 'Chat with Jane Doe',
            description: 'Hello, my order has not arrived.',
          });
          const expected: Partial<CrmUser> = { id: owner.id };
          for (const detail of ownerDetails)
            Object.assign(expected, {
              [detail]: detail === 'email' ? owner.email?.toLowerCase() : owner[detail],
            });
          expect(result.created).toBe(false);
          expect(result.ticket.id).toBe(ticketId);
          expect(result.owner).toMatchObject(expected);
        });
    }

    const restarted =
      'after a restart, the end of an interaction finds its record by interaction id and adds the note once';
    if (findTicket === undefined || addNoteToFoundTicket === undefined)
      it.todo(`${restarted} (the fixture has no findTicket or addNoteToFoundTicket)`);
    else
      it(restarted, async () => {
        const h = harness();
        const interactionId = nextInteractionId('restarted');
        h.use(mocks.connectionUser);
        h.use(findTicket(interactionId, ticketId));
        h.use(addNoteToFoundTicket(ticketId));
        const ended = interactionEnded(interactionId);
        const audit = await h.connector({ defaultUser: true }).handle(ended);
        expect(audit).toMatchObject({ operation: 'add-note', outcome: 'updated', recordId: ticketId });
        expect(audit.attempts).toBeGreaterThanOrEqual(1);
        expect(audit.attempts).toBeLessThanOrEqual(h.requests.length);
        expectWritten(fixture, 'addNote', h.writes(), { event: ended, ticketId, performer: users.admin });
      });

    const long =
      'a description longer than the CRM holds in one field is written whole: every word, nothing cut';
    if (createTicketLongDescription === undefined)
      it.todo(`${long} (the fixture has no createTicketLongDescription)`);
    else if ('notApplicable' in createTicketLongDescription) {
      // Skipped on purpose: the fixture says this CRM cannot have the path, and why (in the name).
      it.skip(`${long} (not applicable: ${createTicketLongDescription.notApplicable})`);
    } else
      it(long, async () => {
        const h = harness();
        h.use(mocks.connectionUser);
        h.use(createTicketLongDescription(ticketId));
        // 10,000 numbered words: 70,000 characters, over every CRM's field and note limit.
        const words = Array.from({ length: 10_000 }, (_, index) => `w${String(index).padStart(5, '0')}`);
        const event = voicemailReceived({ transcription: words.join(' ') });
        const audit = await h.connector({ defaultUser: true }).handle(event);
        expect(audit).toMatchObject({ operation: 'create-ticket', outcome: 'created', recordId: ticketId });
        expect(audit.attempts).toBeGreaterThanOrEqual(2);
        expect(audit.attempts).toBeLessThanOrEqual(h.requests.length);
        const { admin } = users;
        expectWritten(
          fixture,
          'createTicket',
          h.writes(),
          { event, ticketId, owner: admin, performer: admin },
          { split: true },
        );
        const sent = h
          .writes()
          .map((write) => JSON.stringify(write.body))
          .join('\n');
        const lost = words.filter((word) => !sent.includes(word));
        expect(lost.length, `words of the description the CRM never received, from ${lost[0]}`).toBe(0);
      });

    const alreadyThere =
      'after a restart, an interaction end whose note is on the record already writes nothing more';
    if (findTicket === undefined || addNoteToFoundTicket === undefined)
      it.todo(`${alreadyThere} (the fixture has no findTicket or addNoteToFoundTicket)`);
    else
      it(alreadyThere, async () => {
        const h = harness();
        const interactionId = nextInteractionId('restarted');
        const ended = interactionEnded(interactionId);
        const body = endNote(ended);
        h.use(mocks.connectionUser);
        h.use(findTicket(interactionId, ticketId));
        h.use(addNoteToFoundTicket(ticketId, { body, key: idempotencyKey(interactionId, 'add-note', body) }));
        const audit = await h.connector({ defaultUser: true }).handle(ended);
        expect(audit).toMatchObject({
          operation: 'add-note',
          outcome: 'existing',
          reason: 'already-written',
          recordId: ticketId,
        });
        // A repeat the CRM refused as a duplicate may have been sent; nothing else.
        expectWritten(
          fixture,
          'addNote',
          h.writes(),
          { event: ended, ticketId, performer: users.admin },
          { partial: true },
        );
      });

    const stepFails =
      'a multi-step create failing half-way is a retryable error; its redelivery finishes it with the same keys, no second contact or record';
    if (createTicketStepFails === undefined)
      it.todo(`${stepFails} (the fixture has no createTicketStepFails)`);
    else if ('notApplicable' in createTicketStepFails) {
      // Skipped on purpose: the fixture says this CRM cannot have the path, and why (in the name).
      it.skip(`${stepFails} (not applicable: ${createTicketStepFails.notApplicable})`);
    } else
      it(stepFails, async () => {
        const h = harness();
        h.use(mocks.connectionUser);
        h.use(createTicketStepFails(ticketId));
        const connector = h.connector({ defaultUser: true });
        const event = chatStarted();
        const error = await connector.handle(event).catch((caught: unknown) => caught);
        expect(isCrmConnectError(error) && error.retryable, 'the first delivery fails, retryable').toBe(true);
        const firstDelivery = h.writes().length;
        const audit = await connector.handle(event);
        // Created now, or found made by the first delivery: either way this record, owned by the default user.
        expect(audit).toMatchObject({
          operation: 'create-ticket',
          recordId: ticketId,
          owner: { id: users.admin.id },
        });
        expect(['created', 'existing']).toContain(audit.outcome);
        const expected = { event, ticketId, owner: users.admin, performer: users.admin };
        const redelivered = keysOf(
          expectWritten(fixture, 'createTicket', h.writes().slice(firstDelivery), expected, {
            retries: true,
            partial: true,
          }),
        );
        const first = keysSent(fixture.writes.createTicket(expected), h.writes().slice(0, firstDelivery));
        for (const [label, keys] of first) {
          // A step the redelivery did not repeat (its record found) has no key to compare.
          const again = redelivered.get(label) ?? [];
          if (again.length === 0) continue;
          for (const key of keys)
            expect(again, `${label}: the first delivery's key is the redelivery's`).toContain(key);
        }
      });

    for (const [name, refusedCreate] of [
      [
        'a create whose contact the CRM refuses (not a duplicate) is a typed, non-retryable input error explaining that refusal, each write sent once',
        createTicketContactRefused,
      ],
      [
        'a create whose record the CRM refuses for its data (not its owner, not a duplicate) is a typed, non-retryable input error explaining that refusal, each write sent once',
        createTicketRefused,
      ],
    ] as const) {
      if (refusedCreate === undefined) it.todo(`${name} (the fixture has no mock for it)`);
      else if ('notApplicable' in refusedCreate) {
        // Skipped on purpose: the fixture says this CRM cannot have the path, and why (in the name).
        it.skip(`${name} (not applicable: ${refusedCreate.notApplicable})`);
      } else
        it(name, async () => {
          const h = harness();
          h.use(mocks.connectionUser);
          h.use(refusedCreate.mock);
          const error = await h
            .connector({ defaultUser: true })
            .handle(chatStarted())
            .catch((caught: unknown) => caught);
          expect(isCrmConnectError(error) && [error.code, error.retryable, error.pluginId]).toEqual([
            'crm_rejected_input',
            false,
            plugin.id,
          ]);
          expect(String((error as Error).message)).toContain(refusedCreate.refusal);
          const sent = h.writes().map((write) => JSON.stringify([write.method, write.path, write.body]));
          expect(sent.length, 'writes sent').toBeGreaterThan(0);
          expect(new Set(sent).size, 'writes sent more than once').toBe(sent.length);
        });
    }
  });
}
