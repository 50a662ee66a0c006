import { AsyncLocalStorage } from 'node:async_hooks';
import {
  AuthError,
  type INetworkModule,
  type NetworkRequestOptions,
  type NetworkResponse,
} from '@azure/msal-node';
import { parseRetryAfter } from '@crm-connect/core';

/**
 * msal-node's network client (`system.networkClient`), replacing its default one. msal-node 7
 * sends token requests with `fetch` and no deadline at all for a POST (its timeout option covers
 * GETs, and only the wait for the headers); the plugin's outer timer only stopped waiting, leaving
 * the socket open as long as the server kept it busy. Here:
 *
 * - **one deadline per token acquisition**, for every request msal makes for it, body included:
 *   an `AbortSignal.timeout` handed in by the acquisition (through async context, since msal
 *   passes no options through), so a server that answers its headers and then drips its body is
 *   cut off at the deadline and the connection closed;
 * - **redirects are never followed**: `fetch` follows a 307 by posting the same form, client
 *   secret included, to wherever it points;
 * - **no connection is kept open** after a token request (`Connection: close`): the next one is
 *   an hour away, so a kept socket would only outlive a closed connector;
 * - **the last answer's status and Retry-After are kept** for the acquisition, since msal's errors
 *   keep neither (and a body that is not JSON, an outage page, becomes a parsing error).
 */

/** What one token acquisition shares with the requests msal makes for it. */
export interface TokenAcquisition {
  /** Aborts every request of the acquisition at its deadline. */
  signal: AbortSignal;
  timeoutMs: number;
  /** The last answer that was not a success: its status and Retry-After (ms). */
  failedAnswer?: { status: number; retryAfterMs: number | undefined } | undefined;
}

const acquisitions = new AsyncLocalStorage<TokenAcquisition>();

/** Runs `acquire` (one msal token call) with its deadline and answer record. */
export function withAcquisition<T>(acquisition: TokenAcquisition, acquire: () => Promise<T>): Promise<T> {
  return acquisitions.run(acquisition, acquire);
}

/** A request outside any acquisition (none is expected) still gets a deadline. */
const fallbackTimeoutMs = 30_000;

export function createTokenNetworkClient(): INetworkModule {
  async function send<T>(
    method: 'GET' | 'POST',
    url: string,
    options: NetworkRequestOptions | undefined,
  ): Promise<NetworkResponse<T>> {
    const acquisition = acquisitions.getStore();
    const timeoutMs = acquisition?.timeoutMs ?? fallbackTimeoutMs;
    const signal = acquisition?.signal ?? AbortSignal.timeout(timeoutMs);
    let status: number;
    let headers: Record<string, string>;
    let text: string;
    try {
      const response = await fetch(url, {
        method,
        // One token request per token lifetime (an hour): a connection kept open for the next one
        // would only outlive the connector that made it (and the server's idle timeout).
        headers: { ...options?.headers, connection: 'close' },
        ...(method === 'POST' ? { body: options?.body ?? '' } : {}),
        redirect: 'manual',
        signal,
      });
      status = response.status;
      headers = {};
      response.headers.forEach((value, name) => {
        headers[name.toLowerCase()] = value;
      });
      // The deadline covers the body too: reading it is aborted with the rest.
      text = await response.text();
    } catch (error) {
      if (signal.aborted) {
        throw new AuthError(
          'network_error',
          '',
          `timed out after ${timeoutMs} ms (the answer was not complete)`,
        );
      }
      const cause =
        error instanceof Error ? ((error.cause as Error | undefined)?.message ?? error.message) : '';
      throw new AuthError('network_error', '', `the request failed before an answer (${cause})`);
    }
    if (status < 200 || status >= 300) {
      const retryAfterMs =
        status === 429 || status >= 500 ? parseRetryAfter(headers['retry-after']) : undefined;
      if (acquisition !== undefined) acquisition.failedAnswer = { status, retryAfterMs };
    }
    if (status >= 300 && status < 400) {
      throw new AuthError(
        'network_error',
        '',
        `the token endpoint answered HTTP ${status}, a redirect, which is not followed (the client secret stays on ${new URL(url).origin})`,
      );
    }
    let body: T;
    try {
      body = JSON.parse(text) as T;
    } catch {
      throw new AuthError(
        'token_parsing_error',
        '',
        `the token endpoint answered HTTP ${status} with a body that is not JSON (an outage or a proxy page)`,
      );
    }
    return { status, headers, body };
  }
  return {
    sendGetRequestAsync: (url, options) => send('GET', url, options),
    sendPostRequestAsync: (url, options) => send('POST', url, options),
  };
}
