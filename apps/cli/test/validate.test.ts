import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { exitCodes, run } from '@crm-connect/cli';
import nock from 'nock';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { memoryIo } from './cli-io.js';
import { temporaryFolder } from './temporary-folder.js';

const token = 'zd_token_4f9a8b7c6d5e4f3a2b1c';
const origin = 'https://acme.zendesk.com';
const basic = `Basic ${Buffer.from(`admin@acme.test/token:${token}`).toString('base64')}`;
const admin = {
  id: 7001,
  name: 'Ada Admin',
  email: 'admin@acme.test',
  role: 'admin',
  role_type: 4,
  active: true,
  suspended: false,
};

beforeAll(() => nock.disableNetConnect());
afterEach(() => {
  const pending = nock.pendingMocks();
  nock.cleanAll();
  expect(pending).toEqual([]);
});

const zendeskArgs = [
  'validate',
  'zendesk',
  '--set',
  'subdomain=acme',
  '--set',
  'authMode=apiToken',
  '--set',
  'email=admin@acme.test',
];

describe('crm-connect validate', () => {
  it('valid credentials: says so, names the default user, prints the token warning, exit 0', async () => {
    nock(origin).get('/api/v2/users/me').matchHeader('authorization', basic).reply(200, { user: admin });
    const terminal = memoryIo({ env: { CRM_CONNECT_API_TOKEN: token } });
    const code = await run(zendeskArgs, terminal.io);
    expect(code).toBe(exitCodes.ok);
    expect(terminal.out()).toContain('✔ Zendesk: the credentials are valid.');
    expect(terminal.out()).toContain('Default user: Ada Admin <admin@acme.test> (id 7001, admin)');
    expect(terminal.out()).toContain('2027-04-30');
    expect(terminal.out() + terminal.err()).not.toContain(token);
  });

  it('refused credentials: one clear line and a hint on stderr, exit 1, the secret never shown', async () => {
    nock(origin).get('/api/v2/users/me').reply(401, { error: "Couldn't authenticate you" });
    const terminal = memoryIo({ env: { CRM_CONNECT_API_TOKEN: token } });
    const code = await run(zendeskArgs, terminal.io);
    expect(code).toBe(exitCodes.failed);
    expect(terminal.err()).toMatch(/^✖ .+\n {2}hint: .+\n$/);
    expect(terminal.out() + terminal.err()).not.toContain(token);
  });

  it('secrets can come on standard input', async () => {
    nock(origin).get('/api/v2/users/me').matchHeader('authorization', basic).reply(200, { user: admin });
    const terminal = memoryIo({ stdin: `# piped from a vault\napiToken=${token}\n` });
    expect(await run([...zendeskArgs, '--secrets-stdin'], terminal.io)).toBe(exitCodes.ok);
  });

  it('a malformed stdin line is reported without echoing it (it may be a bare secret)', async () => {
    const terminal = memoryIo({ stdin: `${token}\n` });
    expect(await run([...zendeskArgs, '--secrets-stdin'], terminal.io)).toBe(exitCodes.usage);
    expect(terminal.err()).toContain('line 1');
    expect(terminal.err()).not.toContain(token);
  });

  it('a secret passed as a flag is refused and not echoed', async () => {
    const terminal = memoryIo();
    expect(await run([...zendeskArgs, '--set', `apiToken=${token}`], terminal.io)).toBe(exitCodes.usage);
    expect(terminal.err()).toContain('never accepted as a flag');
    expect(terminal.err()).toContain('CRM_CONNECT_API_TOKEN');
    expect(terminal.err()).not.toContain(token);
  });

  it('settings come from a config file; a secret inside it is refused', async () => {
    const folder = await temporaryFolder('crm-connect-cli-');
    const good = join(folder, 'zendesk.json');
    await writeFile(
      good,
      JSON.stringify({
        subdomain: 'https://acme.zendesk.com',
        authMode: 'apiToken',
        email: 'admin@acme.test',
      }),
    );
    nock(origin).get('/api/v2/users/me').reply(200, { user: admin });
    expect(
      await run(
        ['validate', 'zendesk', '--config', good],
        memoryIo({ env: { CRM_CONNECT_API_TOKEN: token } }).io,
      ),
    ).toBe(exitCodes.ok);

    const bad = join(folder, 'leaky.json');
    await writeFile(bad, JSON.stringify({ subdomain: 'acme', apiToken: token }));
    const terminal = memoryIo();
    expect(await run(['validate', 'zendesk', '--config', bad], terminal.io)).toBe(exitCodes.usage);
    expect(terminal.err()).toContain('holds the secret "apiToken"');
  });

  it('bad settings name the field and exit 2 without calling the CRM', async () => {
    const terminal = memoryIo({ env: { CRM_CONNECT_API_TOKEN: token } });
    const code = await run(
      ['validate', 'zendesk', '--set', 'subdomain=not a subdomain!', '--set', 'email=admin@acme.test'],
      terminal.io,
    );
    expect(code).toBe(exitCodes.usage);
    expect(terminal.err()).toContain('subdomain');
  });

  it('an unreachable CRM exits 3, having said each retry and how many attempts were made', async () => {
    nock(origin)
      .get('/api/v2/users/me')
      .times(2)
      .replyWithError(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }));
    const terminal = memoryIo({ env: { CRM_CONNECT_API_TOKEN: token } });
    expect(await run(zendeskArgs, terminal.io)).toBe(exitCodes.unavailable);
    expect(terminal.err()).toMatch(
      /^… zendesk: check the credentials failed before an answer .+; attempt 2 in /,
    );
    expect(terminal.err()).toContain('(gave up after 2 attempts)');
  });
});

describe('crm-connect validate --json', () => {
  it('valid credentials: one document with the default user and the warnings, nothing else on stdout', async () => {
    nock(origin).get('/api/v2/users/me').matchHeader('authorization', basic).reply(200, { user: admin });
    const terminal = memoryIo({ env: { CRM_CONNECT_API_TOKEN: token } });
    expect(await run([...zendeskArgs, '--json'], terminal.io)).toBe(exitCodes.ok);
    expect(JSON.parse(terminal.out())).toEqual({
      command: 'validate',
      ok: true,
      exitCode: 0,
      crm: 'zendesk',
      defaultUser: { id: '7001', name: 'Ada Admin', email: 'admin@acme.test', role: 'admin' },
      warnings: [expect.stringContaining('2027-04-30')],
    });
    expect(terminal.err()).toBe('');
    expect(terminal.out()).not.toContain(token);
  });

  it('refused credentials: an error document with its code and hint, exit 1, the secret never shown', async () => {
    // A CRM that echoes the credential back in its error: the document must not carry it.
    nock(origin)
      .get('/api/v2/users/me')
      .reply(401, { error: `Couldn't authenticate you with token ${token}` });
    const terminal = memoryIo({ env: { CRM_CONNECT_API_TOKEN: token } });
    expect(await run([...zendeskArgs, '--json'], terminal.io)).toBe(exitCodes.failed);
    const document = JSON.parse(terminal.out());
    expect(document).toMatchObject({
      command: 'validate',
      ok: false,
      exitCode: 1,
      crm: 'zendesk',
      error: {
        code: 'authentication_failed',
        retryable: false,
        hint: expect.stringContaining('credentials'),
      },
    });
    expect(terminal.out() + terminal.err()).not.toContain(token);
    expect(terminal.out() + terminal.err()).not.toContain(
      Buffer.from(`admin@acme.test/token:${token}`).toString('base64'),
    );
  });

  it('bad settings: configuration_invalid with the fields named, exit 2', async () => {
    const terminal = memoryIo({ env: { CRM_CONNECT_API_TOKEN: token } });
    const code = await run(
      [
        'validate',
        'zendesk',
        '--set',
        'subdomain=not a subdomain!',
        '--set',
        'email=admin@acme.test',
        '--json',
      ],
      terminal.io,
    );
    expect(code).toBe(exitCodes.usage);
    const document = JSON.parse(terminal.out());
    expect(document.error.code).toBe('configuration_invalid');
    expect(document.error.issues).toEqual(
      expect.arrayContaining([expect.objectContaining({ path: 'subdomain' })]),
    );
  });

  it('a secret passed as a flag: a usage_invalid document that does not echo it', async () => {
    const terminal = memoryIo();
    expect(await run([...zendeskArgs, '--set', `apiToken=${token}`, '--json'], terminal.io)).toBe(
      exitCodes.usage,
    );
    expect(JSON.parse(terminal.out())).toMatchObject({ ok: false, error: { code: 'usage_invalid' } });
    expect(terminal.out()).not.toContain(token);
  });

  it('an unreachable CRM: transport_failed with the attempts made, exit 3', async () => {
    nock(origin)
      .get('/api/v2/users/me')
      .times(2)
      .replyWithError(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }));
    const terminal = memoryIo({ env: { CRM_CONNECT_API_TOKEN: token } });
    expect(await run([...zendeskArgs, '--json'], terminal.io)).toBe(exitCodes.unavailable);
    expect(JSON.parse(terminal.out())).toMatchObject({
      exitCode: 3,
      error: { code: 'transport_failed', retryable: true, attempts: 2 },
    });
  });
});

describe('crm-connect, the command line itself', () => {
  it('--help lists the commands and the exit codes', async () => {
    const terminal = memoryIo();
    expect(await run(['--help'], terminal.io)).toBe(exitCodes.ok);
    expect(terminal.out()).toContain('validate');
    expect(terminal.out()).toContain('salesforce link');
    expect(terminal.out()).toContain('Exit codes');
  });

  it('every command has --help', async () => {
    for (const command of [['validate'], ['salesforce', 'link']]) {
      const terminal = memoryIo();
      expect(await run([...command, '--help'], terminal.io)).toBe(exitCodes.ok);
      expect(terminal.out()).toMatch(/^Usage: crm-connect /);
    }
  });

  it('an unknown command or CRM is one line and a hint, exit 2', async () => {
    for (const argv of [['frobnicate'], ['validate', 'hubspot'], ['validate', 'zendesk', '--no-such-flag']]) {
      const terminal = memoryIo();
      expect(await run(argv, terminal.io)).toBe(exitCodes.usage);
      expect(terminal.err()).toMatch(/^✖ .+\n {2}hint: .+\n$/);
    }
  });
});
