import { z } from 'zod';
import type { CrmPlugin } from '../plugin.js';
import { isOptionalText, type PluginSettingsSchema } from './common-settings.js';
import { type CredentialGroup, SECRET_MASK, type SettingsDefinition } from './settings-definition.js';

type JsonSchema = Record<string, unknown>;

/**
 * What `settingsJsonSchema` reads: the plugin (its settings and capabilities) or only its settings
 * definition. Without the capabilities, `alwaysUseAdmin` stays in the form whatever the plugin.
 */
export type SettingsJsonSchemaSource<TSchema extends PluginSettingsSchema> =
  | Pick<CrmPlugin<TSchema>, 'settings' | 'capabilities'>
  | SettingsDefinition<TSchema>;

/**
 * The settings form as JSON Schema (draft 2020-12): an admin UI renders it (every field has a
 * `title` and a `description`) and validates it client-side, without the zod code, before it
 * submits to `saveSettings`, which stays the authority (live check, checkbox states).
 *
 * - Secret fields are `writeOnly` with `format: "password"`, and accept the mask `saveSettings`
 *   returns for a set secret (`********`, "unchanged") and blank text ("not set").
 * - Fields made by `optionalText` accept blank text ("not set"), as zod does.
 * - Each credential group is all or none (blank text, an empty list and an absent field are
 *   "none", the mask is filled); a group that applies in one mode only (Zendesk's `authMode`) is
 *   checked in that mode only. Fields with a default do not count: they always have a value.
 * - `alwaysUseAdmin` is left out for a plugin that never offers it (read from its capabilities).
 * - Unknown fields are accepted, as zod accepts (and drops) them: no `additionalProperties: false`.
 */
export function settingsJsonSchema<TSchema extends PluginSettingsSchema>(
  source: SettingsJsonSchemaSource<TSchema>,
): JsonSchema {
  const definition = 'capabilities' in source ? source.settings : source;
  const schema = z.toJSONSchema(definition.schema, {
    io: 'input',
    unrepresentable: 'any',
    override: ({ zodSchema, jsonSchema }) => {
      if (zodSchema._zod.def.type === 'string' && trimsFirst(zodSchema)) ignoreSurroundingSpace(jsonSchema);
      if (isOptionalText(zodSchema)) onlyWhen(jsonSchema, { pattern: '\\S' });
    },
  }) as JsonSchema;
  const properties = (schema.properties ?? {}) as Record<string, JsonSchema>;

  for (const field of definition.secretFields) {
    const property = properties[field];
    if (property === undefined) continue;
    onlyWhen(property, { not: { const: SECRET_MASK } });
    // A UI shows a password input and never expects to read the value back.
    property.writeOnly = true;
    property.format = 'password';
  }

  const defaults = defaultSettings(definition.schema);
  const choices = choiceFields(properties);
  const rules = definition.credentialGroups.flatMap((group) => credentialGroupRule(group, defaults, choices));
  if ('capabilities' in source && !offersAlwaysUseAdmin(source, defaults, choices)) {
    delete properties.alwaysUseAdmin;
    rules.push({
      $comment:
        'alwaysUseAdmin: not offered by this plugin. A value sent anyway is ignored, but must be a boolean.',
      properties: { alwaysUseAdmin: { type: 'boolean' } },
    });
  }
  if (rules.length > 0) {
    schema.allOf = rules;
    schema.$defs = { ...(isRecord(schema.$defs) ? schema.$defs : {}), notSet };
  }
  return schema;
}

/** Keywords that describe a field rather than constrain it: they stay on the field when its constraints become conditional. */
const annotations = new Set([
  'title',
  'description',
  'default',
  'examples',
  'deprecated',
  'readOnly',
  'writeOnly',
  '$comment',
  'type',
]);

/**
 * Makes the field's constraints apply only to values matching `condition`: `if` / `then` rather
 * than `anyOf`, so a form renderer still sees one plain field. Conditions of successive calls
 * combine (not blank, and not the mask).
 */
function onlyWhen(json: JsonSchema, condition: JsonSchema): void {
  const constraints = Object.fromEntries(Object.entries(json).filter(([key]) => !annotations.has(key)));
  const keys = Object.keys(constraints);
  if (keys.length === 0) return;
  for (const key of keys) delete json[key];
  const { if: previous, then: consequence } = constraints;
  if (keys.length === 2 && isRecord(previous) && isRecord(consequence)) {
    Object.assign(json, ifThen({ ...previous, ...condition }, consequence));
  } else {
    Object.assign(json, ifThen(condition, constraints));
  }
}

/** `{ if, then }`: JSON Schema's conditional, built in this one place. */
function ifThen(condition: JsonSchema, consequence: JsonSchema): JsonSchema {
  // biome-ignore lint/suspicious/noThenProperty: JSON Schema's `then` keyword; this object is never awaited.
  return { if: condition, then: consequence };
}

/**
 * Whether a zod string schema trims its value before any other check. zod's `.trim()` is an
 * unnamed "overwrite" check: what it does to a sample tells it apart from `.toLowerCase()`.
 */
function trimsFirst(schema: z.core.$ZodType): boolean {
  const checks = (schema._zod.def as { checks?: z.core.$ZodCheck[] }).checks ?? [];
  for (const check of checks) {
    const definition = check._zod.def as { check: string; tx?: (value: string) => string };
    if (definition.check !== 'overwrite' || definition.tx === undefined) return false;
    if (definition.tx(' x ') === 'x') return true;
  }
  return false;
}

/**
 * zod checks a trimmed value's length and pattern; a form checks the value as typed. Lengths
 * become patterns on the text between the first and last non-space characters, and anchored
 * patterns allow surrounding white space.
 */
function ignoreSurroundingSpace(json: JsonSchema): void {
  const patterns: string[] = [];
  const others: unknown[] = [];
  if (typeof json.pattern === 'string') patterns.push(json.pattern);
  for (const entry of Array.isArray(json.allOf) ? json.allOf : []) {
    if (isRecord(entry) && Object.keys(entry).length === 1 && typeof entry.pattern === 'string') {
      patterns.push(entry.pattern);
    } else {
      others.push(entry);
    }
  }
  const rewritten = patterns.map(padded);
  if (typeof json.minLength === 'number' && json.minLength > 0)
    rewritten.push(trimmedMinLength(json.minLength));
  if (typeof json.maxLength === 'number') rewritten.push(trimmedMaxLength(json.maxLength));
  delete json.pattern;
  delete json.minLength;
  delete json.maxLength;
  delete json.allOf;
  if (rewritten.length === 1 && others.length === 0) json.pattern = rewritten[0];
  else if (rewritten.length + others.length > 0)
    json.allOf = [...others, ...rewritten.map((pattern) => ({ pattern }))];
}

/** `^body$` → `^\s*(?:body)\s*$`; a pattern that is not anchored at both ends is unaffected by trimming. */
function padded(pattern: string): string {
  const body = /^\^([\s\S]*)\$$/.exec(pattern)?.[1];
  if (body === undefined || body.endsWith('\\') || hasTopLevelAlternative(body)) return pattern;
  return `^\\s*(?:${body})\\s*$`;
}

function hasTopLevelAlternative(body: string): boolean {
  let depth = 0;
  let inClass = false;
  for (let index = 0; index < body.length; index += 1) {
    const character = body[index];
    if (character === '\\') index += 1;
    else if (inClass) inClass = character !== ']';
    else if (character === '[') inClass = true;
    else if (character === '(') depth += 1;
    else if (character === ')') depth -= 1;
    else if (character === '|' && depth === 0) return true;
  }
  return false;
}

function trimmedMinLength(length: number): string {
  return length === 1 ? '\\S' : `^\\s*\\S[\\s\\S]{${length - 2},}\\S\\s*$`;
}

function trimmedMaxLength(length: number): string {
  if (length === 0) return '^\\s*$';
  if (length === 1) return '^\\s*\\S?\\s*$';
  return `^\\s*(?:\\S(?:[\\s\\S]{0,${length - 2}}\\S)?)?\\s*$`;
}

/** Blank text, an empty list or null: what `saveSettings` counts as "not filled". In `$defs`. */
const notSet: JsonSchema = {
  anyOf: [{ type: 'string', pattern: '^\\s*$' }, { type: 'array', maxItems: 0 }, { type: 'null' }],
};
const filled: JsonSchema = { not: { $ref: '#/$defs/notSet' } };

/** A field with a choice of values (an enum), such as Zendesk's `authMode`. */
interface ChoiceField {
  field: string;
  values: readonly unknown[];
}

function choiceFields(properties: Record<string, JsonSchema>): ChoiceField[] {
  return Object.entries(properties).flatMap(([field, property]) =>
    Array.isArray(property.enum) ? [{ field, values: property.enum }] : [],
  );
}

/** Every field's value when it is left out: its default, or undefined. */
function defaultSettings(schema: z.ZodObject): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(schema.shape as Record<string, z.ZodType>).map(([field, schema]) => [
      field,
      schema.safeParse(undefined).data,
    ]),
  );
}

/** The settings to ask a plugin about: the defaults, then each choice of each choice field. */
function configurations(defaults: Record<string, unknown>, choices: readonly ChoiceField[]) {
  return [
    defaults,
    ...choices.flatMap(({ field, values }) => values.map((value) => ({ ...defaults, [field]: value }))),
  ];
}

function offersAlwaysUseAdmin<TSchema extends PluginSettingsSchema>(
  plugin: Pick<CrmPlugin<TSchema>, 'capabilities'>,
  defaults: Record<string, unknown>,
  choices: readonly ChoiceField[],
): boolean {
  return configurations(defaults, choices).some(
    (settings) => plugin.capabilities(settings as z.output<TSchema>).alwaysUseAdmin,
  );
}

/**
 * All or none: once one field of the group is filled, every other must be. Fields with a
 * default are left out (they always hold a value), so are groups of one field. A group with
 * `appliesWhen` gets the rule under the condition on the one choice field that decides it
 * (Zendesk's `authMode`), found by asking `appliesWhen` about each choice; when no single choice
 * field explains it, the rule is left to `saveSettings`.
 */
function credentialGroupRule<TSettings>(
  group: CredentialGroup<TSettings>,
  defaults: Record<string, unknown>,
  choices: readonly ChoiceField[],
): JsonSchema[] {
  const fields = group.fields.filter((field) => defaults[field] === undefined);
  if (fields.length < 2) return [];
  const rule: JsonSchema = {
    $comment: `Credential group ${group.id} (${group.label}): every field filled in, or none.`,
    ...ifThen(
      { anyOf: fields.map((field) => ({ required: [field], properties: { [field]: filled } })) },
      { required: fields, properties: Object.fromEntries(fields.map((field) => [field, filled])) },
    ),
  };
  const appliesWhen = group.appliesWhen;
  if (appliesWhen === undefined) return [rule];
  const deciding = choices.flatMap(({ field, values }) => {
    const applying = values.filter((value) => appliesWhen({ ...defaults, [field]: value } as TSettings));
    return applying.length === 0 || applying.length === values.length ? [] : [{ field, applying }];
  });
  const [choice, ...others] = deciding;
  if (choice === undefined || others.length > 0) {
    return deciding.length === 0 && appliesWhen(defaults as TSettings) ? [rule] : [];
  }
  // Left out, the choice field takes its default: the condition holds for it only if the default applies.
  const condition: JsonSchema = { properties: { [choice.field]: { enum: choice.applying } } };
  if (!choice.applying.includes(defaults[choice.field])) condition.required = [choice.field];
  return [ifThen(condition, rule)];
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
