import { ConfigurationError } from '@crm-connect/core';
import type { z } from 'zod';
import { pluginId } from '../zendesk-plugin-id.js';

/** Every error of the messaging module names the Zendesk plugin. */
export { pluginId };

/**
 * Validates options at the edge: a bad secret, key list or id is a configuration problem. The
 * issues name paths and rules, never the rejected value, so no secret reaches the error.
 */
export function parseOptions<TSchema extends z.ZodType>(
  schema: TSchema,
  input: unknown,
  what: string,
): z.output<TSchema> {
  const parsed = schema.safeParse(input);
  if (parsed.success) return parsed.data;
  const issues = parsed.error.issues.map((issue) => {
    const path = issue.path.map(String).join('.') || '(root)';
    return { path, message: `${path}: ${issue.message}` };
  });
  throw new ConfigurationError(`Invalid ${what}: ${issues.map((issue) => issue.message).join('; ')}`, {
    pluginId,
    issues,
  });
}
