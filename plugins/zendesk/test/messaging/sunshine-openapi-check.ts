import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import ajvFormats from 'ajv-formats';
import { OpenAPIBackend, type Operation } from 'openapi-backend';
import { parse } from 'yaml';

// ajv-formats is CommonJS: its function is `module.exports` and `.default` alike; `.default` types right.
const addFormats = ajvFormats.default;

/**
 * Holds Sunshine Conversations traffic against the vendored spec
 * (`plugins/zendesk/spec/sunshine-conversations-openapi.yaml`, see its SOURCE.md) with
 * openapi-backend: the switchboard requests the client sends (method, path, body), the answers
 * the tests mock, and webhook payloads — the envelope against the spec's `x-webhooks` operation
 * (EventWebhooks) and each event against the schema whose `title` is its type.
 *
 * Known gaps of the spec, each handled here rather than by loosening a check:
 * - `x-webhooks` is not an OpenAPI 3.0 field that tools route: the envelope and every event
 *   schema are mounted as synthetic operations under `/__webhooks/…` of an in-memory copy.
 * - The envelope's `events` list (an `anyOf`) omits `switchboardReleaseControl`, though
 *   `switchboard:releaseControl` is a trigger and the schema exists: events are therefore checked
 *   one by one against the schema of their own type, which covers it.
 * - `nullable` without a `type` (beside `allOf`) is rewritten into what Ajv compiles (see
 *   `rewriteUntypedNullable`).
 * - The API is served under `/sc` on a Zendesk subdomain (`servers`): the prefix is removed
 *   before the path is matched.
 * - Operations declare only some error statuses (passControl: 404), while the intro says every
 *   error answer is an `errorResponse` (`{errors: [{code, title}]}`): an undeclared error status
 *   is checked against that schema.
 */

const specPath = fileURLToPath(new URL('../../spec/sunshine-conversations-openapi.yaml', import.meta.url));

interface Spec {
  api: OpenAPIBackend;
  /** Event type (`conversation:create`) → the name of its schema (`conversationCreateEvent`). */
  eventSchemas: ReadonlyMap<string, string>;
}

type OpenApiAjv = Parameters<NonNullable<ConstructorParameters<typeof OpenAPIBackend>[0]['customizeAjv']>>[0];

let loaded: Promise<Spec> | undefined;

/**
 * `nullable` beside `allOf` and no `type` (the spec does so for `activeSwitchboardIntegration`,
 * among others, and `nullable: false` to make a nullable `$ref` required-non-null) is OpenAPI 3.0
 * that Ajv's `nullable` keyword refuses to compile: rewritten in memory as `anyOf: [the schema,
 * {type: 'null'}]`, or the schema plus `not: {type: 'null'}`.
 */
function rewriteUntypedNullable(node: unknown, seen = new WeakSet<object>()): void {
  if (typeof node !== 'object' || node === null || seen.has(node)) return;
  seen.add(node);
  for (const value of Object.values(node)) rewriteUntypedNullable(value, seen);
  const schema = node as Record<string, unknown>;
  if (typeof schema.nullable !== 'boolean' || 'type' in schema) return;
  if (schema.nullable === false) {
    delete schema.nullable;
    schema.not = { type: 'null' };
    return;
  }
  const { nullable: _nullable, description, ...rest } = schema;
  for (const key of Object.keys(schema)) delete schema[key];
  if (description !== undefined) schema.description = description;
  schema.anyOf = [rest, { type: 'null' }];
}

export function sunshineSpec(): Promise<Spec> {
  loaded ??= (async () => {
    const document = parse(readFileSync(specPath, 'utf8'), { maxAliasCount: -1 }) as {
      paths: Record<string, unknown>;
      'x-webhooks': { 'Webhook Event': { post: { requestBody: unknown } } };
      components: { schemas: Record<string, { title?: string }> };
    };
    rewriteUntypedNullable(document);
    const eventSchemas = new Map<string, string>();
    const ok = { '200': { description: 'received' } };
    document.paths['/__webhooks/envelope'] = {
      post: {
        operationId: '__WebhookEnvelope',
        requestBody: document['x-webhooks']['Webhook Event'].post.requestBody,
        responses: ok,
      },
    };
    // Error answers: the spec's intro describes one shape for all of them; most operations declare only some statuses.
    document.paths['/__errors'] = {
      post: {
        operationId: '__ErrorResponse',
        requestBody: {
          required: true,
          content: { 'application/json': { schema: { $ref: '#/components/schemas/errorResponse' } } },
        },
        responses: ok,
      },
    };
    for (const [name, schema] of Object.entries(document.components.schemas)) {
      // Event schemas are titled with their trigger: `conversation:create`, `switchboard:passControl`…
      if (typeof schema.title !== 'string' || !/^[a-z]+:[A-Za-z:]+$/.test(schema.title)) continue;
      eventSchemas.set(schema.title, name);
      document.paths[`/__webhooks/events/${name}`] = {
        post: {
          operationId: `__WebhookEvent_${name}`,
          requestBody: {
            required: true,
            content: { 'application/json': { schema: { $ref: `#/components/schemas/${name}` } } },
          },
          responses: ok,
        },
      };
    }
    const api = new OpenAPIBackend({
      definition: document as never,
      quick: true,
      strict: false,
      ajvOpts: { strict: false, allErrors: true, logger: false },
      customizeAjv: (ajv: OpenApiAjv) => {
        addFormats(ajv as unknown as Parameters<typeof addFormats>[0]);
        return ajv;
      },
    });
    await api.init();
    return { api, eventSchemas };
  })();
  return loaded;
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

const jsonHeaders = { 'content-type': 'application/json' };

/**
 * Problems of one webhook body: the envelope, then each event against its type's schema. Event
 * types the spec does not list are reported only when `unknownTypes` does not name them (tests
 * send some on purpose).
 */
export async function sunshineWebhookFindings(
  body: unknown,
  options: { unknownTypes?: readonly string[] } = {},
): Promise<string[]> {
  const { api, eventSchemas } = await sunshineSpec();
  const findings: string[] = [];
  const envelope = api.validateRequest(
    { method: 'post', path: '/__webhooks/envelope', headers: jsonHeaders, body },
    '__WebhookEnvelope',
  );
  if (!envelope.valid) findings.push(`webhook envelope: ${describeErrors(envelope.errors)}`);
  const events = (body as { events?: unknown }).events;
  for (const [index, event] of (Array.isArray(events) ? events : []).entries()) {
    const type = (event as { type?: unknown }).type;
    const schema = typeof type === 'string' ? eventSchemas.get(type) : undefined;
    if (schema === undefined) {
      if (!(options.unknownTypes ?? []).includes(String(type)))
        findings.push(`events[${index}]: type ${String(type)} is not a webhook event of the spec`);
      continue;
    }
    const result = api.validateRequest(
      { method: 'post', path: `/__webhooks/events/${schema}`, headers: jsonHeaders, body: event },
      `__WebhookEvent_${schema}`,
    );
    if (!result.valid)
      findings.push(`events[${index}] (${type}, ${schema}): ${describeErrors(result.errors)}`);
  }
  return findings;
}

/** The path the spec names, from a request path on the subdomain host (`/sc/v2/…` → `/v2/…`). */
const specPathOf = (path: string) => path.replace(/^\/sc(?=\/)/, '').split('?')[0] ?? path;

function operationOf(api: OpenAPIBackend, method: string, path: string): Operation | undefined {
  return api.matchOperation({ method: method.toLowerCase(), path: specPathOf(path), headers: {} }) as
    | Operation
    | undefined;
}

/** Problems of one request the Sunshine client sent. */
export async function sunshineRequestFindings(request: {
  method: string;
  path: string;
  headers: Readonly<Record<string, string>>;
  body: unknown;
}): Promise<string[]> {
  const { api } = await sunshineSpec();
  const where = `${request.method} ${request.path}`;
  const operation = operationOf(api, request.method, request.path);
  if (operation === undefined) return [`${where}: no operation of the Sunshine Conversations API`];
  const result = api.validateRequest(
    {
      method: request.method.toLowerCase(),
      path: specPathOf(request.path),
      headers: request.headers,
      ...(request.body === undefined || request.body === '' ? {} : { body: request.body }),
    },
    operation,
  );
  return result.valid ? [] : [`${where} (${operation.operationId}): ${describeErrors(result.errors)}`];
}

/** Problems of one answer a test mocks for a Sunshine operation (status and JSON body). */
export async function sunshineAnswerFindings(answer: {
  method: string;
  path: string;
  status: number;
  body: unknown;
}): Promise<string[]> {
  const { api } = await sunshineSpec();
  const where = `${answer.status} to ${answer.method} ${answer.path}`;
  const operation = operationOf(api, answer.method, answer.path);
  if (operation === undefined) return [`${where}: no operation of the Sunshine Conversations API`];
  const responses = (operation.responses ?? {}) as Record<string, unknown>;
  if (responses[String(answer.status)] === undefined && responses.default === undefined) {
    if (answer.status < 400)
      return [`${where} (${operation.operationId}): the spec declares no ${answer.status} answer`];
    const error = api.validateRequest(
      { method: 'post', path: '/__errors', headers: jsonHeaders, body: answer.body },
      '__ErrorResponse',
    );
    return error.valid
      ? []
      : [`${where} (${operation.operationId}, errorResponse): ${describeErrors(error.errors)}`];
  }
  const result = api.validateResponse(answer.body, operation, answer.status);
  return result.valid ? [] : [`${where} (${operation.operationId}): ${describeErrors(result.errors)}`];
}
