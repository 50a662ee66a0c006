import {
  type CrmConnection,
  idempotencyKey,
  isCrmConnectError,
  type PluginSettingsSchema,
  ticketDescription,
  ticketSubject,
} from '@crm-connect/core';
import { describe, expect, it } from 'vitest';
import { chatStarted } from '../events.js';
import type { ConformanceFixture } from '../fixture.js';
import type { Harness } from '../harness.js';

/**
 * An id that is not this CRM's (a link store shared by mistake, a corrupted row) never reaches a
 * URL or a write: the plugin refuses it with a typed input error before anything is written.
 */
export function foreignIdsSuite<TSchema extends PluginSettingsSchema>(
  fixture: ConformanceFixture<TSchema>,
  harness: () => Harness<TSchema>,
): void {
  const { plugin, users, mocks } = fixture;
  const ticketId = fixture.ticketId ?? 'ticket-1';
  const foreign = fixture.foreignIds ?? {};

  /** The plugin's connection, its connection user read already (so the refusal is all that is left). */
  async function connection(h: Harness<TSchema>): Promise<CrmConnection> {
    h.use(mocks.connectionUser);
    const connected = await plugin.connect(plugin.settings.schema.parse(fixture.settings), h.context());
    await connected.connectionUser();
    return connected;
  }

  /**
   * The write failed as an input error saying what it refused (the id, or the interaction it was
   * for) and naming the field, and nothing was written.
   */
  async function expectRefused(
    h: Harness<TSchema>,
    write: Promise<unknown>,
    mentions: readonly string[],
  ): Promise<void> {
    const error = await write.then(
      () => undefined,
      (caught: unknown) => caught,
    );
    expect(isCrmConnectError(error) && [error.code, error.retryable, error.pluginId]).toEqual([
      'input_invalid',
      false,
      plugin.id,
    ]);
    const message = String((error as Error).message);
    expect(
      mentions.filter((mention) => message.includes(mention)),
      `what the message names: ${message}`,
    ).not.toEqual([]);
    const issues = (error as { issues?: ReadonlyArray<{ path: string; message: string }> }).issues ?? [];
    expect(issues.length, 'the fields the error names').toBeGreaterThan(0);
    for (const issue of issues) {
      expect(issue.path).not.toBe('');
      expect(issue.message).not.toBe('');
    }
    expect(h.writes(), 'writes sent with a foreign id').toEqual([]);
  }

  describe(`${plugin.id}: ids that are not this CRM's`, () => {
    const foreignTicket = 'a record id this CRM cannot have is refused before anything is written';
    const ticket = foreign.ticket;
    if (ticket === undefined) it.todo(`${foreignTicket} (the fixture has no foreignIds.ticket)`);
    else
      it(foreignTicket, async () => {
        const h = harness();
        const connected = await connection(h);
        await expectRefused(
          h,
          connected.changeOwner({
            interactionId: 'chat-foreign-1',
            ticket: { id: ticket },
            owner: users.agent,
            performer: users.admin,
          }),
          [ticket, 'chat-foreign-1'],
        );
      });

    const foreignUser = 'an owner id this CRM cannot have is refused before anything is written';
    const user = foreign.user;
    if (user === undefined) it.todo(`${foreignUser} (the fixture has no foreignIds.user)`);
    else
      it(foreignUser, async () => {
        const h = harness();
        const connected = await connection(h);
        const owner = { id: user, name: 'Someone Else', active: true };
        await expectRefused(
          h,
          connected.changeOwner({
            interactionId: 'chat-foreign-2',
            ticket: { id: ticketId },
            owner,
            performer: users.admin,
          }),
          [user, 'chat-foreign-2'],
        );
        const event = chatStarted();
        await expectRefused(
          h,
          connected.createTicket({
            event,
            owner,
            performer: users.admin,
            ownerReason: 'identified-agent',
            idempotencyKey: idempotencyKey(event.interactionId, 'create-ticket'),
            subject: ticketSubject(event),
            description: ticketDescription(event),
          }),
          [user, event.interactionId],
        );
      });
  });
}
