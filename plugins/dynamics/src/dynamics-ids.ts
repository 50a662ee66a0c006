import { createHash } from 'node:crypto';

/**
 * Record ids chosen by the client, derived from the interaction: Dataverse accepts a primary key
 * on create, so a repeated create of the same interaction's case or note hits a duplicate key
 * instead of making a second record, with nothing for the admin to configure (no alternate key).
 */

/** The crm-connect Dynamics namespace for name-based UUIDs (RFC 9562 §5.5); never change it. */
const namespace = Buffer.from('5f0c1a9e3b7d4e62a4c8d19b7e2f6a03', 'hex');

/** A version-5 (SHA-1, name-based) UUID: the same name always gives the same id. */
export function nameBasedGuid(name: string): string {
  const bytes = createHash('sha1').update(namespace).update(name, 'utf8').digest().subarray(0, 16);
  bytes[6] = ((bytes[6] ?? 0) & 0x0f) | 0x50;
  bytes[8] = ((bytes[8] ?? 0) & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** The case (incident) an interaction opens. */
export const incidentIdFor = (interactionId: string) => nameBasedGuid(`incident:${interactionId}`);

/** The contact created together with the case when the customer is not in Dynamics yet. */
export const contactIdFor = (interactionId: string) => nameBasedGuid(`contact:${interactionId}`);

/** One part of a note; `key` identifies the note's content (the connector's idempotency key). */
export const annotationIdFor = (key: string, part: number) => nameBasedGuid(`annotation:${key}:${part}`);
