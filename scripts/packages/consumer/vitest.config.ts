import { defineConfig } from 'vitest/config';

// As the testkit README's out-of-tree setup says.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    environment: 'node',
    // nock patches Node's HTTP modules per process: one process per test file (vitest's default).
    pool: 'forks',
  },
});
