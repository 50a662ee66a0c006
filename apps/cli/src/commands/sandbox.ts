import { parseArgs } from 'node:util';
import { type RunningSandboxCrm, renderTable, sandboxCrms } from '@crm-connect/sandbox-crms';
import { selectCrms } from '../demo/select-crms.js';
import { type ExitCode, exitCodes } from '../exit-codes.js';
import type { CliIo } from '../io.js';

export const sandboxHelp = `Usage: crm-connect sandbox [options]

Starts the local sandbox CRMs in the foreground (loopback only) and prints their URLs, seeded
users and credentials, for poking at them by hand or pointing crm-connect validate at them.
Stops on Ctrl-C.

Options:
  --crm <names>   comma-separated CRMs to start (default: ${sandboxCrms.map((crm) => crm.id).join(',')})
  -h, --help      show this help
`;

export async function sandboxCommand(args: readonly string[], io: CliIo): Promise<ExitCode> {
  const { values } = parseArgs({
    args: [...args],
    options: { crm: { type: 'string' }, help: { type: 'boolean', short: 'h', default: false } },
  });
  if (values.help) {
    io.stdout(sandboxHelp);
    return exitCodes.ok;
  }
  const selected = selectCrms(values.crm);
  const running: RunningSandboxCrm[] = [];
  try {
    for (const crm of selected) running.push(await crm.start());
    for (const crm of running) {
      io.stdout(`\n${crm.plugin.displayName} sandbox: ${crm.sandbox.url}\n`);
      io.stdout(
        `${renderTable(
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
      io.stdout(`  settings for crm-connect validate ${crm.id}: ${JSON.stringify(withoutSecrets(crm))}\n`);
    }
    io.stdout('\nSandboxes running. Press Ctrl-C to stop.\n');
    await io.interrupted();
    return exitCodes.ok;
  } finally {
    await Promise.all(running.map((crm) => crm.stop()));
  }
}

function withoutSecrets(crm: RunningSandboxCrm): Record<string, unknown> {
  const settings = { ...crm.settings };
  for (const field of crm.plugin.settings.secretFields) delete settings[field];
  return settings;
}
