import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, realpathSync, symlinkSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createZendeskSandbox, zendeskSandboxSettings } from '@crm-connect/sandbox';
import { crmIds as sandboxCrmIds } from '@crm-connect/sandbox-crms';
import { describe, expect, it } from 'vitest';
import { temporaryFolder } from './temporary-folder.js';

/**
 * The CLI validates credentials and links admins without the sandbox packages installed (they
 * bring every plugin's sandbox); `demo` and `sandbox` load them when run, and say how to install
 * them when they are missing.
 */

const source = fileURLToPath(new URL('../src/', import.meta.url));
const sandboxPackages = ['@crm-connect/sandbox', '@crm-connect/sandbox-crms'];

describe('the sandbox packages are optional', () => {
  it('no source file imports them statically (type-only imports are erased)', () => {
    const files = readdirSync(source, { recursive: true, encoding: 'utf8' }).filter((file) =>
      file.endsWith('.ts'),
    );
    const offenders = files.filter((file) =>
      [
        ...readFileSync(`${source}${file}`, 'utf8').matchAll(
          /^(?:import|export)\s+(?!type\s)[^;]*?from\s+'([^']+)'/gm,
        ),
      ].some((match) => sandboxPackages.includes(match[1] ?? '')),
    );
    expect(offenders).toEqual([]);
  });

  it('package.json lists them only as optional peers and for development', () => {
    const manifest = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
    for (const name of sandboxPackages) {
      expect(manifest.dependencies[name]).toBeUndefined();
      expect(manifest.peerDependenciesMeta[name]).toEqual({ optional: true });
      expect(manifest.devDependencies[name]).toBeDefined();
    }
  });

  it("the CLI's CRM names are the sandboxes' (demo --crm takes the same names)", async () => {
    const { crmIds } = await import('@crm-connect/cli');
    expect(crmIds).toEqual(sandboxCrmIds);
  });
});

const cli = fileURLToPath(new URL('..', import.meta.url));

/**
 * The built CLI installed as a user would get it without the optional peers: its package.json
 * and dist/ in a project's node_modules, next to its dependencies and nothing else.
 */
async function installedWithoutSandboxes(): Promise<string> {
  const project = await temporaryFolder('crm-connect-install-');
  const home = join(project, 'node_modules', '@crm-connect', 'cli');
  mkdirSync(home, { recursive: true });
  cpSync(join(cli, 'package.json'), join(home, 'package.json'));
  cpSync(join(cli, 'dist'), join(home, 'dist'), { recursive: true });
  const manifest = JSON.parse(readFileSync(join(cli, 'package.json'), 'utf8'));
  for (const name of Object.keys(manifest.dependencies)) {
    const target = join(project, 'node_modules', name);
    mkdirSync(dirname(target), { recursive: true });
    symlinkSync(realpathSync(join(cli, 'node_modules', name)), target);
  }
  return join(home, 'dist', 'main.js');
}

async function runInstalled(main: string, args: string[], env: Record<string, string> = {}) {
  const { NODE_EXTRA_CA_CERTS: _trusted, ...inherited } = process.env;
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    execFile(
      process.execPath,
      [main, ...args],
      { env: { ...inherited, ...env }, timeout: 15_000 },
      (error, stdout, stderr) =>
        resolve({
          code: error === null ? 0 : typeof error.code === 'number' ? error.code : null,
          stdout,
          stderr,
        }),
    );
  });
}

// The built CLI (`pnpm test` builds it first with `tsc --build`).
describe.skipIf(!existsSync(join(cli, 'dist', 'main.js')))('installed without the sandbox packages', () => {
  it('validate and salesforce work; demo and sandbox say what to install (exit 2)', async () => {
    const main = await installedWithoutSandboxes();
    const sandbox = createZendeskSandbox();
    await sandbox.start();
    try {
      const { apiToken, ...settings } = zendeskSandboxSettings(sandbox);
      const args = Object.entries(settings).flatMap(([field, value]) => ['--set', `${field}=${value}`]);
      const validate = await runInstalled(main, ['validate', 'zendesk', ...args, '--json'], {
        CRM_CONNECT_API_TOKEN: apiToken ?? '',
      });
      expect(validate.code, validate.stderr).toBe(0);
      expect(JSON.parse(validate.stdout)).toMatchObject({ ok: true, crm: 'zendesk' });
    } finally {
      await sandbox.stop();
    }
    expect((await runInstalled(main, ['salesforce', 'unlink', '--help'])).code).toBe(0);

    for (const command of ['demo', 'sandbox']) {
      const { code, stderr } = await runInstalled(main, [command]);
      expect(code).toBe(2);
      expect(stderr).toMatch(
        new RegExp(
          `^✖ crm-connect ${command} needs @crm-connect/sandbox-crms, which is not installed.*\\n {2}hint: Install @crm-connect/sandbox-crms and @crm-connect/sandbox`,
        ),
      );
      // Its help needs nothing more.
      expect((await runInstalled(main, [command, '--help'])).code).toBe(0);
    }
    const json = await runInstalled(main, ['demo', '--json']);
    expect(JSON.parse(json.stdout)).toMatchObject({
      command: 'demo',
      ok: false,
      exitCode: 2,
      error: { code: 'sandbox_not_installed' },
    });
  });
});
