import { AuthError, ClientConfigurationError, ServerError } from '@azure/msal-node';
import {
  AuthenticationError,
  ConfigurationError,
  type CrmConnectError,
  RateLimitedError,
  TransportError,
} from '@crm-connect/core';
import { pluginId } from './dynamics-plugin-id.js';
import type { DynamicsCredentials } from './dynamics-settings.js';

/**
 * Microsoft Entra ID (Azure AD) token errors, as msal-node throws them, mapped to typed errors whose
 * messages say which setting is wrong and where to fix it.
 * AADSTS codes: https://learn.microsoft.com/entra/identity-platform/reference-error-codes
 */

/** The first line of the AADSTS description msal carries ("AADSTS7000215: Invalid client secret…"). */
function aadDescription(error: AuthError): string {
  const text = error.errorMessage || error.message;
  const described = /AADSTS\d+:[^\r\n]*/.exec(text)?.[0] ?? text;
  const withoutTrace = described.replace(/\s*(Trace ID|Correlation ID|Timestamp):.*$/i, '').trim();
  return withoutTrace.length > 300 ? `${withoutTrace.slice(0, 300)}…` : withoutTrace;
}

/**
 * AADSTS codes that say "try again later", not "these credentials are wrong": AADSTS90033 (a
 * transient error) and AADSTS50196 (a request loop: Entra throttling the client).
 */
const transientAadCodes = new Set(['90033', '50196']);

/** The AADSTS number of a server error: msal keeps the first of `error_codes` (a number on the wire). */
function aadCode(error: ServerError): string {
  if (error.errorNo !== undefined && error.errorNo !== null) return String(error.errorNo);
  return /AADSTS(\d+)/.exec(error.errorMessage)?.[1] ?? '';
}

/** The status and Retry-After of the token endpoint's last failed answer, which msal's errors do not keep. */
export interface FailedTokenAnswer {
  status: number;
  retryAfterMs: number | undefined;
}

/**
 * The token endpoint asked to wait (429 or 5xx with Retry-After) and that wait is not over: no
 * request is sent, and the caller learns how long is left.
 */
export function pausedTokenError(
  credentials: DynamicsCredentials,
  status: number,
  retryAfterMs: number,
): CrmConnectError {
  const message = `dynamics: Microsoft Entra ID answered HTTP ${status} to the last token request for application ${credentials.clientId} and asked to wait; ${Math.ceil(retryAfterMs / 1000)} s left. It is retried automatically.`;
  const options = { pluginId, status, retryAfterMs };
  return status === 429 ? new RateLimitedError(message, options) : new TransportError(message, options);
}

export function tokenErrorToCrmError(
  error: unknown,
  credentials: DynamicsCredentials,
  answer?: FailedTokenAnswer | undefined,
): CrmConnectError {
  const { tenantId, clientId, organizationUrl, authorityHost } = credentials;
  const cause = summary(error);
  // A 429 or 5xx is an outage whatever msal made of it (a body that is not JSON is a parsing error to msal).
  const transient =
    answer !== undefined && (answer.status === 429 || answer.status >= 500) ? answer : undefined;
  if (transient !== undefined && !(error instanceof ServerError)) {
    const options = { pluginId, status: transient.status, retryAfterMs: transient.retryAfterMs, cause };
    const said = `dynamics: ${authorityHost} answered HTTP ${transient.status} to a token request for application ${clientId}`;
    return transient.status === 429
      ? new RateLimitedError(`${said} (too many requests). It is retried automatically.`, options)
      : new TransportError(`${said} (an outage, not a refusal). It is retried automatically.`, options);
  }
  if (error instanceof ServerError) {
    const code = aadCode(error);
    const description = aadDescription(error);
    const common = {
      pluginId,
      status: error.status ?? transient?.status,
      retryAfterMs: transient?.retryAfterMs,
      cause,
    };
    // msal-node remembers a 429 or 5xx and, until its throttle time ends, refuses that client's
    // token requests itself with a ServerError that has no HTTP status: an outage, never a refusal.
    const throttledByMsal = error.status === undefined || error.status === null;
    if (error.status === 429 || transientAadCodes.has(code) || throttledByMsal) {
      return new RateLimitedError(
        `dynamics: Microsoft Entra ID is throttling token requests for application ${clientId} (${description}). They are retried automatically.`,
        common,
      );
    }
    if (
      (error.status !== undefined && error.status >= 500) ||
      error.errorCode === 'temporarily_unavailable'
    ) {
      return new TransportError(
        `dynamics: Microsoft Entra ID could not issue a token right now (${description}). It is retried automatically.`,
        common,
      );
    }
    if (code === '7000222') {
      return new AuthenticationError(
        `dynamics: the application key (client secret) of application ${clientId} has expired (${description}). Create a new client secret under Microsoft Entra admin center › App registrations › your app › Certificates & secrets, then paste its Value here.`,
        common,
      );
    }
    if (error.errorCode === 'invalid_client' || code === '7000215') {
      return new AuthenticationError(
        `dynamics: Microsoft Entra ID rejected the application key (client secret) of application ${clientId} (${description}). Paste the secret's Value, not its Secret ID, from Microsoft Entra admin center › App registrations › your app › Certificates & secrets, or create a new secret.`,
        common,
      );
    }
    if (error.errorCode === 'unauthorized_client' || code === '700016') {
      return new AuthenticationError(
        `dynamics: application ${clientId} was not found in tenant ${tenantId} (${description}). Check the Application (client) ID and the Directory (tenant) ID on the app registration's Overview page.`,
        common,
      );
    }
    if (error.errorCode === 'invalid_resource' || code === '500011') {
      return new ConfigurationError(
        `dynamics: tenant ${tenantId} has no Dynamics 365 environment at ${organizationUrl} (${description}). Check the organization URL (Power Platform admin center › Environments › your environment › Environment URL) and that the environment belongs to this tenant.`,
        {
          ...common,
          issues: [{ path: 'organizationUrl', message: 'organizationUrl: not found in this tenant' }],
        },
      );
    }
    if (code === '90002' || code === '900023' || /tenant .* not found/i.test(description)) {
      return new ConfigurationError(
        `dynamics: tenant ${tenantId} was not found at ${authorityHost} (${description}). Use the Directory (tenant) ID from Microsoft Entra admin center › Overview.`,
        { ...common, issues: [{ path: 'tenantId', message: 'tenantId: tenant not found' }] },
      );
    }
    if (error.errorCode === 'invalid_scope' || code === '70011' || code === '1002012') {
      return new ConfigurationError(
        `dynamics: Microsoft Entra ID refused the scope ${organizationUrl}/.default (${description}). Check the organization URL.`,
        {
          ...common,
          issues: [{ path: 'organizationUrl', message: 'organizationUrl: refused as a token scope' }],
        },
      );
    }
    return new AuthenticationError(
      `dynamics: Microsoft Entra ID refused a token to application ${clientId} in tenant ${tenantId} (${description}). Check the tenant ID, application ID and application key.`,
      common,
    );
  }
  if (error instanceof ClientConfigurationError) {
    return new ConfigurationError(
      `dynamics: the sign-in authority ${authorityHost}/${tenantId} is not usable (${error.errorCode}). Check the tenant ID and the authority host.`,
      { pluginId, cause },
    );
  }
  if (error instanceof AuthError) {
    return new TransportError(
      `dynamics: no token could be obtained from ${authorityHost} (${error.errorCode}: ${aadDescription(error)}). Check that it is reachable; the request is retried automatically.`,
      { pluginId, cause },
    );
  }
  return new TransportError(
    `dynamics: no token could be obtained from ${authorityHost} (${error instanceof Error ? error.message : String(error)}). The request is retried automatically.`,
    { pluginId, cause },
  );
}

/** What is kept of an msal error: codes and ids, never the request it came from. */
function summary(error: unknown): Record<string, unknown> {
  if (error instanceof ServerError) {
    return {
      errorCode: error.errorCode,
      aadCode: aadCode(error),
      status: error.status,
      correlationId: error.correlationId,
    };
  }
  if (error instanceof AuthError) return { errorCode: error.errorCode, correlationId: error.correlationId };
  return { message: error instanceof Error ? error.message : String(error) };
}
