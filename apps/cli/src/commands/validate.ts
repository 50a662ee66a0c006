import { parseSettings, withTimeout } from '@crm-connect/core';
import { DeadlineError, UsageError } from '../cli-error.js';
import { type CommandContext, commandContext } from '../context.js';
import { type ExitCode, exitCodes } from '../exit-codes.js';
import type { CliIo } from '../io.js';
import { printJson, reportFailure } from '../json-output.js';
import { parseOptions } from '../parse-options.js';
import { type CrmId, defaultTokenStorePath, parseCrmName, pluginFor } from '../plugins.js';
import { trustLoopbackHttps } from '../sandbox-modules.js';
import { readPlainSettings, readSettings, secretEnvName } from '../settings-input.js';

export const validateHelp = `Usage: crm-connect validate <zendesk|salesforce|dynamics|kustomer> [options]

Checks a CRM configuration live, as saving it in the admin form would: proves the credentials
work, shows the CRM user they act as (the default user), and says what is wrong and how to fix it.

Options:
  --config <file>       JSON object of settings (no secrets in it)
  --set <field=value>   one setting; repeat as needed (e.g. --set subdomain=acme)
  --secrets-stdin       read secrets as field=value lines from standard input
  --token-store <file>  Salesforce refresh tokens (default ~/.crm-connect/salesforce-tokens.json)
  --timeout <seconds>   give up after this long in all, retries included (default: two tries of 15 s)
  --json                print one JSON document on standard output (fields: docs/cli.md)
  --verbose             log every request (secrets redacted) to standard error
  -h, --help            show this help

Secrets are never accepted as flags. Pass them in the environment (CRM_CONNECT_<FIELD>, e.g.
${secretEnvName('apiToken')}) or on standard input; they are never printed. A retry is reported on
standard error as it happens. Settings that point at a local sandbox over https (Dynamics) make
the check trust the sandbox's loopback-only certificate, with no NODE_EXTRA_CA_CERTS to set.

Exit codes: 0 valid, 1 refused by the CRM, 2 wrong command or settings, 3 CRM unreachable or --timeout passed.
`;

export async function validateCommand(args: readonly string[], io: CliIo): Promise<ExitCode> {
  const { values, positionals } = parseOptions(
    'validate',
    args,
    {
      config: { type: 'string' },
      set: { type: 'string', multiple: true, default: [] },
      'secrets-stdin': { type: 'boolean', default: false },
      'token-store': { type: 'string' },
      timeout: { type: 'string' },
      json: { type: 'boolean', default: false },
      verbose: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    { allowPositionals: true },
  );
  if (values.help) {
    io.stdout(validateHelp);
    return exitCodes.ok;
  }
  const json = values.json;
  let crm: CrmId | undefined;
  let context: CommandContext | undefined;
  try {
    crm = parseCrmName(positionals[0]);
    const deadlineMs = parseTimeout(values.timeout);
    const plugin = pluginFor(crm, { tokenStorePath: values['token-store'] ?? defaultTokenStorePath(io.env) });
    const sources = {
      configPath: values.config,
      assignments: values.set,
      secretsFromStdin: values['secrets-stdin'],
    };
    // Before any secret is read from standard input: a restarted process reads it instead.
    const restarted = await trustLoopbackHttps('validate', [await readPlainSettings(plugin, sources)], io);
    if (restarted !== undefined) return restarted;
    const { raw, secrets } = await readSettings(plugin, sources, io);
    context = commandContext({
      secrets,
      verbose: values.verbose,
      deadlineMs,
      progress: (line) => io.stderr(line),
    });
    const settings = parseSettings(plugin.settings.schema, raw, plugin.id);
    if (!json) io.stdout(`Checking ${plugin.displayName} credentials…\n`);
    const checking = plugin.validateCredentials(settings, context);
    const attempts = context.attempts;
    const check =
      deadlineMs === undefined
        ? await checking
        : await withTimeout(checking, deadlineMs, () => {
            const made = attempts();
            return new DeadlineError(
              `${plugin.displayName} did not answer within ${deadlineMs / 1000} s (${made} ${made === 1 ? 'attempt' : 'attempts'} made).`,
              made,
            );
          });
    const user = check.connectionUser;
    if (json) {
      return printJson(
        io,
        {
          command: 'validate',
          exitCode: exitCodes.ok,
          crm,
          defaultUser: { id: user.id, name: user.name, email: user.email, role: user.role },
          warnings: check.warnings,
        },
        context.redactor,
      );
    }
    const who = [user.name, user.email === undefined ? undefined : `<${user.email}>`]
      .filter(Boolean)
      .join(' ');
    io.stdout(`✔ ${plugin.displayName}: the credentials are valid.\n`);
    io.stdout(
      `  Default user: ${who || user.id} (id ${user.id}${user.role === undefined ? '' : `, ${user.role}`})\n`,
    );
    for (const warning of check.warnings) io.stdout(`  ⚠ ${context.redactor.redact(warning)}\n`);
    return exitCodes.ok;
  } catch (error) {
    return reportFailure(io, error, {
      json,
      command: 'validate',
      redactor: context?.redactor,
      fields: crm === undefined ? undefined : { crm },
    });
  }
}

/** `--timeout 20` → 20,000 ms; `undefined` without the option. */
function parseTimeout(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const seconds = Number(value);
  if (!(seconds > 0) || !Number.isFinite(seconds))
    throw new UsageError(`--timeout ${value} is not a number of seconds.`, 'Use, e.g., --timeout 20.');
  return seconds * 1000;
}
