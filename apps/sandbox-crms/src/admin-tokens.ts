import {
  type AdminConnectionKey,
  createMemoryTokenStore,
  type SalesforceTokenStore,
  type StoredAdminToken,
} from '@crm-connect/salesforce';

/** A linked Salesforce admin's refresh token, with the connection it belongs to. */
export interface LinkedAdminToken extends AdminConnectionKey {
  token: StoredAdminToken;
}

/**
 * A memory token store that can also list what it holds: a worker process is handed the same
 * tokens (`portable`), and a bare client reads one to get an access token of its own. Every
 * plugin is given one; only Salesforce keeps tokens in it.
 */
export interface ListedTokenStore extends SalesforceTokenStore {
  entries(): Promise<LinkedAdminToken[]>;
}

const keyText = (key: AdminConnectionKey) => `${key.orgId}/${key.userId}`;

export async function createListedTokenStore(
  tokens: readonly LinkedAdminToken[] = [],
): Promise<ListedTokenStore> {
  const store = createMemoryTokenStore();
  const keys = new Map<string, AdminConnectionKey>();
  const listed: ListedTokenStore = {
    get: (key) => store.get(key),
    async set(key, token) {
      keys.set(keyText(key), { orgId: key.orgId, userId: key.userId });
      await store.set(key, token);
    },
    async delete(key) {
      keys.delete(keyText(key));
      await store.delete(key);
    },
    // Replaces only a token that is there, so the key is already listed.
    compareAndSet: (key, expected, next) => store.compareAndSet(key, expected, next),
    async entries() {
      const entries: LinkedAdminToken[] = [];
      for (const key of keys.values()) {
        const token = await store.get(key);
        if (token !== undefined) entries.push({ ...key, token });
      }
      return entries;
    },
  };
  for (const { orgId, userId, token } of tokens) await listed.set({ orgId, userId }, token);
  return listed;
}
