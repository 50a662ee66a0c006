import { isCrmConnectError, type PluginSettingsSchema } from '@crm-connect/core';
import { describe, expect, it } from 'vitest';
import type { ConformanceFixture } from '../fixture.js';
import type { Harness } from '../harness.js';

/** The live credential check on its own. */
export function credentialsSuite<TSchema extends PluginSettingsSchema>(
  fixture: ConformanceFixture<TSchema>,
  harness: () => Harness<TSchema>,
): void {
  const { plugin } = fixture;
  const settings = () => plugin.settings.schema.parse(fixture.settings);

  describe(`${plugin.id}: credential validation`, () => {
    it('valid credentials resolve to the identity they act as: the default user', async () => {
      harness().use(fixture.mocks.validCredentials);
      const check = await plugin.validateCredentials(settings(), harness().context());
      expect(check.connectionUser).toMatchObject({ id: fixture.users.admin.id, active: true });
      expect(Array.isArray(check.warnings)).toBe(true);
    });

    it('refused credentials throw a typed, non-retryable error that says what to fix', async () => {
      harness().use(fixture.mocks.invalidCredentials);
      const invalid = plugin.settings.schema.parse({
        ...fixture.settings,
        ...fixture.invalidCredentials,
      });
      const error = await plugin
        .validateCredentials(invalid, harness().context())
        .catch((caught: unknown) => caught);
      expect(isCrmConnectError(error)).toBe(true);
      if (!isCrmConnectError(error)) return;
      expect(['authentication_failed', 'permission_denied', 'configuration_invalid']).toContain(error.code);
      expect(error.retryable).toBe(false);
      expect(error.pluginId).toBe(plugin.id);
      expect(error.message.length).toBeGreaterThan(20);
    });
  });
}
