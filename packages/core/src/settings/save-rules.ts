import type { z } from 'zod';
import { type FieldIssue, isCrmConnectError } from '../errors.js';
import type { CredentialCheck, CrmPlugin } from '../plugin.js';
import type { CrmUser } from '../users.js';
import { fieldIssuesOf } from '../validation.js';
import type { PluginSettingsSchema } from './common-settings.js';
import {
  type Availability,
  type CredentialGroup,
  SECRET_MASK,
  type SettingsDefinition,
} from './settings-definition.js';

/**
 * The save rules every plugin reuses (from the default-user specification):
 * - credentials that fail live validation → a clear error; that credential group reverts to its
 *   previous saved values (empty if it was empty); every other setting is still saved; the
 *   default-user checkbox is unchecked;
 * - a required credential left empty → the default-user checkbox is disabled;
 * - a plugin's own availability rule (e.g. "only while an admin connection is linked").
 */

/** `valid`: checked live now. `missing`: a credential is empty. `invalid`: the CRM rejected them. `unverified`: the CRM could not be asked. */
export type CredentialStatus = 'valid' | 'invalid' | 'missing' | 'unverified';

export interface CheckboxState {
  checked: boolean;
  enabled: boolean;
  /** Why the checkbox is disabled, when it is. */
  reason?: string | undefined;
}

/** What an admin form must show after a save. */
export interface SettingsForm {
  /** Every field's value, secrets masked. */
  values: Readonly<Record<string, unknown>>;
  errors: readonly FieldIssue[];
  warnings: readonly string[];
  checkboxes: {
    defaultUser: CheckboxState;
    /** Present only for plugins with the always-use-admin capability. */
    alwaysUseAdmin?: CheckboxState | undefined;
  };
}

export interface SaveSettingsResult<TSettings> {
  /** What to persist: the submitted values, with rejected fields and groups reverted. */
  settings: TSettings;
  form: SettingsForm;
  credentials: CredentialStatus;
  /** The identity the credentials act as (the default user), when they were validated. */
  connectionUser?: CrmUser | undefined;
}

export interface SaveSettingsOptions<TSettings> {
  /** The settings saved before; `undefined` on the first save. */
  previous: TSettings | undefined;
  /** The form as submitted: untrusted. */
  submitted: unknown;
  /** The live check; usually `(settings) => plugin.validateCredentials(settings, context)`. */
  validate: (settings: TSettings) => Promise<CredentialCheck>;
}

type Settings<TSchema extends PluginSettingsSchema> = z.output<TSchema>;

export async function saveSettings<TSchema extends PluginSettingsSchema>(
  plugin: Pick<CrmPlugin<TSchema>, 'settings' | 'capabilities'>,
  options: SaveSettingsOptions<Settings<TSchema>>,
): Promise<SaveSettingsResult<Settings<TSchema>>> {
  const definition = plugin.settings;
  const previous = options.previous as Record<string, unknown> | undefined;
  const errors: FieldIssue[] = [];
  const warnings: string[] = [];
  const submitted = isRecord(options.submitted) ? options.submitted : {};
  if (!isRecord(options.submitted)) {
    errors.push({ path: '(root)', message: 'The submitted settings must be an object of field values.' });
  }

  const candidate = parseFieldByField(definition, submitted, previous, errors);
  forgetSecretsOfMovedAddresses(definition, submitted, previous, candidate, errors);
  const groups = applicableGroups(definition, candidate);
  let credentials: CredentialStatus;
  let connectionUser: CrmUser | undefined;
  let defaultUserWanted = candidate.defaultUser === true;

  if (!groups.every((group) => isComplete(group, candidate))) {
    credentials = 'missing';
  } else {
    try {
      const check = await options.validate(candidate as Settings<TSchema>);
      credentials = 'valid';
      connectionUser = check.connectionUser;
      warnings.push(...check.warnings);
    } catch (error) {
      if (!isCrmConnectError(error)) throw error;
      if (error.retryable) {
        // The CRM (or its token endpoint) could not answer: nothing says these credentials are
        // wrong, so they are kept as typed, unverified, and used; reverting valid credentials on a
        // passing outage would be worse. The next write, or the next save, checks them.
        credentials = 'unverified';
        warnings.push(
          `${joinLabels(groups)} could not be checked (${error.message}); they were saved unverified. Save again when the CRM is reachable to check them.`,
        );
      } else {
        credentials = 'invalid';
        for (const group of groups) {
          // Nothing saved before: the field's schema default (an authority host), never a hole in the settings.
          for (const field of group.fields)
            candidate[field] = previous?.[field] ?? defaultOf(definition, field);
          errors.push({
            path: group.id,
            message: `${group.label}: ${error.message} The previous values were restored.`,
          });
        }
        defaultUserWanted = false;
      }
    }
  }

  const settings = candidate as Settings<TSchema>;
  const credentialsUsable =
    credentials !== 'missing' &&
    applicableGroups(definition, candidate).every((g) => isComplete(g, candidate));
  const availability = combine(
    credentialsUsable
      ? { enabled: true }
      : {
          enabled: false,
          reason: `Fill in ${missingLabels(definition, candidate)} to enable the default user.`,
        },
    definition.defaultUserAvailability?.(settings),
  );
  const defaultUser: CheckboxState = {
    checked: availability.enabled && defaultUserWanted,
    enabled: availability.enabled,
    reason: availability.reason,
  };
  candidate.defaultUser = defaultUser.checked;

  let alwaysUseAdmin: CheckboxState | undefined;
  if (plugin.capabilities(settings).alwaysUseAdmin) {
    alwaysUseAdmin = {
      checked: availability.enabled && candidate.alwaysUseAdmin === true,
      enabled: availability.enabled,
      reason: availability.reason,
    };
    candidate.alwaysUseAdmin = alwaysUseAdmin.checked;
  } else {
    candidate.alwaysUseAdmin = false;
  }

  return {
    settings,
    credentials,
    connectionUser,
    form: {
      values: maskSecrets(definition, candidate),
      errors,
      warnings,
      checkboxes: { defaultUser, alwaysUseAdmin },
    },
  };
}

/**
 * Recomputes what the form shows for saved settings without a live check, and unchecks what is
 * no longer available — for changes made outside the form (unlinking the last admin connection).
 */
export function applySettingsRules<TSchema extends PluginSettingsSchema>(
  plugin: Pick<CrmPlugin<TSchema>, 'settings' | 'capabilities'>,
  saved: Settings<TSchema>,
): { settings: Settings<TSchema>; form: SettingsForm } {
  const definition = plugin.settings;
  const candidate = { ...(saved as Record<string, unknown>) };
  const complete = applicableGroups(definition, candidate).every((group) => isComplete(group, candidate));
  const availability = combine(
    complete
      ? { enabled: true }
      : {
          enabled: false,
          reason: `Fill in ${missingLabels(definition, candidate)} to enable the default user.`,
        },
    definition.defaultUserAvailability?.(candidate as Settings<TSchema>),
  );
  const defaultUser = {
    checked: availability.enabled && candidate.defaultUser === true,
    enabled: availability.enabled,
    reason: availability.reason,
  };
  candidate.defaultUser = defaultUser.checked;
  let alwaysUseAdmin: CheckboxState | undefined;
  if (plugin.capabilities(candidate as Settings<TSchema>).alwaysUseAdmin) {
    alwaysUseAdmin = {
      checked: availability.enabled && candidate.alwaysUseAdmin === true,
      enabled: availability.enabled,
      reason: availability.reason,
    };
    candidate.alwaysUseAdmin = alwaysUseAdmin.checked;
  } else {
    // As on a save: a plugin (or mode) without the capability never keeps the setting on.
    candidate.alwaysUseAdmin = false;
  }
  return {
    settings: candidate as Settings<TSchema>,
    form: {
      values: maskSecrets(definition, candidate),
      errors: [],
      warnings: [],
      checkboxes: { defaultUser, alwaysUseAdmin },
    },
  };
}

/** Each field is parsed on its own, so one bad field keeps its previous value while the rest are saved. */
function parseFieldByField<TSchema extends z.ZodObject>(
  definition: SettingsDefinition<TSchema>,
  submitted: Record<string, unknown>,
  previous: Record<string, unknown> | undefined,
  errors: FieldIssue[],
): Record<string, unknown> {
  const candidate: Record<string, unknown> = {};
  const secrets = new Set<string>(definition.secretFields);
  for (const [field, schema] of Object.entries(definition.schema.shape as Record<string, z.ZodType>)) {
    let raw = Object.hasOwn(submitted, field) ? submitted[field] : previous?.[field];
    if (secrets.has(field) && raw === SECRET_MASK) raw = previous?.[field];
    const parsed = schema.safeParse(raw);
    if (parsed.success) {
      candidate[field] = parsed.data;
      continue;
    }
    for (const issue of fieldIssuesOf(parsed.error)) {
      const path = issue.path === '(root)' ? field : `${field}.${issue.path}`;
      // `fieldIssuesOf` prefixes each message with its path and ": "; the path may hold a colon itself
      // (an alias key typed "mailto:…"), so the prefix is cut by its length, not up to the first colon.
      const detail = issue.message.slice(`${issue.path}: `.length);
      errors.push({ path, message: `${path}: ${detail} The previous value was kept.` });
    }
    candidate[field] = previous?.[field] ?? schema.safeParse(undefined).data;
  }
  return candidate;
}

/**
 * A secret kept from the previous save (submitted as the mask, or left out) was validated against
 * the previous addresses of its group. If one of them changed, it must not travel to the new one:
 * it is dropped (the group is then incomplete, so nothing is checked live) and the admin asked to
 * type it again. A secret typed in this save is sent where the form says: that is the admin's choice.
 */
function forgetSecretsOfMovedAddresses<TSchema extends z.ZodObject>(
  definition: SettingsDefinition<TSchema>,
  submitted: Record<string, unknown>,
  previous: Record<string, unknown> | undefined,
  candidate: Record<string, unknown>,
  errors: FieldIssue[],
): void {
  if (previous === undefined) return;
  const secrets = new Set<string>(definition.secretFields);
  for (const group of definition.credentialGroups) {
    const moved = group.addressFields.filter((field) => !sameValue(candidate[field], previous[field]));
    if (moved.length === 0) continue;
    for (const field of group.fields) {
      if (!secrets.has(field) || !isFilled(previous[field])) continue;
      const typedNow = Object.hasOwn(submitted, field) && submitted[field] !== SECRET_MASK;
      if (typedNow || candidate[field] !== previous[field]) continue;
      candidate[field] = undefined;
      errors.push({
        path: field,
        message: `${field}: re-enter it. ${moved.join(' and ')} changed, and a saved secret is only sent to the address it was checked against; nothing was sent.`,
      });
    }
  }
}

function sameValue(first: unknown, second: unknown): boolean {
  return JSON.stringify(first) === JSON.stringify(second);
}

/** What the schema gives a field left out: its default, or `undefined` for an optional field. */
function defaultOf<TSchema extends z.ZodObject>(
  definition: SettingsDefinition<TSchema>,
  field: string,
): unknown {
  const schema = (definition.schema.shape as Record<string, z.ZodType>)[field];
  const parsed = schema?.safeParse(undefined);
  return parsed?.success === true ? parsed.data : undefined;
}

function applicableGroups<TSettings>(
  definition: { credentialGroups: readonly CredentialGroup<TSettings>[] },
  candidate: Record<string, unknown>,
): CredentialGroup<TSettings>[] {
  return definition.credentialGroups.filter((group) => group.appliesWhen?.(candidate as TSettings) ?? true);
}

function isComplete<TSettings>(
  group: CredentialGroup<TSettings>,
  candidate: Record<string, unknown>,
): boolean {
  return group.fields.every((field) => isFilled(candidate[field]));
}

/** Empty text and empty lists (no admin connection linked yet) count as "not filled". */
function isFilled(value: unknown): boolean {
  if (value === undefined || value === null) return false;
  if (typeof value === 'string') return value.trim() !== '';
  if (Array.isArray(value)) return value.length > 0;
  return true;
}

function missingLabels<TSettings>(
  definition: { credentialGroups: readonly CredentialGroup<TSettings>[] },
  candidate: Record<string, unknown>,
): string {
  return applicableGroups(definition, candidate)
    .filter((group) => !isComplete(group, candidate))
    .map((group) => group.label)
    .join(' and ');
}

function joinLabels<TSettings>(groups: readonly CredentialGroup<TSettings>[]): string {
  return groups.map((group) => group.label).join(' and ');
}

function combine(first: Availability, second: Availability | undefined): Availability {
  if (!first.enabled || second === undefined) return first;
  return second;
}

function maskSecrets<TSchema extends z.ZodObject>(
  definition: SettingsDefinition<TSchema>,
  candidate: Record<string, unknown>,
): Record<string, unknown> {
  const values: Record<string, unknown> = { ...candidate };
  for (const field of definition.secretFields) values[field] = isFilled(candidate[field]) ? SECRET_MASK : '';
  return values;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
