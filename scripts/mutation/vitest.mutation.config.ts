import { defineConfig } from 'vitest/config';
import rootConfig from '../../vitest.config.js';

// Stryker's vitest runner runs the tests named here (MUTATION_TESTS: comma-separated globs from
// the repository root). Narrowing through vitest's own `include`, not Stryker's `testFiles`, keeps
// module-level mutants attributed to the tests that load the module. (vitest's `mergeConfig`
// would append to the root's `include`, so the root's test options are spread and replaced.)
const tests = (process.env.MUTATION_TESTS ?? '').split(',').filter(Boolean);
if (tests.length === 0) throw new Error('MUTATION_TESTS names no test files');

export default defineConfig({
  ...rootConfig,
  test: { ...rootConfig.test, include: tests, globalSetup: [] },
});
