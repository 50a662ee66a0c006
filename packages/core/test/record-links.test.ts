import { describe, expect, it } from 'vitest';
import { createMemoryRecordLinkStore } from '../src/record-links.js';

describe('in-memory record-link store', () => {
  it('is bounded: the least recently used links and note states go first', async () => {
    const store = createMemoryRecordLinkStore(2);
    for (const id of ['a', 'b', 'c'])
      await store.set('crm', id, { ticket: { id: `T-${id}` }, createdHere: true });
    expect(await store.get('crm', 'a')).toBeUndefined();
    expect(await store.get('crm', 'c')).toEqual({ ticket: { id: 'T-c' }, createdHere: true });
    for (const key of ['k1', 'k2', 'k3']) await store.setNoteState('crm', 'c', key, { status: 'written' });
    expect(await store.noteState('crm', 'c', 'k1')).toBeUndefined();
    expect(await store.noteState('crm', 'c', 'k3')).toEqual({ status: 'written' });
  });

  it('keeps plugins and interactions apart', async () => {
    const store = createMemoryRecordLinkStore();
    await store.set('zendesk', 'i-1', { ticket: { id: '1' }, createdHere: true });
    expect(await store.get('kustomer', 'i-1')).toBeUndefined();
    await store.setNoteState('zendesk', 'i-1', 'k', { status: 'pending', at: 5 });
    expect(await store.noteState('zendesk', 'i-2', 'k')).toBeUndefined();
    expect(await store.noteState('zendesk', 'i-1', 'k')).toEqual({ status: 'pending', at: 5 });
  });
});
