import { Ajv2020 } from 'ajv/dist/2020.js';
import ajvFormats from 'ajv-formats';
import type { z } from 'zod';
import type { PluginSettingsSchema } from '../src/settings/common-settings.js';
import { SECRET_MASK, type SettingsDefinition } from '../src/settings/settings-definition.js';

/**
 * The two sides of "a form validates what the server accepts", for tests: ajv (draft 2020-12,
 * with ajv-formats) on the exported JSON Schema, as an admin form runs it, and the zod side.
 */

// ajv-formats is CommonJS: its function is `module.exports` and `.default` alike; `.default` types right.
const addFormats = ajvFormats.default;

/**
 * Compiles the schema as a form would; the returned function says whether a value passes.
 * `allowUnionTypes`: a field a form may send as a number or as its digits is `type: [integer, string, null]`.
 */
export function formValidator(schema: Record<string, unknown>): (value: unknown) => boolean {
  const ajv = new Ajv2020({ allErrors: true, strict: true, allowUnionTypes: true });
  addFormats(ajv);
  const validate = ajv.compile(schema);
  return (value) => validate(value) === true;
}

/**
 * The zod side: the plugin schema parses the settings (a masked secret standing for a saved
 * one, as `saveSettings` reads it) and every credential group that applies is all or none.
 * `saveSettings` does not refuse a partial group (it saves it and reports the credentials
 * missing); a form should, and this is that rule. "Filled" is `saveSettings`' own rule, restated
 * because it is private there: blank text, an empty list, null and absent are not filled. Fields
 * with a default always hold a value and do not count.
 */
export function zodAccepts<TSchema extends PluginSettingsSchema>(
  definition: SettingsDefinition<TSchema>,
  submitted: unknown,
  savedSecrets: Readonly<Record<string, string>>,
): boolean {
  let candidate = submitted;
  if (isRecord(submitted)) {
    candidate = { ...submitted };
    for (const field of definition.secretFields) {
      if (submitted[field] === SECRET_MASK)
        (candidate as Record<string, unknown>)[field] = savedSecrets[field];
    }
  }
  const parsed = definition.schema.safeParse(candidate);
  if (!parsed.success) return false;
  const settings = parsed.data as Record<string, unknown>;
  const shape = definition.schema.shape as Record<string, z.ZodType>;
  return definition.credentialGroups
    .filter((group) => group.appliesWhen?.(parsed.data) ?? true)
    .every((group) => {
      const counted = group.fields.filter((field) => shape[field]?.safeParse(undefined).data === undefined);
      const filled = counted.filter((field) => isFilled(settings[field]));
      return filled.length === 0 || filled.length === counted.length;
    });
}

function isFilled(value: unknown): boolean {
  if (value === undefined || value === null) return false;
  if (typeof value === 'string') return value.trim() !== '';
  if (Array.isArray(value)) return value.length > 0;
  return true;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
