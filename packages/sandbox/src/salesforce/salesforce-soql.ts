import {
  describeOf,
  describes,
  type FieldDescribe,
  fieldOf,
  type ObjectDescribe,
  sameValue,
} from './salesforce-objects.js';
import { hasPermission, permissionOfField, type SystemPermission } from './salesforce-permissions.js';
import type { SalesforceStore, SObjectRecord, UserRecord } from './salesforce-store.js';
import { type SalesforceError, sameId } from './salesforce-wire.js';

/**
 * The SOQL the plugin sends, and nothing more general: `SELECT fields FROM Object`, an optional
 * `WHERE` of `field = value` / `field != value` comparisons joined by `AND`, `ORDER BY field
 * [ASC|DESC]`, `LIMIT n`. Keywords and names are case-insensitive; text compares without regard
 * to case, except ids and case-sensitive external ids. A selected field may cross a lookup
 * (`Owner.Name`, `Contact.Email`); the polymorphic `Owner` (a User or a queue) offers the fields
 * of Salesforce's `Name` object. `FROM UserPermissionAccess` answers the requesting user's
 * effective system permissions, one row.
 * https://developer.salesforce.com/docs/atlas.en-us.soql_sosl.meta/soql_sosl/sforce_api_calls_soql_select.htm
 * https://developer.salesforce.com/docs/atlas.en-us.object_reference.meta/object_reference/sforce_api_objects_name.htm
 */

/** A selected field: one of the object's own, or one reached through a lookup (`Owner.Name`). */
export type SelectedField =
  | { name: string; field: FieldDescribe }
  | { name: string; lookup: FieldDescribe; relationship: string; target: string };

export interface SoqlQuery {
  kind: 'records';
  describe: ObjectDescribe;
  fields: SelectedField[];
  conditions: { field: FieldDescribe; negated: boolean; value: unknown }[];
  orderBy: { field: FieldDescribe; descending: boolean } | undefined;
  limit: number | undefined;
}

/** `SELECT Permissions… FROM UserPermissionAccess`: the current user's effective permissions. */
export interface PermissionQuery {
  kind: 'permissions';
  fields: { name: string; permission: SystemPermission }[];
}

/** The fields of Salesforce's `Name` object, which a polymorphic lookup such as `Owner` offers. */
const nameFields = ['Id', 'Type', 'Name', 'Alias', 'Email', 'FirstName', 'LastName', 'Username', 'IsActive'];

/** A query Salesforce would refuse, with its error code (MALFORMED_QUERY, INVALID_FIELD, INVALID_TYPE). */
export class SoqlError extends Error {
  readonly error: SalesforceError;
  constructor(errorCode: string, message: string) {
    super(message);
    this.name = 'SoqlError';
    this.error = { message, errorCode, fields: [] };
  }
}

const escapes: Record<string, string> = { n: '\n', r: '\r', t: '\t', f: '\f', b: '\b' };

function tokenize(soql: string): string[] {
  const tokens: string[] = [];
  const pattern = /\s*('(?:[^'\\]|\\.)*'|!=|=|,|[A-Za-z0-9_.+-]+)/y;
  let end = 0;
  for (let match = pattern.exec(soql); match !== null; match = pattern.exec(soql)) {
    tokens.push(match[1] ?? '');
    end = pattern.lastIndex;
  }
  if (soql.slice(end).trim() !== '') {
    throw new SoqlError('MALFORMED_QUERY', `unexpected token: '${soql.slice(end).trim().split(/\s/)[0]}'`);
  }
  return tokens;
}

function literal(token: string | undefined): unknown {
  if (token === undefined) throw new SoqlError('MALFORMED_QUERY', 'unexpected end of query');
  if (token.startsWith("'")) {
    return token.slice(1, -1).replace(/\\(.)/g, (_, character: string) => escapes[character] ?? character);
  }
  if (/^(true|false)$/i.test(token)) return token.toLowerCase() === 'true';
  if (/^null$/i.test(token)) return null;
  if (/^[+-]?\d+(\.\d+)?$/.test(token)) return Number(token);
  throw new SoqlError('MALFORMED_QUERY', `unexpected token: '${token}'`);
}

function noSuchColumn(name: string, describe: ObjectDescribe): SoqlError {
  return new SoqlError(
    'INVALID_FIELD',
    `No such column '${name}' on entity '${describe.name}'. If you are attempting to use a custom field, be sure to append the '__c' after the custom field name. Please reference your WSDL or the describe call for the appropriate names.`,
  );
}

export function parseSoql(soql: string): SoqlQuery | PermissionQuery {
  const tokens = tokenize(soql.trim());
  let position = 0;
  const peek = () => tokens[position]?.toUpperCase();
  const next = () => tokens[position++];
  const expect = (keyword: string) => {
    if (peek() !== keyword)
      throw new SoqlError(
        'MALFORMED_QUERY',
        `unexpected token: '${tokens[position] ?? ''}', expected ${keyword}`,
      );
    position += 1;
  };

  expect('SELECT');
  const names = [next() ?? ''];
  while (peek() === ',') {
    position += 1;
    names.push(next() ?? '');
  }
  expect('FROM');
  const objectName = next() ?? '';
  if (objectName.toLowerCase() === 'userpermissionaccess') return permissionQuery(names, tokens, position);
  const describe = describeOf(objectName);
  if (describe === undefined) {
    throw new SoqlError(
      'INVALID_TYPE',
      `sObject type '${objectName}' is not supported. If you are attempting to use a custom object, be sure to append the '__c' after the entity name.`,
    );
  }
  const field = (name: string) => {
    const found = fieldOf(describe, name);
    if (found === undefined) throw noSuchColumn(name, describe);
    return found;
  };
  const fields = names.map((name) => selected(describe, name));

  const conditions: SoqlQuery['conditions'] = [];
  if (peek() === 'WHERE') {
    position += 1;
    const condition = () => {
      const target = field(next() ?? '');
      const operator = next();
      if (operator !== '=' && operator !== '!=') {
        throw new SoqlError(
          'MALFORMED_QUERY',
          `unexpected token: '${operator ?? ''}' (the sandbox reads = and != only)`,
        );
      }
      conditions.push({ field: target, negated: operator === '!=', value: literal(next()) });
    };
    condition();
    while (peek() === 'AND') {
      position += 1;
      condition();
    }
  }
  let orderBy: SoqlQuery['orderBy'];
  if (peek() === 'ORDER') {
    position += 1;
    expect('BY');
    const target = field(next() ?? '');
    const direction = peek();
    if (direction === 'ASC' || direction === 'DESC') position += 1;
    orderBy = { field: target, descending: direction === 'DESC' };
  }
  let limit: number | undefined;
  if (peek() === 'LIMIT') {
    position += 1;
    const value = Number(next());
    if (!Number.isInteger(value) || value < 0)
      throw new SoqlError('MALFORMED_QUERY', 'LIMIT must be a non-negative integer');
    limit = value;
  }
  if (position !== tokens.length)
    throw new SoqlError('MALFORMED_QUERY', `unexpected token: '${tokens[position]}'`);
  return { kind: 'records', describe, fields, conditions, orderBy, limit };
}

/** A selected field of `describe`: its own (`OwnerId`) or across a lookup (`Owner.Name`). */
function selected(describe: ObjectDescribe, name: string): SelectedField {
  const [relationship, sub, ...more] = name.split('.');
  if (sub === undefined) {
    const own = fieldOf(describe, name);
    if (own === undefined) throw noSuchColumn(name, describe);
    return { name: own.name, field: own };
  }
  const lookup = describe.fields.find(
    (candidate) => candidate.relationshipName?.toLowerCase() === relationship?.toLowerCase(),
  );
  const targets = lookup?.referenceTo ?? [];
  const [single] = targets;
  const target =
    targets.length > 1
      ? nameFields.find((candidate) => candidate.toLowerCase() === sub.toLowerCase())
      : single === undefined
        ? undefined
        : fieldOf(describes[single], sub)?.name;
  if (lookup?.relationshipName === undefined || target === undefined || more.length > 0) {
    throw new SoqlError(
      'INVALID_FIELD',
      `Didn't understand relationship '${relationship}' in field path. If you are attempting to use a custom relationship, be sure to append the '__r' after the custom relationship name. Please reference your WSDL or the describe call for the appropriate names.`,
    );
  }
  return {
    name: `${lookup.relationshipName}.${target}`,
    lookup,
    relationship: lookup.relationshipName,
    target,
  };
}

function permissionQuery(names: string[], tokens: string[], position: number): PermissionQuery {
  const fields = names.map((name) => {
    const permission = permissionOfField(name);
    if (permission === undefined) {
      throw new SoqlError(
        'INVALID_FIELD',
        `No such column '${name}' on entity 'UserPermissionAccess'. If you are attempting to use a custom field, be sure to append the '__c' after the custom field name. Please reference your WSDL or the describe call for the appropriate names.`,
      );
    }
    return { name: `Permissions${permission}`, permission };
  });
  // One row, whatever the LIMIT.
  const rest = tokens.slice(position).map((token) => token.toUpperCase());
  if (!(rest.length === 0 || (rest.length === 2 && rest[0] === 'LIMIT' && /^\d+$/.test(rest[1] ?? '')))) {
    throw new SoqlError('MALFORMED_QUERY', `unexpected token: '${tokens[position] ?? ''}'`);
  }
  return { kind: 'permissions', fields };
}

/** The one row of a UserPermissionAccess query, for the user who asks. */
export function permissionRow(query: PermissionQuery, user: UserRecord): Record<string, unknown> {
  const row: Record<string, unknown> = { attributes: { type: 'UserPermissionAccess' } };
  for (const { name, permission } of query.fields) row[name] = hasPermission(user, permission);
  return row;
}

/** A selected record as the REST API shows it: `attributes`, its fields, lookups as nested records. */
export function projectRecord(
  store: SalesforceStore,
  query: SoqlQuery,
  record: SObjectRecord,
  version: string,
): Record<string, unknown> {
  const type = query.describe.name;
  const shown: Record<string, unknown> = {
    attributes: { type, url: `/services/data/v${version}/sobjects/${type}/${record.Id}` },
  };
  for (const selection of query.fields) {
    if ('field' in selection) {
      shown[selection.name] = record[selection.name] ?? null;
      continue;
    }
    const id = record[selection.lookup.name];
    const related = typeof id === 'string' ? relatedRecord(store, selection.lookup, id) : undefined;
    if (related === undefined) {
      shown[selection.relationship] = null;
      continue;
    }
    const nested = (shown[selection.relationship] as Record<string, unknown> | undefined) ?? {
      attributes: {
        type: (selection.lookup.referenceTo?.length ?? 0) > 1 ? 'Name' : related.object,
        url: `/services/data/v${version}/sobjects/${related.object}/${related.record.Id}`,
      },
    };
    nested[selection.target] =
      (selection.lookup.referenceTo?.length ?? 0) > 1
        ? nameValue(related.object, related.record, selection.target)
        : (related.record[selection.target] ?? null);
    shown[selection.relationship] = nested;
  }
  return shown;
}

function relatedRecord(
  store: SalesforceStore,
  lookup: FieldDescribe,
  id: string,
): { object: string; record: SObjectRecord } | undefined {
  for (const object of lookup.referenceTo ?? []) {
    const record = store.tableOf(object).find((candidate) => sameId(candidate.Id, id));
    if (record !== undefined) return { object, record };
  }
  return undefined;
}

/** A `Name` field of a User or a queue (`Group`); user-only fields are null for a queue. */
function nameValue(object: string, record: SObjectRecord, field: string): unknown {
  if (field === 'Type') return object === 'Group' ? 'Queue' : object;
  if (object === 'Group') {
    if (field === 'IsActive') return false;
    return field === 'Id' || field === 'Name' ? record[field] : null;
  }
  return record[field] ?? null;
}

/** Nulls first, then text without regard to case, as SOQL orders ascending by default. */
function order(left: unknown, right: unknown): number {
  if (left === right) return 0;
  if (left === null || left === undefined) return -1;
  if (right === null || right === undefined) return 1;
  const a = typeof left === 'string' ? left.toLowerCase() : (left as number);
  const b = typeof right === 'string' ? right.toLowerCase() : (right as number);
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The records a parsed query selects, in order, limited. */
export function runSoql(store: SalesforceStore, query: SoqlQuery): SObjectRecord[] {
  let records = store
    .tableOf(query.describe.name)
    .filter((record) =>
      query.conditions.every(
        ({ field, negated, value }) => sameValue(field, record[field.name], value) !== negated,
      ),
    );
  const sort = query.orderBy;
  if (sort !== undefined) {
    records = records.sort(
      (left, right) => order(left[sort.field.name], right[sort.field.name]) * (sort.descending ? -1 : 1),
    );
  }
  return query.limit === undefined ? records : records.slice(0, query.limit);
}
