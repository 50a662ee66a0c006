import { loopbackOrigin, parseHttpsUrl } from '@crm-connect/core';

/**
 * Kustomer API hosts. An organization is reached through its own host, which routes to the
 * organization's region, or through a regional ("pod") host shared by every organization there.
 * Source: https://developer.kustomer.com/docs/get-started/authentication
 */

/** What a normalised API base URL points at. */
export type KustomerHost =
  | { kind: 'organization'; origin: string; org: string }
  | { kind: 'regional'; origin: string; pod: string }
  /** A local sandbox (`@crm-connect/sandbox`) on a loopback address. */
  | { kind: 'sandbox'; origin: string };

const domain = 'kustomerapp.com';
const label = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
/** Subdomains of kustomerapp.com that are never an organization. */
const reserved = new Set(['api', 'www', 'app', 'help', 'developer', 'status']);

export const apiBaseUrlHint =
  "must be your organization's Kustomer API host (https://{org}.api.kustomerapp.com) or a regional host (US https://api.kustomerapp.com, EU https://api.prod2.kustomerapp.com), or a local sandbox on a loopback address such as http://127.0.0.1:4010 (http:// is refused for any other host)";

/**
 * Reads what an admin pastes — `acme`, `acme.api.kustomerapp.com`, `https://acme.kustomerapp.com/app`,
 * `https://api.prod2.kustomerapp.com/v1/` — and returns the API origin, or `undefined` when it is
 * not a Kustomer API host. The agent web app host `{org}.kustomerapp.com` is turned into the
 * organization's API host; any path is dropped (requests add `/v1/...`). A local sandbox is
 * accepted on a loopback host only, with its scheme written out (`http://127.0.0.1:4010`).
 */
export function parseKustomerHost(input: string): KustomerHost | undefined {
  const trimmed = input.trim().toLowerCase();
  if (trimmed === '') return undefined;
  if (label.test(trimmed)) return organization(trimmed);
  const sandbox = loopbackOrigin(trimmed);
  if (sandbox !== undefined) return { kind: 'sandbox', origin: sandbox };
  // Beyond loopback, credentials must never travel in clear text, to a custom port, or with embedded userinfo.
  const url = parseHttpsUrl(trimmed);
  if (url === undefined) return undefined;
  const host = url.hostname;
  if (host === `api.${domain}`) return { kind: 'regional', origin: `https://${host}`, pod: 'prod1' };
  const regional = /^api\.(prod\d+)\.kustomerapp\.com$/.exec(host);
  if (regional?.[1] !== undefined) return { kind: 'regional', origin: `https://${host}`, pod: regional[1] };
  const parts = host.split('.');
  if (parts.length === 4 && parts[1] === 'api' && `${parts[2]}.${parts[3]}` === domain) {
    return organization(parts[0] ?? '');
  }
  if (parts.length === 3 && `${parts[1]}.${parts[2]}` === domain) return organization(parts[0] ?? '');
  return undefined;
}

function organization(org: string): KustomerHost | undefined {
  if (!label.test(org) || reserved.has(org)) return undefined;
  return { kind: 'organization', origin: `https://${org}.api.${domain}`, org };
}

/** The regional API host that serves a pod (`prod1` is the US host without a pod label). */
export function regionalOrigin(pod: string): string {
  return pod === 'prod1' ? `https://api.${domain}` : `https://api.${pod}.${domain}`;
}
