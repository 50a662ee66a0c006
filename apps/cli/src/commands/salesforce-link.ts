import { writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { SalesforceSettingsInput } from '@crm-connect/salesforce';
import { CliError, UsageError } from '../cli-error.js';
import { commandContext } from '../context.js';
import { type ExitCode, exitCodes } from '../exit-codes.js';
import type { CliIo } from '../io.js';
import { printJson, reportFailure } from '../json-output.js';
import { parseOptions } from '../parse-options.js';
import { defaultTokenStorePath, salesforcePlugin } from '../plugins.js';
import { readSettings } from '../settings-input.js';

export const salesforceLinkHelp = `Usage: crm-connect salesforce link --config <file> [options]

Links a Salesforce admin to crm-connect through the OAuth web-server flow with PKCE, with the
same library calls platform code uses: prints the authorize URL, receives the callback on a
local port, checks the admin's rights (API Enabled, Modify All Data, View All Users, Transfer
Cases; nothing is written), stores the refresh token (owner-only file) and adds the admin
connection to the settings file. Link a second admin for redundancy by running it again; check
them later with \`crm-connect salesforce status\`.

The connected app must list http://localhost:<port>/oauth/callback as a Callback URL.

Options:
  --config <file>       the Salesforce settings file (loginUrl, orgId, clientId, …); updated in place
  --set <field=value>   override one setting
  --port <number>       local callback port (default 8723)
  --token-store <file>  where refresh tokens go (default ~/.crm-connect/salesforce-tokens.json)
  --timeout <seconds>   how long to wait for the callback (default 300)
  --login-hint <user>   prefill the Salesforce username
  --secrets-stdin       read clientSecret=… from standard input
  --json                print one JSON document on standard output (the URL and waiting go to standard error)
  --verbose             log every request (secrets redacted) to standard error
  -h, --help            show this help

The connected app's secret comes from CRM_CONNECT_CLIENT_SECRET or standard input, never a flag.
Remove a linked admin with \`crm-connect salesforce unlink\`.
Exit codes: 0 linked, 1 refused by Salesforce, 2 wrong command or settings, 3 Salesforce unreachable or no callback in time.
`;

export async function salesforceLinkCommand(args: readonly string[], io: CliIo): Promise<ExitCode> {
  const { values } = parseOptions('salesforce link', args, {
    config: { type: 'string' },
    set: { type: 'string', multiple: true, default: [] },
    port: { type: 'string', default: '8723' },
    'token-store': { type: 'string' },
    timeout: { type: 'string', default: '300' },
    'login-hint': { type: 'string' },
    'secrets-stdin': { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
    verbose: { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  });
  if (values.help) {
    io.stdout(salesforceLinkHelp);
    return exitCodes.ok;
  }
  if (values.config === undefined) {
    throw new UsageError(
      'salesforce link needs --config <file>.',
      'The file holds loginUrl, orgId and clientId; the linked admin is added to it.',
    );
  }
  const port = Number(values.port);
  const timeoutSeconds = Number(values.timeout);
  if (!Number.isInteger(port) || port < 0 || port > 65_535)
    throw new UsageError(`--port ${values.port} is not a port.`, 'Use a number from 1024 to 65535.');
  if (!(timeoutSeconds > 0))
    throw new UsageError(
      `--timeout ${values.timeout} is not a number of seconds.`,
      'Use, e.g., --timeout 300.',
    );

  const plugin = salesforcePlugin(values['token-store'] ?? defaultTokenStorePath(io.env));
  const { raw, secrets } = await readSettings(
    plugin,
    { configPath: values.config, assignments: values.set, secretsFromStdin: values['secrets-stdin'] },
    io,
  );
  const context = commandContext({ secrets, verbose: values.verbose });
  const settings = raw as SalesforceSettingsInput;

  const json = values.json;
  // With --json, standard output carries only the final document: what the admin must do goes to standard error.
  const say = json ? io.stderr : io.stdout;
  const callbacks = await listenForCallback(port);
  try {
    const redirectUri = `http://localhost:${callbacks.port}/oauth/callback`;
    const start = plugin.admin.start(settings, { redirectUri, loginHint: values['login-hint'] });
    say(`Open this URL in a browser and sign in as the Salesforce admin to link:\n\n  ${start.url}\n\n`);
    say(`Waiting for Salesforce to call back on ${redirectUri} (up to ${timeoutSeconds} s)…\n`);
    const callback = await Promise.race([
      callbacks.next,
      sleep(timeoutSeconds * 1000).then(() => undefined),
      io.interrupted().then(() => undefined),
    ]);
    const failure = {
      json,
      command: 'salesforce link',
      redactor: context.redactor,
      fields: { config: values.config },
    };
    if (callback === undefined) {
      return reportFailure(
        io,
        new CliError(
          'no_callback',
          'No callback from Salesforce arrived.',
          'check the Callback URL of the connected app and run again.',
          exitCodes.unavailable,
        ),
        failure,
      );
    }
    try {
      const result = await plugin.admin.complete(settings, {
        callback: callback.query,
        state: start.state,
        codeVerifier: start.codeVerifier,
        redirectUri,
        context,
      });
      callback.answer(200, 'Linked. You can close this tab and go back to the terminal.');
      const saved = { ...(result.settings as Record<string, unknown>) };
      for (const field of plugin.settings.secretFields) delete saved[field];
      await writeFile(values.config, `${JSON.stringify(saved, null, 2)}\n`);
      const connection = result.connection;
      const box = result.form.checkboxes.defaultUser;
      if (json) {
        return printJson(
          io,
          {
            command: 'salesforce link',
            exitCode: exitCodes.ok,
            config: values.config,
            connection: {
              userId: connection.userId,
              username: connection.username,
              name: connection.name,
              email: connection.email,
              orgId: connection.orgId,
              instanceUrl: connection.instanceUrl,
              status: connection.status,
              linkedAt: connection.linkedAt,
            },
            defaultUserCheckbox: { enabled: box.enabled, reason: box.reason },
            warnings: result.warnings,
          },
          context.redactor,
        );
      }
      io.stdout(
        `✔ Linked ${connection.username} (${connection.userId}) of org ${connection.orgId}: ${connection.status}.\n`,
      );
      io.stdout(`  Saved the connection to ${values.config}; the refresh token is in the token store.\n`);
      for (const warning of result.warnings) io.stdout(`⚠ ${warning}\n`);
      io.stdout(`  Default user checkbox: ${box.enabled ? 'enabled' : `disabled (${box.reason ?? ''})`}.\n`);
      return exitCodes.ok;
    } catch (error) {
      callback.answer(400, 'Linking failed: see the terminal for what went wrong.');
      return reportFailure(io, error, failure);
    }
  } finally {
    await callbacks.close();
  }
}

interface Callback {
  query: URLSearchParams;
  answer(status: number, message: string): void;
}

/** A loopback server that hands over the first request to /oauth/callback. */
async function listenForCallback(
  port: number,
): Promise<{ port: number; next: Promise<Callback>; close(): Promise<void> }> {
  let deliver: (callback: Callback) => void = () => {};
  const next = new Promise<Callback>((resolve) => {
    deliver = resolve;
  });
  const server: Server = createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://localhost');
    if (url.pathname !== '/oauth/callback') {
      response.writeHead(404, { 'content-type': 'text/plain' }).end('Not the callback.');
      return;
    }
    deliver({
      query: url.searchParams,
      answer: (status, message) =>
        response.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' }).end(message),
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(
        error.code === 'EADDRINUSE'
          ? new UsageError(
              `Port ${port} is in use.`,
              'Pick another with --port (and list it in the connected app).',
            )
          : error,
      ),
    );
    server.listen(port, '127.0.0.1', resolve);
  });
  return {
    port: (server.address() as AddressInfo).port,
    next,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
