import { parseUrl } from './parse-url.js';

/**
 * What an admin typed as a CRM's address, read as a URL, `https://` assumed when no scheme is
 * written; `undefined` when it is not a URL, or when it would send credentials in clear text, to
 * a custom port, or with a user name or password in the URL. A local sandbox on a loopback
 * address is the one exception, which callers check first with `loopbackOrigin`.
 */
export function parseHttpsUrl(input: string): URL | undefined {
  const value = input.trim();
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(value) ? value : `https://${value}`;
  const url = parseUrl(withScheme);
  if (url === undefined) return undefined;
  if (url.protocol !== 'https:' || url.port !== '' || url.username !== '' || url.password !== '') {
    return undefined;
  }
  return url;
}
