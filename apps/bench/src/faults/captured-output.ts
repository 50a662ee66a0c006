import { inspect } from 'node:util';
import type { AuditEvent, Logger } from '@crm-connect/core';
import type { Secret } from '@crm-connect/sandbox-crms';

/**
 * Everything crm-connect says during a run, kept as text so it can be searched for secrets: every
 * log line (any level, with its fields), every audit event, every error handed to the
 * platform (its message, `inspect` with causes, and its JSON form), and its exported telemetry
 * (each span's name, attributes, events and status; the metric data points' attributes).
 */
export interface CapturedOutput {
  /** A logger receiving every line, debug included. */
  logger: Logger;
  audit(event: AuditEvent): void;
  error(error: unknown): void;
  /** A piece of exported telemetry, serialized (see `telemetry-capture.ts`). */
  telemetry(text: string): void;
  /** How many pieces of text were captured. */
  size(): number;
  /** How many captured pieces hold any form of any of `secrets`, and the kinds of secret they hold. */
  leaks(secrets: readonly Secret[]): { pieces: number; kinds: Set<string> };
}

/** The forms a secret takes on the wire and in text: as is, URL-encoded, base64. */
export function secretForms(secret: string): string[] {
  return [...new Set([secret, encodeURIComponent(secret), Buffer.from(secret).toString('base64')])];
}

export function createCapturedOutput(): CapturedOutput {
  const pieces: string[] = [];
  return {
    logger: {
      log(level, message, fields) {
        pieces.push(`${level} ${message} ${JSON.stringify(fields ?? {})}`);
      },
    },
    audit(event) {
      pieces.push(JSON.stringify(event));
    },
    error(error) {
      const json = (() => {
        try {
          return JSON.stringify(error);
        } catch {
          return '';
        }
      })();
      const message = error instanceof Error ? error.message : String(error);
      pieces.push(`${message}\n${inspect(error, { depth: 10 })}\n${json}`);
    },
    telemetry(text) {
      pieces.push(text);
    },
    size: () => pieces.length,
    leaks(secrets) {
      // Secrets shorter than 8 characters would match ordinary text; the sandboxes issue none.
      const forms = secrets
        .filter((secret) => secret.value.length >= 8)
        .flatMap((secret) => secretForms(secret.value).map((form) => ({ kind: secret.kind, form })));
      const kinds = new Set<string>();
      let leaking = 0;
      for (const piece of pieces) {
        const found = forms.filter(({ form }) => piece.includes(form));
        for (const { kind } of found) kinds.add(kind);
        if (found.length > 0) leaking += 1;
      }
      return { pieces: leaking, kinds };
    },
  };
}
