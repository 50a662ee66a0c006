import type { RecordNote, StoredRecord } from './sandbox-crm.js';

/** Records per interaction id; records no interaction names are left out. */
export function countByInteraction(records: readonly StoredRecord[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const { interactionId } of records) {
    if (interactionId !== undefined) counts.set(interactionId, (counts.get(interactionId) ?? 0) + 1);
  }
  return counts;
}

/** Notes beyond the first of each (record, text) pair: the same text written twice on one record. */
export function repeatedNotes(notes: readonly RecordNote[]): number {
  const seen = new Set<string>();
  let repeated = 0;
  for (const { recordId, text } of notes) {
    const key = `${recordId}\u0000${text}`;
    if (seen.has(key)) repeated += 1;
    seen.add(key);
  }
  return repeated;
}
