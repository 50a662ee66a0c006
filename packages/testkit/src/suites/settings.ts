import { type PluginSettingsSchema, SECRET_MASK, saveSettings, settingsJsonSchema } from '@crm-connect/core';
import { describe, expect, it } from 'vitest';
import type { z } from 'zod';
import type { ConformanceFixture } from '../fixture.js';
import type { Harness } from '../harness.js';

/** The core save rules, run through this plugin's schema and live credential check. */
export function settingsSuite<TSchema extends PluginSettingsSchema>(
  fixture: ConformanceFixture<TSchema>,
  harness: () => Harness<TSchema>,
): void {
  const { plugin } = fixture;
  const definition = plugin.settings;
  const parse = (overrides: Record<string, unknown> = {}): z.output<TSchema> =>
    definition.schema.parse({ ...fixture.settings, ...overrides });
  const groupsFor = (settings: z.output<TSchema>) =>
    definition.credentialGroups.filter((group) => group.appliesWhen?.(settings) ?? true);
  const save = (previous: z.output<TSchema> | undefined, submitted: Record<string, unknown>) =>
    saveSettings(plugin, {
      previous,
      submitted,
      validate: (settings) => plugin.validateCredentials(settings, harness().context()),
    });

  describe(`${plugin.id}: settings and save rules`, () => {
    it('exports its settings as JSON Schema, secrets write-only', () => {
      const schema = settingsJsonSchema(definition) as {
        properties: Record<string, Record<string, unknown>>;
      };
      for (const field of Object.keys(definition.schema.shape))
        expect(schema.properties).toHaveProperty(field);
      for (const field of definition.secretFields)
        expect(schema.properties[field]).toMatchObject({ writeOnly: true });
    });

    it('valid credentials: everything saved, default user available and checked, secrets masked', async () => {
      harness().use(fixture.mocks.validCredentials);
      const result = await save(undefined, { ...fixture.settings, defaultUser: true });
      expect(result.credentials).toBe('valid');
      expect(result.connectionUser?.id).toBe(fixture.users.admin.id);
      expect(result.form.checkboxes.defaultUser).toMatchObject({ enabled: true, checked: true });
      expect(result.settings).toMatchObject({ defaultUser: true });
      for (const field of definition.secretFields) {
        const submitted = parse()[field];
        // Only the secrets of the mode in use are filled; an empty one shows as empty.
        expect(result.form.values[field]).toBe(submitted === undefined ? '' : SECRET_MASK);
        expect(result.settings[field]).toBe(submitted);
      }
      expect(result.form.errors).toEqual([]);
    });

    if (definition.credentialGroups.length === 0) return;

    it('invalid credentials: error shown, the group reverts, other settings still saved, checkbox unchecked', async () => {
      harness().use(fixture.mocks.invalidCredentials);
      const previous = parse({ defaultUser: true, abandonedCallTickets: false });
      const result = await save(previous, {
        ...fixture.settings,
        ...fixture.invalidCredentials,
        defaultUser: true,
        abandonedCallTickets: true,
      });
      expect(result.credentials).toBe('invalid');
      const saved = result.settings;
      for (const group of groupsFor(previous)) {
        for (const field of group.fields) expect(saved[field]).toEqual(previous[field]);
        expect(result.form.errors.map((error) => error.path)).toContain(group.id);
      }
      expect(saved.abandonedCallTickets).toBe(true);
      expect(saved.defaultUser).toBe(false);
      expect(result.form.checkboxes.defaultUser.checked).toBe(false);
    });

    it('invalid credentials on a first save: the group is empty again', async () => {
      harness().use(fixture.mocks.invalidCredentials);
      const submitted = { ...fixture.settings, ...fixture.invalidCredentials, defaultUser: true };
      const result = await save(undefined, submitted);
      expect(result.credentials).toBe('invalid');
      const saved = result.settings;
      // Empty again: nothing, or the schema's own default (a default sign-in host, say).
      const defaultOf = (field: string) => {
        const parsed = (definition.schema.shape as Record<string, z.ZodType>)[field]?.safeParse(undefined);
        return parsed?.success === true ? parsed.data : undefined;
      };
      for (const group of groupsFor(saved))
        for (const field of group.fields) expect(saved[field] ?? '').toBe(defaultOf(field) ?? '');
      expect(result.form.checkboxes.defaultUser).toMatchObject({ checked: false, enabled: false });
    });

    it('a required credential left empty: no live check, checkbox disabled and unchecked, the rest saved', async () => {
      const previous = parse({ defaultUser: true });
      const [group] = groupsFor(previous);
      if (group === undefined) throw new Error('no credential group applies to the fixture settings');
      const [emptied] = group.fields;
      const result = await save(previous, {
        ...fixture.settings,
        [emptied as string]: '',
        defaultUser: true,
        abandonedCallTickets: true,
      });
      expect(result.credentials).toBe('missing');
      expect(result.form.checkboxes.defaultUser).toMatchObject({ enabled: false, checked: false });
      expect(result.settings.abandonedCallTickets).toBe(true);
      expect(harness().requests).toEqual([]);
    });

    it('a masked secret submitted back keeps the saved secret', async () => {
      harness().use(fixture.mocks.validCredentials);
      const previous = parse();
      const filled = definition.secretFields.filter((field) => previous[field] !== undefined);
      expect(filled.length, 'the fixture settings hold at least one secret').toBeGreaterThan(0);
      const masked = Object.fromEntries(filled.map((field) => [field, SECRET_MASK]));
      const result = await save(previous, { ...fixture.settings, ...masked });
      expect(result.credentials).toBe('valid');
      for (const field of definition.secretFields) {
        expect(result.settings[field]).toBe(previous[field]);
      }
    });
  });
}
