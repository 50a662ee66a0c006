import { inspect } from 'node:util';
import type { PluginSettingsSchema } from '@crm-connect/core';
import { describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { chatStarted } from '../events.js';
import type { ConformanceFixture } from '../fixture.js';
import type { Harness } from '../harness.js';

/** No configured secret ever reaches a log line, an audit event or an error. */
export function secretRedactionSuite<TSchema extends PluginSettingsSchema>(
  fixture: ConformanceFixture<TSchema>,
  harness: () => Harness<TSchema>,
): void {
  const { plugin, mocks } = fixture;
  const ticketId = fixture.ticketId ?? 'ticket-1';
  const secretsOf = (settings: Partial<z.input<TSchema>>): string[] =>
    plugin.settings.secretFields.flatMap((field) => {
      const value: unknown = settings[field];
      return typeof value === 'string' ? [value] : [];
    });

  describe(`${plugin.id}: secret redaction`, () => {
    it('no secret in logs, audit events or errors, on success and on failure', async () => {
      const h = harness();
      const debugLogger = h.logger;
      h.use(mocks.connectionUser);
      h.use(mocks.createTicket(ticketId));
      await h.connector({ defaultUser: true }).handle(chatStarted());

      h.use(mocks.invalidCredentials);
      const invalid = { ...fixture.settings, ...fixture.invalidCredentials };
      const failure = await h
        .connector(fixture.invalidCredentials)
        .validateCredentials()
        .catch((caught: unknown) => caught);
      expect(failure).toBeInstanceOf(Error);

      const secrets = [...secretsOf(fixture.settings), ...secretsOf(invalid)];
      expect(secrets.length).toBeGreaterThan(0);
      const haystack = [
        ...h.logs,
        JSON.stringify(h.audit.events()),
        String((failure as Error).message),
        JSON.stringify(failure),
        inspect(failure, { depth: 10 }),
      ].join('\n');
      for (const secret of secrets) expect(haystack).not.toContain(secret);
      expect(debugLogger).toBeDefined();
    });
  });
}
