import { readFile } from 'node:fs/promises';
import { exitCodes, run } from '@crm-connect/cli';
import { createSalesforceSandbox, type SalesforceSandbox } from '@crm-connect/sandbox';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { memoryIo } from './cli-io.js';
import { linkedSalesforceConfig } from './salesforce-linked.js';
import { temporaryFolder } from './temporary-folder.js';

/** `crm-connect salesforce unlink` against the Salesforce sandbox: revoked there, forgotten here. */

let sandbox: SalesforceSandbox;
let folder: string;
beforeEach(async () => {
  sandbox = createSalesforceSandbox({ autoApprove: true });
  await sandbox.start();
  folder = await temporaryFolder('crm-connect-unlink-');
});
afterEach(async () => {
  await sandbox.stop();
});

const linkedConfig = () => linkedSalesforceConfig(sandbox, folder);

const userOf = (username: string) =>
  sandbox.store.users.all().find((user) => user.Username === username)?.Id ?? '';
const liveRefreshTokens = (username: string) =>
  sandbox.store.refreshTokens.filter((token) => token.userId === userOf(username) && !token.revoked);
const env = () => ({ CRM_CONNECT_CLIENT_SECRET: sandbox.seed.credentials.clientSecret });

describe('crm-connect salesforce unlink', () => {
  it('revokes the admin’s token at Salesforce, removes it from the token file and the connection from the config', async () => {
    const { config, tokens } = await linkedConfig();
    expect(liveRefreshTokens('integration@acme.test')).toHaveLength(1);
    const refreshToken = liveRefreshTokens('integration@acme.test')[0]?.id ?? '';
    const terminal = memoryIo({ env: env() });
    const code = await run(
      [
        'salesforce',
        'unlink',
        '--config',
        config,
        '--token-store',
        tokens,
        '--user',
        'integration@acme.test',
      ],
      terminal.io,
    );
    expect(code, terminal.err()).toBe(exitCodes.ok);
    expect(terminal.out()).toContain('✔ Unlinked integration@acme.test');
    expect(terminal.out()).toContain('Salesforce revoked their refresh token');
    expect(liveRefreshTokens('integration@acme.test')).toEqual([]);
    // Ada stays linked and usable.
    expect(liveRefreshTokens('ada.admin@acme.test')).toHaveLength(1);
    const saved = JSON.parse(await readFile(config, 'utf8'));
    expect(saved.adminConnections.map((link: { username: string }) => link.username)).toEqual([
      'ada.admin@acme.test',
    ]);
    expect(saved.clientSecret).toBeUndefined();
    expect(await readFile(tokens, 'utf8')).not.toContain(refreshToken);
    expect(terminal.out() + terminal.err()).not.toContain(refreshToken);
    expect(terminal.out() + terminal.err()).not.toContain(sandbox.seed.credentials.clientSecret);

    const status = memoryIo({ env: env() });
    expect(await run(['salesforce', 'status', '--config', config, '--token-store', tokens], status.io)).toBe(
      exitCodes.ok,
    );
  });

  it('--json, by user id, the last admin: one document; --no-revoke leaves the grant at Salesforce', async () => {
    const { config, tokens } = await linkedConfig();
    const adaId = userOf('ada.admin@acme.test');
    const first = memoryIo({ env: env() });
    await run(
      [
        'salesforce',
        'unlink',
        '--config',
        config,
        '--token-store',
        tokens,
        '--user',
        'integration@acme.test',
      ],
      first.io,
    );
    const terminal = memoryIo({ env: env() });
    const code = await run(
      [
        'salesforce',
        'unlink',
        '--config',
        config,
        '--token-store',
        tokens,
        '--user',
        adaId,
        '--no-revoke',
        '--json',
      ],
      terminal.io,
    );
    expect(code, terminal.out()).toBe(exitCodes.ok);
    expect(JSON.parse(terminal.out())).toEqual({
      command: 'salesforce unlink',
      ok: true,
      exitCode: 0,
      config,
      unlinked: { userId: adaId, username: 'ada.admin@acme.test', orgId: expect.any(String) },
      revoked: false,
      tokenFound: true,
      remainingAdmins: 0,
      warnings: [],
    });
    // Forgotten here, not revoked there.
    expect(liveRefreshTokens('ada.admin@acme.test')).toHaveLength(1);
    expect(JSON.parse(await readFile(tokens, 'utf8'))).toEqual({});
    expect(JSON.parse(await readFile(config, 'utf8')).adminConnections).toBeUndefined();
  });

  it('no --user, or an admin who is not linked: a usage error listing the linked admins, nothing changed', async () => {
    const { config, tokens } = await linkedConfig();
    const before = await readFile(tokens, 'utf8');
    for (const extra of [[], ['--user', 'gus.gone@acme.test']]) {
      const terminal = memoryIo({ env: env() });
      const code = await run(
        ['salesforce', 'unlink', '--config', config, '--token-store', tokens, ...extra],
        terminal.io,
      );
      expect(code).toBe(exitCodes.usage);
      expect(terminal.err()).toMatch(
        /hint: Linked.*ada\.admin@acme\.test \(005\w+\), integration@acme\.test/,
      );
    }
    expect(await readFile(tokens, 'utf8')).toBe(before);
    expect(liveRefreshTokens('ada.admin@acme.test')).toHaveLength(1);
  });
});
