/**
 * Record ids in each CRM's own style. They are deterministic (a counter, no randomness), so two
 * runs of a demo or a test print the same ids.
 */

/** Increasing integers from `first`, like Zendesk's user and ticket ids. */
export function sequentialIds(first: number): () => number {
  let next = first;
  return () => {
    const id = next;
    next += 1;
    return id;
  };
}

/**
 * 24-hex-character ids shaped like MongoDB ObjectIds (Kustomer's ids): a 12-character prefix
 * naming the kind of record, then a 12-character counter.
 */
export function objectIds(prefix: string): () => string {
  if (!/^[0-9a-f]{12}$/.test(prefix)) throw new Error('An object id prefix is 12 lowercase hex characters');
  let counter = 0;
  return () => {
    counter += 1;
    return `${prefix}${counter.toString(16).padStart(12, '0')}`;
  };
}
