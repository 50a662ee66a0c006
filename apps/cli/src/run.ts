import { UsageError } from './cli-error.js';
import { demoCommand, demoHelp } from './commands/demo.js';
import { salesforceLinkCommand, salesforceLinkHelp } from './commands/salesforce-link.js';
import { salesforceStatusCommand, salesforceStatusHelp } from './commands/salesforce-status.js';
import { salesforceUnlinkCommand, salesforceUnlinkHelp } from './commands/salesforce-unlink.js';
import { sandboxCommand, sandboxHelp } from './commands/sandbox.js';
import { validateCommand, validateHelp } from './commands/validate.js';
import { workerCommand, workerHelp } from './commands/worker.js';
import { type ExitCode, exitCodes } from './exit-codes.js';
import type { CliIo } from './io.js';
import { reportFailure } from './json-output.js';
import { nearestName } from './nearest-name.js';
import { cliVersion } from './version.js';

export interface Command {
  summary: string;
  help: string;
  run(args: readonly string[], io: CliIo): Promise<ExitCode>;
}

export const commands: Record<string, Command> = {
  demo: {
    summary: 'replay scripted interactions into local sandbox CRMs and show who owns each record',
    help: demoHelp,
    run: demoCommand,
  },
  sandbox: {
    summary: 'run the local sandbox CRMs in the foreground and print their credentials',
    help: sandboxHelp,
    run: sandboxCommand,
  },
  validate: {
    summary: 'check a CRM configuration live and show its default user',
    help: validateHelp,
    run: validateCommand,
  },
  worker: {
    summary: "run a queue worker: write the events enqueued in Redis to each tenant's CRM",
    help: workerHelp,
    run: workerCommand,
  },
  'salesforce link': {
    summary: 'link a Salesforce admin (OAuth with PKCE) from the terminal',
    help: salesforceLinkHelp,
    run: salesforceLinkCommand,
  },
  'salesforce unlink': {
    summary: 'unlink a Salesforce admin: revoke their token at Salesforce and forget it',
    help: salesforceUnlinkHelp,
    run: salesforceUnlinkCommand,
  },
  'salesforce status': {
    summary: 'check every linked Salesforce admin (active, revoked, deactivated, missing rights)',
    help: salesforceStatusHelp,
    run: salesforceStatusCommand,
  },
};

/** Commands of two words (`salesforce link`) grouped under their first word. */
const groups = new Set(
  Object.keys(commands)
    .filter((name) => name.includes(' '))
    .map((name) => name.split(' ')[0] ?? ''),
);

function commandList(prefix = ''): string {
  const listed = Object.entries(commands).filter(([name]) => name.startsWith(prefix));
  const width = Math.max(...listed.map(([name]) => name.length));
  return listed.map(([name, command]) => `  ${name.padEnd(width)}  ${command.summary}`).join('\n');
}

export function mainHelp(): string {
  return `Usage: crm-connect <command> [options]

Commands:
${commandList()}

Options:
  --version   print the version
  -h, --help  show this help

Run crm-connect <command> --help for a command's options; validate, salesforce link, salesforce
unlink and demo take --json for one JSON document on standard output, worker for JSON Lines.
Exit codes: 0 success, 1 refused or failed, 2 wrong command or settings, 3 CRM unreachable.
`;
}

/** `crm-connect salesforce --help`: the group's commands. */
export function groupHelp(group: string): string {
  return `Usage: crm-connect ${group} <command> [options]

Commands:
${commandList(`${group} `)}

Run crm-connect ${group} <command> --help for a command's options.
`;
}

export async function run(argv: readonly string[], io: CliIo): Promise<ExitCode> {
  const [first, second] = argv;
  let name: string | undefined;
  try {
    if (first === undefined || first === '--help' || first === '-h' || first === 'help') {
      io.stdout(mainHelp());
      return first === undefined ? exitCodes.usage : exitCodes.ok;
    }
    if (first === '--version' || first === '-v') {
      io.stdout(`${cliVersion()}\n`);
      return exitCodes.ok;
    }
    if (groups.has(first) && (second === undefined || second.startsWith('-'))) {
      if (second === '--help' || second === '-h') {
        io.stdout(groupHelp(first));
        return exitCodes.ok;
      }
      throw new UsageError(
        `crm-connect ${first} needs a command: ${Object.keys(commands)
          .filter((candidate) => candidate.startsWith(`${first} `))
          .join(', ')}.`,
        `Run crm-connect ${first} --help.`,
        'unknown_command',
      );
    }
    const typed = groups.has(first) ? `${first} ${second ?? ''}` : first;
    name = typed in commands ? typed : undefined;
    const command = name === undefined ? undefined : commands[name];
    if (name === undefined || command === undefined) {
      const nearest = nearestName(typed, Object.keys(commands));
      throw new UsageError(
        `Unknown command "${typed}"${nearest === undefined ? '.' : `; did you mean ${nearest}?`}`,
        `Commands: ${Object.keys(commands).join(', ')}. Run crm-connect --help.`,
        'unknown_command',
      );
    }
    return await command.run(argv.slice(name.split(' ').length), io);
  } catch (error) {
    // What a command threw before it could report it itself (a usage error, most often).
    return reportFailure(io, error, { json: argv.includes('--json'), command: name ?? first ?? '' });
  }
}
