/**
 * Redaction by value: every configured secret (and the forms it takes on the wire: URL-encoded,
 * base64, inside an Authorization header) is replaced wherever it appears in a log line or an
 * error message. Redacting by field name alone misses secrets echoed in URLs or CRM error bodies.
 */

export const REDACTED = '[REDACTED]';

/** Secrets shorter than this are not redacted: masking every "a" would destroy messages and protect nothing. */
const minimumSecretLength = 4;

export interface Redactor {
  /** Registers a secret; empty or very short values are ignored. Returns the redactor for chaining. */
  add(secret: string | undefined | null): Redactor;
  /** Replaces every registered secret in the text. */
  redact(text: string): string;
  /** Returns a copy of a JSON-like value with every string redacted. */
  redactValue<T>(value: T): T;
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

export function createRedactor(initialSecrets: Iterable<string | undefined | null> = []): Redactor {
  const secrets = new Set<string>();
  // Secrets added already, with their forms: the HTTP layer adds every credential header as sent,
  // on every request, and working out the forms of a long token again costs more than the request's
  // own bookkeeping (up to 8 µs for a 500-character token; found by `pnpm bench`).
  const added = new Set<string>();
  let ordered: string[] = [];

  const redactor: Redactor = {
    add(secret) {
      if (typeof secret !== 'string' || secret.length < minimumSecretLength) return redactor;
      if (added.has(secret)) return redactor;
      added.add(secret);
      let changed = false;
      for (const form of wireForms(secret)) {
        if (!secrets.has(form)) {
          secrets.add(form);
          changed = true;
        }
      }
      // Longest first, so a secret that contains another is replaced whole.
      if (changed) ordered = [...secrets].sort((a, b) => b.length - a.length);
      return redactor;
    },
    redact(text) {
      let result = text;
      for (const secret of ordered) {
        if (result.includes(secret)) result = result.split(secret).join(REDACTED);
      }
      return result;
    },
    redactValue<T>(value: T): T {
      return redactDeep(value, redactor, 0) as T;
    },
  };
  for (const secret of initialSecrets) redactor.add(secret);
  return redactor;
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
