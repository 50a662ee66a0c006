import { existsSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const root = fileURLToPath(new URL('.', import.meta.url));

// Tests run against each workspace package's TypeScript sources, so no build is needed
// before `vitest`; published consumers get the compiled `dist` through the exports map.
const sourceAliases = ['packages', 'plugins'].flatMap((folder) =>
  existsSync(`${root}${folder}`)
    ? readdirSync(`${root}${folder}`)
        .filter((name) => existsSync(`${root}${folder}/${name}/src/index.ts`))
        .flatMap((name) => [
          {
            find: new RegExp(`^@crm-connect/${name}$`),
            replacement: `${root}${folder}/${name}/src/index.ts`,
          },
          // Subpath exports (`@crm-connect/zendesk/messaging`) live in a folder of the same name.
          {
            find: new RegExp(`^@crm-connect/${name}/([a-z-]+)$`),
            replacement: `${root}${folder}/${name}/src/$1/index.ts`,
          },
        ])
    : [],
);

export default defineConfig({
  resolve: { alias: sourceAliases },
  test: {
    include: ['packages/*/test/**/*.test.ts', 'plugins/*/test/**/*.test.ts', 'test/**/*.test.ts'],
    environment: 'node',
    pool: 'forks',
    testTimeout: 20_000,
    restoreMocks: true,
  },
});
