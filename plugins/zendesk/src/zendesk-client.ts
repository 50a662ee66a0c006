import {
  ConfigurationError,
  ConnectionClosedError,
  createHttpClient,
  type FieldIssue,
  type HttpClient,
  type PluginContext,
} from '@crm-connect/core';
import { type CredentialsConfig, createCredentials, type ZendeskCredentials } from './zendesk-auth.js';
import { oauthErrorMapper, zendeskErrorMapper } from './zendesk-errors.js';
import { createOAuthTokenSource, type OAuthTokenSource } from './zendesk-oauth.js';
import { pluginId } from './zendesk-plugin-id.js';
import { type ZendeskSettings, zendeskOrigin } from './zendesk-settings.js';

/** Everything a connection needs to talk to one Zendesk account. */
export interface ZendeskAccount {
  /** `https://acme.zendesk.com`. */
  origin: string;
  /** The Support API client; every call passes `auth` from `credentials`. */
  api: HttpClient;
  credentials: ZendeskCredentials;
  /** The OAuth token source, in OAuth mode. */
  oauth: OAuthTokenSource | undefined;
  /**
   * Forgets the OAuth token and refuses later requests unsent. The account's rate budgets are
   * the connector's to release (they are shared with its other connections). Idempotent.
   */
  close(): void;
}

export interface ZendeskAccountOptions {
  /** Requests per minute for the whole account, shared with every other connector to it. */
  requestsPerMinute: number;
}

const noCredentials = { headers: async () => ({}) };

/** Throws a `ConfigurationError` naming what is missing; the save rules never get here with gaps. */
function missing(issues: FieldIssue[], fix: string): never {
  throw new ConfigurationError(`Zendesk settings are incomplete: ${fix}`, { pluginId, issues });
}

export function createZendeskAccount(
  settings: ZendeskSettings,
  context: PluginContext,
  options: ZendeskAccountOptions,
): ZendeskAccount {
  // Settings secrets are registered here too: a plugin may be called without a connector (on save).
  for (const secret of [settings.apiToken, settings.oauthClientSecret]) context.redactor.add(secret);
  const { subdomain } = settings;
  if (subdomain === undefined) {
    missing([{ path: 'subdomain', message: 'subdomain: is required' }], 'fill in the subdomain (acme).');
  }
  const origin = zendeskOrigin(subdomain);
  // Zendesk counts every call of the account against one per-minute limit (the token endpoint
  // too, though its rare calls go through a queue of their own, below).
  const budget = context.rateBudgets.forAccount(`${pluginId}:${subdomain}`, {
    requestsPerInterval: options.requestsPerMinute,
  });
  const base = {
    pluginId,
    baseUrl: origin,
    budget,
    redactor: context.redactor,
    logger: context.logger,
    retry: context.http.retry,
    timeoutMs: context.http.timeoutMs,
    defaultHeaders: { Accept: 'application/json' },
  };

  let config: CredentialsConfig;
  let oauth: OAuthTokenSource | undefined;
  if (settings.authMode === 'oauthClientCredentials') {
    const { oauthClientId, oauthClientSecret } = settings;
    if (oauthClientId === undefined || oauthClientSecret === undefined) {
      missing(
        [{ path: 'oauthClient', message: 'oauthClient: the identifier and the secret are required' }],
        'fill in the OAuth client identifier and secret, or switch back to API token mode.',
      );
    }
    oauth = createOAuthTokenSource({
      http: createHttpClient({
        ...base,
        // A queue of its own: the token is fetched from inside a Support API request's turn in
        // the account's budget (its auth headers), so a token request queued in that same budget
        // would wait for turns held by the requests waiting for it — with 16 requests in flight
        // (or a budget of one) nothing ever moved again. One token request per token lifetime
        // is what it adds to the account's count.
        budget: context.rateBudgets.forAccount(`${pluginId}:${subdomain}:oauth-token`, {
          requestsPerInterval: options.requestsPerMinute,
        }),
        auth: noCredentials,
        mapError: oauthErrorMapper,
      }),
      clientId: oauthClientId,
      clientSecret: oauthClientSecret,
      redactor: context.redactor,
    });
    config = { mode: 'oauthClientCredentials', oauth };
  } else {
    const { email, apiToken } = settings;
    if (email === undefined || apiToken === undefined) {
      missing(
        [{ path: 'apiToken', message: 'apiToken: the Zendesk user email and the API token are required' }],
        'fill in the Zendesk user email and API token, or switch to OAuth client credentials.',
      );
    }
    config = { mode: 'apiToken', email, apiToken };
  }
  const credentials = createCredentials(config, context.logger);
  const client = createHttpClient({
    ...base,
    auth: credentials.admin(),
    mapError: zendeskErrorMapper(settings.authMode),
    // Zendesk documents it for ticket creation; on other writes it is sent too and is harmless if ignored.
    idempotencyHeader: 'Idempotency-Key',
  });
  let closed = false;
  const api: HttpClient = {
    baseUrl: client.baseUrl,
    async request(request) {
      if (closed) {
        throw new ConnectionClosedError(`zendesk: this connection to ${origin}`, { pluginId });
      }
      return client.request(request);
    },
    close: () => client.close(),
  };
  return {
    origin,
    api,
    credentials,
    oauth,
    close() {
      closed = true;
      oauth?.close();
      client.close();
    },
  };
}
