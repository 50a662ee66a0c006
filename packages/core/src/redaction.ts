/**
 * Redaction by value: every configured secret (and the forms it takes on the wire: URL-encoded,
 * JSON-escaped, base64, inside an Authorization header) is replaced wherever it appears in a log
 * line or an error message. Redacting by field name alone misses secrets echoed in URLs or CRM
 * error bodies.
 */

import { type FormMatch, hashWindow, SecretFormsIndex } from './secret-forms-index.js';

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
 * The forms a secret takes on the wire: itself, URL-encoded, JSON-escaped (a CRM's error body
 * echoing it is quoted through `JSON.stringify`, which escapes quotes, backslashes and control
 * characters), base64. Plus the base64 of the secret at each of the three byte alignments it can
 * have inside a longer base64 text: an agent's Basic
 * credential is base64("{email}/token:{token}"), a fixed template around the one API token, so the
 * token's aligned core appears in every agent's credential and one registered secret covers them
 * all (the whole base64 run around a match is redacted, see `redact`).
 */
function wireForms(secret: string): { plain: string[]; base64Cores: string[] } {
  const bytes = Buffer.from(secret);
  const plain = [secret, urlEncoded(secret), JSON.stringify(secret).slice(1, -1), bytes.toString('base64')];
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

/**
 * 12 base64 characters are 9 bytes of the secret: long enough not to match ordinary text by
 * chance, and as long as the forms index's hash window.
 */
const minimumBase64CoreLength = hashWindow;

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

/** Every wire form of a secret, each marked as a base64 core (widened when matched) or not. */
function formsOf(secret: string): Array<{ text: string; base64Core: boolean }> {
  const { plain, base64Cores } = wireForms(secret);
  const cores = new Set(base64Cores);
  const forms = [...new Set([...plain, ...base64Cores])];
  return forms.map((text) => ({ text, base64Core: cores.has(text) }));
}

/**
 * Redaction costs the same whatever a process has seen: only live secrets are held (configured
 * ones, and short-lived ones until they expire, at most `maximumShortLivedSecrets`), and a text is
 * scanned once, at a cost per character that does not grow with the secrets held
 * (`SecretFormsIndex`); only a text that holds a secret pays for the replacement.
 */
export function createRedactor(initialSecrets: Iterable<string | undefined | null> = []): Redactor {
  const permanent = new Set<string>();
  /** Short-lived secret → when it expires; Map order is insertion order, oldest first. */
  const shortLived = new Map<string, number>();
  let earliestExpiry = Number.POSITIVE_INFINITY;
  const index = new SecretFormsIndex();

  const hold = (secret: string) => {
    for (const form of formsOf(secret)) index.add(form.text, form.base64Core);
  };
  const release = (secret: string) => {
    for (const form of formsOf(secret)) index.remove(form.text);
  };

  function prune(now: number): void {
    if (now < earliestExpiry) return;
    earliestExpiry = Number.POSITIVE_INFINITY;
    for (const [secret, expiresAt] of shortLived) {
      if (expiresAt <= now) {
        shortLived.delete(secret);
        release(secret);
      } else earliestExpiry = Math.min(earliestExpiry, expiresAt);
    }
  }

  const redactor: Redactor = {
    add(secret, options) {
      if (typeof secret !== 'string' || secret.length < minimumSecretLength) return redactor;
      if (permanent.has(secret)) return redactor;
      const lifetime = options?.expiresInMs;
      const known = shortLived.delete(secret);
      if (lifetime === undefined) {
        permanent.add(secret);
        if (!known) hold(secret);
        return redactor;
      }
      const expiresAt = Date.now() + Math.max(0, lifetime);
      // Re-added: moved to the newest end, with its new expiry; its forms are held already.
      shortLived.set(secret, expiresAt);
      earliestExpiry = Math.min(earliestExpiry, expiresAt);
      if (!known) hold(secret);
      if (shortLived.size > maximumShortLivedSecrets) {
        const oldest = shortLived.keys().next().value;
        if (oldest !== undefined) {
          shortLived.delete(oldest);
          release(oldest);
        }
      }
      return redactor;
    },
    redact(text) {
      prune(Date.now());
      if (index.size === 0) return text;
      return replaceMatches(text, index.find(text));
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

/**
 * Replaces the matched spans, overlapping ones merged (a secret that contains another is replaced
 * whole); a base64 core's match is first widened to the base64 run around it (the whole Basic
 * credential, not just the token's aligned middle, whose neighbours still carry a few of its bits).
 */
function replaceMatches(text: string, matches: FormMatch[]): string {
  if (matches.length === 0) return text;
  for (const match of matches) {
    if (!match.base64Core) continue;
    while (match.start > 0 && isBase64Character(text.charCodeAt(match.start - 1))) match.start -= 1;
    while (match.end < text.length && isBase64Character(text.charCodeAt(match.end))) match.end += 1;
  }
  matches.sort((a, b) => a.start - b.start);
  let result = '';
  let copiedUpTo = 0;
  let spanStart = -1;
  let spanEnd = -1;
  for (const match of matches) {
    if (spanStart >= 0 && match.start < spanEnd) {
      spanEnd = Math.max(spanEnd, match.end);
      continue;
    }
    if (spanStart >= 0) {
      result += text.slice(copiedUpTo, spanStart) + REDACTED;
      copiedUpTo = spanEnd;
    }
    spanStart = match.start;
    spanEnd = match.end;
  }
  result += text.slice(copiedUpTo, spanStart) + REDACTED;
  return result + text.slice(spanEnd);
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
