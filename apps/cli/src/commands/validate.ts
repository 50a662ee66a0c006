import { parseArgs } from 'node:util';
import { parseSettings } from '@crm-connect/core';
import { describeError } from '../cli-error.js';
import { commandContext } from '../context.js';
import { type ExitCode, exitCodes } from '../exit-codes.js';
import type { CliIo } from '../io.js';
import { defaultTokenStorePath, parseCrmName, pluginFor } from '../plugins.js';
import { readSettings, secretEnvName } from '../settings-input.js';

export const validateHelp = `Usage: crm-connect validate <zendesk|salesforce|dynamics|kustomer> [options]

Checks a CRM configuration live, as saving it in the admin form would: proves the credentials
work, shows the CRM user they act as (the default user), and says what is wrong and how to fix it.

Options:
  --config <file>       JSON object of settings (no secrets in it)
  --set <field=value>   one setting; repeat as needed (e.g. --set subdomain=acme)
  --secrets-stdin       read secrets as field=value lines from standard input
  --token-store <file>  Salesforce refresh tokens (default ~/.crm-connect/salesforce-tokens.json)
  --verbose             log every request (secrets redacted) to standard error
  -h, --help            show this help

Secrets are never accepted as flags. Pass them in the environment (CRM_CONNECT_<FIELD>, e.g.
${secretEnvName('apiToken')}) or on standard input; they are never printed.

Exit codes: 0 valid, 1 refused by the CRM, 2 wrong command or settings, 3 CRM unreachable.
`;

export async function validateCommand(args: readonly string[], io: CliIo): Promise<ExitCode> {
  const { values, positionals } = parseArgs({
    args: [...args],
    allowPositionals: true,
    options: {
      config: { type: 'string' },
      set: { type: 'string', multiple: true, default: [] },
      'secrets-stdin': { type: 'boolean', default: false },
      'token-store': { type: 'string' },
      verbose: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    io.stdout(validateHelp);
    return exitCodes.ok;
  }
  const name = parseCrmName(positionals[0]);
  const plugin = pluginFor(name, { tokenStorePath: values['token-store'] ?? defaultTokenStorePath(io.env) });
  const { raw, secrets } = await readSettings(
    plugin,
    { configPath: values.config, assignments: values.set, secretsFromStdin: values['secrets-stdin'] },
    io,
  );
  const context = commandContext({ secrets, verbose: values.verbose });
  try {
    const settings = parseSettings(plugin.settings.schema, raw, plugin.id);
    io.stdout(`Checking ${plugin.displayName} credentials…\n`);
    const check = await plugin.validateCredentials(settings, context);
    const user = check.connectionUser;
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
    const { text, code } = describeError(error);
    io.stderr(context.redactor.redact(text));
    return code;
  }
}
