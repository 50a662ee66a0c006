import { readFile } from 'node:fs/promises';
import type { CrmPlugin, FieldIssue } from '@crm-connect/core';
import { tenantIdSchema } from '@crm-connect/worker';
import { z } from 'zod';
import { TenantsFileError, UsageError } from '../cli-error.js';
import type { CliIo } from '../io.js';
import { crmIds } from '../plugins.js';
import { tenantSecretEnvName } from '../settings-input.js';

/** One tenant of the tenants file: its CRM, and its settings as `validate --config` takes them. */
export const tenantEntrySchema = z.strictObject({
  /** The tenant's CRM: `zendesk`, `salesforce`, `dynamics` or `kustomer`. Required. */
  crm: z.enum(crmIds),
  /** The plugin's settings without the secrets, which come from the environment or standard input. Required. */
  settings: z.record(z.string(), z.unknown()),
});
export type TenantEntry = z.infer<typeof tenantEntrySchema>;

/** What `crm-connect worker --tenants` reads: tenant id → its CRM and settings. */
export const tenantsFileSchema = z
  .record(tenantIdSchema, tenantEntrySchema)
  .refine((tenants) => Object.keys(tenants).length > 0, 'names no tenant');
export type TenantsFile = z.infer<typeof tenantsFileSchema>;

/** A tenant ready for the worker: its CRM and its settings, secrets included, checked by its plugin's schema. */
export interface ResolvedTenant {
  crm: TenantEntry['crm'];
  settings: Record<string, unknown>;
}

const fileShape =
  'Write it as { "<tenant id>": { "crm": "zendesk", "settings": { … } }, … } (the settings as validate --config takes them, no secrets).';

/** Where a tenant's secret may come from, for hints. */
function secretSources(tenantId: string, field: string): string {
  return `${tenantSecretEnvName(tenantId, field)}, or a line ${tenantId}.${field}=… on standard input with --secrets-stdin`;
}

/** Reads and checks the file's shape: tenant ids, CRM names, a settings object each (no secrets yet). */
export async function readTenantsFile(path: string): Promise<TenantsFile> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new UsageError(
      `Cannot read the tenants file ${path}: ${(error as NodeJS.ErrnoException).code ?? String(error)}.`,
      'Check the --tenants path.',
    );
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new TenantsFileError(`${path} is not valid JSON (${(error as Error).message}).`, fileShape, []);
  }
  const result = tenantsFileSchema.safeParse(parsed);
  if (result.success) return result.data;
  throw tenantsError(path, result.error.issues.map(tenantIssue), fileShape, result.error);
}

/**
 * Each tenant's settings with its secrets (from `CRM_CONNECT_<TENANT>__<FIELD>` or standard
 * input), checked by its plugin's schema, so a worker never starts with a tenant it would fail
 * on. Throws a `TenantsFileError` naming every wrong tenant and field.
 */
export async function resolveTenants(
  path: string,
  file: TenantsFile,
  pluginOf: (crm: TenantEntry['crm']) => CrmPlugin,
  options: { secretsFromStdin: boolean },
  io: CliIo,
): Promise<{ tenants: Map<string, ResolvedTenant>; secrets: string[] }> {
  for (const [tenantId, entry] of Object.entries(file)) {
    const secretFields: readonly string[] = pluginOf(entry.crm).settings.secretFields;
    const secret = Object.keys(entry.settings).find((field) => secretFields.includes(field));
    if (secret !== undefined) {
      throw new TenantsFileError(
        `Tenant "${tenantId}" in ${path} holds the secret "${secret}".`,
        `Remove it from the file and pass it in ${secretSources(tenantId, secret)}.`,
        [{ path: `${tenantId}.settings.${secret}`, message: `${tenantId}.settings.${secret}: is a secret` }],
      );
    }
  }
  const piped = options.secretsFromStdin
    ? parseSecretLines(await io.readStdin(), file, pluginOf)
    : new Map<string, string>();
  const tenants = new Map<string, ResolvedTenant>();
  const secrets: string[] = [];
  const issues: FieldIssue[] = [];
  let missingSecret: { tenantId: string; field: string } | undefined;
  for (const [tenantId, entry] of Object.entries(file)) {
    const plugin = pluginOf(entry.crm);
    const settings: Record<string, unknown> = { ...entry.settings };
    for (const field of plugin.settings.secretFields) {
      const value = piped.get(`${tenantId}.${field}`) ?? io.env[tenantSecretEnvName(tenantId, field)];
      if (value === undefined || value === '') continue;
      settings[field] = value;
      secrets.push(value);
    }
    const secretFields: readonly string[] = plugin.settings.secretFields;
    const problems: { field: string; message: string }[] = [];
    const result = plugin.settings.schema.safeParse(settings);
    if (result.success) {
      // What the schema leaves optional but the CRM needs: every field of each credential group
      // that applies (the API token in Zendesk's apiToken mode, a linked Salesforce admin).
      for (const group of plugin.settings.credentialGroups) {
        if (!(group.appliesWhen?.(result.data) ?? true)) continue;
        for (const field of group.fields)
          if (isEmpty(result.data[field])) problems.push({ field, message: `is required (${group.label})` });
      }
    } else {
      for (const issue of result.error.issues)
        problems.push({ field: issue.path.map(String).join('.') || '(root)', message: issue.message });
    }
    for (const { field, message } of problems) {
      const at = `${tenantId}.settings.${field}`;
      issues.push({ path: at, message: `${at}: ${message}` });
      if (secretFields.includes(field) && missingSecret === undefined) missingSecret = { tenantId, field };
    }
    tenants.set(tenantId, { crm: entry.crm, settings });
  }
  if (issues.length > 0) {
    const hint =
      missingSecret === undefined
        ? `Fix the tenants named above in ${path}, then run again.`
        : `Fix the tenants named above in ${path}; a secret such as ${missingSecret.tenantId}'s ${missingSecret.field} comes from ${secretSources(missingSecret.tenantId, missingSecret.field)}.`;
    throw tenantsError(path, issues, hint);
  }
  return { tenants, secrets };
}

function isEmpty(value: unknown): boolean {
  return (
    value === undefined || value === null || value === '' || (Array.isArray(value) && value.length === 0)
  );
}

function tenantsError(
  path: string,
  issues: readonly FieldIssue[],
  hint: string,
  cause?: unknown,
): TenantsFileError {
  const shown = issues.slice(0, 5).map((issue) => issue.message);
  const more = issues.length > 5 ? ` (and ${issues.length - 5} more)` : '';
  return new TenantsFileError(`Invalid tenants in ${path}: ${shown.join('; ')}${more}`, hint, issues, {
    cause,
  });
}

/** A zod issue of the file's shape, its path starting with the tenant id. */
function tenantIssue(issue: z.core.$ZodIssue): FieldIssue {
  const path = issue.path.map(String).join('.') || '(root)';
  if (issue.code === 'invalid_key') {
    const why = issue.issues[0]?.message ?? issue.message;
    return { path, message: `"${path}" is not a tenant id: it ${why}` };
  }
  return { path, message: path === '(root)' ? `the file ${issue.message}` : `${path}: ${issue.message}` };
}

/**
 * `acme.apiToken=…` or `CRM_CONNECT_ACME__API_TOKEN=…` lines, by `<tenant>.<field>`. A bad line is
 * named by its number, never its content (it may be a bare secret).
 */
function parseSecretLines(
  text: string,
  file: TenantsFile,
  pluginOf: (crm: TenantEntry['crm']) => CrmPlugin,
): Map<string, string> {
  const names = new Map<string, string>();
  for (const [tenantId, entry] of Object.entries(file)) {
    for (const field of pluginOf(entry.crm).settings.secretFields) {
      names.set(`${tenantId}.${field}`, `${tenantId}.${field}`);
      names.set(tenantSecretEnvName(tenantId, field), `${tenantId}.${field}`);
    }
  }
  const secrets = new Map<string, string>();
  for (const [index, line] of text.split(/\r?\n/).entries()) {
    if (line.trim() === '' || line.trimStart().startsWith('#')) continue;
    const at = line.indexOf('=');
    if (at <= 0) {
      throw new UsageError(
        `Standard input line ${index + 1} is not of the form <tenant>.<field>=value (its content is not shown: it may be a secret).`,
        'Pipe lines such as acme.apiToken=… or CRM_CONNECT_ACME__API_TOKEN=….',
      );
    }
    const name = line.slice(0, at).trim();
    const key = names.get(name);
    if (key === undefined) {
      throw new UsageError(
        `Standard input line ${index + 1} names "${name}", which is no tenant's secret setting.`,
        `Name a tenant of the file and one of its CRM's secret settings, e.g. ${[...names.keys()][0] ?? 'acme.apiToken'}=….`,
      );
    }
    secrets.set(key, line.slice(at + 1).trim());
  }
  return secrets;
}
