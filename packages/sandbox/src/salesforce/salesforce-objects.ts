import type { SalesforceStore, SObjectName, SObjectRecord } from './salesforce-store.js';
import { type SalesforceError, sameId } from './salesforce-wire.js';

/**
 * What the org's sObjects look like (a trimmed describe: the fields the plugin and QA touch), and
 * the one place records are written: field checks, defaults, references, unique keys and the
 * case assignment rule, with Salesforce's error codes. The same rules serve every route (create,
 * update, upsert, composite subrequests, collections).
 * https://developer.salesforce.com/docs/atlas.en-us.object_reference.meta/object_reference/sforce_api_objects_case.htm
 * https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/errorcodes.htm
 */

export interface FieldDescribe {
  name: string;
  label: string;
  type: 'id' | 'string' | 'textarea' | 'email' | 'phone' | 'picklist' | 'boolean' | 'reference' | 'datetime';
  /** Longest value accepted, in characters (in UTF-8 bytes with `lengthInBytes`). */
  length?: number;
  lengthInBytes?: boolean;
  /** Objects a reference may point at. */
  referenceTo?: SObjectName[];
  /** `Contact` for `ContactId`: the name a related record's external id is given under. */
  relationshipName?: string;
  createable: boolean;
  updateable: boolean;
  /** Must be given on create. */
  required?: boolean;
  unique?: boolean;
  externalId?: boolean;
  /** Values compare case-sensitively (ids, and the case external id field, "case sensitive" unique). */
  caseSensitive?: boolean;
  defaultValue?: unknown;
}

export interface ObjectDescribe {
  name: SObjectName;
  createable: boolean;
  fields: FieldDescribe[];
  /** Fields computed from others (`Name`), filled after each write. */
  derive?: (record: Record<string, unknown>) => Record<string, unknown>;
}

const system: FieldDescribe[] = [
  { name: 'Id', label: 'Record ID', type: 'id', createable: false, updateable: false, caseSensitive: true },
  {
    name: 'CreatedById',
    label: 'Created By ID',
    type: 'reference',
    referenceTo: ['User'],
    createable: false,
    updateable: false,
  },
  { name: 'CreatedDate', label: 'Created Date', type: 'datetime', createable: false, updateable: false },
  {
    name: 'LastModifiedById',
    label: 'Last Modified By ID',
    type: 'reference',
    referenceTo: ['User'],
    createable: false,
    updateable: false,
  },
  {
    name: 'LastModifiedDate',
    label: 'Last Modified Date',
    type: 'datetime',
    createable: false,
    updateable: false,
  },
];
const text = (
  name: string,
  label: string,
  length: number,
  extra: Partial<FieldDescribe> = {},
): FieldDescribe => ({
  name,
  label,
  type: 'string',
  length,
  createable: true,
  updateable: true,
  ...extra,
});
const owner: FieldDescribe = {
  name: 'OwnerId',
  label: 'Owner ID',
  type: 'reference',
  referenceTo: ['User', 'Group'],
  relationshipName: 'Owner',
  createable: true,
  updateable: true,
};
const fullName = (record: Record<string, unknown>) => ({
  Name: [record.FirstName, record.LastName]
    .filter((part) => typeof part === 'string' && part !== '')
    .join(' '),
});

export const describes: Record<SObjectName, ObjectDescribe> = {
  User: {
    name: 'User',
    createable: false,
    fields: [
      ...system,
      text('Username', 'Username', 80, { createable: false, updateable: false }),
      text('Name', 'Full Name', 121, { createable: false, updateable: false }),
      text('FirstName', 'First Name', 40, { createable: false, updateable: false }),
      text('LastName', 'Last Name', 80, { createable: false, updateable: false }),
      { name: 'Email', label: 'Email', type: 'email', length: 128, createable: false, updateable: false },
      { name: 'IsActive', label: 'Active', type: 'boolean', createable: false, updateable: false },
      {
        name: 'UserType',
        label: 'User Type',
        type: 'picklist',
        length: 40,
        createable: false,
        updateable: false,
      },
    ],
  },
  Group: {
    name: 'Group',
    createable: false,
    fields: [...system, text('Name', 'Name', 40, { createable: false, updateable: false })],
  },
  Contact: {
    name: 'Contact',
    createable: true,
    derive: fullName,
    fields: [
      ...system,
      text('FirstName', 'First Name', 40),
      text('LastName', 'Last Name', 80, { required: true }),
      text('Name', 'Full Name', 121, { createable: false, updateable: false }),
      { name: 'Email', label: 'Email', type: 'email', length: 80, createable: true, updateable: true },
      {
        name: 'Phone',
        label: 'Business Phone',
        type: 'phone',
        length: 40,
        createable: true,
        updateable: true,
      },
      {
        name: 'MobilePhone',
        label: 'Mobile Phone',
        type: 'phone',
        length: 40,
        createable: true,
        updateable: true,
      },
      owner,
      text('CrmConnect_Contact_Key__c', 'CrmConnect Contact Key', 255, { unique: true, externalId: true }),
    ],
  },
  Case: {
    name: 'Case',
    createable: true,
    fields: [
      ...system,
      text('CaseNumber', 'Case Number', 30, { createable: false, updateable: false }),
      text('Subject', 'Subject', 255),
      {
        name: 'Description',
        label: 'Description',
        type: 'textarea',
        length: 32_000,
        createable: true,
        updateable: true,
      },
      {
        name: 'Origin',
        label: 'Case Origin',
        type: 'picklist',
        length: 40,
        createable: true,
        updateable: true,
      },
      {
        name: 'Status',
        label: 'Status',
        type: 'picklist',
        length: 40,
        createable: true,
        updateable: true,
        defaultValue: 'New',
      },
      {
        name: 'Priority',
        label: 'Priority',
        type: 'picklist',
        length: 40,
        createable: true,
        updateable: true,
        defaultValue: 'Medium',
      },
      owner,
      {
        name: 'ContactId',
        label: 'Contact ID',
        type: 'reference',
        referenceTo: ['Contact'],
        relationshipName: 'Contact',
        createable: true,
        updateable: true,
      },
      text('SuppliedName', 'Name', 80),
      {
        name: 'SuppliedEmail',
        label: 'Email Address',
        type: 'email',
        length: 80,
        createable: true,
        updateable: true,
      },
      text('SuppliedPhone', 'Phone', 40),
      text('CrmConnect_Interaction_Id__c', 'CrmConnect Interaction Id', 255, {
        unique: true,
        externalId: true,
        caseSensitive: true,
      }),
    ],
  },
  CaseComment: {
    name: 'CaseComment',
    createable: true,
    fields: [
      ...system,
      {
        name: 'ParentId',
        label: 'Parent ID',
        type: 'reference',
        referenceTo: ['Case'],
        createable: true,
        updateable: false,
        required: true,
      },
      {
        name: 'CommentBody',
        label: 'Body',
        type: 'textarea',
        length: 4_000,
        lengthInBytes: true,
        createable: true,
        updateable: true,
        required: true,
      },
      {
        name: 'IsPublished',
        label: 'Published',
        type: 'boolean',
        createable: true,
        updateable: true,
        defaultValue: false,
      },
    ],
  },
  Task: {
    name: 'Task',
    createable: true,
    fields: [
      ...system,
      {
        name: 'WhatId',
        label: 'Related To ID',
        type: 'reference',
        referenceTo: ['Case'],
        relationshipName: 'What',
        createable: true,
        updateable: true,
      },
      {
        name: 'WhoId',
        label: 'Name ID',
        type: 'reference',
        referenceTo: ['Contact'],
        relationshipName: 'Who',
        createable: true,
        updateable: true,
      },
      text('Subject', 'Subject', 255),
      {
        name: 'Description',
        label: 'Comments',
        type: 'textarea',
        length: 32_000,
        createable: true,
        updateable: true,
      },
      {
        name: 'Status',
        label: 'Status',
        type: 'picklist',
        length: 40,
        createable: true,
        updateable: true,
        defaultValue: 'Not Started',
      },
      owner,
    ],
  },
};

/** The describe of an object named in a URL or a query, whatever its letter case; `undefined` if the org has none. */
export function describeOf(name: string): ObjectDescribe | undefined {
  const found = Object.keys(describes).find((candidate) => candidate.toLowerCase() === name.toLowerCase());
  return found === undefined ? undefined : describes[found as SObjectName];
}

export function fieldOf(describe: ObjectDescribe, name: string): FieldDescribe | undefined {
  return describe.fields.find((field) => field.name.toLowerCase() === name.toLowerCase());
}

/** Two field values are the same value: ids by their 15-character form, text per the field's case rule. */
export function sameValue(field: FieldDescribe, left: unknown, right: unknown): boolean {
  if (left === null || left === undefined || right === null || right === undefined) {
    return (left ?? null) === (right ?? null);
  }
  if (field.type === 'id' || field.type === 'reference') return sameId(String(left), String(right));
  if (typeof left === 'string' && typeof right === 'string' && field.caseSensitive !== true) {
    return left.toLowerCase() === right.toLowerCase();
  }
  return left === right;
}

/** Who writes, and how: the running user and whether assignment rules may run (`Sforce-Auto-Assign`). */
export interface WriteContext {
  userId: string;
  autoAssign: boolean;
  /** Salesforce's timestamp format, `2026-11-21T10:00:00.000+0000`. */
  now: string;
}

export type WriteResult<T> = { ok: true; record: T } | { ok: false; errors: SalesforceError[] };

const refused = (errorCode: string, message: string, fields: string[] = []): WriteResult<never> => ({
  ok: false,
  errors: [{ message, errorCode, fields }],
});

function tooLong(field: FieldDescribe, value: string): boolean {
  if (field.length === undefined) return false;
  return field.lengthInBytes === true
    ? Buffer.byteLength(value, 'utf8') > field.length
    : value.length > field.length;
}

/**
 * Checks `input` (field API names → values, as a REST body) against the object's describe and
 * writes it: a new record when `existing` is undefined, else an update of `existing`. Nothing is
 * written unless every check passes.
 */
export function writeRecord(
  store: SalesforceStore,
  describe: ObjectDescribe,
  input: Record<string, unknown>,
  existing: SObjectRecord | undefined,
  context: WriteContext,
): WriteResult<SObjectRecord> {
  const creating = existing === undefined;
  const values: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(input)) {
    if (name === 'attributes') continue;
    const byRelationship = describe.fields.find(
      (field) => field.relationshipName?.toLowerCase() === name.toLowerCase(),
    );
    if (byRelationship !== undefined && typeof value === 'object' && value !== null) {
      // `Contact: { CrmConnect_Contact_Key__c: … }`: the related record named by one of its external ids.
      const resolved = resolveRelated(store, byRelationship, value as Record<string, unknown>);
      if (!resolved.ok) return resolved;
      values[byRelationship.name] = resolved.record;
      continue;
    }
    const field = fieldOf(describe, name);
    if (field === undefined) {
      return refused('INVALID_FIELD', `No such column '${name}' on sobject of type ${describe.name}`);
    }
    if (!(creating ? field.createable : field.updateable)) {
      return refused(
        'INVALID_FIELD_FOR_INSERT_UPDATE',
        `Unable to ${creating ? 'create' : 'update'} fields: ${field.name}. Please check the security settings of this field and verify that it is read/write for your profile or permission set.`,
        [field.name],
      );
    }
    values[field.name] = value;
  }
  if (creating) {
    for (const field of describe.fields) {
      if (values[field.name] === undefined && field.defaultValue !== undefined)
        values[field.name] = field.defaultValue;
    }
    if (describe.fields.some((field) => field.name === 'OwnerId') && values.OwnerId === undefined) {
      values.OwnerId = context.userId;
    }
    const missing = describe.fields.filter(
      (field) =>
        field.required === true &&
        (values[field.name] === undefined || values[field.name] === null || values[field.name] === ''),
    );
    if (missing.length > 0) {
      const names = missing.map((field) => field.name);
      return refused('REQUIRED_FIELD_MISSING', `Required fields are missing: [${names.join(', ')}]`, names);
    }
  }

  for (const [name, value] of Object.entries(values)) {
    const field = fieldOf(describe, name) as FieldDescribe;
    const problem = checkValue(store, describe, field, value);
    if (problem !== undefined) return problem;
  }

  if (describe.name === 'Case' && context.autoAssign) {
    // The org's active case assignment rule sends every case to the Support queue, unless the
    // client turns assignment rules off with `Sforce-Auto-Assign: FALSE`.
    values.OwnerId = store.supportQueueId;
  }

  for (const field of describe.fields.filter((candidate) => candidate.unique === true)) {
    const value = values[field.name];
    if (value === undefined || value === null || value === '') continue;
    const other = store
      .tableOf(describe.name)
      .find((record) => record.id !== existing?.id && sameValue(field, record[field.name], value));
    if (other !== undefined) {
      return refused(
        'DUPLICATE_VALUE',
        `duplicate value found: ${field.name} duplicates value on record with id: ${other.Id}`,
      );
    }
  }

  const table = store.tableOf(describe.name);
  if (existing === undefined) {
    const id = store.nextId(describe.name);
    const blank = Object.fromEntries(describe.fields.map((field) => [field.name, null]));
    const created: SObjectRecord = {
      ...blank,
      ...values,
      id,
      Id: id,
      CreatedById: context.userId,
      CreatedDate: context.now,
      LastModifiedById: context.userId,
      LastModifiedDate: context.now,
      ...(describe.name === 'Case' ? { CaseNumber: store.nextCaseNumber() } : {}),
    };
    Object.assign(created, describe.derive?.(created));
    return { ok: true, record: store.insert(table, created) };
  }
  const merged = { ...existing, ...values };
  const changes = {
    ...values,
    ...describe.derive?.(merged),
    LastModifiedById: context.userId,
    LastModifiedDate: context.now,
  };
  return { ok: true, record: store.update(table, existing.id, changes) ?? existing };
}

/** The first problem with one field's value, as Salesforce reports it. */
function checkValue(
  store: SalesforceStore,
  describe: ObjectDescribe,
  field: FieldDescribe,
  value: unknown,
): WriteResult<never> | undefined {
  if (value === null) {
    return field.required === true
      ? refused('REQUIRED_FIELD_MISSING', `Required fields are missing: [${field.name}]`, [field.name])
      : undefined;
  }
  if (field.type === 'boolean') {
    return typeof value === 'boolean'
      ? undefined
      : refused(
          'JSON_PARSER_ERROR',
          `Cannot deserialize instance of boolean from ${JSON.stringify(value)} for ${describe.name}.${field.name}`,
        );
  }
  if (typeof value !== 'string') {
    return refused(
      'JSON_PARSER_ERROR',
      `Cannot deserialize instance of ${field.type} from ${JSON.stringify(value)} for ${describe.name}.${field.name}`,
    );
  }
  if (tooLong(field, value)) {
    return refused(
      'STRING_TOO_LONG',
      `${field.label}: data value too large: ${value.slice(0, 40)}… (max length=${field.length})`,
      [field.name],
    );
  }
  if (field.type === 'email' && value !== '' && !/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(value)) {
    return refused('INVALID_EMAIL_ADDRESS', `${field.label}: invalid email address: ${value}`, [field.name]);
  }
  if (field.type === 'reference') return checkReference(store, describe, field, value);
  return undefined;
}

/** A reference must name an existing record of an allowed object; an owner must be an active user (or a queue). */
function checkReference(
  store: SalesforceStore,
  describe: ObjectDescribe,
  field: FieldDescribe,
  value: string,
): WriteResult<never> | undefined {
  for (const object of field.referenceTo ?? []) {
    const target = store.tableOf(object).find((record) => sameId(record.Id, value));
    if (target === undefined) continue;
    if (object === 'User' && target.IsActive === false) {
      return refused(
        'INACTIVE_OWNER_OR_USER',
        `operation performed with inactive user [${target.Id}] as ${field.name === 'OwnerId' ? 'owner' : 'a related user'} of ${describe.name.toLowerCase()}`,
      );
    }
    return undefined;
  }
  return refused('INVALID_CROSS_REFERENCE_KEY', `invalid cross reference id`, [field.name]);
}

/** `{ CrmConnect_Contact_Key__c: "jane@example.com" }` → the id of the related record with that external id. */
function resolveRelated(
  store: SalesforceStore,
  field: FieldDescribe,
  value: Record<string, unknown>,
): WriteResult<string> {
  const [object] = field.referenceTo ?? [];
  const related = object === undefined ? undefined : describes[object];
  const entries = Object.entries(value).filter(([name]) => name !== 'attributes');
  const [keyName, keyValue] = entries[0] ?? ['', undefined];
  const key = related === undefined ? undefined : fieldOf(related, keyName);
  if (related === undefined || entries.length !== 1 || key === undefined || key.externalId !== true) {
    return refused(
      'INVALID_FIELD',
      `The ${field.relationshipName} relationship must name exactly one external ID field of ${object ?? 'the related object'}`,
    );
  }
  const found = store.tableOf(related.name).find((record) => sameValue(key, record[key.name], keyValue));
  if (found === undefined) {
    return refused(
      'INVALID_FIELD',
      `Foreign key external ID: ${String(keyValue)} not found for field ${key.name} in entity ${related.name}`,
    );
  }
  return { ok: true, record: found.Id };
}
