import {
  type AuditEvent,
  type Connector,
  type InteractionEvent,
  isCrmConnectError,
  type PluginContext,
  type PluginSettingsSchema,
} from '@crm-connect/core';
import { describe, expect, it } from 'vitest';
import { chatStarted, interactionEnded } from '../events.js';
import type { CapturedRequest, ConformanceFixture, LoseAnswer } from '../fixture.js';
import type { Harness } from '../harness.js';
import { expectWritten, keysOf, type MatchedRequest } from '../written.js';

/**
 * A short timeout, so a held-back answer times out quickly; the connector and the plugin wait as
 * long again before looking a write up, so a write still landing is found.
 */
const http: PluginContext['http'] = { retry: { initialDelayMs: 1, maxDelayMs: 5 }, timeoutMs: 400 };

/** The ways an answer is lost after the CRM made the write. */
const lostAnswers: ReadonlyArray<{ label: string; lose: LoseAnswer }> = [
  { label: 'a 503', lose: (interceptor) => interceptor.reply(503, 'Service Unavailable') },
  {
    label: 'no answer before the timeout',
    lose: (interceptor) => interceptor.delay((http.timeoutMs ?? 0) * 3).reply(201, ''),
  },
  {
    // A proxy or gateway page with a success status: the write was made, its answer unreadable.
    label: 'an unreadable success page',
    lose: (interceptor) =>
      interceptor.reply(200, '<html><body>Request accepted</body></html>', { 'Content-Type': 'text/html' }),
  },
];

/** Deliveries of one event, as a platform redelivers an event whose error is retryable. */
const maxDeliveries = 3;

const advice =
  "Send the CRM's own idempotency key (declared in the fixture's idempotencyKeyOf), or look the record up before writing again (core's createOnce); never mark a POST idempotent to get retries.";

/**
 * Writes the CRM made whose answer never came back: whatever the plugin does next (a repeat with
 * the CRM's own idempotency key, a lookup, a retryable error and a redelivery), the CRM ends up
 * with exactly one record and one note. The fixture's mocked CRM answers; the suite counts the
 * writes it received, two with the same key (`idempotencyKeyOf`) as one.
 */
export function lostAnswersSuite<TSchema extends PluginSettingsSchema>(
  fixture: ConformanceFixture<TSchema>,
  harness: () => Harness<TSchema>,
): void {
  const { plugin, mocks } = fixture;
  const ticketId = fixture.ticketId ?? 'ticket-1';
  const { createTicketAnswerLost, addNoteAnswerLost } = mocks;

  /** How many writes the CRM applied: one per key it de-duplicates on, one per write without a key. */
  function applied(writes: readonly CapturedRequest[]): number {
    const keys = new Set<string>();
    let count = 0;
    for (const write of writes) {
      const key = fixture.idempotencyKeyOf?.(write);
      if (key === undefined) count += 1;
      else if (!keys.has(key)) {
        keys.add(key);
        count += 1;
      }
    }
    return count;
  }

  /** Each endpoint (method and path) the writes went to, applied at most once. */
  function expectNothingAppliedTwice(writes: readonly CapturedRequest[]): void {
    const byEndpoint = new Map<string, CapturedRequest[]>();
    for (const write of writes) {
      const endpoint = `${write.method} ${write.path.split('?')[0]}`;
      byEndpoint.set(endpoint, [...(byEndpoint.get(endpoint) ?? []), write]);
    }
    for (const [endpoint, sent] of byEndpoint)
      expect(applied(sent), `writes ${endpoint} made by the CRM. ${advice}`).toBeLessThanOrEqual(1);
  }

  /** A test, or an expected failure the fixture names with its reason. */
  const test = (name: string, run: () => Promise<void>) => {
    const known = fixture.knownFailures?.[name];
    if (known === undefined) it(name, run);
    else it.fails(`${name} (known failure: ${known})`, run);
  };

  describe(`${plugin.id}: lost answers`, () => {
    for (const { label, lose } of lostAnswers) {
      const creates = `a create the CRM made whose answer was lost (${label}) leaves exactly one record`;
      if (createTicketAnswerLost === undefined)
        it.todo(`${creates} (the fixture has no createTicketAnswerLost)`);
      else
        test(creates, async () => {
          const h = harness();
          h.use(mocks.connectionUser);
          h.use(createTicketAnswerLost(ticketId, lose));
          const event = chatStarted();
          const audit = await deliver(h.connector({ defaultUser: true }, undefined, http), event);
          const ticketWrites = h.writes().filter((request) => fixture.ownerOf(request) !== undefined);
          expect(applied(ticketWrites), `records made by the CRM. ${advice}`).toBe(1);
          expectNothingAppliedTwice(h.writes());
          // The record the CRM made: `ticketId`, or the id a client-chosen-id create gave it.
          const made = [ticketId, ...h.writes().map((write) => fixture.createdIdOf?.(write))];
          expect(audit.operation).toBe('create-ticket');
          expect(made).toContain(audit.recordId);
          expect(audit.attempts, 'the attempts of the delivery that succeeded').toBeGreaterThanOrEqual(1);
          const { admin } = fixture.users;
          const matched = expectWritten(
            fixture,
            'createTicket',
            h.writes(),
            { event, ticketId, owner: admin, performer: admin },
            { retries: true },
          );
          expectSameKeys(matched);
        });

      const notes = `a note the CRM made whose answer was lost (${label}) is there exactly once`;
      if (addNoteAnswerLost === undefined) it.todo(`${notes} (the fixture has no addNoteAnswerLost)`);
      else
        test(notes, async () => {
          const h = harness();
          h.use(mocks.connectionUser);
          h.use(mocks.createTicket(ticketId));
          h.use(addNoteAnswerLost(ticketId, lose));
          const connector = h.connector({ defaultUser: true }, undefined, http);
          const opened = chatStarted();
          await connector.handle(opened);
          const writesBefore = h.writes().length;
          const ended = interactionEnded(opened.interactionId);
          const audit = await deliver(connector, ended);
          const noteWrites = h.writes().slice(writesBefore);
          expectNothingAppliedTwice(noteWrites);
          expect(audit).toMatchObject({ operation: 'add-note', recordId: ticketId });
          expect(audit.attempts, 'the attempts of the delivery that succeeded').toBeGreaterThanOrEqual(1);
          const matched = expectWritten(
            fixture,
            'addNote',
            noteWrites,
            { event: ended, ticketId, performer: fixture.users.admin },
            { retries: true },
          );
          expectSameKeys(matched);
        });
    }
  });
}

/** Every attempt and delivery of one declared write carried the same idempotency key. */
function expectSameKeys(matched: readonly MatchedRequest[]): void {
  for (const [label, keys] of keysOf(matched))
    expect(new Set(keys), `${label}: the idempotency key of every attempt and delivery`).toEqual(
      new Set([keys[0]]),
    );
}

/** Handles the event, delivering it again while the error is retryable (a platform would). */
export async function deliver(connector: Connector, event: InteractionEvent): Promise<AuditEvent> {
  for (let delivery = 1; ; delivery += 1) {
    try {
      return await connector.handle(event);
    } catch (error) {
      // Not retryable: the platform drops the event, although the CRM made the write.
      if (!isCrmConnectError(error) || !error.retryable || delivery >= maxDeliveries) throw error;
    }
  }
}
