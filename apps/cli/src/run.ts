import { describeError, UsageError } from './cli-error.js';
import { demoCommand, demoHelp } from './commands/demo.js';
import { salesforceLinkCommand, salesforceLinkHelp } from './commands/salesforce-link.js';
import { salesforceStatusCommand, salesforceStatusHelp } from './commands/salesforce-status.js';
import { sandboxCommand, sandboxHelp } from './commands/sandbox.js';
import { validateCommand, validateHelp } from './commands/validate.js';
import { type ExitCode, exitCodes } from './exit-codes.js';
import type { CliIo } from './io.js';

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
  'salesforce link': {
    summary: 'link a Salesforce admin (OAuth with PKCE) from the terminal',
    help: salesforceLinkHelp,
    run: salesforceLinkCommand,
  },
  'salesforce status': {
    summary: 'check every linked Salesforce admin (active, revoked, deactivated, missing rights)',
    help: salesforceStatusHelp,
    run: salesforceStatusCommand,
  },
};

export function mainHelp(): string {
  const width = Math.max(...Object.keys(commands).map((name) => name.length));
  const lines = Object.entries(commands).map(
    ([name, command]) => `  ${name.padEnd(width)}  ${command.summary}`,
  );
  return `Usage: crm-connect <command> [options]

Commands:
${lines.join('\n')}

Run crm-connect <command> --help for a command's options.
Exit codes: 0 success, 1 refused or failed, 2 wrong command or settings, 3 CRM unreachable.
`;
}

/** Runs the command line; returns the exit code instead of exiting, so it can be tested in-process. */
export async function run(argv: readonly string[], io: CliIo): Promise<ExitCode> {
  try {
    const [first, second] = argv;
    if (first === undefined || first === '--help' || first === '-h' || first === 'help') {
      io.stdout(mainHelp());
      return first === undefined ? exitCodes.usage : exitCodes.ok;
    }
    const twoWords = `${first} ${second ?? ''}`;
    const name = twoWords in commands ? twoWords : first;
    const command = commands[name];
    if (command === undefined) {
      throw new UsageError(
        `Unknown command "${first}".`,
        `Commands: ${Object.keys(commands).join(', ')}. Run crm-connect --help.`,
      );
    }
    return await command.run(argv.slice(name.split(' ').length), io);
  } catch (error) {
    const known =
      error instanceof TypeError && 'code' in error && String(error.code).startsWith('ERR_PARSE_ARGS');
    const { text, code } = known
      ? describeError(new UsageError(error.message, 'Run the command with --help to see its options.'))
      : describeError(error);
    io.stderr(text);
    return code;
  }
}
