import {
  type AuthProvider,
  type CrmConnectError,
  type HttpClient,
  type HttpResponse,
  isCrmConnectError,
  type PluginContext,
  type RequestOptions,
} from '@crm-connect/core';
import { z } from 'zod';
import { apiUsageOf, createSalesforceHttpClient } from './salesforce-client.js';
import { parseAnswer } from './salesforce-errors.js';
import type { ApiSession, SessionPool, SessionSource } from './salesforce-sessions.js';
import type { ConfiguredSettings } from './salesforce-settings.js';

/**
 * Salesforce's REST API as a session sees it (a linked admin's by default, or an agent's):
 * requests go to the session's instance, under `/services/data/v{apiVersion}`, with its access
 * token; a 401 renews the session once.
 */

export interface ApiRequest extends Omit<RequestOptions, 'path' | 'auth'> {
  /** A resource under the data path (`/sobjects/Case`), or a full `/services/…` path Salesforce handed back. */
  resource: string;
  /** Whose session sends it. Default: the linked admins, with failover. */
  as?: SessionSource | undefined;
  /**
   * A body that depends on who sends it (the default user is the admin who writes). When a 401
   * renews the session as another user (a failover to the next admin), the request is not sent
   * again as it was: its body is rebuilt for the new session first.
   */
  bodyFor?: ((session: ApiSession) => unknown) | undefined;
}

export type ApiResponse<TData> = HttpResponse<TData> & {
  /** The session the request was finally sent with. */
  session: ApiSession;
};

export interface SalesforceApi {
  readonly settings: ConfiguredSettings;
  readonly http: HttpClient;
  readonly sessions: SessionPool;
  /** Removes registered secrets from text that goes into a message. */
  redact(text: string): string;
  /** `/services/data/v62.0` + `resource`: how composite subrequests name a resource. */
  dataPath(resource: string): string;
  request<TData = unknown>(request: ApiRequest): Promise<ApiResponse<TData>>;
  /** Runs a SOQL query, following `nextRecordsUrl` up to `maxRecords` (a batch named twice ends it). */
  query<TRecord extends z.ZodType>(
    soql: string,
    record: TRecord,
    operation: string,
    maxRecords?: number,
  ): Promise<{ records: z.output<TRecord>[]; attempts: number }>;
}

export function createSalesforceApi(
  settings: ConfiguredSettings,
  context: PluginContext,
  sessions: SessionPool,
): SalesforceApi {
  let usageWarned = false;
  const http = createSalesforceHttpClient(settings, context, {
    // Every request brings its own session-bound credentials; this default is never used.
    headers: async () => ({ Authorization: `Bearer ${(await sessions.current()).accessToken}` }),
  });
  const dataPath = (resource: string) =>
    resource.startsWith('/services/') ? resource : `/services/data/v${settings.apiVersion}${resource}`;

  /**
   * Credentials bound to one session, renewed once on a 401. With `sameUserOnly`, a renewal
   * that lands on another user is not used for this attempt: `switchedTo()` returns it.
   *
   * A renewal that fails for a passing reason (the token endpoint's 429 or 5xx, a timeout) is
   * kept in `renewalFailure()` instead of being thrown into the HTTP layer: the layer would send
   * the request again with the refused token, get the 401 again, and report that as refused
   * credentials. The request then fails with the renewal's own retryable error and its Retry-After.
   */
  function sessionAuth(
    source: SessionSource,
    initial: ApiSession,
    sameUserOnly: boolean,
  ): AuthProvider & {
    used(): ApiSession;
    switchedTo(): ApiSession | undefined;
    renewalFailure(): CrmConnectError | undefined;
  } {
    let session = initial;
    let switched: ApiSession | undefined;
    let failure: CrmConnectError | undefined;
    return {
      headers: async () => ({ Authorization: `Bearer ${session.accessToken}` }),
      refresh: async () => {
        let renewed: ApiSession;
        try {
          renewed = await source.renew(session);
        } catch (error) {
          if (!isCrmConnectError(error) || !error.retryable) throw error;
          failure = error;
          return false;
        }
        if (sameUserOnly && renewed.userId !== session.userId) {
          switched = renewed;
          return false;
        }
        session = renewed;
        return true;
      },
      used: () => session,
      switchedTo: () => switched,
      renewalFailure: () => failure,
    };
  }

  function watchUsage(headers: Readonly<Record<string, string>>): void {
    const usage = apiUsageOf(headers);
    if (usage === undefined || usage.limit === 0) return;
    const high = usage.used / usage.limit >= 0.9;
    if (high && !usageWarned) {
      context.logger.log('warn', 'salesforce org API allocation over 90% used', usage);
    }
    usageWarned = high;
  }

  async function request<TData>(options: ApiRequest): Promise<ApiResponse<TData>> {
    const { resource, as, bodyFor, ...rest } = options;
    const source: SessionSource = as ?? sessions;
    let session = await source.current();
    let spent = 0;
    // At most one rebuild per linked admin: each switch is a failover to a later one.
    for (let switches = 0; ; switches += 1) {
      const auth = sessionAuth(source, session, bodyFor !== undefined);
      try {
        const response = await http.request<TData>({
          ...rest,
          ...(bodyFor === undefined ? {} : { body: bodyFor(session) }),
          path: `${session.instanceUrl}${dataPath(resource)}`,
          auth,
        });
        watchUsage(response.headers);
        return { ...response, attempts: response.attempts + spent, session: auth.used() };
      } catch (error) {
        const renewal = auth.renewalFailure();
        if (renewal !== undefined) {
          renewal.attempts = spent + (isCrmConnectError(error) ? (error.attempts ?? 1) : 1);
          throw renewal;
        }
        const next = auth.switchedTo();
        if (next === undefined || switches >= 10) throw error;
        spent += isCrmConnectError(error) ? (error.attempts ?? 1) : 1;
        session = next;
      }
    }
  }

  return {
    settings,
    http,
    sessions,
    redact: (text) => context.redactor.redact(text),
    dataPath,
    request,
    // https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/resources_query.htm
    async query(soql, record, operation, maxRecords = 2_000) {
      const page = z.object({
        done: z.boolean(),
        nextRecordsUrl: z.string().optional(),
        records: z.array(record),
      });
      const records: z.output<typeof record>[] = [];
      const followed = new Set<string>();
      let attempts = 0;
      let next: ApiRequest | undefined = { method: 'GET', resource: '/query', query: { q: soql }, operation };
      while (next !== undefined) {
        const response: ApiResponse<unknown> = await request(next);
        attempts += response.attempts;
        const parsed = parseAnswer(page, response, operation);
        records.push(...parsed.records);
        const link = parsed.done ? undefined : parsed.nextRecordsUrl;
        if (link !== undefined && followed.has(link)) {
          // A batch named twice would be listed forever: what was read is what there is.
          context.logger.log(
            'warn',
            'salesforce query repeated its next batch; the records read so far are kept',
            {
              operation,
              records: records.length,
            },
          );
          break;
        }
        if (link !== undefined) followed.add(link);
        next =
          link === undefined || records.length >= maxRecords
            ? undefined
            : { method: 'GET', resource: link, operation };
      }
      return { records: records.slice(0, maxRecords), attempts };
    },
  };
}

/**
 * A SOQL string literal: quotes, backslashes and control characters escaped.
 * https://developer.salesforce.com/docs/atlas.en-us.soql_sosl.meta/soql_sosl/sforce_api_calls_soql_select_quotedstringescapes.htm
 */
export function soqlString(value: string): string {
  const escaped = value.replace(/[\\'"\n\r\t\f\b]/g, (character) => {
    const escapes: Record<string, string> = {
      '\n': '\\n',
      '\r': '\\r',
      '\t': '\\t',
      '\f': '\\f',
      '\b': '\\b',
    };
    return escapes[character] ?? `\\${character}`;
  });
  return `'${escaped}'`;
}
