import type { z } from 'zod';
import { ConfigurationError, type FieldIssue, InvalidInputError } from './errors.js';

/** Turns zod issues into field issues whose messages name the field and the expected value. */
export function fieldIssuesOf(error: z.ZodError): FieldIssue[] {
  return error.issues.map((issue) => {
    const path = issue.path.map(String).join('.') || '(root)';
    return { path, message: `${path}: ${issue.message}` };
  });
}

function summarise(what: string, issues: readonly FieldIssue[]): string {
  const shown = issues.slice(0, 5).map((issue) => issue.message);
  const more = issues.length > 5 ? ` (and ${issues.length - 5} more)` : '';
  return `${what}: ${shown.join('; ')}${more}`;
}

/** Parses a payload handed to crm-connect; throws `InvalidInputError` naming every bad field. */
export function parseInput<TSchema extends z.ZodType>(
  schema: TSchema,
  input: unknown,
  what: string,
  pluginId?: string,
): z.output<TSchema> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const issues = fieldIssuesOf(result.error);
  throw new InvalidInputError(summarise(`Invalid ${what}`, issues), {
    issues,
    cause: result.error,
    pluginId,
  });
}

/** Parses settings; throws `ConfigurationError` naming every bad field. */
export function parseSettings<TSchema extends z.ZodType>(
  schema: TSchema,
  input: unknown,
  pluginId?: string,
): z.output<TSchema> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const issues = fieldIssuesOf(result.error);
  throw new ConfigurationError(summarise(`Invalid ${pluginId ?? 'crm-connect'} settings`, issues), {
    issues,
    cause: result.error,
    pluginId,
  });
}
