import { demoCrms, exitCodes, type RunningDemoCrm, run, secretEnvName } from '@crm-connect/cli';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { memoryIo } from './cli-io.js';

/** `crm-connect validate` against each local sandbox CRM: a valid and an invalid configuration. */

const running: RunningDemoCrm[] = [];
beforeAll(async () => {
  for (const crm of demoCrms) running.push(await crm.start());
});
afterAll(async () => {
  await Promise.all(running.map((crm) => crm.stop()));
});

/** The settings as flags (`--set field=value`) and the secrets as environment variables, as an admin would pass them. */
function commandLine(crm: RunningDemoCrm, secretOverride?: string) {
  const secrets = new Set<string>(crm.plugin.settings.secretFields);
  const args = ['validate', crm.id];
  const env: Record<string, string> = {};
  for (const [field, value] of Object.entries(crm.settings)) {
    if (value === undefined) continue;
    if (secrets.has(field)) env[secretEnvName(field)] = secretOverride ?? String(value);
    else args.push('--set', `${field}=${typeof value === 'string' ? value : JSON.stringify(value)}`);
  }
  return { args, env };
}

describe.each(demoCrms.map((crm) => crm.id))('crm-connect validate %s against its sandbox', (id) => {
  const crm = () => running.find((candidate) => candidate.id === id) as RunningDemoCrm;

  it('a valid configuration: exit 0 and the default user named', async () => {
    const { args, env } = commandLine(crm());
    const terminal = memoryIo({ env });
    expect(await run(args, terminal.io), terminal.err()).toBe(exitCodes.ok);
    expect(terminal.out()).toContain('the credentials are valid');
    expect(terminal.out()).toMatch(/Default user: .+ \(id .+\)/);
  });

  it('a wrong secret: exit 1, one clear line and a hint, the secret never printed', async () => {
    const wrong = 'sandbox-wrong-secret-0000000000000000';
    const { args, env } = commandLine(crm(), wrong);
    const terminal = memoryIo({ env });
    expect(await run(args, terminal.io)).toBe(exitCodes.failed);
    expect(terminal.err()).toMatch(/^✖ .+\n {2}hint: .+\n$/);
    expect(terminal.out() + terminal.err()).not.toContain(wrong);
    for (const value of Object.values(crm().seed.credentials))
      expect(terminal.out() + terminal.err()).not.toContain(value);
  });
});
