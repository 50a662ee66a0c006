import type {
  AuthProvider,
  HttpClient,
  HttpResponse,
  PluginContext,
  RequestOptions,
} from '@crm-connect/core';
import { z } from 'zod';
import { apiUsageOf, createSalesforceHttpClient } from './salesforce-client.js';
import { parseAnswer } from './salesforce-errors.js';
import type { AdminSession, SessionPool } from './salesforce-sessions.js';
import type { ConfiguredSettings } from './salesforce-settings.js';

/**
 * Salesforce's REST API as the admin session sees it: requests go to the session's instance,
 * under `/services/data/v{apiVersion}`, with its access token; a 401 renews the session once.
 */

export interface ApiRequest extends Omit<RequestOptions, 'path' | 'auth'> {
  /** A resource under the data path (`/sobjects/Case`), or a full `/services/…` path Salesforce handed back. */
  resource: string;
}

export type ApiResponse<TData> = HttpResponse<TData> & {
  /** The session the request was finally sent with. */
  session: AdminSession;
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
  /** Runs a SOQL query, following `nextRecordsUrl` up to `maxRecords`. */
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

  /** Credentials bound to one session, renewed once on a 401. */
  function sessionAuth(initial: AdminSession): AuthProvider & { used(): AdminSession } {
    let session = initial;
    return {
      headers: async () => ({ Authorization: `Bearer ${session.accessToken}` }),
      refresh: async () => {
        session = await sessions.renew(session);
        return true;
      },
      used: () => session,
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
    const { resource, ...rest } = options;
    const auth = sessionAuth(await sessions.current());
    const response = await http.request<TData>({
      ...rest,
      path: `${auth.used().instanceUrl}${dataPath(resource)}`,
      auth,
    });
    watchUsage(response.headers);
    return { ...response, session: auth.used() };
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
      let attempts = 0;
      let next: ApiRequest | undefined = { method: 'GET', resource: '/query', query: { q: soql }, operation };
      while (next !== undefined) {
        const response: ApiResponse<unknown> = await request(next);
        attempts += response.attempts;
        const parsed = parseAnswer(page, response, operation);
        records.push(...parsed.records);
        next =
          parsed.done || parsed.nextRecordsUrl === undefined || records.length >= maxRecords
            ? undefined
            : { method: 'GET', resource: parsed.nextRecordsUrl, operation };
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
