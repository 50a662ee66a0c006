import { z } from 'zod';
import { json, type SandboxRequest, type SandboxResponse } from '../http-exchange.js';
import type { Route, RouteContext, RouteTable } from '../routes.js';
import { describeOf, writeRecord } from './salesforce-objects.js';
import { dataPath, fieldsOf, subrequests, withSession, writeContext } from './salesforce-rest.js';
import type { SalesforceStore } from './salesforce-store.js';
import { type SalesforceError, salesforceError } from './salesforce-wire.js';

/**
 * Composite requests: up to 25 subrequests in one API call, run in order through the same routes
 * as single requests, later ones naming earlier results with `@{referenceId.path}`. With
 * `allOrNone`, the first failure rolls every write back and halts the rest. sObject Collections
 * create up to 200 records in one call, all or none when asked.
 * https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/resources_composite_composite.htm
 * https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/resources_composite_sobjects_collections_create.htm
 */

const compositeSchema = z.object({
  allOrNone: z.boolean().default(false),
  collateSubrequests: z.boolean().optional(),
  compositeRequest: z
    .array(
      z.object({
        method: z.enum(['GET', 'POST', 'PATCH', 'PUT', 'DELETE', 'HEAD']),
        url: z.string().startsWith('/services/data/'),
        referenceId: z.string().regex(/^[A-Za-z][A-Za-z0-9_]*$/),
        body: z.unknown().optional(),
        httpHeaders: z.record(z.string(), z.string()).optional(),
      }),
    )
    .min(1)
    .max(25),
});

const collectionSchema = z.object({
  allOrNone: z.boolean().default(false),
  records: z.array(z.record(z.string(), z.unknown())).min(1).max(200),
});

interface SubrequestResult {
  body: unknown;
  httpHeaders: Record<string, string>;
  httpStatusCode: number;
  referenceId: string;
}

const halted = (referenceId: string): SubrequestResult => ({
  body: [
    {
      errorCode: 'PROCESSING_HALTED',
      message: 'The transaction was rolled back since another operation in the same transaction failed.',
    },
  ],
  httpHeaders: {},
  httpStatusCode: 400,
  referenceId,
});

/** The value at `records[0].Id`-style `path` inside `value`. */
function valueAt(value: unknown, path: string): unknown {
  let current = value;
  for (const [, name, index] of path.matchAll(/([^.[\]]+)|\[(\d+)\]/g)) {
    if (typeof current !== 'object' || current === null) return undefined;
    current = (current as Record<string, unknown>)[name ?? index ?? ''];
  }
  return current;
}

class UnresolvedReference extends Error {}

/** Replaces `@{ref.path}` in strings (a whole-string reference keeps the value's type). */
function resolve(value: unknown, results: ReadonlyMap<string, SubrequestResult>): unknown {
  if (typeof value === 'string') {
    const lookup = (reference: string, path: string) => {
      const result = results.get(reference);
      const found =
        result === undefined || result.httpStatusCode >= 400 ? undefined : valueAt(result.body, path);
      if (found === undefined || found === null) {
        throw new UnresolvedReference(
          `Invalid reference specified. No value for ${reference}.${path} found in ${reference}. Provided referenceId ('${reference}') is unknown, or its subrequest failed.`,
        );
      }
      return found;
    };
    const whole = /^@\{([A-Za-z][A-Za-z0-9_]*)\.([^}]+)\}$/.exec(value);
    if (whole !== null) return lookup(whole[1] ?? '', whole[2] ?? '');
    return value.replace(/@\{([A-Za-z][A-Za-z0-9_]*)\.([^}]+)\}/g, (_, reference: string, path: string) =>
      String(lookup(reference, path)),
    );
  }
  if (Array.isArray(value)) return value.map((item) => resolve(item, results));
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([name, item]) => [name, resolve(item, results)]));
  }
  return value;
}

export function compositeRoutes(
  store: SalesforceStore,
  clock: () => number,
  routes: () => RouteTable,
  notFound: (request: SandboxRequest) => SandboxResponse,
): Route[] {
  /** Runs one subrequest through the sandbox's routes, with the composite request's headers under its own. */
  async function dispatch(
    outer: SandboxRequest,
    context: RouteContext,
    method: string,
    url: string,
    body: unknown,
    headers: Readonly<Record<string, string>>,
  ): Promise<SandboxResponse> {
    const target = new URL(url, outer.origin);
    const inherited = Object.fromEntries(
      Object.entries(outer.headers).filter(([name]) => name !== 'content-length' && name !== 'content-type'),
    );
    const request: SandboxRequest = {
      origin: outer.origin,
      method,
      path: target.pathname,
      query: target.searchParams,
      headers: {
        ...inherited,
        ...Object.fromEntries(Object.entries(headers).map(([name, value]) => [name.toLowerCase(), value])),
      },
      body,
    };
    const match = routes().match(method, request.path);
    if (match.kind === 'none') return notFound(request);
    if (match.kind === 'wrong-method') {
      return salesforceError(
        405,
        'METHOD_NOT_ALLOWED',
        `HTTP Method '${method}' not allowed. Allowed are ${match.allowed.join(',')}`,
      );
    }
    if (match.route.name === 'composite') {
      return salesforceError(
        400,
        'INVALID_INPUT',
        'A composite subrequest cannot itself be a composite request.',
      );
    }
    subrequests.add(request);
    return match.route.handler(request, { params: match.params, identify: context.identify });
  }

  return [
    {
      method: 'POST',
      path: `${dataPath}/composite`,
      name: 'composite',
      handler: withSession(store, async (request, context) => {
        const parsed = compositeSchema.safeParse(request.body);
        if (!parsed.success) {
          const issue = parsed.error.issues[0];
          return salesforceError(
            400,
            'JSON_PARSER_ERROR',
            `${issue?.path.join('.') || 'body'}: ${issue?.message ?? 'invalid'}`,
          );
        }
        const { allOrNone, compositeRequest } = parsed.data;
        const referenceIds = compositeRequest.map((sub) => sub.referenceId);
        const duplicate = referenceIds.find((id, index) => referenceIds.indexOf(id) !== index);
        if (duplicate !== undefined) {
          return salesforceError(
            400,
            'INVALID_INPUT',
            `Duplicate referenceId provided in the request: ${duplicate}`,
          );
        }
        const transaction = allOrNone ? store.begin() : undefined;
        const results = new Map<string, SubrequestResult>();
        let failedAt: string | undefined;
        try {
          for (const sub of compositeRequest) {
            if (failedAt !== undefined && allOrNone) break;
            let answer: SandboxResponse;
            try {
              const url = String(resolve(sub.url, results));
              answer = await dispatch(
                request,
                context,
                sub.method,
                url,
                resolve(sub.body, results),
                sub.httpHeaders ?? {},
              );
            } catch (error) {
              if (!(error instanceof UnresolvedReference)) throw error;
              answer = salesforceError(400, 'PROCESSING_HALTED', error.message);
            }
            const result: SubrequestResult = {
              body: answer.body ?? null,
              httpHeaders: { ...answer.headers },
              httpStatusCode: answer.status,
              referenceId: sub.referenceId,
            };
            results.set(sub.referenceId, result);
            if (answer.status >= 400) failedAt ??= sub.referenceId;
          }
        } catch (error) {
          transaction?.rollback();
          throw error;
        }
        if (allOrNone && failedAt !== undefined) {
          transaction?.rollback();
          return json(200, {
            compositeResponse: referenceIds.map((id) =>
              id === failedAt ? (results.get(id) as SubrequestResult) : halted(id),
            ),
          });
        }
        transaction?.commit();
        return json(200, {
          compositeResponse: referenceIds.map((id) => results.get(id) as SubrequestResult),
        });
      }),
    },
    {
      method: 'POST',
      path: `${dataPath}/composite/sobjects`,
      name: 'composite.sobjects.create',
      handler: withSession(store, (request, { user }) => {
        const parsed = collectionSchema.safeParse(request.body);
        if (!parsed.success) {
          const issue = parsed.error.issues[0];
          return salesforceError(
            400,
            'JSON_PARSER_ERROR',
            `${issue?.path.join('.') || 'body'}: ${issue?.message ?? 'invalid'}`,
          );
        }
        const { allOrNone, records } = parsed.data;
        const transaction = allOrNone ? store.begin() : undefined;
        const context = writeContext(request, user, clock);
        const outcomes = records.map((record): { id: string } | { errors: SalesforceError[] } => {
          const type = fieldsOf(record.attributes)?.type;
          const describe = typeof type === 'string' ? describeOf(type) : undefined;
          if (describe === undefined || !describe.createable) {
            return {
              errors: [
                {
                  errorCode: 'INVALID_TYPE',
                  message: `Invalid or missing attributes.type: ${String(type)}`,
                  fields: [],
                },
              ],
            };
          }
          const written = writeRecord(store, describe, record, undefined, context);
          return written.ok ? { id: written.record.Id } : { errors: written.errors };
        });
        const failed = outcomes.some((outcome) => 'errors' in outcome);
        if (allOrNone && failed) transaction?.rollback();
        else transaction?.commit();
        // Collections name an error's code `statusCode`, not `errorCode`.
        return json(
          200,
          outcomes.map((outcome) => {
            if ('errors' in outcome) {
              return {
                success: false,
                errors: outcome.errors.map((error) => ({
                  statusCode: error.errorCode,
                  message: error.message,
                  fields: error.fields,
                })),
              };
            }
            if (allOrNone && failed) {
              return {
                success: false,
                errors: [
                  {
                    statusCode: 'ALL_OR_NONE_OPERATION_ROLLED_BACK',
                    message:
                      'Record rolled back because not all records were valid and the request was using AllOrNone header',
                    fields: [],
                  },
                ],
              };
            }
            return { id: outcome.id, success: true, errors: [] };
          }),
        );
      }),
    },
  ];
}
