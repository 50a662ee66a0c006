import { randomUUID } from 'node:crypto';
import { chmod, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { CrmConnectError, isCrmConnectError } from '@crm-connect/core';
import {
  type AdminConnectionKey,
  type SalesforceTokenStore,
  type StoredAdminToken,
  sameAdminToken,
} from '@crm-connect/salesforce';
import lockfile from 'proper-lockfile';

/**
 * Salesforce admin refresh tokens in a JSON file readable by its owner only (0600, in a 0700
 * folder), for admins linking from a terminal. Platforms implement the store over their own
 * secret storage instead.
 *
 * Every change is a read-modify-write under a lock (proper-lockfile: a lock directory beside the
 * file, so two CLI processes — or two calls in one — never lose each other's token), written to a
 * uniquely named temporary file and renamed over the old one, so a crash never leaves half a file.
 */
export function createFileTokenStore(path: string): SalesforceTokenStore {
  const keyOf = (key: AdminConnectionKey) => `${key.orgId}/${key.userId}`;

  async function load(): Promise<Record<string, StoredAdminToken>> {
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {};
      throw failure(`could not be read (${(error as NodeJS.ErrnoException).code ?? 'error'})`, error);
    }
    try {
      const parsed: unknown = JSON.parse(text);
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
        throw new Error('not an object');
      return parsed as Record<string, StoredAdminToken>;
    } catch {
      // The parser's message quotes the file's text, tokens included: it is not kept.
      throw failure(
        'is not a token file crm-connect wrote (not a JSON object). Move it aside and link the admins again',
      );
    }
  }

  async function save(tokens: Record<string, StoredAdminToken>): Promise<void> {
    const temporary = `${path}.${process.pid}.${randomUUID()}.tmp`;
    try {
      await writeFile(temporary, `${JSON.stringify(tokens, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
      await chmod(temporary, 0o600);
      await rename(temporary, path);
    } catch (error) {
      await rm(temporary, { force: true });
      throw failure(`could not be written (${(error as NodeJS.ErrnoException).code ?? 'error'})`, error);
    }
  }

  async function change(update: (tokens: Record<string, StoredAdminToken>) => void): Promise<void> {
    try {
      await mkdir(dirname(path), { recursive: true, mode: 0o700 });
    } catch (error) {
      throw failure(
        `: its folder could not be created (${(error as NodeJS.ErrnoException).code ?? 'error'})`,
        error,
      );
    }
    let release: () => Promise<void>;
    try {
      release = await lockfile.lock(path, {
        // The file may not exist yet: lock its path as given.
        realpath: false,
        retries: { retries: 100, minTimeout: 5, maxTimeout: 100 },
        // A lock older than this was left by a process that died mid-write.
        stale: 10_000,
      });
    } catch (error) {
      throw failure('is locked by another crm-connect process; try again in a moment', error, true);
    }
    try {
      const tokens = await load();
      update(tokens);
      await save(tokens);
    } finally {
      await release();
    }
  }

  function failure(what: string, cause?: unknown, retryable = false): CrmConnectError {
    if (isCrmConnectError(cause)) return cause;
    const separator = what.startsWith(':') ? '' : ' ';
    return new CrmConnectError('token_store_failed', `The token file ${path}${separator}${what}.`, {
      pluginId: 'salesforce',
      retryable,
      // Only the error code: a parser or fs message may quote the file's content.
      cause: { code: (cause as NodeJS.ErrnoException | undefined)?.code },
    });
  }

  return {
    async get(key) {
      return (await load())[keyOf(key)];
    },
    async set(key, token) {
      await change((tokens) => {
        tokens[keyOf(key)] = token;
      });
    },
    async delete(key) {
      await change((tokens) => {
        delete tokens[keyOf(key)];
      });
    },
    async compareAndSet(key, expected, next) {
      let replaced = false;
      await change((tokens) => {
        const current = tokens[keyOf(key)];
        if (current === undefined || !sameAdminToken(current, expected)) return;
        tokens[keyOf(key)] = next;
        replaced = true;
      });
      return replaced;
    },
  };
}
