/**
 * Local sandboxes (`@crm-connect/sandbox`) listen on loopback addresses. Every plugin accepts
 * such an address through its normal URL setting — over http too, since loopback traffic never
 * leaves the machine — while plain http to any other host stays refused.
 */

/** Hosts that never leave the machine (URL `hostname` form: IPv6 in brackets). */
const loopbackHosts = new Set(['127.0.0.1', 'localhost', '[::1]']);

/** True for 127.0.0.1, localhost and [::1]. */
export function isLoopbackHost(hostname: string): boolean {
  return loopbackHosts.has(hostname.toLowerCase());
}

/**
 * `http://127.0.0.1:4010/anything` → `http://127.0.0.1:4010`: the origin of a loopback URL, or
 * `undefined` for anything else (another host, no scheme, a username or password in the URL).
 */
export function loopbackOrigin(value: string): string | undefined {
  if (!/^https?:\/\//i.test(value.trim())) return undefined;
  let url: URL;
  try {
    url = new URL(value.trim());
  } catch {
    return undefined;
  }
  if (!isLoopbackHost(url.hostname) || url.username !== '' || url.password !== '') return undefined;
  return url.origin;
}
