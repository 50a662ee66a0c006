import { existsSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';
import { sandboxCertificate } from './packages/sandbox/src/sandbox-certificate.js';

const root = fileURLToPath(new URL('.', import.meta.url));

// The Dynamics sandbox serves https (msal-node accepts only https authorities) with a generated
// loopback-only certificate. Node reads NODE_EXTRA_CA_CERTS once, at start-up, so it is set here,
// in the main process, before the test workers are forked and inherit it. Tests reach no other host.
process.env.NODE_EXTRA_CA_CERTS = sandboxCertificate().certificatePath;

// Tests run against each workspace package's TypeScript sources, so no build is needed
// before `vitest`; published consumers get the compiled `dist` through the exports map.
const sourceAliases = ['packages', 'plugins', 'apps'].flatMap((folder) =>
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
    include: [
      'packages/*/test/**/*.test.ts',
      'plugins/*/test/**/*.test.ts',
      'apps/*/test/**/*.test.ts',
      'test/**/*.test.ts',
    ],
    environment: 'node',
    // Starts redis-server on a free loopback port for the Redis-backed tests (skipped, with a
    // message, when no binary is found; failed under CI=true): test/support/redis-server.ts.
    globalSetup: ['test/support/redis-server.ts'],
    pool: 'forks',
    // Two test files at once even on a 2-core machine (vitest's default there is one): many tests
    // wait on sockets, child processes and timers rather than the CPU. 265 s → 158 s on 2 cores.
    maxWorkers: 2,
    testTimeout: 20_000,
    restoreMocks: true,
  },
});
