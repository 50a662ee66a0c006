import {
  describeOf,
  type FieldDescribe,
  fieldOf,
  type ObjectDescribe,
  sameValue,
} from './salesforce-objects.js';
import type { SalesforceStore, SObjectRecord } from './salesforce-store.js';
import type { SalesforceError } from './salesforce-wire.js';

/**
 * The SOQL the plugin sends, and nothing more general: `SELECT fields FROM Object`, an optional
 * `WHERE` of `field = value` / `field != value` comparisons joined by `AND`, `ORDER BY field
 * [ASC|DESC]`, `LIMIT n`. Keywords and names are case-insensitive; text compares without regard
 * to case, except ids and case-sensitive external ids.
 * https://developer.salesforce.com/docs/atlas.en-us.soql_sosl.meta/soql_sosl/sforce_api_calls_soql_select.htm
 */

export interface SoqlQuery {
  describe: ObjectDescribe;
  fields: FieldDescribe[];
  conditions: { field: FieldDescribe; negated: boolean; value: unknown }[];
  orderBy: { field: FieldDescribe; descending: boolean } | undefined;
  limit: number | undefined;
}

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

export function parseSoql(soql: string): SoqlQuery {
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
  const fields = names.map(field);

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
  return { describe, fields, conditions, orderBy, limit };
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
