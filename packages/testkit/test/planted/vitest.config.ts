import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

/**
 * The child run of ../planted-bugs.test.ts: only the planted-bug file, against the TypeScript
 * sources of core and the testkit (as the workspace config aliases them), in one worker.
 */
const source = (path: string) => fileURLToPath(new URL(path, import.meta.url));

export default defineConfig({
  root: source('.'),
  resolve: {
    alias: [
      { find: /^@crm-connect\/core$/, replacement: source('../../../core/src/index.ts') },
      { find: /^@crm-connect\/testkit$/, replacement: source('../../src/index.ts') },
      { find: /^@crm-connect\/testkit\/example$/, replacement: source('../../src/example/index.ts') },
    ],
  },
  test: {
    include: ['planted-bugs.planted.ts'],
    environment: 'node',
    pool: 'forks',
    maxWorkers: 1,
    testTimeout: 20_000,
  },
});
