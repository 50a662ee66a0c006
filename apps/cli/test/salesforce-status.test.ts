import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { exitCodes, run } from '@crm-connect/cli';
import {
  createSalesforceSandbox,
  type SalesforceSandbox,
  salesforceSandboxSettings,
} from '@crm-connect/sandbox';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { memoryIo } from './cli-io.js';
import { linkedSalesforceConfig } from './salesforce-linked.js';
import { temporaryFolder } from './temporary-folder.js';

/** `crm-connect salesforce status` against the Salesforce sandbox: the health of each linked admin. */

let sandbox: SalesforceSandbox;
let folder: string;
beforeEach(async () => {
  sandbox = createSalesforceSandbox({ autoApprove: true });
  await sandbox.start();
  folder = await temporaryFolder('crm-connect-status-');
});
afterEach(async () => {
  await sandbox.stop();
});

const linkedConfig = () => linkedSalesforceConfig(sandbox, folder);

describe('crm-connect salesforce status', () => {
  it('every linked admin usable: one line each, exit 0', async () => {
    const { config, tokens } = await linkedConfig();
    const terminal = memoryIo({ env: { CRM_CONNECT_CLIENT_SECRET: sandbox.seed.credentials.clientSecret } });
    const code = await run(
      ['salesforce', 'status', '--config', config, '--token-store', tokens],
      terminal.io,
    );
    expect(code, terminal.err()).toBe(exitCodes.ok);
    expect(terminal.out()).toMatch(/✔ ada\.admin@acme\.test .*active/);
    expect(terminal.out()).toMatch(/✔ integration@acme\.test .*active/);
    expect(terminal.out()).not.toContain(sandbox.seed.credentials.clientSecret);
  });

  it('a revoked admin and one missing a right: named with what to do, exit 1, nothing written', async () => {
    const { config, tokens } = await linkedConfig();
    sandbox.revokeCredential('tokens:integration@acme.test');
    const ada = sandbox.seed.users.find((user) => user.key === 'admin');
    sandbox.store.users.update(ada?.id ?? '', { permissionSets: { ViewAllUsers: false } });
    const terminal = memoryIo({ env: { CRM_CONNECT_CLIENT_SECRET: sandbox.seed.credentials.clientSecret } });
    const code = await run(
      ['salesforce', 'status', '--config', config, '--token-store', tokens],
      terminal.io,
    );
    expect(code).toBe(exitCodes.failed);
    expect(terminal.out()).toMatch(/✖ ada\.admin@acme\.test .*missing-rights.*View All Users/);
    expect(terminal.out()).toMatch(/✖ integration@acme\.test .*revoked/);
    expect(sandbox.store.cases.count()).toBe(0);
  });

  it('no admin linked: a usage error saying to link one', async () => {
    const config = join(folder, 'salesforce.json');
    const { clientSecret: _secret, ...saved } = salesforceSandboxSettings(sandbox);
    await writeFile(config, JSON.stringify(saved));
    const terminal = memoryIo({ env: { CRM_CONNECT_CLIENT_SECRET: sandbox.seed.credentials.clientSecret } });
    const code = await run(
      ['salesforce', 'status', '--config', config, '--token-store', join(folder, 't.json')],
      terminal.io,
    );
    expect(code).toBe(exitCodes.usage);
    expect(terminal.err()).toContain('No Salesforce admin is linked');
    expect(terminal.err()).toContain('crm-connect salesforce link');
  });
});
