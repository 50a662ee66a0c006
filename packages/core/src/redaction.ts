/**
 * Redaction by value: every configured secret (and the forms it takes on the wire: URL-encoded,
 * base64, inside an Authorization header) is replaced wherever it appears in a log line or an
 * error message. Redacting by field name alone misses secrets echoed in URLs or CRM error bodies.
 */

export const REDACTED = '[REDACTED]';

/** Secrets shorter than this are not redacted: masking every "a" would destroy messages and protect nothing. */
const minimumSecretLength = 4;

/**
 * Short-lived secrets held at once, the most recently added kept: access tokens rotate hourly and
 * each agent writing in Zendesk token mode has a credential of their own, so over weeks a process
 * would otherwise hold (and scan for) every one it ever saw.
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

function wireForms(secret: string): string[] {
  const forms = new Set([secret, urlEncoded(secret), Buffer.from(secret).toString('base64')]);
  return [...forms].filter((form) => form.length >= minimumSecretLength);
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
 * Redaction costs the same whatever a process has seen: only live secrets are held (configured
 * ones, and short-lived ones until they expire, at most `maximumShortLivedSecrets`), and a text is
 * first matched against all of them in one regular-expression pass; only a text that holds a
 * secret pays for the replacement, longest form first.
 */
export function createRedactor(initialSecrets: Iterable<string | undefined | null> = []): Redactor {
  const permanent = new Set<string>();
  /** Short-lived secret → when it expires; Map order is insertion order, oldest first. */
  const shortLived = new Map<string, number>();
  let earliestExpiry = Number.POSITIVE_INFINITY;
  let compiled: { pattern: RegExp; forms: string[] } | undefined;
  let stale = true;

  function prune(now: number): void {
    if (now < earliestExpiry) return;
    earliestExpiry = Number.POSITIVE_INFINITY;
    for (const [secret, expiresAt] of shortLived) {
      if (expiresAt <= now) shortLived.delete(secret);
      else earliestExpiry = Math.min(earliestExpiry, expiresAt);
    }
    stale = true;
  }

  function compile(): { pattern: RegExp; forms: string[] } | undefined {
    if (!stale) return compiled;
    stale = false;
    const forms = [...new Set([...permanent, ...shortLived.keys()].flatMap(wireForms))].sort(
      (a, b) => b.length - a.length,
    );
    compiled =
      forms.length === 0 ? undefined : { pattern: new RegExp(forms.map(escapeRegExp).join('|')), forms };
    return compiled;
  }

  const redactor: Redactor = {
    add(secret, options) {
      if (typeof secret !== 'string' || secret.length < minimumSecretLength) return redactor;
      if (permanent.has(secret)) return redactor;
      const lifetime = options?.expiresInMs;
      if (lifetime === undefined) {
        shortLived.delete(secret);
        permanent.add(secret);
        stale = true;
        return redactor;
      }
      const expiresAt = Date.now() + Math.max(0, lifetime);
      const known = shortLived.has(secret);
      // Re-added: moved to the newest end, with its new expiry; the set of forms is unchanged.
      shortLived.delete(secret);
      shortLived.set(secret, expiresAt);
      earliestExpiry = Math.min(earliestExpiry, expiresAt);
      if (shortLived.size > maximumShortLivedSecrets) {
        const oldest = shortLived.keys().next().value;
        if (oldest !== undefined) shortLived.delete(oldest);
        stale = true;
      }
      if (!known) stale = true;
      return redactor;
    },
    redact(text) {
      prune(Date.now());
      const current = compile();
      if (current === undefined || !current.pattern.test(text)) return text;
      let result = text;
      for (const form of current.forms) {
        if (result.includes(form)) result = result.split(form).join(REDACTED);
      }
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

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
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
