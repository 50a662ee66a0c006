import { chmod, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { AdminConnectionKey, SalesforceTokenStore, StoredAdminToken } from '@crm-connect/salesforce';

/**
 * Salesforce admin refresh tokens in a JSON file readable by its owner only (0600, in a 0700
 * folder), for admins linking from a terminal. Platforms implement the store over their own
 * secret storage instead. Writes go to a temporary file first, so a crash never leaves half a file.
 */
export function createFileTokenStore(path: string): SalesforceTokenStore {
  const keyOf = (key: AdminConnectionKey) => `${key.orgId}/${key.userId}`;

  async function load(): Promise<Record<string, StoredAdminToken>> {
    try {
      return JSON.parse(await readFile(path, 'utf8')) as Record<string, StoredAdminToken>;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {};
      throw error;
    }
  }

  async function save(tokens: Record<string, StoredAdminToken>): Promise<void> {
    await mkdir(dirname(path), { recursive: true, mode: 0o700 });
    const temporary = `${path}.${process.pid}.tmp`;
    await writeFile(temporary, `${JSON.stringify(tokens, null, 2)}\n`, { mode: 0o600 });
    await chmod(temporary, 0o600);
    await rename(temporary, path);
  }

  return {
    async get(key) {
      return (await load())[keyOf(key)];
    },
    async set(key, token) {
      const tokens = await load();
      tokens[keyOf(key)] = token;
      await save(tokens);
    },
    async delete(key) {
      const tokens = await load();
      delete tokens[keyOf(key)];
      await save(tokens);
    },
  };
}
