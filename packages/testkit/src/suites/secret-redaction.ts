import { inspect } from 'node:util';
import type { PluginSettingsSchema } from '@crm-connect/core';
import { describe, expect, it } from 'vitest';
import { chatStarted } from '../events.js';
import type { ConformanceFixture } from '../fixture.js';
import type { Harness } from '../harness.js';

/**
 * No secret ever reaches a log line, an audit event, an error or the process's output. What a
 * plugin prints to stdout, stderr or the console is checked after every test by the harness.
 */
export function secretRedactionSuite<TSchema extends PluginSettingsSchema>(
  fixture: ConformanceFixture<TSchema>,
  harness: () => Harness<TSchema>,
): void {
  const { plugin, mocks } = fixture;
  const ticketId = fixture.ticketId ?? 'ticket-1';
  const invalid = { ...fixture.settings, ...fixture.invalidCredentials };
  /** What an error shows wherever it ends up: its message, its JSON and `inspect` (cause included). */
  const errorViews = (error: unknown) => [
    String((error as Error).message),
    JSON.stringify(error),
    inspect(error, { depth: 10 }),
  ];

  describe(`${plugin.id}: secret redaction`, () => {
    it('no secret in logs, audit events or errors, on success and on failure', async () => {
      const h = harness();
      expect(h.leaks([JSON.stringify(invalid)]), 'the fixture settings hold a secret').toHaveLength(1);
      h.use(mocks.connectionUser);
      h.use(mocks.createTicket(ticketId));
      await h.connector({ defaultUser: true }).handle(chatStarted());

      h.use(mocks.invalidCredentials);
      const failure = await h
        .connector(fixture.invalidCredentials)
        .validateCredentials()
        .catch((caught: unknown) => caught);
      expect(failure).toBeInstanceOf(Error);

      const leaks = h.leaks([...h.logs, JSON.stringify(h.audit.events()), ...errorViews(failure)]);
      expect(leaks, `lines holding a secret (redacted here): ${leaks.join(' | ')}`).toEqual([]);
    });

    it('validateCredentials called with a plugin context, as a save flow does: nothing it logs holds a secret', async () => {
      const h = harness();
      h.use(mocks.validCredentials);
      await plugin.validateCredentials(plugin.settings.schema.parse(fixture.settings), h.context());
      h.use(mocks.invalidCredentials);
      const failure = await plugin
        .validateCredentials(plugin.settings.schema.parse(invalid), h.context())
        .catch((caught: unknown) => caught);
      expect(failure).toBeInstanceOf(Error);

      // The context's redactor starts empty: a secret logged before the plugin registered it shows.
      const leaks = h.leaks([...h.logs, JSON.stringify(h.audit.events()), ...errorViews(failure)]);
      expect(
        leaks,
        `register every secret with context.redactor before it can reach a log line; lines holding one (redacted here): ${leaks.join(' | ')}`,
      ).toEqual([]);
    });
  });
}
