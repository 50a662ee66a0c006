import { parseUrl as asUrl, loopbackOrigin } from '@crm-connect/core';

/**
 * The org's My Domain URL, which is where admins sign in and where the OAuth endpoints live.
 * Host forms and the Lightning ↔ My Domain mapping follow Salesforce's domain formats
 * (https://help.salesforce.com/s/articleView?id=sf.domain_name_format.htm) and the Salesforce
 * CLI's own tests (forcedotcom/sfdx-core test/unit/util/sfdcUrlTest.ts).
 */

/** Hosts that end like this are My Domain hosts (production, sandbox, dev, scratch… partitions included). */
const myDomainSuffixes = ['.my.salesforce.com', '.my.salesforce.mil', '.my.sfcrmproducts.cn'];

/** Domains admins copy from their browser instead, and the My Domain suffix each stands for. */
const browserDomains: readonly { suffix: string; myDomain: string; what: string }[] = [
  { suffix: '.lightning.force.com', myDomain: '.my.salesforce.com', what: 'the Lightning domain' },
  { suffix: '.lightning.crmforce.mil', myDomain: '.my.salesforce.mil', what: 'the Lightning domain' },
  { suffix: '.lightning.sfcrmapps.cn', myDomain: '.my.sfcrmproducts.cn', what: 'the Lightning domain' },
  { suffix: '.my.salesforce-setup.com', myDomain: '.my.salesforce.com', what: 'the Setup domain' },
];

const genericLoginHosts: Readonly<Record<string, string>> = {
  'login.salesforce.com': "Salesforce's generic production login page",
  'test.salesforce.com': "Salesforce's generic sandbox login page",
};

const example =
  'for example https://acme.my.salesforce.com, or https://acme--uat.sandbox.my.salesforce.com for a sandbox';

export type LoginUrlCheck =
  | { ok: true; url: string }
  | { ok: false; message: string; corrected?: string | undefined };

/**
 * Checks a login URL as an admin typed it. Accepted: `https://` + a My Domain host, nothing
 * after it but an optional `/`. Stored as `https://host` in lowercase. A local sandbox
 * (`@crm-connect/sandbox`) on a loopback address, its scheme written out, is stored as its
 * origin (`http://127.0.0.1:4010`): the only host allowed a port or plain http.
 */
export function checkLoginUrl(input: string): LoginUrlCheck {
  const value = input.trim();
  const sandbox = loopbackOrigin(value);
  if (sandbox !== undefined) return { ok: true, url: sandbox };
  const parsed = parseUrl(value);
  if (parsed === undefined) {
    return { ok: false, message: `"${value}" is not a URL; enter your org's My Domain URL, ${example}.` };
  }
  const { url, bare } = parsed;
  const host = url.hostname.toLowerCase();
  const generic = genericLoginHosts[host];
  if (generic !== undefined) {
    return {
      ok: false,
      message: `${host} is ${generic}, not your org's own login URL: enter your My Domain URL from Setup › My Domain, ${example}.`,
    };
  }
  const browser = browserDomains.find((domain) => host.endsWith(domain.suffix));
  const myDomainHost =
    browser === undefined ? host : `${host.slice(0, -browser.suffix.length)}${browser.myDomain}`;
  if (
    !myDomainSuffixes.some((suffix) => myDomainHost.endsWith(suffix) && myDomainHost.length > suffix.length)
  ) {
    return {
      ok: false,
      message: `${host} is not a My Domain host: enter the URL from Setup › My Domain, which ends in .my.salesforce.com (${example}).`,
    };
  }
  const corrected = `https://${myDomainHost}`;
  const problems: string[] = [];
  if (browser !== undefined) problems.push(`this is ${browser.what} (${host}), not the My Domain login URL`);
  if (bare) problems.push('the URL must start with https://');
  else if (url.protocol !== 'https:')
    problems.push(`the URL must use https, not ${url.protocol.replace(':', '')}`);
  if (url.username !== '' || url.password !== '')
    problems.push('the URL must not contain a user name or password');
  if (url.port !== '') problems.push(`the URL must not name a port (:${url.port})`);
  if (url.pathname !== '/' && url.pathname !== '')
    problems.push(`the URL must not have a path (${url.pathname})`);
  if (url.search !== '') problems.push('the URL must not have a query string');
  if (url.hash !== '') problems.push('the URL must not have a fragment (#…)');
  if (problems.length === 0) return { ok: true, url: corrected };
  return { ok: false, message: `${capitalise(problems.join('; '))}: enter ${corrected} instead.`, corrected };
}

function parseUrl(value: string): { url: URL; bare: boolean } | undefined {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(value)) {
    const url = asUrl(value);
    return url === undefined ? undefined : { url, bare: false };
  }
  // A bare host ("acme.my.salesforce.com") is read as a URL so the message can name the fix.
  if (!/^[a-z0-9.-]+\.[a-z0-9.-]+(\/.*)?$/i.test(value)) return undefined;
  const url = asUrl(`https://${value}`);
  return url === undefined ? undefined : { url, bare: true };
}

function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
