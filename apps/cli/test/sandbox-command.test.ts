import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { crmIds, exitCodes, run } from '@crm-connect/cli';
import { createDynamicsSandbox, dynamicsSandboxSettings } from '@crm-connect/sandbox';
import { describe, expect, it } from 'vitest';
import { memoryIo } from './cli-io.js';
import { temporaryFolder } from './temporary-folder.js';

/**
 * `crm-connect sandbox` prints, for every CRM, a command that `crm-connect validate` runs as it is
 * (Salesforce's linked admins included), and `validate dynamics` trusts the sandbox's https
 * certificate without NODE_EXTRA_CA_CERTS.
 */

/** `NAME=value … crm-connect validate crm --config … [--token-store …]` → the environment and the arguments. */
function parseCommand(line: string): { env: Record<string, string>; args: string[] } {
  const words = [...line.matchAll(/'((?:[^']|'\\'')*)'|(\S+)/g)].map((match) =>
    match[1] === undefined ? (match[2] ?? '') : match[1].replaceAll("'\\''", "'"),
  );
  const env: Record<string, string> = {};
  while (/^[A-Z_]+=/.test(words[0] ?? '')) {
    const word = words.shift() ?? '';
    const value = word.slice(word.indexOf('=') + 1);
    env[word.slice(0, word.indexOf('='))] = value.startsWith("'") ? value.slice(1, -1) : value;
  }
  expect(words.shift()).toBe('crm-connect');
  return { env, args: words };
}

describe('crm-connect sandbox', () => {
  it('prints for every CRM a validate command that works as printed, and removes its files on Ctrl-C', async () => {
    const folder = join(await temporaryFolder('crm-connect-sandbox-'), 'settings');
    let interrupt: () => void = () => {};
    const terminal = memoryIo({ interrupt: new Promise((resolve) => (interrupt = resolve)) });
    const running = run(['sandbox', '--folder', folder], terminal.io);
    for (let tries = 0; tries < 500 && !terminal.out().includes('Press Ctrl-C'); tries += 1)
      await new Promise((resolve) => setTimeout(resolve, 10));
    expect(terminal.out(), terminal.err()).toContain('Sandboxes running');

    const lines = terminal
      .out()
      .split('\n')
      .filter((line) => line.startsWith('  check them: '))
      .map((line) => line.slice('  check them: '.length));
    expect(lines).toHaveLength(crmIds.length);
    for (const line of lines) {
      const { env, args } = parseCommand(line);
      const validate = memoryIo({ env });
      expect(await run([...args, '--json'], validate.io), `${line}\n${validate.out()}`).toBe(exitCodes.ok);
      expect(JSON.parse(validate.out())).toMatchObject({ ok: true, crm: args[1] });
      if (args[1] === 'salesforce') expect(args).toContain('--token-store');
    }
    expect((await stat(join(folder, 'salesforce-tokens.json'))).mode & 0o777).toBe(0o600);
    expect(terminal.out()).toMatch(/https with a loopback-only certificate: \S+sandbox-cert\.pem/);

    interrupt();
    expect(await running).toBe(exitCodes.ok);
    expect(await readdir(folder)).toEqual([]);
  });
});

const cliMain = fileURLToPath(new URL('../dist/main.js', import.meta.url));

// A real process, since the point is what Node trusts at start-up; the built CLI is what `pnpm test`
// runs after `tsc --build`.
describe.skipIf(!existsSync(cliMain))('crm-connect validate dynamics, run as a command', () => {
  it('trusts the sandbox certificate with no NODE_EXTRA_CA_CERTS set', async () => {
    const sandbox = createDynamicsSandbox();
    await sandbox.start();
    try {
      const { clientSecret, ...settings } = dynamicsSandboxSettings(sandbox);
      const config = join(await temporaryFolder('crm-connect-dynamics-'), 'dynamics.json');
      await writeFile(config, JSON.stringify(settings));
      const env: NodeJS.ProcessEnv = { ...process.env, CRM_CONNECT_CLIENT_SECRET: clientSecret };
      delete env.NODE_EXTRA_CA_CERTS;
      const { stdout } = await promisify(execFile)(
        process.execPath,
        [cliMain, 'validate', 'dynamics', '--config', config, '--json'],
        { env, timeout: 15_000 },
      );
      expect(JSON.parse(stdout)).toMatchObject({
        command: 'validate',
        ok: true,
        crm: 'dynamics',
        defaultUser: { role: 'application' },
      });
      expect(stdout).not.toContain(clientSecret);
    } finally {
      await sandbox.stop();
    }
  });
});
