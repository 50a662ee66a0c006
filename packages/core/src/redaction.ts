/**
 * Redaction by value: every configured secret (and the forms it takes on the wire: URL-encoded,
 * base64, inside an Authorization header) is replaced wherever it appears in a log line or an
 * error message. Redacting by field name alone misses secrets echoed in URLs or CRM error bodies.
 */

export const REDACTED = '[REDACTED]';

/** Secrets shorter than this are not redacted: masking every "a" would destroy messages and protect nothing. */
const minimumSecretLength = 4;

/**
 * Short-lived secrets held at once, the most recently added kept: access tokens rotate hourly, and
 * a credential the HTTP layer saw sent that no registered secret covers is held for a day; over
 * weeks a process would otherwise hold (and scan for) every one it ever saw.
 */
const maximumShortLivedSecrets = 1_000;

export interface RedactorAddOptions {
  /**
   * How long the secret is valid, in ms (an access token's `expires_in`). It is redacted for that
   * long — a late error body quoting it is still caught — and then forgotten. Default: forever
   * (configured secrets: API keys, client secrets, refresh tokens).
   */
  expiresInMs?: number | undefined;
}

export interface Redactor {
  /** Registers a secret; empty or very short values are ignored. Returns the redactor for chaining. */
  add(secret: string | undefined | null, options?: RedactorAddOptions): Redactor;
  /** Replaces every registered secret in the text. */
  redact(text: string): string;
  /** Returns a copy of a JSON-like value with every string (and key) redacted. */
  redactValue<T>(value: T): T;
  /** How many secrets are held now (configured, plus short-lived ones still valid). */
  size(): number;
}

/**
 * The forms a secret takes on the wire: itself, URL-encoded, base64. Plus the base64 of the secret
 * at each of the three byte alignments it can have inside a longer base64 text: an agent's Basic
 * credential is base64("{email}/token:{token}"), a fixed template around the one API token, so the
 * token's aligned core appears in every agent's credential and one registered secret covers them
 * all (the whole base64 run around a match is redacted, see `redact`).
 */
function wireForms(secret: string): { plain: string[]; base64Cores: string[] } {
  const bytes = Buffer.from(secret);
  const plain = [secret, urlEncoded(secret), bytes.toString('base64')];
  const base64Cores: string[] = [];
  for (const skip of [0, 1, 2]) {
    const whole = Math.floor((bytes.length - skip) / 3) * 3;
    const core = bytes.subarray(skip, skip + whole).toString('base64');
    // A short core could occur by chance in any base64 text: below this, only whole forms count.
    if (core.length >= minimumBase64CoreLength) base64Cores.push(core);
  }
  return {
    plain: plain.filter((form) => form.length >= minimumSecretLength),
    base64Cores,
  };
}

/** 12 base64 characters are 9 bytes of the secret: long enough not to match ordinary text by chance. */
const minimumBase64CoreLength = 12;

/** Characters of standard base64, padding included: a match on a base64 core widens over them. */
function isBase64Character(code: number): boolean {
  return (
    (code >= 65 && code <= 90) || // A-Z
    (code >= 97 && code <= 122) || // a-z
    (code >= 48 && code <= 57) || // 0-9
    code === 43 || // +
    code === 47 || // /
    code === 61 // =
  );
}

/** The URL-encoded form; a secret holding a lone surrogate has none (`encodeURIComponent` throws a URIError). */
function urlEncoded(secret: string): string {
  try {
    return encodeURIComponent(secret);
  } catch {
    return secret;
  }
}

/**
 * How many secrets may be added (or dropped) after the full matcher was built before it is built
 * again. New secrets are matched by a small second matcher until then, and a dropped one may
 * linger in the full matcher (redacting an expired token is harmless): so a process meeting a new
 * credential on every request rebuilds the large matcher once per this many, not on every request.
 */
const changesBeforeRebuild = 64;

/**
 * Redaction costs the same whatever a process has seen: only live secrets are held (configured
 * ones, and short-lived ones until they expire, at most `maximumShortLivedSecrets`), and a text is
 * matched against all of them in one regular-expression pass (two while recently added secrets
 * wait for the next rebuild); only a text that holds a secret pays for the replacement.
 */
export function createRedactor(initialSecrets: Iterable<string | undefined | null> = []): Redactor {
  const permanent = new Set<string>();
  /** Short-lived secret → when it expires; Map order is insertion order, oldest first. */
  const shortLived = new Map<string, number>();
  let earliestExpiry = Number.POSITIVE_INFINITY;
  /** Every secret held when it was built; `undefined` when there were none. */
  let full: Compiled | undefined;
  let fullStale = true;
  /** Secrets added since `full` was built, and their own small matcher. */
  let recent: string[] = [];
  let recentMatcher: Compiled | undefined;
  let recentStale = false;
  let changes = 0;

  function changed(added: string | undefined): void {
    if (fullStale) return;
    changes += 1;
    if (changes >= changesBeforeRebuild) {
      fullStale = true;
      return;
    }
    if (added !== undefined) {
      recent.push(added);
      recentStale = true;
    }
  }

  function prune(now: number): void {
    if (now < earliestExpiry) return;
    earliestExpiry = Number.POSITIVE_INFINITY;
    for (const [secret, expiresAt] of shortLived) {
      if (expiresAt <= now) {
        shortLived.delete(secret);
        changed(undefined);
      } else earliestExpiry = Math.min(earliestExpiry, expiresAt);
    }
  }

  function matchers(): Array<Compiled | undefined> {
    if (fullStale) {
      full = compileForms([...permanent, ...shortLived.keys()]);
      fullStale = false;
      changes = 0;
      recent = [];
      recentMatcher = undefined;
      recentStale = false;
    }
    if (recentStale) {
      recentMatcher = compileForms(recent);
      recentStale = false;
    }
    return [full, recentMatcher];
  }

  const redactor: Redactor = {
    add(secret, options) {
      if (typeof secret !== 'string' || secret.length < minimumSecretLength) return redactor;
      if (permanent.has(secret)) return redactor;
      const lifetime = options?.expiresInMs;
      const known = shortLived.delete(secret);
      if (lifetime === undefined) {
        permanent.add(secret);
        if (!known) changed(secret);
        return redactor;
      }
      const expiresAt = Date.now() + Math.max(0, lifetime);
      // Re-added: moved to the newest end, with its new expiry; the set of forms is unchanged.
      shortLived.set(secret, expiresAt);
      earliestExpiry = Math.min(earliestExpiry, expiresAt);
      if (!known) changed(secret);
      if (shortLived.size > maximumShortLivedSecrets) {
        const oldest = shortLived.keys().next().value;
        if (oldest !== undefined) shortLived.delete(oldest);
        changed(undefined);
      }
      return redactor;
    },
    redact(text) {
      prune(Date.now());
      let result = text;
      for (const matcher of matchers()) if (matcher !== undefined) result = replaceForms(result, matcher);
      return result;
    },
    redactValue<T>(value: T): T {
      return redactDeep(value, redactor, 0) as T;
    },
    size() {
      prune(Date.now());
      return permanent.size + shortLived.size;
    },
  };
  for (const secret of initialSecrets) redactor.add(secret);
  return redactor;
}

/** One matcher for the wire forms of these secrets; `undefined` for none. */
function compileForms(secrets: readonly string[]): Compiled | undefined {
  if (secrets.length === 0) return undefined;
  const plain = new Set<string>();
  const base64Cores = new Set<string>();
  for (const secret of secrets) {
    const forms = wireForms(secret);
    for (const form of forms.plain) plain.add(form);
    for (const core of forms.base64Cores) base64Cores.add(core);
  }
  // Longest first: at one position the regular expression takes the first alternative that matches.
  const forms = [...new Set([...plain, ...base64Cores])].sort((a, b) => b.length - a.length);
  return { pattern: new RegExp(forms.map(escapeRegExp).join('|'), 'g'), base64Cores };
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

interface Compiled {
  /** Every form of every live secret, longest first, in one global regular expression. */
  pattern: RegExp;
  /** The forms that are a secret's base64 at some alignment: their matches widen to the whole base64 run. */
  base64Cores: ReadonlySet<string>;
}

/**
 * One pass over the text: each match is replaced, and a base64 core's match is widened to the
 * base64 run around it (the whole Basic credential, not just the token's aligned middle, whose
 * neighbours would still carry a few of its bits). Linear in the text, whatever the secret count.
 */
function replaceForms(text: string, compiled: Compiled): string {
  const { pattern, base64Cores } = compiled;
  pattern.lastIndex = 0;
  let match = pattern.exec(text);
  if (match === null) return text;
  let result = '';
  let copiedUpTo = 0;
  while (match !== null) {
    let start = match.index;
    let end = start + match[0].length;
    if (base64Cores.has(match[0])) {
      while (start > copiedUpTo && isBase64Character(text.charCodeAt(start - 1))) start -= 1;
      while (end < text.length && isBase64Character(text.charCodeAt(end))) end += 1;
    }
    result += text.slice(copiedUpTo, start) + REDACTED;
    copiedUpTo = end;
    pattern.lastIndex = end;
    match = pattern.exec(text);
  }
  pattern.lastIndex = 0;
  return result + text.slice(copiedUpTo);
}

/** How deep `redactValue` reads; what lies deeper is replaced, never passed through unread. */
const maximumDepth = 8;
const tooDeep = '[REDACTED: nested too deep to check]';

function redactDeep(value: unknown, redactor: Redactor, depth: number): unknown {
  if (typeof value === 'string') return redactor.redact(value);
  if (value === null || typeof value !== 'object') return value;
  if (depth > maximumDepth) return tooDeep;
  if (Array.isArray(value)) return value.map((item) => redactDeep(item, redactor, depth + 1));
  if (value instanceof Error) return redactor.redact(String(value.message));
  const copy: Record<string, unknown> = {};
  // Keys too: a platform may key a map by a token or an agent's credential.
  for (const [key, item] of Object.entries(value))
    copy[redactor.redact(key)] = redactDeep(item, redactor, depth + 1);
  return copy;
}
