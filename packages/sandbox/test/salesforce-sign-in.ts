import { createHash, randomBytes } from 'node:crypto';
import { type SalesforceSandbox, seedPeople } from '@crm-connect/sandbox';

/**
 * The Salesforce sandbox's sign-in page driven as a browser would: open the authorize URL, read the
 * form, post it with a username and password, stop at the redirect. Plain HTTP, no plugin, no jsforce.
 */

/** Where the "browser" is sent back to; nothing listens there, the redirect is only read. */
export const redirectUri = 'http://127.0.0.1:9/settings/crm/salesforce/callback';

/** What a browser receives for one request, redirects not followed. */
export interface BrowserAnswer {
  status: number;
  location: string | undefined;
  body: string;
}

async function browse(url: string, form?: Record<string, string>): Promise<BrowserAnswer> {
  const response = await fetch(
    url,
    form === undefined
      ? { redirect: 'manual' }
      : { method: 'POST', redirect: 'manual', body: new URLSearchParams(form) },
  );
  return {
    status: response.status,
    location: response.headers.get('location') ?? undefined,
    body: await response.text(),
  };
}

/** The page escapes attribute values as numeric character references (`&#34;`). */
const decodeCharacterReferences = (text: string) =>
  text.replace(/&#(\d+);/g, (_reference, code: string) => String.fromCodePoint(Number(code)));

/** The integration user only the Salesforce sandbox has; its README lists this password. */
const integrationUser = { email: 'integration@acme.test', password: 'sandbox-ivy-2Hw6' };

/** A seeded person's sign-in password. */
export function passwordOf(email: string): string {
  const person = [...seedPeople, integrationUser].find((candidate) => candidate.email === email);
  if (person === undefined) throw new Error(`no seeded person ${email}`);
  return person.password;
}

/** A PKCE pair: the verifier kept by the client, the S256 challenge sent to the authorize endpoint. */
export function pkcePair(): { verifier: string; challenge: string } {
  const verifier = randomBytes(48).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

/** The authorize URL of the web server flow with PKCE, for the seeded connected app. */
export function authorizeUrl(
  sandbox: SalesforceSandbox,
  options: { challenge: string; state?: string; loginHint?: string },
): string {
  const url = new URL(`${sandbox.url}/services/oauth2/authorize`);
  url.search = new URLSearchParams({
    response_type: 'code',
    client_id: sandbox.seed.credentials.clientId,
    redirect_uri: redirectUri,
    code_challenge: options.challenge,
    scope: 'api id refresh_token',
    ...(options.state === undefined ? {} : { state: options.state }),
    ...(options.loginHint === undefined ? {} : { login_hint: options.loginHint }),
  }).toString();
  return url.toString();
}

/** Opens the sign-in page and posts its form with these credentials (`action` `deny` refuses access); the answer to the post. */
export async function signIn(
  sandbox: SalesforceSandbox,
  url: string,
  credentials: { username: string; password: string; action?: 'login' | 'deny' },
): Promise<BrowserAnswer> {
  const page = await browse(url);
  if (page.status !== 200) throw new Error(`the sign-in page answered ${page.status}`);
  const hiddenFields = [...page.body.matchAll(/<input type="hidden" name="([^"]*)" value="([^"]*)">/g)].map(
    ([, name = '', value = '']) => [decodeCharacterReferences(name), decodeCharacterReferences(value)],
  );
  return browse(`${sandbox.url}/services/oauth2/authorize`, {
    ...Object.fromEntries(hiddenFields),
    username: credentials.username,
    password: credentials.password,
    action: credentials.action ?? 'login',
  });
}

/** The token endpoint, as a confidential client posts it (form-encoded, with the Consumer Secret). */
export function requestToken(sandbox: SalesforceSandbox, fields: Record<string, string>): Promise<Response> {
  const { clientId, clientSecret } = sandbox.seed.credentials;
  return fetch(`${sandbox.url}/services/oauth2/token`, {
    method: 'POST',
    body: new URLSearchParams({ client_id: clientId, client_secret: clientSecret, ...fields }),
  });
}
