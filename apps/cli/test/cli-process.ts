import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const main = fileURLToPath(new URL('../src/main.ts', import.meta.url));
const hooks = new URL('../../../packages/redis/test/support/ts-hooks.mjs', import.meta.url).href;

/**
 * `crm-connect <args>` in a real Node process, on the workspace's TypeScript sources (the module
 * hooks the Redis and worker tests use; no build needed): `input` on its standard input, its
 * output piped back. The `startCommand` of a test's CLI io (what `demo --redis` starts its workers with).
 */
export function startCliProcess(
  args: readonly string[],
  input: string,
  env: Readonly<Record<string, string>> = {},
): ChildProcessWithoutNullStreams {
  const child = spawn(
    process.execPath,
    [
      '--import',
      `data:text/javascript,import{register}from"node:module";register(${JSON.stringify(hooks)})`,
      main,
      ...args,
    ],
    { stdio: 'pipe', env: { ...process.env, ...env } },
  );
  child.stdin.on('error', () => {});
  child.stdin.end(input);
  return child;
}
