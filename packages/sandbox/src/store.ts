/**
 * The in-memory records of a sandbox: one table per kind of record (users, tickets, notes…).
 * A sandbox's store is a plain object of tables, so tests count and read records directly,
 * through a channel independent of the API the plugin used to write them.
 */

export interface Table<TRecord extends { readonly id: string | number }> {
  /** Adds a record; its id (from the sandbox's id generator) must be new. */
  insert(record: TRecord): TRecord;
  get(id: TRecord['id']): TRecord | undefined;
  /** Replaces the named fields; `undefined` when no record has this id. */
  update(id: TRecord['id'], changes: Partial<Omit<TRecord, 'id'>>): TRecord | undefined;
  /** Removes a record (a write rolled back, as Salesforce does for an all-or-none request); false when none had this id. */
  delete(id: TRecord['id']): boolean;
  find(predicate: (record: TRecord) => boolean): TRecord | undefined;
  filter(predicate: (record: TRecord) => boolean): TRecord[];
  /** Every record, in insertion order. */
  all(): TRecord[];
  count(predicate?: (record: TRecord) => boolean): number;
}

export function createTable<TRecord extends { readonly id: string | number }>(
  seed: readonly TRecord[] = [],
): Table<TRecord> {
  // Keyed by the id's text: Zendesk's numeric ids and Kustomer's hex ids share one implementation.
  const records = new Map<string, TRecord>();
  const table: Table<TRecord> = {
    insert(record) {
      const key = String(record.id);
      if (records.has(key)) throw new Error(`A record with id ${key} exists already`);
      records.set(key, record);
      return record;
    },
    get: (id) => records.get(String(id)),
    update(id, changes) {
      const current = records.get(String(id));
      if (current === undefined) return undefined;
      const updated = { ...current, ...changes, id: current.id };
      records.set(String(id), updated);
      return updated;
    },
    delete: (id) => records.delete(String(id)),
    find(predicate) {
      for (const record of records.values()) if (predicate(record)) return record;
      return undefined;
    },
    filter: (predicate) => [...records.values()].filter(predicate),
    all: () => [...records.values()],
    count: (predicate) =>
      predicate === undefined ? records.size : [...records.values()].filter(predicate).length,
  };
  for (const record of seed) table.insert(record);
  return table;
}
