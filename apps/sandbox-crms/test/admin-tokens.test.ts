import { createListedTokenStore, type LinkedAdminToken } from '@crm-connect/sandbox-crms';
import { describe, expect, it } from 'vitest';

const token = (refreshToken: string): LinkedAdminToken['token'] => ({
  refreshToken,
  status: 'active',
  updatedAt: '2026-11-21T10:00:00Z',
});

describe('createListedTokenStore', () => {
  it('lists what it holds, as set and deleted', async () => {
    const store = await createListedTokenStore();
    await store.set({ orgId: 'org', userId: 'ada' }, token('refresh-ada'));
    await store.set({ orgId: 'org', userId: 'ivy' }, token('refresh-ivy'));
    await store.delete({ orgId: 'org', userId: 'ada' });
    expect(await store.entries()).toEqual([{ orgId: 'org', userId: 'ivy', token: token('refresh-ivy') }]);
  });

  it('starts with the tokens it is given, as another process rebuilds it', async () => {
    const tokens: LinkedAdminToken[] = [{ orgId: 'org', userId: 'ada', token: token('refresh-ada') }];
    const store = await createListedTokenStore(tokens);
    expect(await store.get({ orgId: 'org', userId: 'ada' })).toEqual(token('refresh-ada'));
    expect(await store.entries()).toEqual(tokens);
  });
});
