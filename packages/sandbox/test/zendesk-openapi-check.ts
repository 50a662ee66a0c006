import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { ZendeskSandbox } from '@crm-connect/sandbox';
import ajvFormats from 'ajv-formats';
import { OpenAPIBackend, type Operation } from 'openapi-backend';
import { afterEach, expect } from 'vitest';
import { parse } from 'yaml';

// ajv-formats is CommonJS: its function is `module.exports` and `.default` alike; `.default` types right.
const addFormats = ajvFormats.default;

/**
 * Holds every exchange with the Zendesk sandbox against Zendesk's own OpenAPI file
 * (`packages/sandbox/spec/zendesk-support-openapi.yaml`, see its SOURCE.md), with openapi-backend:
 * each request (from the request log: method and path template, path and query parameters, JSON
 * body) and each answer a route gave (from `sandbox.answers`: status, headers, JSON body), against
 * the operation the path matches. A test file calls `useZendeskSpecCheck(() => [sandbox])` and
 * every test then ends by checking what its sandboxes saw.
 *
 * The file is known to be incomplete in a few places; those are the exceptions below, each with
 * why. Everything else is a finding: fix the plugin or the sandbox, never this check.
 */

const specPath = fileURLToPath(new URL('../spec/zendesk-support-openapi.yaml', import.meta.url));

/** Known gaps of the Support OpenAPI file, each skipped with its reason. Keep it short. */
export const zendeskSpecExceptions = {
  /**
   * `POST /oauth/tokens` (client credentials grant) is documented on its own page
   * (developer.zendesk.com/api-reference/ticketing/oauth/grant_type_tokens/) and is not in the
   * file, which has only the token management API under `/api/v2/oauth/tokens`. Its request and
   * answer are checked by the sandbox's own tests and the plugin's nock tests instead.
   */
  operationsNotInTheFile: [{ method: 'POST', path: '/oauth/tokens' }],
  /**
   * The file declares only the success answers of the ticket and user operations; their error
   * answers (`{"error":…,"description":…}` on 400/401/403/404/409/422, the 429 and 5xx answers)
   * are in its prose only. An error status an operation does not declare is therefore not checked
   * against a schema (the plugin's error mapping has its own tests).
   */
  undeclaredErrorStatuses: true,
  /**
   * Fields Zendesk answers as `null` when unset, which the file types without `nullable: true`
   * (its own TicketResponseExample has `due_at: null` on a non-nullable string): made nullable
   * in memory, these fields only, before the file is used. Their types are still checked.
   */
  nullableFields: {
    TicketObject: ['assignee_id', 'due_at', 'external_id', 'group_id', 'organization_id', 'priority', 'type'],
    UserForAdmin: ['default_group_id', 'email', 'external_id', 'organization_id', 'phone'],
    UserForEndUser: ['email', 'organization_id', 'phone'],
  },
  /**
   * Cursor pagination (`page[size]`, `page[after]`): the descriptions of these operations say
   * "Cursor pagination (recommended)" and point to the Pagination page, but the file declares no
   * such parameters. They are checked here as the Pagination page describes them instead.
   */
  cursorPagination: ['ListAuditsForTicket', 'ListUsers'],
  /**
   * `role[]` of ListUsers is sent repeated (`role[]=agent&role[]=admin`, its description's own
   * format, `explode: true`) while its schema says a single string: each value is checked alone.
   */
  repeatedStringParameters: { ListUsers: ['role[]'] },
  /**
   * `GET /api/v2/users/me` without credentials (and, as reported, with bad ones) answers the
   * anonymous user (`id: null`, `url: null`…), which the file's UserObject does not model.
   */
  anonymousCurrentUser: true,
} as const;

/** The file, parsed, with the nullability of `zendeskSpecExceptions.nullableFields` added. */
function loadDocument(): Record<string, unknown> {
  const document = parse(readFileSync(specPath, 'utf8'), { maxAliasCount: -1 }) as {
    components: { schemas: Record<string, { properties?: Record<string, Record<string, unknown>> }> };
  };
  for (const [schema, fields] of Object.entries(zendeskSpecExceptions.nullableFields)) {
    for (const field of fields) {
      const property = document.components.schemas[schema]?.properties?.[field];
      if (property === undefined)
        throw new Error(`The Support OpenAPI file has no ${schema}.${field} any more`);
      property.nullable = true;
      // OpenAPI 3.0.3: with `enum`, null must be one of the values too.
      if (Array.isArray(property.enum) && !property.enum.includes(null))
        property.enum = [...property.enum, null];
    }
  }
  const paginated = new Set<string>(zendeskSpecExceptions.cursorPagination);
  const paths = (
    document as unknown as {
      paths: Record<string, Record<string, { operationId?: string; parameters?: unknown[] }>>;
    }
  ).paths;
  for (const item of Object.values(paths)) {
    for (const operation of Object.values(item)) {
      if (typeof operation !== 'object' || operation === null || !paginated.has(operation.operationId ?? ''))
        continue;
      operation.parameters = [
        ...(operation.parameters ?? []),
        { name: 'page[size]', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 100 } },
        { name: 'page[after]', in: 'query', schema: { type: 'string' } },
        { name: 'page[before]', in: 'query', schema: { type: 'string' } },
      ];
    }
  }
  return document as unknown as Record<string, unknown>;
}

type OpenApiAjv = Parameters<NonNullable<ConstructorParameters<typeof OpenAPIBackend>[0]['customizeAjv']>>[0];

/** The file's nonstandard `format`s: what each is taken to mean. */
function customizeAjv(ajv: OpenApiAjv): OpenApiAjv {
  addFormats(ajv as unknown as Parameters<typeof addFormats>[0]);
  ajv.addFormat('datetime', (value: string) => !Number.isNaN(Date.parse(value))); // a typo of date-time
  ajv.addFormat('url', true); // a URL, unchecked like `uri-reference`
  for (const meaningless of ['integer', 'string', 'text']) ajv.addFormat(meaningless, true); // restate the type
  return ajv;
}

let loaded: Promise<OpenAPIBackend> | undefined;

/** The parsed, dereferenced file (once per test worker; validators compile lazily per operation). */
export function zendeskSupportSpec(): Promise<OpenAPIBackend> {
  loaded ??= (async () => {
    const api = new OpenAPIBackend({
      definition: loadDocument() as never,
      // Skips validating the 1.2 MB document itself and compiles each operation's validators when first used.
      quick: true,
      strict: false,
      ajvOpts: { strict: false, allErrors: true, logger: false },
      customizeAjv,
    });
    await api.init();
    return api;
  })();
  return loaded;
}

/** Zendesk takes every path with or without `.json`; the file names them without. */
const withoutJson = (path: string) => path.replace(/\.json$/, '');

function queryObject(query: string): Record<string, string | string[]> {
  const result: Record<string, string | string[]> = {};
  for (const [name, value] of new URLSearchParams(query)) {
    const existing = result[name];
    result[name] = existing === undefined ? value : [...[existing].flat(), value];
  }
  return result;
}

function notInTheFile(method: string, path: string): boolean {
  return zendeskSpecExceptions.operationsNotInTheFile.some(
    (exception) => exception.method === method && exception.path === withoutJson(path),
  );
}

function describeErrors(
  errors: readonly { instancePath?: string; message?: string; params?: unknown }[] | null | undefined,
) {
  return (errors ?? [])
    .slice(0, 8)
    .map(
      (error) =>
        `${error.instancePath || '(root)'} ${error.message ?? ''} ${JSON.stringify(error.params ?? {})}`,
    )
    .join('; ');
}

function matchOperation(api: OpenAPIBackend, method: string, path: string, query: string) {
  return api.matchOperation({
    method: method.toLowerCase(),
    path: withoutJson(path),
    query: queryObject(query),
    headers: {},
  }) as Operation | undefined;
}

/** The content types an operation's answer for `status` may have, and the schema-bearing status key. */
function declaredAnswer(operation: Operation, status: number) {
  const responses = (operation.responses ?? {}) as Record<string, { content?: Record<string, unknown> }>;
  const key = [String(status), `${String(status)[0]}XX`, 'default'].find((candidate) => responses[candidate]);
  return key === undefined ? undefined : { key, contentTypes: Object.keys(responses[key]?.content ?? {}) };
}

/** The problems of one sandbox's exchanges so far: requests from the log, answers from `answers`. */
export async function zendeskSpecFindings(
  sandbox: ZendeskSandbox,
  options: { requests?: boolean } = {},
): Promise<string[]> {
  const api = await zendeskSupportSpec();
  const findings: string[] = [];

  if (options.requests ?? true) {
    for (const entry of sandbox.log.entries()) {
      const where = `request #${entry.sequence} ${entry.method} ${entry.path}${entry.query ? `?${entry.query}` : ''}`;
      if (notInTheFile(entry.method, entry.path)) continue;
      const operation = matchOperation(api, entry.method, entry.path, entry.query);
      if (operation === undefined) {
        findings.push(`${where}: no operation of the Support API has this method and path`);
        continue;
      }
      const query = queryObject(entry.query);
      const repeated: readonly string[] =
        (zendeskSpecExceptions.repeatedStringParameters as Record<string, readonly string[]>)[
          operation.operationId ?? ''
        ] ?? [];
      for (const name of repeated) {
        const values = query[name];
        if (Array.isArray(values)) query[name] = values[0] ?? '';
      }
      const result = api.validateRequest(
        {
          method: entry.method.toLowerCase(),
          path: withoutJson(entry.path),
          query,
          headers: entry.headers,
          ...(entry.body === undefined ? {} : { body: entry.body }),
        },
        operation,
      );
      if (!result.valid)
        findings.push(`${where} (${operation.operationId}): ${describeErrors(result.errors)}`);
    }
  }

  for (const answer of sandbox.answers.entries()) {
    const where = `answer #${answer.sequence} ${answer.status} to ${answer.method} ${answer.path}`;
    if (notInTheFile(answer.method, answer.path)) continue;
    const operation = matchOperation(api, answer.method, answer.path, answer.query);
    if (operation === undefined) {
      findings.push(`${where}: the route answers a path no operation of the Support API has`);
      continue;
    }
    const declared = declaredAnswer(operation, answer.status);
    if (declared === undefined) {
      if (answer.status >= 400 && zendeskSpecExceptions.undeclaredErrorStatuses) continue;
      findings.push(`${where} (${operation.operationId}): the file declares no ${answer.status} answer`);
      continue;
    }
    const isText = typeof answer.body === 'string';
    const contentType = answer.headers['content-type'] ?? (isText ? 'text/plain' : 'application/json');
    const mediaType = contentType.split(';')[0]?.trim() ?? '';
    if (declared.contentTypes.length > 0 && !declared.contentTypes.includes(mediaType)) {
      findings.push(
        `${where} (${operation.operationId}): answered ${mediaType}, the file says ${declared.contentTypes.join(' or ')}`,
      );
      continue;
    }
    const anonymous =
      operation.operationId === 'ShowCurrentUser' &&
      (answer.body as { user?: { id?: unknown } } | undefined)?.user?.id === null;
    if (anonymous && zendeskSpecExceptions.anonymousCurrentUser) continue;
    if (answer.body !== undefined && mediaType === 'application/json') {
      const body = api.validateResponse(answer.body, operation, answer.status);
      if (!body.valid) findings.push(`${where} (${operation.operationId}): ${describeErrors(body.errors)}`);
    }
    const headers = api.validateResponseHeaders(answer.headers, operation, { statusCode: answer.status });
    if (!headers.valid) {
      findings.push(`${where} (${operation.operationId}) headers: ${describeErrors(headers.errors)}`);
    }
  }
  return findings;
}

/**
 * After each test, every exchange of the sandboxes `sandboxes()` returns is checked against the
 * file; the test fails listing each finding. `requests: false` checks answers only (tests that
 * send hand-made, deliberately wrong requests).
 */
export function useZendeskSpecCheck(
  sandboxes: () => readonly (ZendeskSandbox | undefined)[],
  options: { requests?: boolean } = {},
): void {
  afterEach(async () => {
    const findings: string[] = [];
    for (const sandbox of sandboxes()) {
      if (sandbox !== undefined) findings.push(...(await zendeskSpecFindings(sandbox, options)));
    }
    expect(findings, 'exchanges that break the Zendesk Support OpenAPI file').toEqual([]);
  });
}
