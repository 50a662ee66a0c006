import { parseArgs } from 'node:util';
import { demoCrms, type RunningDemoCrm } from '../demo/demo-crms.js';
import { selectCrms } from '../demo/select-crms.js';
import { renderTable } from '../demo/table.js';
import { type ExitCode, exitCodes } from '../exit-codes.js';
import type { CliIo } from '../io.js';

export const sandboxHelp = `Usage: crm-connect sandbox [options]

Starts the local sandbox CRMs in the foreground (loopback only) and prints their URLs, seeded
users and credentials, for poking at them by hand or pointing crm-connect validate at them.
Stops on Ctrl-C.

Options:
  --crm <names>   comma-separated CRMs to start (default: ${demoCrms.map((crm) => crm.id).join(',')})
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
  const running: RunningDemoCrm[] = [];
  try {
    for (const crm of selected) running.push(await crm.start());
    for (const crm of running) {
      io.stdout(`\n${crm.displayName} sandbox: ${crm.url}\n`);
      io.stdout(
        `${renderTable(
          ['user', 'email', 'id', 'role', 'active'],
          crm.seed.users.map((user) => [
            user.name,
            user.email ?? '—',
            user.id,
            user.role,
            user.active ? 'yes' : 'no',
          ]),
        )}\n`,
      );
      io.stdout('  credentials (sandbox only, never real):\n');
      for (const [name, value] of Object.entries(crm.seed.credentials)) io.stdout(`    ${name}: ${value}\n`);
      io.stdout(`  settings for crm-connect validate ${crm.id}: ${JSON.stringify(withoutSecrets(crm))}\n`);
    }
    io.stdout('\nSandboxes running. Press Ctrl-C to stop.\n');
    await io.interrupted();
    return exitCodes.ok;
  } finally {
    await Promise.all(running.map((crm) => crm.stop()));
  }
}

function withoutSecrets(crm: RunningDemoCrm): Record<string, unknown> {
  const settings = { ...crm.settings };
  for (const field of crm.plugin.settings.secretFields) delete settings[field];
  return settings;
}
