import type { SandboxRequest } from '../http-exchange.js';

/**
 * The OData query options the Dynamics plugin sends: `$select`, `$filter` (comparisons joined by
 * `and` / `or`, with parentheses), `$orderby`, `$top`, and paging by `Prefer: odata.maxpagesize`
 * with an `@odata.nextLink`. Dataverse compares text without regard to case.
 * https://learn.microsoft.com/power-apps/developer/data-platform/webapi/query-data-web-api
 */

/** A row as the Web API shows it: attribute name → value. */
export type Row = Readonly<Record<string, unknown>>;

/** A query option Dataverse would refuse (unknown attribute, bad syntax): answered 400 `0x80060888`. */
export class QueryOptionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'QueryOptionError';
  }
}

type Comparison = { kind: 'compare'; attribute: string; operator: string; value: unknown };
type Condition =
  | Comparison
  | { kind: 'and'; left: Condition; right: Condition }
  | { kind: 'or'; left: Condition; right: Condition };

const operators = new Set(['eq', 'ne', 'gt', 'ge', 'lt', 'le']);
const guidLiteral = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function tokenize(text: string): string[] {
  const tokens: string[] = [];
  const pattern = /\s*(\(|\)|'(?:[^']|'')*'|[^\s()']+)/y;
  let end = 0;
  for (let match = pattern.exec(text); match !== null; match = pattern.exec(text)) {
    tokens.push(match[1] ?? '');
    end = pattern.lastIndex;
  }
  if (text.slice(end).trim() !== '') throw new QueryOptionError(`Syntax error in '${text}'.`);
  return tokens;
}

function literal(token: string | undefined): unknown {
  if (token === undefined) throw new QueryOptionError('Expression expected at the end of $filter.');
  if (token.startsWith("'")) return token.slice(1, -1).replace(/''/g, "'");
  if (token === 'null') return null;
  if (token === 'true' || token === 'false') return token === 'true';
  if (/^-?\d+(\.\d+)?$/.test(token)) return Number(token);
  if (guidLiteral.test(token)) return token.toLowerCase();
  throw new QueryOptionError(`Syntax error: '${token}' is not a literal.`);
}

/** Parses a `$filter`, checking every attribute against `attributes`. */
export function parseFilter(text: string, attributes: ReadonlySet<string>, type: string): Condition {
  const tokens = tokenize(text);
  let position = 0;
  const next = () => tokens[position++];

  function primary(): Condition {
    if (tokens[position] === '(') {
      position += 1;
      const inner = or();
      if (next() !== ')') throw new QueryOptionError(`')' expected in '${text}'.`);
      return inner;
    }
    const attribute = next() ?? '';
    if (!attributes.has(attribute)) {
      throw new QueryOptionError(
        `Could not find a property named '${attribute}' on type 'Microsoft.Dynamics.CRM.${type}'.`,
      );
    }
    const operator = next() ?? '';
    if (!operators.has(operator)) throw new QueryOptionError(`Syntax error: unknown operator '${operator}'.`);
    return { kind: 'compare', attribute, operator, value: literal(next()) };
  }
  function and(): Condition {
    let left = primary();
    while (tokens[position] === 'and') {
      position += 1;
      left = { kind: 'and', left, right: primary() };
    }
    return left;
  }
  function or(): Condition {
    let left = and();
    while (tokens[position] === 'or') {
      position += 1;
      left = { kind: 'or', left, right: and() };
    }
    return left;
  }

  const condition = or();
  if (position !== tokens.length) throw new QueryOptionError(`Syntax error at '${tokens[position]}'.`);
  return condition;
}

/** Text is compared without regard to case, as Dataverse's collation does. */
function comparable(value: unknown): unknown {
  return typeof value === 'string' ? value.toLowerCase() : value;
}

function compare(left: unknown, right: unknown): number {
  const a = comparable(left);
  const b = comparable(right);
  if (a === b) return 0;
  if (a === null || a === undefined) return -1;
  if (b === null || b === undefined) return 1;
  return (a as number | string) < (b as number | string) ? -1 : 1;
}

export function matches(row: Row, condition: Condition): boolean {
  if (condition.kind === 'and') return matches(row, condition.left) && matches(row, condition.right);
  if (condition.kind === 'or') return matches(row, condition.left) || matches(row, condition.right);
  const value = row[condition.attribute] ?? null;
  const order = compare(value, condition.value);
  switch (condition.operator) {
    case 'eq':
      return order === 0;
    case 'ne':
      return order !== 0;
    // Null orders below everything, but a range comparison with null matches nothing.
    case 'gt':
      return value !== null && order > 0;
    case 'ge':
      return value !== null && order >= 0;
    case 'lt':
      return value !== null && order < 0;
    default:
      return value !== null && order <= 0;
  }
}

/** `$select=a,b`: the attributes, each checked; `undefined` when absent (every attribute). */
export function parseSelect(
  text: string | null,
  attributes: ReadonlySet<string>,
  type: string,
): string[] | undefined {
  if (text === null || text.trim() === '') return undefined;
  const names = text.split(',').map((name) => name.trim());
  for (const name of names) {
    if (!attributes.has(name)) {
      throw new QueryOptionError(
        `Could not find a property named '${name}' on type 'Microsoft.Dynamics.CRM.${type}'.`,
      );
    }
  }
  return names;
}

/** The row with only the selected attributes (and the etag), as Dataverse answers a `$select`. */
export function project(row: Row, select: readonly string[] | undefined): Record<string, unknown> {
  if (select === undefined) return { ...row };
  const projected: Record<string, unknown> = {};
  if ('@odata.etag' in row) projected['@odata.etag'] = row['@odata.etag'];
  for (const name of select) projected[name] = row[name] ?? null;
  return projected;
}

/** Sorts by `$orderby=a asc,b desc`. */
export function orderBy(rows: Row[], text: string | null, attributes: ReadonlySet<string>, type: string) {
  if (text === null || text.trim() === '') return rows;
  const keys = text.split(',').map((part) => {
    const [attribute = '', direction = 'asc'] = part.trim().split(/\s+/);
    if (!attributes.has(attribute)) {
      throw new QueryOptionError(
        `Could not find a property named '${attribute}' on type 'Microsoft.Dynamics.CRM.${type}'.`,
      );
    }
    return { attribute, sign: direction.toLowerCase() === 'desc' ? -1 : 1 };
  });
  return [...rows].sort((left, right) => {
    for (const { attribute, sign } of keys) {
      const order = compare(left[attribute] ?? null, right[attribute] ?? null);
      if (order !== 0) return order * sign;
    }
    return 0;
  });
}

/** The page size a client asked for with `Prefer: odata.maxpagesize=N` (Dataverse's own default is 5,000). */
export function maxPageSize(request: SandboxRequest): number | undefined {
  const match = /odata\.maxpagesize=(\d+)/i.exec(request.headers.prefer ?? '');
  const size = match?.[1] === undefined ? Number.NaN : Number(match[1]);
  return Number.isInteger(size) && size > 0 ? Math.min(size, 5_000) : undefined;
}

export interface CollectionQuery {
  /** The entity type (`systemuser`), for messages. */
  type: string;
  /** The entity set (`systemusers`), for the context URL. */
  set: string;
  /** Attributes that `$select`, `$filter` and `$orderby` may name. */
  attributes: ReadonlySet<string>;
}

/**
 * Answers a collection query: `$filter`, `$orderby`, `$top`, `$select`, and one page at a time
 * when `Prefer: odata.maxpagesize` is smaller than the result (`$skiptoken` in the next link is an
 * offset here; Dataverse's is an opaque paging cookie).
 */
export function queryCollection(request: SandboxRequest, rows: readonly Row[], query: CollectionQuery) {
  const { type, attributes } = query;
  const filterText = request.query.get('$filter');
  const condition = filterText === null ? undefined : parseFilter(filterText, attributes, type);
  const select = parseSelect(request.query.get('$select'), attributes, type);
  let result = rows.filter((row) => condition === undefined || matches(row, condition));
  result = orderBy(result, request.query.get('$orderby'), attributes, type);
  const top = request.query.get('$top');
  if (top !== null) {
    const count = Number(top);
    if (!Number.isInteger(count) || count < 0)
      throw new QueryOptionError(`Invalid value for $top: '${top}'.`);
    result = result.slice(0, count);
  }
  const pageSize = maxPageSize(request);
  const skip = Number(request.query.get('$skiptoken') ?? 0) || 0;
  const page = pageSize === undefined ? result.slice(skip) : result.slice(skip, skip + pageSize);
  const more = pageSize !== undefined && skip + pageSize < result.length;
  const nextQuery = new URLSearchParams(request.query);
  nextQuery.set('$skiptoken', String(skip + (pageSize ?? 0)));
  return {
    body: {
      '@odata.context': `${request.origin}/api/data/v9.2/$metadata#${query.set}${select === undefined ? '' : `(${select.join(',')})`}`,
      value: page.map((row) => project(row, select)),
      ...(more ? { '@odata.nextLink': `${request.origin}${request.path}?${nextQuery.toString()}` } : {}),
    },
    headers: pageSize === undefined ? undefined : { 'Preference-Applied': `odata.maxpagesize=${pageSize}` },
  };
}
