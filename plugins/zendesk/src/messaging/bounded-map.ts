/**
 * A Map that forgets its oldest entries beyond `maxEntries` (insertion order; setting a key again
 * makes it the newest). The in-memory stores of this folder are built on it, so a flood of
 * webhook events can never grow a process without bound.
 */
export interface BoundedMap<TValue> {
  get(key: string): TValue | undefined;
  set(key: string, value: TValue): void;
  delete(key: string): void;
  readonly size: number;
}

export function createBoundedMap<TValue>(maxEntries: number): BoundedMap<TValue> {
  if (!Number.isInteger(maxEntries) || maxEntries < 1) {
    throw new RangeError(`maxEntries must be a positive integer, not ${maxEntries}`);
  }
  const entries = new Map<string, TValue>();
  return {
    get: (key) => entries.get(key),
    set(key, value) {
      entries.delete(key);
      entries.set(key, value);
      while (entries.size > maxEntries) {
        const oldest = entries.keys().next();
        if (oldest.done === true) break;
        entries.delete(oldest.value);
      }
    },
    delete(key) {
      entries.delete(key);
    },
    get size() {
      return entries.size;
    },
  };
}
