import { createHash } from 'node:crypto';
import { ConfidentialClientApplication, type Configuration } from '@azure/msal-node';
import { isCrmConnectError, measureTokenRequest, TransportError, withTimeout } from '@crm-connect/core';
import { pausedTokenError, tokenErrorToCrmError } from './dynamics-auth-errors.js';
import { pluginId } from './dynamics-plugin-id.js';
import { type DynamicsCredentials, microsoftAuthorityHosts } from './dynamics-settings.js';
import {
  createTokenNetworkClient,
  type TokenAcquisition,
  withAcquisition,
} from './dynamics-token-network.js';

/**
 * Application tokens for Dataverse: the client-credentials grant through msal-node, one
 * ConfidentialClientApplication per tenant + application + key, shared by every connection in the
 * process that uses it and dropped when the last of them closes; tokens served from a memo until
 * msal would renew them (then from msal's cache), and cold-cache requests collapsed into one.
 * https://learn.microsoft.com/entra/identity-platform/v2-oauth2-client-creds-grant-flow
 */

/** Hosts whose authority metadata msal-node ships: it makes no discovery request for them. */

/** A token is served from the source's own memo until this long before it expires: msal's default renewal offset. */
const renewBeforeExpiryMs = 5 * 60_000;

export interface TokenSource {
  /**
   * A Dataverse access token for `organizationUrl`. `fresh` skips msal's cache (the live check on
   * save, the refresh after a 401). Concurrent callers share one token request. Throws typed errors.
   */
  accessToken(organizationUrl: string, options: { fresh: boolean; timeoutMs: number }): Promise<string>;
  /**
   * After a 401 with `refused`: forces a new token, unless `refused` has been replaced already (a
   * burst of 401s with one revoked token refreshes once; a later 401 with the new token refreshes again).
   */
  refresh(organizationUrl: string, timeoutMs: number, refused: string | undefined): Promise<void>;
}

/** A token source one connection holds; the registry drops the source when its last holder releases it. */
export interface TokenSourceLease {
  readonly source: TokenSource;
  /** This holder is done with the source (idempotent): the last release drops it, its msal client and cache. */
  release(): void;
}

interface RegisteredSource {
  source: TokenSource & { dispose(): void };
  /** Leases not yet released. */
  holders: number;
}

/**
 * Process-wide, so that connections to one app registration share its tokens; reference-counted,
 * so that it holds only the registrations an open connection uses.
 */
const sources = new Map<string, RegisteredSource>();

/**
 * The process-wide token source for these credentials, held until `release()`. Keyed by authority,
 * client id and a hash of the secret (never the secret itself): a changed secret gets a new msal
 * client, never a token issued to the old one, while connections still on the old one keep theirs.
 */
export function acquireTokenSource(credentials: DynamicsCredentials): TokenSourceLease {
  const secretFingerprint = createHash('sha256').update(credentials.clientSecret).digest('hex');
  const key = `${credentials.authorityHost}/${credentials.tenantId}|${credentials.clientId}|${secretFingerprint}`;
  let registered = sources.get(key);
  if (registered === undefined) {
    registered = { source: createTokenSource(credentials), holders: 0 };
    sources.set(key, registered);
  }
  const held = registered;
  held.holders += 1;
  let released = false;
  return {
    source: held.source,
    release() {
      if (released) return;
      released = true;
      held.holders -= 1;
      if (held.holders > 0) return;
      sources.delete(key);
      held.source.dispose();
    },
  };
}

/** How many token sources the process holds: one per app registration and key some open connection uses. */
export function tokenSourceCount(): number {
  return sources.size;
}

function msalConfiguration(credentials: DynamicsCredentials): Configuration {
  const authority = `${credentials.authorityHost}/${credentials.tenantId}`;
  const { hostname, host } = new URL(credentials.authorityHost);
  // Every request msal makes goes through this client: a deadline per acquisition, no redirects.
  const system = { networkClient: createTokenNetworkClient() };
  if (microsoftAuthorityHosts.has(hostname)) {
    return {
      auth: { clientId: credentials.clientId, clientSecret: credentials.clientSecret, authority },
      system,
    };
  }
  // The settings accept no other host but a local sandbox: trust it and hand msal
  // its endpoints, so it makes no instance-discovery or OpenID-configuration request at all.
  // msal matches known authorities by host *and port*: a bare hostname would miss a sandbox on
  // 127.0.0.1:4010 and send msal to login.microsoftonline.com for instance discovery.
  // https://github.com/AzureAD/microsoft-authentication-library-for-js/blob/dev/lib/msal-node/docs/configuration.md
  return {
    auth: {
      clientId: credentials.clientId,
      clientSecret: credentials.clientSecret,
      authority,
      knownAuthorities: [host],
      authorityMetadata: JSON.stringify({
        authorization_endpoint: `${authority}/oauth2/v2.0/authorize`,
        token_endpoint: `${authority}/oauth2/v2.0/token`,
        issuer: `${authority}/v2.0`,
        jwks_uri: `${authority}/discovery/v2.0/keys`,
      }),
    },
    system,
  };
}

function createTokenSource(credentials: DynamicsCredentials): TokenSource & { dispose(): void } {
  let application = new ConfidentialClientApplication(msalConfiguration(credentials));
  /**
   * Set when the token endpoint answered 429 or 5xx with a Retry-After: no token request is sent
   * before `until` (callers get a retryable error saying how long is left).
   */
  let pause: { until: number; status: number } | undefined;
  /**
   * msal remembers a 429 or 5xx and refuses that client's requests itself for a while: for the
   * Retry-After read as whole seconds only, and for 60 s when there is none or it is anything
   * else (a fraction, an HTTP date). The endpoint's own word is what is honoured here (`pause`,
   * else the HTTP layer's backoff): once it allows, a fresh msal client (its throttling state and
   * cache empty; the token was not obtained anyway) sends the next request.
   */
  let throttledByMsal = false;
  // One request in flight per scope and kind: msal itself does not collapse cold-cache requests.
  const inFlight = new Map<string, Promise<string>>();
  // msal answers from its cache at ~0.15 ms a call (cache keys, logging, expiry checks), which is
  // most of the plugin's cost per request: the token msal returned is kept here until msal would
  // renew it itself, so steady traffic does not ask msal at all.
  const memo = new Map<string, { token: string; renewAt: number; acquisition: number }>();
  // Numbers each acquisition, so one that finishes late never replaces a newer token (a forced one) in the memo.
  let acquisitions = 0;

  async function acquire(scope: string, fresh: boolean, timeoutMs: number): Promise<string> {
    acquisitions += 1;
    const acquisition = acquisitions;
    if (pause !== undefined) {
      const left = pause.until - Date.now();
      if (left > 0) throw pausedTokenError(credentials, pause.status, left);
      pause = undefined;
    }
    if (throttledByMsal) {
      throttledByMsal = false;
      application = new ConfidentialClientApplication(msalConfiguration(credentials));
    }
    // One deadline for everything msal sends for this token, body included (the network client aborts at it).
    const request: TokenAcquisition = { signal: AbortSignal.timeout(timeoutMs), timeoutMs };
    const client = application;
    try {
      const result = await measureTokenRequest(pluginId, () =>
        withTimeout(
          // https://learn.microsoft.com/javascript/api/@azure/msal-node/confidentialclientapplication#@azure-msal-node-confidentialclientapplication-acquiretokenbyclientcredential
          withAcquisition(request, () =>
            client.acquireTokenByClientCredential({ scopes: [scope], skipCache: fresh }),
          ),
          // A backstop only: the network client's abort ends the request itself at the deadline.
          timeoutMs + 50,
          () =>
            new TransportError(
              `dynamics: ${credentials.authorityHost} issued no token within ${timeoutMs} ms. Check that it is reachable; the request is retried automatically.`,
              { pluginId },
            ),
        ),
      );
      if (result === null || result.accessToken === '') {
        throw new TransportError(`dynamics: ${credentials.authorityHost} answered without an access token.`, {
          pluginId,
        });
      }
      const expiresAt = result.expiresOn?.getTime();
      if (expiresAt !== undefined && (memo.get(scope)?.acquisition ?? 0) < acquisition) {
        const renewAt = Math.min(expiresAt - renewBeforeExpiryMs, result.refreshOn?.getTime() ?? expiresAt);
        memo.set(scope, { token: result.accessToken, renewAt, acquisition });
      }
      return result.accessToken;
    } catch (error) {
      const answer = request.failedAnswer;
      if (answer !== undefined && (answer.status === 429 || answer.status >= 500)) {
        throttledByMsal = true;
        if (answer.retryAfterMs !== undefined) {
          const until = Date.now() + answer.retryAfterMs;
          const current = pause as { until: number } | undefined;
          if (current === undefined || current.until < until) pause = { until, status: answer.status };
        }
      }
      throw isCrmConnectError(error) ? error : tokenErrorToCrmError(error, credentials, answer);
    }
  }

  function shared(scope: string, fresh: boolean, timeoutMs: number): Promise<string> {
    const key = `${fresh ? 'fresh' : 'cached'} ${scope}`;
    const pending = inFlight.get(key);
    if (pending !== undefined) return pending;
    const started = acquire(scope, fresh, timeoutMs).finally(() => inFlight.delete(key));
    inFlight.set(key, started);
    return started;
  }

  function accessToken(organizationUrl: string, options: { fresh: boolean; timeoutMs: number }) {
    const scope = `${organizationUrl}/.default`;
    // A forced request under way makes any cached token suspect: wait for the new one.
    const forced = inFlight.get(`fresh ${scope}`);
    if (forced !== undefined && !options.fresh) return forced;
    const remembered = memo.get(scope);
    if (!options.fresh && remembered !== undefined && Date.now() < remembered.renewAt) {
      return Promise.resolve(remembered.token);
    }
    return shared(scope, options.fresh, options.timeoutMs);
  }

  return {
    accessToken,
    // Nothing here holds a timer or a socket: forgetting the tokens is all there is to release.
    // Acquisitions under way finish for the requests awaiting them.
    dispose() {
      memo.clear();
      application.clearCache();
    },
    async refresh(organizationUrl, timeoutMs, refused) {
      // Compared by token, not by time: a window ("refreshed moments ago") would resend a token
      // revoked again within it, and fail (found by the fault matrix, tokens revoked seconds apart).
      const current = await accessToken(organizationUrl, { fresh: false, timeoutMs });
      if (refused !== undefined && current !== refused) return;
      const scope = `${organizationUrl}/.default`;
      // The token that failed is never served from the memo again.
      memo.delete(scope);
      await shared(scope, true, timeoutMs);
    },
  };
}
