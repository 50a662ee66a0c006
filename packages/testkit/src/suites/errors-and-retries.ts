import { isCrmConnectError, type PluginSettingsSchema } from '@crm-connect/core';
import { describe, expect, it } from 'vitest';
import { chatStarted } from '../events.js';
import type { ConformanceFixture } from '../fixture.js';
import type { Harness } from '../harness.js';
import { expectWritten, keysOf } from '../written.js';

/** Typed errors and safe retries. */
export function errorsAndRetriesSuite<TSchema extends PluginSettingsSchema>(
  fixture: ConformanceFixture<TSchema>,
  harness: () => Harness<TSchema>,
): void {
  const { plugin, mocks } = fixture;
  const ticketId = fixture.ticketId ?? 'ticket-1';

  describe(`${plugin.id}: errors and retries`, () => {
    it('a rate-limited create is retried after Retry-After, with the same key, and yields exactly one record', async () => {
      const h = harness();
      h.use(mocks.connectionUser);
      h.use(mocks.createTicketRateLimitedOnce(ticketId));
      const event = chatStarted();
      const audit = await h.connector({ defaultUser: true }).handle(event);
      expect(audit).toMatchObject({ outcome: 'created', recordId: ticketId });
      expect(audit.attempts).toBeGreaterThanOrEqual(2);
      const matched = expectWritten(
        fixture,
        'createTicket',
        h.writes(),
        { event, ticketId, owner: fixture.users.admin, performer: fixture.users.admin },
        { retries: true },
      );
      for (const [label, keys] of keysOf(matched))
        expect(new Set(keys), `${label}: the idempotency key of every attempt`).toEqual(new Set([keys[0]]));
    });

    it('a malformed event is a typed error and sends nothing', async () => {
      const h = harness();
      const error = await h
        .connector()
        .handle({ type: 'chat.started', interactionId: '', channel: 'fax' })
        .catch((caught: unknown) => caught);
      expect(isCrmConnectError(error) && error.code).toBe('input_invalid');
      expect(h.requests).toEqual([]);
    });

    it('invalid settings are a typed error naming the field', () => {
      const h = harness();
      const error = (() => {
        try {
          h.connector({ defaultUser: 'yes' } as never);
        } catch (caught) {
          return caught;
        }
      })();
      expect(isCrmConnectError(error) && error.code).toBe('configuration_invalid');
      expect(String((error as Error).message)).toContain('defaultUser');
    });
  });
}
