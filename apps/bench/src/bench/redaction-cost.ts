import { type AuditEvent, createRedactor, type Redactor } from '@crm-connect/core';
import { seededRandom } from '@crm-connect/sandbox-crms';
import type { RedactionSample } from './client-cpu.js';
import { inRotation } from './rotation.js';
import { compareRounds, summarise } from './statistics.js';

/**
 * Figure 9: redacting one audit event (the connector's own, from the client CPU figure) with a
 * redactor that has seen 20,000 short-lived credentials, next to one that has seen none. Every
 * audit event and log line passes through the connector's redactor, so its cost must not grow
 * with the credentials a long-running process has met: access tokens rotating, agents' own
 * credentials, sessions.
 */
export interface RedactionResult {
  /** Credentials added to the loaded redactor. */
  credentials: number;
  /** Secrets the loaded redactor still held (it keeps the most recent short-lived ones only). */
  held: number;
  /** µs per `redactValue` of the audit event, fresh redactor (median of the rounds). */
  freshMicros: number;
  /** µs per `redactValue` of the same event after the credentials. */
  loadedMicros: number;
  /** loaded ÷ fresh, medians of the rounds: the target is ≤ 1.2. */
  ratio: number;
  /** loaded ÷ fresh, means of the rounds. */
  ratioOfMeans: number;
}

export interface RedactionOptions {
  credentials: number;
  warmupRounds: number;
  rounds: number;
  redactionsPerRound: number;
}

/** How long the HTTP layer holds a credential it saw sent (`sentCredentialLifetimeMs` in core: a day). */
const sentCredentialLifetimeMs = 24 * 60 * 60_000;

type Contender = 'fresh' | 'loaded';
const contenders: readonly Contender[] = ['fresh', 'loaded'];

export async function measureRedaction(
  sample: RedactionSample,
  options: RedactionOptions,
): Promise<RedactionResult> {
  const redactors: Record<Contender, Redactor> = {
    fresh: createRedactor(sample.configuredSecrets),
    loaded: createRedactor(sample.configuredSecrets),
  };
  // As the HTTP layer registers a credential it sent that no registered secret covers (a
  // random token is covered by none): with the day's lifetime it gives such credentials.
  const next = credentialsLike(sample.credential);
  for (let index = 0; index < options.credentials; index += 1)
    redactors.loaded.add(next(), { expiresInMs: sentCredentialLifetimeMs });
  const held = redactors.loaded.size();
  /** µs per redaction, one sample per round. */
  const micros: Record<Contender, number[]> = { fresh: [], loaded: [] };
  let kept: AuditEvent | undefined;
  await inRotation(contenders, options.warmupRounds + options.rounds, (contender, round) => {
    const redactor = redactors[contender];
    const started = performance.now();
    for (let index = 0; index < options.redactionsPerRound; index += 1)
      kept = redactor.redactValue(sample.auditEvent);
    if (round >= options.warmupRounds)
      micros[contender].push(((performance.now() - started) * 1000) / options.redactionsPerRound);
  });
  // The result is read, so the redactions cannot be optimised away.
  if (kept?.interactionId !== sample.auditEvent.interactionId)
    throw new Error('Redacting the audit event changed its interaction id');
  return {
    credentials: options.credentials,
    held,
    freshMicros: summarise(micros.fresh).median,
    loadedMicros: summarise(micros.loaded).median,
    ...compareRounds(micros.loaded, micros.fresh),
  };
}

/**
 * Distinct credentials of the length and characters of the one the CRM's HTTP layer sends (a
 * base64 Basic credential, a JWT, a hex token), from a seeded random source: the same every run.
 */
function credentialsLike(credential: string): () => string {
  const characters = [...new Set(credential)].join('');
  const random = seededRandom(15);
  return () =>
    Array.from(
      { length: credential.length },
      () => characters[Math.floor(random() * characters.length)] as string,
    ).join('');
}
