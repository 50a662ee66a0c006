import { z } from 'zod';
import type { SettingsDefinition } from './settings-definition.js';

/**
 * The settings form as JSON Schema (draft 2020-12), so an admin UI can render it. Secret fields
 * are marked `writeOnly` with `format: "password"`: a UI shows a password input and never
 * expects to read the value back.
 */
export function settingsJsonSchema<TSchema extends z.ZodObject>(
  definition: SettingsDefinition<TSchema>,
): Record<string, unknown> {
  const schema = z.toJSONSchema(definition.schema, { io: 'input', unrepresentable: 'any' }) as Record<
    string,
    unknown
  >;
  const properties = (schema.properties ?? {}) as Record<string, Record<string, unknown>>;
  for (const field of definition.secretFields) {
    const property = properties[field];
    if (property !== undefined) {
      property.writeOnly = true;
      property.format = 'password';
    }
  }
  return schema;
}
