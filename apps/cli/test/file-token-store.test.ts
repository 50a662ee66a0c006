import { mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { StoredAdminToken } from '@crm-connect/salesforce';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createFileTokenStore } from '../src/file-token-store.js';

let folder: string;
beforeEach(async () => {
  folder = await mkdtemp(join(tmpdir(), 'crm-connect-tokens-'));
});
afterEach(async () => {
  await rm(folder, { recursive: true, force: true });
});

const token = (n: number): StoredAdminToken => ({
  refreshToken: `5Aep861refresh-token-${n}`,
  status: 'active',
  updatedAt: '2026-12-01T10:00:00Z',
});
const key = (n: number) => ({
  orgId: '00DSb0000000001',
  userId: `005Sb00000000${String(n).padStart(2, '0')}IAA`,
});

describe('file token store', () => {
  it('keeps every token when five writes run at once', async () => {
    const store = createFileTokenStore(join(folder, 'tokens.json'));
    await Promise.all([1, 2, 3, 4, 5].map((n) => store.set(key(n), token(n))));
    for (const n of [1, 2, 3, 4, 5]) expect(await store.get(key(n))).toEqual(token(n));
  });

  it('keeps every token when two stores (two processes) write the same file at once', async () => {
    const path = join(folder, 'tokens.json');
    const [first, second] = [createFileTokenStore(path), createFileTokenStore(path)];
    await Promise.all([1, 2, 3, 4, 5, 6].map((n) => (n % 2 === 0 ? first : second).set(key(n), token(n))));
    for (const n of [1, 2, 3, 4, 5, 6]) expect(await first.get(key(n))).toEqual(token(n));
  });

  it('creates the file readable by its owner only and leaves no temporary file behind', async () => {
    const path = join(folder, 'nested', 'tokens.json');
    await createFileTokenStore(path).set(key(1), token(1));
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect((await stat(join(folder, 'nested'))).mode & 0o777).toBe(0o700);
    expect(await readdir(join(folder, 'nested'))).toEqual(['tokens.json']);
  });

  it('a damaged file is a typed error that names the file and says what to do, never the tokens', async () => {
    const path = join(folder, 'tokens.json');
    await writeFile(path, '{"00DSb0000000001/005": {"refreshToken": "5Aep861secret', { mode: 0o600 });
    const error = await createFileTokenStore(path)
      .get(key(1))
      .catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: 'token_store_failed', retryable: false });
    expect(String((error as Error).message)).toContain(path);
    expect(String((error as Error).message)).not.toContain('5Aep861secret');
  });
});
