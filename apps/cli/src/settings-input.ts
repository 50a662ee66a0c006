import { readFile } from 'node:fs/promises';
import type { CrmPlugin } from '@crm-connect/core';
import type { z } from 'zod';
import { UsageError } from './cli-error.js';
import type { CliIo } from './io.js';

/** `apiToken` → `CRM_CONNECT_API_TOKEN`: where a secret setting is read from the environment. */
export function secretEnvName(field: string): string {
  return `CRM_CONNECT_${field.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase()}`;
}

/**
 * `acme`, `apiToken` → `CRM_CONNECT_ACME__API_TOKEN`: where a tenant's secret is read from the
 * environment (the tenant id upper-cased, other characters than letters and digits as `_`).
 */
export function tenantSecretEnvName(tenantId: string, field: string): string {
  const tenant = tenantId.toUpperCase().replace(/[^A-Z0-9]/g, '_');
  return `CRM_CONNECT_${tenant}__${secretEnvName(field).slice('CRM_CONNECT_'.length)}`;
}

export interface SettingsSources {
  /** A JSON file of settings (never holding secrets: the CLI refuses them there too). */
  configPath?: string | undefined;
  /** `field=value` pairs from `--set`. */
  assignments: readonly string[];
  /** Read `field=value` lines of secrets from standard input. */
  secretsFromStdin: boolean;
}

/**
 * Gathers a plugin's settings from a config file and `--set` flags, and its secrets from the
 * environment or standard input — never from flags or files, which end up in shell history,
 * process lists and backups.
 */
export async function readSettings(
  plugin: CrmPlugin,
  sources: SettingsSources,
  io: CliIo,
): Promise<{ raw: Record<string, unknown>; secrets: string[] }> {
  const raw = await readPlainSettings(plugin, sources);
  const secrets = await readSecretSettings(plugin, sources, io);
  return { raw: { ...raw, ...secrets.values }, secrets: secrets.secrets };
}

/** The settings that are not secrets: the config file, then the `--set` flags. */
export async function readPlainSettings(
  plugin: CrmPlugin,
  sources: SettingsSources,
): Promise<Record<string, unknown>> {
  const shape = plugin.settings.schema.shape as Record<string, z.ZodType>;
  const secretFields = new Set<string>(plugin.settings.secretFields);
  const raw: Record<string, unknown> = {};

  if (sources.configPath !== undefined) {
    const config = await readConfig(sources.configPath);
    for (const [field, value] of Object.entries(config)) {
      if (secretFields.has(field)) {
        throw new UsageError(
          `${sources.configPath} holds the secret "${field}".`,
          `Remove it from the file and pass it in ${secretEnvName(field)} or on standard input with --secrets-stdin.`,
        );
      }
      raw[field] = value;
    }
  }

  for (const assignment of sources.assignments) {
    const [field, value] = splitAssignment(assignment, '--set');
    if (!(field in shape)) {
      throw new UsageError(
        `${plugin.id} has no setting "${field}".`,
        `Settings are: ${Object.keys(shape).join(', ')}.`,
      );
    }
    if (secretFields.has(field)) {
      throw new UsageError(
        `"${field}" is a secret and is never accepted as a flag.`,
        `Pass it in ${secretEnvName(field)} or on standard input with --secrets-stdin.`,
      );
    }
    raw[field] = typed(shape[field] as z.ZodType, value);
  }
  return raw;
}

/** The secret settings, from standard input (`--secrets-stdin`) or the environment, and their values for the redactor. */
async function readSecretSettings(
  plugin: CrmPlugin,
  sources: SettingsSources,
  io: CliIo,
): Promise<{ values: Record<string, string>; secrets: string[] }> {
  const secretFields = new Set<string>(plugin.settings.secretFields);
  const values: Record<string, string> = {};
  const secrets: string[] = [];
  const piped = sources.secretsFromStdin
    ? parseSecretLines(await io.readStdin(), secretFields)
    : new Map<string, string>();
  for (const field of secretFields) {
    const value = piped.get(field) ?? io.env[secretEnvName(field)];
    if (value === undefined || value === '') continue;
    values[field] = value;
    secrets.push(value);
  }
  return { values, secrets };
}

async function readConfig(path: string): Promise<Record<string, unknown>> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new UsageError(
      `Cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? String(error)}.`,
      'Check the --config path.',
    );
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new UsageError(
      `${path} is not valid JSON (${(error as Error).message}).`,
      'Fix the file: it must hold one JSON object of settings.',
    );
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new UsageError(
      `${path} must hold a JSON object of settings.`,
      'Write it as { "field": value, … }.',
    );
  }
  return parsed as Record<string, unknown>;
}

function splitAssignment(assignment: string, flag: string): [string, string] {
  const at = assignment.indexOf('=');
  if (at <= 0)
    throw new UsageError(
      `${flag} ${assignment}: expected field=value.`,
      `Write it as ${flag} subdomain=acme.`,
    );
  return [assignment.slice(0, at).trim(), assignment.slice(at + 1)];
}

/** Like `splitAssignment`, but never echoes the line: it may be a bare secret. */
function splitSecretLine(line: string, number: number): [string, string] {
  const at = line.indexOf('=');
  if (at <= 0) {
    throw new UsageError(
      `Standard input line ${number} is not of the form field=value (its content is not shown: it may be a secret).`,
      'Pipe lines such as apiToken=… or CRM_CONNECT_API_TOKEN=….',
    );
  }
  return [line.slice(0, at).trim(), line.slice(at + 1).trim()];
}

/** A flag's text as the type the setting expects: booleans, numbers and JSON lists/objects where the schema takes them. */
function typed(schema: z.ZodType, value: string): unknown {
  const candidates: unknown[] = [];
  if (value === 'true' || value === 'false') candidates.push(value === 'true');
  if (/^-?\d+(\.\d+)?$/.test(value)) candidates.push(Number(value));
  if (/^[[{]/.test(value.trim())) {
    try {
      candidates.push(JSON.parse(value));
    } catch {
      // not JSON: the text itself is tried below
    }
  }
  return candidates.find((candidate) => schema.safeParse(candidate).success) ?? value;
}

function parseSecretLines(text: string, secretFields: ReadonlySet<string>): Map<string, string> {
  const secrets = new Map<string, string>();
  for (const [index, line] of text.split(/\r?\n/).entries()) {
    if (line.trim() === '' || line.trimStart().startsWith('#')) continue;
    const [name, value] = splitSecretLine(line, index + 1);
    const field = [...secretFields].find(
      (candidate) => candidate === name || secretEnvName(candidate) === name,
    );
    if (field === undefined) {
      throw new UsageError(
        `Standard input names "${name}", which is not a secret setting.`,
        `Secret settings are: ${[...secretFields].join(', ')}.`,
      );
    }
    secrets.set(field, value);
  }
  return secrets;
}
