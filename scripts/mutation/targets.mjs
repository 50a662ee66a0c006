// What `pnpm test:mutation` mutates, with which tests, and the score each must reach (issue #19).
// A test set's globs go to vitest's `include` (repository-relative).

const plugins = ['zendesk', 'salesforce', 'dynamics', 'kustomer'];

/** @type {Record<string, string[]>} */
export const testSets = {
  core: ['packages/core/test/**/*.test.ts'],
  ...Object.fromEntries(plugins.map((plugin) => [plugin, [`plugins/${plugin}/test/**/*.test.ts`]])),
  // The conformance suite alone: the plugin's `contract.test.ts` is one `testPlugin(fixture)` call.
  ...Object.fromEntries(
    plugins.map((plugin) => [`${plugin}-conformance`, [`plugins/${plugin}/test/contract.test.ts`]]),
  ),
};

const coreFiles = [
  'actor-resolution.ts',
  'agent-directory.ts',
  'settings/save-rules.ts',
  'http/http-client.ts',
  'redaction.ts',
  'secret-forms-index.ts',
  'connector.ts',
];

/** @type {{ file: string; set: string; minimum: number }[]} */
export const mutationTargets = [
  ...coreFiles.map((file) => ({ file: `packages/core/src/${file}`, set: 'core', minimum: 90 })),
  ...plugins.map((plugin) => ({
    file: `plugins/${plugin}/src/${plugin}-records.ts`,
    set: plugin,
    minimum: 85,
  })),
  ...plugins.map((plugin) => ({
    file: `plugins/${plugin}/src/${plugin}-records.ts`,
    set: `${plugin}-conformance`,
    minimum: 70,
  })),
];
