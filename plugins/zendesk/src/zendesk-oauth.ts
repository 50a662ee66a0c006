import {
  type AuthProvider,
  ConnectionClosedError,
  type HttpClient,
  InvalidResponseError,
  measureTokenRequest,
  type Redactor,
} from '@crm-connect/core';
import { z } from 'zod';
import { pluginId } from './zendesk-plugin-id.js';

/**
 * OAuth client credentials for one connection: an access token is fetched when first needed,
 * reused until shortly before it expires, and fetched again once (single flight) however many
 * requests want it at the same moment. After a 401 the token that failed is replaced once; the
 * requests that failed with it together share the replacement.
 */

/** Scopes asked for: users are read (agent lookup), tickets are written. */
export const oauthScope = 'read write';

/** A token without `expires_in` (clients created before token expiry existed) is kept until a 401. */
const tokenResponseSchema = z.object({
  access_token: z.string().min(1),
  token_type: z.string().optional(),
  scope: z.string().optional(),
  expires_in: z.number().positive().nullable().optional(),
  refresh_token: z.string().nullable().optional(),
});

export interface OAuthToken {
  accessToken: string;
  /** The scopes Zendesk granted, when it says. */
  scope: string | undefined;
  /** Epoch ms after which the token must not be used; `undefined` when Zendesk gave no lifetime. */
  expiresAt: number | undefined;
}

export interface OAuthTokenSource {
  /** A valid token, fetched if none is cached or the cached one is about to expire. */
  token(): Promise<OAuthToken>;
  /** Credentials for one request: remembers the token it sent, so a 401 replaces exactly that token. */
  forRequest(): AuthProvider;
  /** Forgets the token; later calls are refused with a `connector_closed` error, no token is fetched. Idempotent. */
  close(): void;
}

export interface OAuthTokenSourceOptions {
  /** A client for the account's origin, without credentials (the token endpoint takes them in the body). */
  http: HttpClient;
  clientId: string;
  clientSecret: string;
  redactor: Redactor;
  /** The clock; injectable for tests. Default `Date.now`. */
  now?: (() => number) | undefined;
}

const noCredentials: AuthProvider = { headers: async () => ({}) };

/** Refresh this long before expiry, so a token never expires between the check and the request. */
function refreshMargin(lifetimeMs: number): number {
  return Math.min(60_000, lifetimeMs / 2);
}

export function createOAuthTokenSource(options: OAuthTokenSourceOptions): OAuthTokenSource {
  const now = options.now ?? Date.now;
  let cached: (OAuthToken & { refreshAt: number | undefined }) | undefined;
  let inFlight: Promise<OAuthToken> | undefined;
  let closed = false;

  // https://developer.zendesk.com/api-reference/ticketing/oauth/grant_type_tokens/#create-token-for-grant-type
  async function fetchToken(): Promise<OAuthToken> {
    const response = await options.http.request({
      method: 'POST',
      path: '/oauth/tokens',
      operation: 'get an OAuth access token',
      auth: noCredentials,
      // Repeating a token request only mints another short-lived token: no record is duplicated.
      idempotent: true,
      body: {
        grant_type: 'client_credentials',
        client_id: options.clientId,
        client_secret: options.clientSecret,
        scope: oauthScope,
      },
    });
    const parsed = tokenResponseSchema.safeParse(response.data);
    if (!parsed.success) {
      // A 2xx without a token refuses nothing (a refusal is a 4xx with an RFC 6749 code): a proxy's
      // or a maintenance page. Retryable, so a save keeps the credentials unverified, not reverted.
      throw new InvalidResponseError(
        'Zendesk answered the OAuth token request without an access token (a maintenance or proxy page?). It is asked again later; if this persists, check that the subdomain is your Zendesk account.',
        { pluginId, status: response.status, requestId: response.requestId, retryable: true },
      );
    }
    const body = parsed.data;
    // The access token is held by the redactor only while it can be used (2 h for Zendesk's
    // client-credentials tokens when no expiry is given).
    options.redactor.add(body.access_token, {
      expiresInMs: body.expires_in == null ? 2 * 60 * 60_000 : body.expires_in * 1000,
    });
    options.redactor.add(body.refresh_token);
    const issuedAt = now();
    const lifetimeMs = body.expires_in == null ? undefined : body.expires_in * 1000;
    const token = {
      accessToken: body.access_token,
      scope: body.scope,
      expiresAt: lifetimeMs === undefined ? undefined : issuedAt + lifetimeMs,
      refreshAt: lifetimeMs === undefined ? undefined : issuedAt + lifetimeMs - refreshMargin(lifetimeMs),
    };
    // A token fetched while the connection closed is handed to the requests awaiting it, not kept.
    if (!closed) cached = token;
    return token;
  }

  function token(): Promise<OAuthToken> {
    if (closed) {
      return Promise.reject(
        new ConnectionClosedError('zendesk: this connection (it fetches no OAuth token once closed)', {
          pluginId,
        }),
      );
    }
    if (cached !== undefined && (cached.refreshAt === undefined || now() < cached.refreshAt)) {
      return Promise.resolve(cached);
    }
    if (inFlight === undefined) {
      inFlight = measureTokenRequest(pluginId, fetchToken).finally(() => {
        inFlight = undefined;
      });
    }
    return inFlight;
  }

  return {
    token,
    forRequest() {
      let sent: string | undefined;
      return {
        async headers() {
          const current = await token();
          sent = current.accessToken;
          return { Authorization: `Bearer ${current.accessToken}` };
        },
        async refresh() {
          // Only the token that failed is dropped: a replacement fetched meanwhile is reused.
          if (cached !== undefined && cached.accessToken === sent) cached = undefined;
          await token();
          return true;
        },
      };
    },
    close() {
      closed = true;
      cached = undefined;
      options.http.close();
    },
  };
}
