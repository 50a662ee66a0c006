import { writeFile } from 'node:fs/promises';
import { parseSettings } from '@crm-connect/core';
import { UsageError } from '../cli-error.js';
import { commandContext } from '../context.js';
import { type ExitCode, exitCodes } from '../exit-codes.js';
import { createFileTokenStore } from '../file-token-store.js';
import type { CliIo } from '../io.js';
import { printJson, reportFailure } from '../json-output.js';
import { parseOptions } from '../parse-options.js';
import { defaultTokenStorePath, salesforcePlugin } from '../plugins.js';
import { readSettings } from '../settings-input.js';

export const salesforceUnlinkHelp = `Usage: crm-connect salesforce unlink --config <file> --user <username|user id> [options]

Unlinks a Salesforce admin linked with \`crm-connect salesforce link\`: revokes their refresh token
at Salesforce (its OAuth revoke endpoint, which also ends the access tokens issued with it),
removes the token from the token file, and removes the admin connection from the settings file.
When Salesforce does not confirm the revocation, the admin is unlinked here all the same and a
warning says where to revoke the access by hand.

Options:
  --config <file>       the Salesforce settings file written by \`crm-connect salesforce link\`; updated in place
  --user <who>          the admin to unlink: their Salesforce username or user id (005…)
  --set <field=value>   override one setting
  --token-store <file>  where refresh tokens are (default ~/.crm-connect/salesforce-tokens.json)
  --no-revoke           only forget the token here; do not ask Salesforce to revoke it
  --secrets-stdin       read clientSecret=… from standard input
  --json                print one JSON document on standard output (fields: docs/cli.md)
  --verbose             log every request (secrets redacted) to standard error
  -h, --help            show this help

Exit codes: 0 unlinked, 2 wrong command or no such admin, 1 the token file could not be changed.
`;

export async function salesforceUnlinkCommand(args: readonly string[], io: CliIo): Promise<ExitCode> {
  const { values } = parseOptions('salesforce unlink', args, {
    config: { type: 'string' },
    user: { type: 'string' },
    set: { type: 'string', multiple: true, default: [] },
    'token-store': { type: 'string' },
    'no-revoke': { type: 'boolean', default: false },
    'secrets-stdin': { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
    verbose: { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  });
  if (values.help) {
    io.stdout(salesforceUnlinkHelp);
    return exitCodes.ok;
  }
  if (values.config === undefined) {
    throw new UsageError(
      'salesforce unlink needs --config <file>.',
      'Use the settings file `crm-connect salesforce link` wrote.',
    );
  }
  const config = values.config;
  const tokenStorePath = values['token-store'] ?? defaultTokenStorePath(io.env);
  const plugin = salesforcePlugin(tokenStorePath);
  const { raw, secrets } = await readSettings(
    plugin,
    { configPath: config, assignments: values.set, secretsFromStdin: values['secrets-stdin'] },
    io,
  );
  const context = commandContext({ secrets, verbose: values.verbose });
  const failure = {
    json: values.json,
    command: 'salesforce unlink',
    redactor: context.redactor,
    fields: { config },
  };
  try {
    const settings = parseSettings(plugin.settings.schema, raw, plugin.id);
    const linked = settings.adminConnections ?? [];
    const listed = linked.map((link) => `${link.username} (${link.userId})`).join(', ') || 'none';
    if (values.user === undefined) {
      throw new UsageError('Name the admin to unlink with --user.', `Linked in ${config}: ${listed}.`);
    }
    const wanted = values.user.toLowerCase();
    const connection = linked.find(
      (link) => link.username.toLowerCase() === wanted || link.userId.toLowerCase() === wanted,
    );
    if (connection === undefined) {
      throw new UsageError(`No admin "${values.user}" is linked in ${config}.`, `Linked: ${listed}.`);
    }
    const revoke = !values['no-revoke'];
    const stored = await createFileTokenStore(tokenStorePath).get({
      orgId: connection.orgId,
      userId: connection.userId,
    });
    const result = await plugin.admin.unlink(settings, connection.userId, { revoke, context });
    const saved = { ...(result.settings as Record<string, unknown>) };
    for (const field of plugin.settings.secretFields) delete saved[field];
    await writeFile(config, `${JSON.stringify(saved, null, 2)}\n`);
    // Revoked only when Salesforce was asked and raised no warning (the plugin warns when it does not confirm).
    const revoked = revoke && stored !== undefined && result.warnings.length === 0;
    const remaining = result.settings.adminConnections?.length ?? 0;
    if (values.json) {
      return printJson(
        io,
        {
          command: 'salesforce unlink',
          exitCode: exitCodes.ok,
          config,
          unlinked: { userId: connection.userId, username: connection.username, orgId: connection.orgId },
          revoked,
          tokenFound: stored !== undefined,
          remainingAdmins: remaining,
          warnings: result.warnings,
        },
        context.redactor,
      );
    }
    io.stdout(`✔ Unlinked ${connection.username} (${connection.userId}) of org ${connection.orgId}.\n`);
    io.stdout(
      `  ${
        revoked
          ? 'Salesforce revoked their refresh token;'
          : stored === undefined
            ? 'No refresh token of theirs was in the token store (nothing to revoke);'
            : revoke
              ? 'Their refresh token is forgotten here (see the warning);'
              : 'Their refresh token is forgotten here, not revoked at Salesforce (--no-revoke);'
      } the connection is removed from ${config}.\n`,
    );
    for (const warning of result.warnings) io.stdout(`⚠ ${context.redactor.redact(warning)}\n`);
    if (remaining === 0)
      io.stdout('  No admin is linked any more: link one with crm-connect salesforce link.\n');
    return exitCodes.ok;
  } catch (error) {
    return reportFailure(io, error, failure);
  }
}
