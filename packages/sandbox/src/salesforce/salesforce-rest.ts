import { json, type SandboxRequest, type SandboxResponse } from '../http-exchange.js';
import type { Route, RouteContext, RouteHandler } from '../routes.js';
import { sessionOf } from './salesforce-oauth.js';
import { describeOf, fieldOf, sameValue, type WriteContext, writeRecord } from './salesforce-objects.js';
import { parseSoql, permissionRow, projectRecord, runSoql, SoqlError } from './salesforce-soql.js';
import type { SalesforceStore, UserRecord } from './salesforce-store.js';
import {
  invalidSession,
  notFound,
  requestLimitExceeded,
  salesforceError,
  salesforceErrors,
  salesforceTime,
  sameId,
  wireRecord,
} from './salesforce-wire.js';

/**
 * The REST API under `/services/data/v{version}`: SOQL queries and sObject rows (create, read,
 * update, upsert by external id). Every request needs an access token of an active user, and
 * counts against the org's 24-hour API allocation (a composite request counts once).
 * https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/resources_list.htm
 */

export const dataPath = '/services/data/v:version';

/** Requests made as subrequests of a composite request: authenticated, but not counted again. */
export const subrequests = new WeakSet<SandboxRequest>();

/** Versions 20.0 and later; the plugin needs 46.0 or later (upsert answers name `created`). */
function supported(version: string): boolean {
  return /^\d{2,3}\.0$/.test(version) && Number(version) >= 20;
}

export type ApiHandler = (
  request: SandboxRequest,
  context: RouteContext & { user: UserRecord; version: string },
) => SandboxResponse | Promise<SandboxResponse>;

/** A REST route: a supported version, a valid session, room in the daily allocation. */
export function withSession(store: SalesforceStore, handler: ApiHandler): RouteHandler {
  return (request, context) => {
    const version = context.params.version ?? '';
    if (!supported(version)) return notFound();
    const session = sessionOf(store, request);
    if (session === undefined) return invalidSession();
    context.identify(session.user.Id);
    if (!subrequests.has(request)) {
      if (store.apiUsage.used >= store.apiUsage.allocation) return requestLimitExceeded();
      store.apiUsage.used += 1;
    }
    return handler(request, { ...context, user: session.user, version });
  };
}

/** Assignment rules run unless the request (or, for a subrequest, its own headers) says `Sforce-Auto-Assign: FALSE`. */
export function writeContext(request: SandboxRequest, user: UserRecord, clock: () => number): WriteContext {
  const header = request.headers['sforce-auto-assign']?.trim().toLowerCase();
  return { userId: user.Id, autoAssign: header !== 'false', now: salesforceTime(clock()) };
}

/** The body as an object of fields, or Salesforce's 400 for anything else. */
export function fieldsOf(body: unknown): Record<string, unknown> | undefined {
  return typeof body === 'object' && body !== null && !Array.isArray(body)
    ? (body as Record<string, unknown>)
    : undefined;
}

const notAnObject = () =>
  salesforceError(400, 'JSON_PARSER_ERROR', 'The request body must be a JSON object of field values.');

/** `/services/data/v62.0/sobjects/Case/500…` */
export function recordLocation(version: string, type: string, id: string): string {
  return `/services/data/v${version}/sobjects/${type}/${id}`;
}

export function restRoutes(store: SalesforceStore, clock: () => number): Route[] {
  return [
    {
      method: 'GET',
      path: `${dataPath}/query`,
      name: 'query',
      // https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/resources_query.htm
      handler: withSession(store, (request, { user, version }) => {
        const soql = request.query.get('q');
        if (soql === null || soql.trim() === '')
          return salesforceError(400, 'MALFORMED_QUERY', 'A query string (q) is required.');
        try {
          const query = parseSoql(soql);
          if (query.kind === 'permissions') {
            return json(200, { totalSize: 1, done: true, records: [permissionRow(query, user)] });
          }
          const records = runSoql(store, query);
          return json(200, {
            totalSize: records.length,
            done: true,
            records: records.map((record) => projectRecord(store, query, record, version)),
          });
        } catch (error) {
          if (error instanceof SoqlError) return salesforceErrors(400, [error.error]);
          throw error;
        }
      }),
    },
    {
      method: 'POST',
      path: `${dataPath}/sobjects/:object`,
      name: 'sobjects.create',
      // https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/dome_sobject_create.htm
      handler: withSession(store, (request, { params, user, version }) => {
        const describe = describeOf(params.object ?? '');
        if (describe === undefined) return notFound();
        if (!describe.createable) {
          return salesforceError(
            400,
            'INVALID_TYPE_FOR_OPERATION',
            `entity type ${describe.name} does not support insert`,
          );
        }
        const fields = fieldsOf(request.body);
        if (fields === undefined) return notAnObject();
        const written = writeRecord(store, describe, fields, undefined, writeContext(request, user, clock));
        if (!written.ok) return salesforceErrors(400, written.errors);
        return json(
          201,
          { id: written.record.Id, success: true, errors: [] },
          { Location: recordLocation(version, describe.name, written.record.Id) },
        );
      }),
    },
    {
      method: 'GET',
      path: `${dataPath}/sobjects/:object/:id`,
      name: 'sobjects.show',
      // https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/dome_get_field_values.htm
      handler: withSession(store, (request, { params, version }) => {
        const describe = describeOf(params.object ?? '');
        const record =
          describe === undefined
            ? undefined
            : store.tableOf(describe.name).find((candidate) => sameId(candidate.Id, params.id ?? ''));
        if (describe === undefined || record === undefined) return notFound();
        const requested = request.query.get('fields');
        const names =
          requested === null
            ? undefined
            : requested.split(',').map((name) => fieldOf(describe, name.trim())?.name ?? name.trim());
        const unknown = names?.find((name) => fieldOf(describe, name) === undefined);
        if (unknown !== undefined)
          return salesforceError(
            400,
            'INVALID_FIELD',
            `No such column '${unknown}' on sobject of type ${describe.name}`,
          );
        return json(200, wireRecord(describe.name, record, version, names));
      }),
    },
    {
      method: 'PATCH',
      path: `${dataPath}/sobjects/:object/:id`,
      name: 'sobjects.update',
      // https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/dome_update_fields.htm
      handler: withSession(store, (request, { params, user }) => {
        const describe = describeOf(params.object ?? '');
        const record =
          describe === undefined
            ? undefined
            : store.tableOf(describe.name).find((candidate) => sameId(candidate.Id, params.id ?? ''));
        if (describe === undefined || record === undefined) return notFound();
        const fields = fieldsOf(request.body);
        if (fields === undefined) return notAnObject();
        const written = writeRecord(store, describe, fields, record, writeContext(request, user, clock));
        return written.ok ? { status: 204 } : salesforceErrors(400, written.errors);
      }),
    },
    {
      method: 'PATCH',
      path: `${dataPath}/sobjects/:object/:field/:value`,
      name: 'sobjects.upsert',
      // https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/dome_upsert.htm
      handler: withSession(store, (request, { params, user, version }) => {
        const describe = describeOf(params.object ?? '');
        if (describe === undefined || !describe.createable) return notFound();
        const key = fieldOf(describe, params.field ?? '');
        if (key === undefined) {
          return salesforceError(
            404,
            'NOT_FOUND',
            `Provided external ID field does not exist or is not accessible: ${params.field ?? ''}`,
          );
        }
        if (key.externalId !== true) {
          return salesforceError(
            400,
            'INVALID_FIELD',
            `Field ${key.name} is not an External ID or indexed field for ${describe.name}`,
          );
        }
        const fields = fieldsOf(request.body);
        if (fields === undefined) return notAnObject();
        const value = params.value ?? '';
        const matches = store
          .tableOf(describe.name)
          .filter((record) => sameValue(key, record[key.name], value));
        if (matches.length > 1) {
          return json(
            300,
            matches.map((record) => recordLocation(version, describe.name, record.Id)),
          );
        }
        const [existing] = matches;
        const context = writeContext(request, user, clock);
        const written = writeRecord(store, describe, { ...fields, [key.name]: value }, existing, context);
        if (!written.ok) return salesforceErrors(400, written.errors);
        const id = written.record.Id;
        if (existing !== undefined) {
          // Before API 46.0 an update through upsert answered 204 without a body.
          return Number(version) < 46
            ? { status: 204 }
            : json(200, { id, success: true, errors: [], created: false });
        }
        return json(
          201,
          { id, success: true, errors: [], created: true },
          { Location: recordLocation(version, describe.name, id) },
        );
      }),
    },
  ];
}
