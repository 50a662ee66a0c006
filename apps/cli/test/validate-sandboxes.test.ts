import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { exitCodes, run, secretEnvName } from '@crm-connect/cli';
import { type RunningSandboxCrm, sandboxCrms } from '@crm-connect/sandbox-crms';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { memoryIo } from './cli-io.js';
import { temporaryFolder } from './temporary-folder.js';

/** `crm-connect validate` against each local sandbox CRM: a valid and an invalid configuration. */

const running: RunningSandboxCrm[] = [];
beforeAll(async () => {
  for (const crm of sandboxCrms) running.push(await crm.start());
});
afterAll(async () => {
  await Promise.all(running.map((crm) => crm.stop()));
});

/** The settings as flags (`--set field=value`) and the secrets as environment variables, as an admin would pass them. */
function commandLine(crm: RunningSandboxCrm, secretOverride?: string) {
  const secrets = new Set<string>(crm.plugin.settings.secretFields);
  const args = ['validate', crm.id];
  const env: Record<string, string> = {};
  for (const [field, value] of Object.entries(crm.settings)) {
    // Salesforce's linked admins come from `crm-connect salesforce link`, below, not from the sandbox wiring.
    if (value === undefined || field === 'adminConnections') continue;
    if (secrets.has(field)) env[secretEnvName(field)] = secretOverride ?? String(value);
    else args.push('--set', `${field}=${typeof value === 'string' ? value : JSON.stringify(value)}`);
  }
  return { args, env };
}

/**
 * Links the seeded Salesforce admin with `crm-connect salesforce link`, the browser played by a
 * fetch through the sandbox's auto-approving authorize page; returns the config and token files.
 */
async function linkSalesforceAdmin(crm: RunningSandboxCrm): Promise<string[]> {
  const folder = await temporaryFolder('crm-connect-validate-');
  const config = join(folder, 'salesforce.json');
  const tokens = join(folder, 'tokens.json');
  const { clientSecret, adminConnections, ...settings } = crm.settings;
  await writeFile(config, JSON.stringify(settings));
  const terminal = memoryIo({ env: { CRM_CONNECT_CLIENT_SECRET: String(clientSecret) } });
  const linking = run(
    [
      'salesforce',
      'link',
      '--config',
      config,
      '--token-store',
      tokens,
      '--port',
      '0',
      '--login-hint',
      'ada.admin@acme.test',
    ],
    terminal.io,
  );
  for (let tries = 0; tries < 200 && !terminal.out().includes('Waiting for'); tries += 1)
    await new Promise((resolve) => setTimeout(resolve, 10));
  const authorize = /https?:\/\/\S+authorize\S+/.exec(terminal.out())?.[0] ?? '';
  const approval = await fetch(authorize, { redirect: 'manual' });
  await fetch((approval.headers.get('location') ?? '').replace('localhost', '127.0.0.1'));
  expect(await linking, terminal.err()).toBe(exitCodes.ok);
  expect(adminConnections).toBeDefined();
  return ['--config', config, '--token-store', tokens];
}

describe.each(sandboxCrms.map((crm) => crm.id))('crm-connect validate %s against its sandbox', (id) => {
  const crm = () => running.find((candidate) => candidate.id === id) as RunningSandboxCrm;

  it('a valid configuration: exit 0 and the default user named', async () => {
    const { args, env } = commandLine(crm());
    if (id === 'salesforce') args.push(...(await linkSalesforceAdmin(crm())));
    const terminal = memoryIo({ env });
    expect(await run(args, terminal.io), terminal.err()).toBe(exitCodes.ok);
    expect(terminal.out()).toContain('the credentials are valid');
    expect(terminal.out()).toMatch(/Default user: .+ \(id .+\)/);
  });

  it('a wrong secret: refused with one clear line and a hint, the secrets never printed', async () => {
    const wrong = 'sandbox-wrong-secret-0000000000000000';
    const { args, env } = commandLine(crm(), wrong);
    if (id === 'salesforce') args.push(...(await linkSalesforceAdmin(crm())));
    const terminal = memoryIo({ env });
    // Refused credentials exit 1; a connected app's wrong Consumer Secret is a settings error (2).
    expect([exitCodes.failed, exitCodes.usage]).toContain(await run(args, terminal.io));
    expect(terminal.err()).toMatch(/^✖ .+\n {2}hint: .+\n$/);
    const printed = terminal.out() + terminal.err();
    expect(printed).not.toContain(wrong);
    for (const field of crm().plugin.settings.secretFields) {
      const secret = crm().settings[field];
      if (typeof secret === 'string') expect(printed).not.toContain(secret);
    }
  });
});
