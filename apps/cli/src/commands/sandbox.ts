import { mkdir, rm, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import type { RunningSandboxCrm } from '@crm-connect/sandbox-crms';
import { selectCrms } from '../demo/select-crms.js';
import { type ExitCode, exitCodes } from '../exit-codes.js';
import { createFileTokenStore } from '../file-token-store.js';
import type { CliIo } from '../io.js';
import { reportFailure } from '../json-output.js';
import { parseOptions } from '../parse-options.js';
import { crmIds } from '../plugins.js';
import { loadSandbox, loadSandboxCrms, trustSandboxCertificate } from '../sandbox-modules.js';
import { secretEnvName } from '../settings-input.js';

const defaultFolder = join(homedir(), '.crm-connect', 'sandbox');

export const sandboxHelp = `Usage: crm-connect sandbox [options]

Starts the local sandbox CRMs in the foreground (loopback only) and prints their URLs, seeded
users and credentials, for poking at them by hand or pointing crm-connect validate at them. Each
CRM's settings (no secrets) go into <folder>/<crm>.json, and the Salesforce admins the sandbox
linked into <folder>/salesforce-tokens.json, so the command printed for each CRM works as it is:

  CRM_CONNECT_API_TOKEN=… crm-connect validate zendesk --config <folder>/zendesk.json

Stops on Ctrl-C, and removes those files (the sandboxes' tokens end with them).

Options:
  --crm <names>      comma-separated CRMs to start (default: ${crmIds.join(',')})
  --folder <folder>  where the settings and token files go (default ~/.crm-connect/sandbox)
  -h, --help         show this help

Needs the optional packages @crm-connect/sandbox-crms and @crm-connect/sandbox (a checkout of the
repository has them).
`;

export async function sandboxCommand(args: readonly string[], io: CliIo): Promise<ExitCode> {
  const { values } = parseOptions('sandbox', args, {
    crm: { type: 'string' },
    folder: { type: 'string' },
    help: { type: 'boolean', short: 'h', default: false },
  });
  if (values.help) {
    io.stdout(sandboxHelp);
    return exitCodes.ok;
  }
  const sandboxCrms = await loadSandboxCrms('sandbox');
  const selected = selectCrms(sandboxCrms.sandboxCrms, values.crm);
  const sandbox = await loadSandbox('sandbox');
  // The Dynamics sandbox serves https; Salesforce's admins are linked by this process.
  const restarted = await trustSandboxCertificate(sandbox, io);
  if (restarted !== undefined) return restarted;
  const folder = resolve(values.folder ?? defaultFolder);
  const tokenStorePath = join(folder, 'salesforce-tokens.json');
  const written: string[] = [];
  const running: RunningSandboxCrm[] = [];
  try {
    await mkdir(folder, { recursive: true, mode: 0o700 });
    for (const crm of selected) running.push(await crm.start());
    for (const crm of running) {
      io.stdout(`\n${crm.plugin.displayName} sandbox: ${crm.sandbox.url}\n`);
      io.stdout(
        `${sandboxCrms.renderTable(
          ['user', 'email', 'id', 'role', 'active'],
          crm.sandbox.seed.users.map((user) => [
            user.name,
            user.email ?? '—',
            user.id,
            user.role,
            user.active ? 'yes' : 'no',
          ]),
        )}\n`,
      );
      io.stdout('  credentials (sandbox only, never real):\n');
      for (const [name, value] of Object.entries(crm.sandbox.seed.credentials))
        io.stdout(`    ${name}: ${value}\n`);

      const configPath = join(folder, `${crm.id}.json`);
      await writeFile(configPath, `${JSON.stringify(withoutSecrets(crm), null, 2)}\n`, { mode: 0o600 });
      written.push(configPath);
      const command = ['crm-connect', 'validate', crm.id, '--config', configPath];
      const { adminTokens } = await crm.portable();
      if (adminTokens.length > 0) {
        // The admins the sandbox linked, in the file token store validate and salesforce status read.
        const store = createFileTokenStore(tokenStorePath);
        for (const { orgId, userId, token } of adminTokens) await store.set({ orgId, userId }, token);
        if (!written.includes(tokenStorePath)) written.push(tokenStorePath);
        command.push('--token-store', tokenStorePath);
      }
      io.stdout(`  settings: ${configPath}\n`);
      io.stdout(`  check them: ${[...secretAssignments(crm), ...command.map(shellWord)].join(' ')}\n`);
      if (crm.sandbox.url?.startsWith('https:') === true) {
        io.stdout(
          `  https with a loopback-only certificate: ${sandbox.sandboxCertificate().certificatePath}\n` +
            '    (crm-connect validate trusts it by itself; other Node clients: NODE_EXTRA_CA_CERTS=<that file>)\n',
        );
      }
    }
    io.stdout('\nSandboxes running. Press Ctrl-C to stop.\n');
    await io.interrupted();
    return exitCodes.ok;
  } catch (error) {
    return reportFailure(io, error, { json: false, command: 'sandbox' });
  } finally {
    await Promise.all(running.map((crm) => crm.stop()));
    await Promise.all(written.map((path) => rm(path, { force: true })));
  }
}

function withoutSecrets(crm: RunningSandboxCrm): Record<string, unknown> {
  const settings = { ...crm.settings };
  for (const field of crm.plugin.settings.secretFields) delete settings[field];
  return settings;
}

/** `CRM_CONNECT_API_TOKEN=…` for each secret of the sandbox's settings (sandbox-only values). */
function secretAssignments(crm: RunningSandboxCrm): string[] {
  return crm.plugin.settings.secretFields.flatMap((field) => {
    const value = crm.settings[field];
    return typeof value === 'string' && value !== '' ? [`${secretEnvName(field)}=${shellWord(value)}`] : [];
  });
}

/** A word as a POSIX shell reads it back unchanged. */
function shellWord(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replaceAll("'", "'\\''")}'`;
}
