import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { chatStarted } from '../events.js';
import type { ConformanceFixture } from '../fixture.js';
import type { Harness } from '../harness.js';

/** No configured secret ever reaches a log line, an audit event or an error. */
export function secretRedactionSuite<TSchema extends z.ZodObject>(
  fixture: ConformanceFixture<TSchema>,
  harness: () => Harness<TSchema>,
): void {
  const { plugin, mocks } = fixture;
  const ticketId = fixture.ticketId ?? 'ticket-1';
  const secretsOf = (settings: Record<string, unknown>) =>
    plugin.settings.secretFields
      .map((field) => settings[field])
      .filter((value): value is string => typeof value === 'string');

  describe(`${plugin.id}: secret redaction`, () => {
    it('no secret in logs, audit events or errors, on success and on failure', async () => {
      const h = harness();
      const debugLogger = h.logger;
      h.use(mocks.connectionUser);
      h.use(mocks.createTicket(ticketId));
      await h.connector({ defaultUser: true } as never).handle(chatStarted());

      h.use(mocks.invalidCredentials);
      const invalid = { ...fixture.settings, ...fixture.invalidCredentials } as Record<string, unknown>;
      const failure = await h
        .connector(fixture.invalidCredentials)
        .validateCredentials()
        .catch((caught: unknown) => caught);
      expect(failure).toBeInstanceOf(Error);

      const secrets = [...secretsOf(fixture.settings as Record<string, unknown>), ...secretsOf(invalid)];
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
