import { parseSettings } from '@crm-connect/core';
import { UsageError } from '../cli-error.js';
import { commandContext } from '../context.js';
import { type ExitCode, exitCodes } from '../exit-codes.js';
import type { CliIo } from '../io.js';
import { parseOptions } from '../parse-options.js';
import { defaultTokenStorePath, salesforcePlugin } from '../plugins.js';
import { readSettings } from '../settings-input.js';

export const salesforceStatusHelp = `Usage: crm-connect salesforce status --config <file> [options]

Checks every linked Salesforce admin, without writing anything to Salesforce: refreshes its
token, reads its identity and its permissions, and prints one line per admin: active, revoked,
deactivated, missing-rights (with the rights), or no-token; and what to do about it. Nothing is
marked inactive.

Options:
  --config <file>       the Salesforce settings file written by \`crm-connect salesforce link\`
  --set <field=value>   override one setting
  --token-store <file>  where refresh tokens are (default ~/.crm-connect/salesforce-tokens.json)
  --secrets-stdin       read clientSecret=… from standard input
  --verbose             log every request (secrets redacted) to standard error
  -h, --help            show this help

The connected app's secret comes from CRM_CONNECT_CLIENT_SECRET or standard input, never a flag.
Exit codes: 0 every admin usable, 1 an admin is not, 2 wrong command or no admin linked, 3 Salesforce unreachable.
`;

export async function salesforceStatusCommand(args: readonly string[], io: CliIo): Promise<ExitCode> {
  const { values } = parseOptions('salesforce status', args, {
    config: { type: 'string' },
    set: { type: 'string', multiple: true, default: [] },
    'token-store': { type: 'string' },
    'secrets-stdin': { type: 'boolean', default: false },
    verbose: { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  });
  if (values.help) {
    io.stdout(salesforceStatusHelp);
    return exitCodes.ok;
  }
  if (values.config === undefined) {
    throw new UsageError(
      'salesforce status needs --config <file>.',
      'Use the settings file `crm-connect salesforce link` wrote.',
    );
  }
  const plugin = salesforcePlugin(values['token-store'] ?? defaultTokenStorePath(io.env));
  const { raw, secrets } = await readSettings(
    plugin,
    { configPath: values.config, assignments: values.set, secretsFromStdin: values['secrets-stdin'] },
    io,
  );
  const settings = parseSettings(plugin.settings.schema, raw, plugin.id);
  if ((settings.adminConnections ?? []).length === 0) {
    throw new UsageError(
      `No Salesforce admin is linked in ${values.config}.`,
      `Link one with crm-connect salesforce link --config ${values.config}.`,
    );
  }
  const context = commandContext({ secrets, verbose: values.verbose });
  const health = await plugin.admin.check(settings, { context });
  const width = Math.max(...health.map((link) => link.username.length));
  for (const link of health) {
    const mark = link.status === 'active' ? '✔' : '✖';
    const missing = link.missing === undefined ? '' : ` (${link.missing.join(', ')})`;
    io.stdout(
      context.redactor.redact(
        `${mark} ${link.username.padEnd(width)}  ${link.status}${missing}  ${link.userId}\n    ${link.detail}\n`,
      ),
    );
  }
  if (health.some((link) => link.status === 'unknown')) return exitCodes.unavailable;
  return health.every((link) => link.status === 'active') ? exitCodes.ok : exitCodes.failed;
}
