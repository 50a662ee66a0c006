import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { once } from 'node:events';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { exitCodes, run, tenantSecretEnvName } from '@crm-connect/cli';
import { demoSteps, type RunningSandboxCrm, sandboxCrm } from '@crm-connect/sandbox-crms';
import { createProducer } from '@crm-connect/worker';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { closedPortUrl, describeWithRedis } from '../../../packages/redis/test/support/redis-test.js';
import { memoryIo } from './cli-io.js';
import { startCliProcess } from './cli-process.js';
import { temporaryFolder } from './temporary-folder.js';

/**
 * `crm-connect worker`: a tenants file checked at the edge (typed errors naming the tenant and the
 * field), then events enqueued with the producer written to a sandbox CRM by the worker, one line
 * per write, and a graceful stop on SIGTERM.
 */

const started: RunningSandboxCrm[] = [];
const children: ChildProcessWithoutNullStreams[] = [];
afterEach(async () => {
  for (const child of children.splice(0))
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  await Promise.all(started.splice(0).map((crm) => crm.stop()));
});

async function startCrm(id: 'zendesk' | 'kustomer'): Promise<RunningSandboxCrm> {
  const crm = await sandboxCrm(id).start();
  started.push(crm);
  return crm;
}

/** The sandbox's settings split as the worker takes them: plain ones for the file, the secrets apart. */
function splitSettings(crm: RunningSandboxCrm): {
  plain: Record<string, unknown>;
  secrets: Record<string, string>;
} {
  const secretFields: readonly string[] = crm.plugin.settings.secretFields;
  const plain: Record<string, unknown> = {};
  const secrets: Record<string, string> = {};
  for (const [field, value] of Object.entries(crm.settings)) {
    if (secretFields.includes(field)) secrets[field] = String(value);
    else plain[field] = value;
  }
  return { plain, secrets };
}

async function tenantsFile(tenants: unknown): Promise<string> {
  const path = join(await temporaryFolder('crm-connect-worker-'), 'tenants.json');
  await writeFile(path, typeof tenants === 'string' ? tenants : JSON.stringify(tenants));
  return path;
}

/** `worker --json` with a wrong tenants file: the error document's code, message and issues. */
async function tenantsError(
  tenants: unknown,
  options: { env?: Record<string, string>; stdin?: string } = {},
) {
  const terminal = memoryIo(options);
  const args = [
    'worker',
    '--redis',
    'redis://127.0.0.1:1',
    '--tenants',
    await tenantsFile(tenants),
    '--json',
  ];
  if (options.stdin !== undefined) args.push('--secrets-stdin');
  const code = await run(args, terminal.io);
  expect(code, terminal.out()).toBe(exitCodes.usage);
  expect(terminal.out().trim().split('\n')).toHaveLength(1);
  const line = JSON.parse(terminal.out());
  expect(line).toMatchObject({ type: 'error', command: 'worker', ok: false, exitCode: 2 });
  return line.error as { code: string; message: string; hint: string; issues?: { path: string }[] };
}

describe('crm-connect worker: the tenants file is checked before anything starts', () => {
  const zendeskSettings = { subdomain: 'acme', authMode: 'apiToken', email: 'admin@acme.test' };

  it('not JSON', async () => {
    const error = await tenantsError('{ "acme": ');
    expect(error.code).toBe('tenants_invalid');
    expect(error.message).toMatch(/^.+tenants\.json is not valid JSON/);
  });

  it('a bad tenant id, an unknown CRM, a missing settings object: each named by tenant and field', async () => {
    const error = await tenantsError({
      'acme:eu': { crm: 'zendesk', settings: zendeskSettings },
      beta: { crm: 'zendsk', settings: {} },
      gamma: { crm: 'kustomer' },
    });
    expect(error.code).toBe('tenants_invalid');
    expect(error.issues?.map((issue) => issue.path)).toEqual(['acme:eu', 'beta.crm', 'gamma.settings']);
    expect(error.message).toContain('"acme:eu" is not a tenant id: it must be 1 to 128 characters');
    expect(error.message).toContain('beta.crm: Invalid option');
  });

  it('a file naming no tenant', async () => {
    const error = await tenantsError({});
    expect(error).toMatchObject({ code: 'tenants_invalid', issues: [{ path: '(root)' }] });
  });

  it('a secret in the file is refused, and the hint says where it goes', async () => {
    const error = await tenantsError({
      acme: { crm: 'zendesk', settings: { ...zendeskSettings, apiToken: 'in-the-file-0000000000' } },
    });
    expect(error).toMatchObject({
      code: 'tenants_invalid',
      message: expect.stringContaining('Tenant "acme" in'),
      issues: [{ path: 'acme.settings.apiToken' }],
    });
    expect(error.message).toContain('holds the secret "apiToken"');
    expect(error.hint).toContain('CRM_CONNECT_ACME__API_TOKEN');
    expect(JSON.stringify(error)).not.toContain('in-the-file-0000000000');
  });

  it("settings the tenant's plugin refuses, and a missing secret: every tenant and field named", async () => {
    const error = await tenantsError(
      {
        acme: { crm: 'zendesk', settings: zendeskSettings },
        'beta.eu': { crm: 'kustomer', settings: { apiBaseUrl: 'not a url' } },
      },
      { env: { CRM_CONNECT_BETA_EU__API_KEY: 'a-kustomer-key-000000000000' } },
    );
    expect(error.code).toBe('tenants_invalid');
    const paths = error.issues?.map((issue) => issue.path) ?? [];
    expect(paths).toContain('acme.settings.apiToken');
    expect(paths.some((path) => path.startsWith('beta.eu.settings.apiBaseUrl'))).toBe(true);
    expect(paths.some((path) => path.startsWith('beta.eu.settings.apiKey'))).toBe(false);
    expect(error.hint).toContain('CRM_CONNECT_ACME__API_TOKEN');
    expect(JSON.stringify(error)).not.toContain('a-kustomer-key-000000000000');
  });

  it('a standard-input line naming no tenant secret is refused by its number, its value never shown', async () => {
    const error = await tenantsError(
      { acme: { crm: 'zendesk', settings: zendeskSettings } },
      { stdin: 'acme.apiToken=fine-000000000000\nacme.subdomain=not-a-secret-000\n' },
    );
    expect(error.code).toBe('usage_invalid');
    expect(error.message).toContain('line 2 names "acme.subdomain"');
    expect(JSON.stringify(error)).not.toContain('000000');
  });

  it('a password in --redis is refused; Redis unreachable is exit 3', async () => {
    const terminal = memoryIo();
    const path = await tenantsFile({ acme: { crm: 'zendesk', settings: zendeskSettings } });
    expect(
      await run(['worker', '--redis', 'redis://:hunter2@127.0.0.1:1', '--tenants', path], terminal.io),
    ).toBe(exitCodes.usage);
    expect(terminal.err()).toContain('--redis holds a password');
    expect(terminal.err()).not.toContain('hunter2');

    const unreachable = memoryIo({ env: { CRM_CONNECT_ACME__API_TOKEN: 'token-0000000000000000' } });
    const code = await run(
      ['worker', '--redis', await closedPortUrl(), '--tenants', path, '--json'],
      unreachable.io,
    );
    expect(code).toBe(exitCodes.unavailable);
    // JSON Lines: a warning that the connection was lost may come first; the error is the last line.
    expect(JSON.parse(unreachable.out().trim().split('\n').at(-1) ?? '')).toMatchObject({
      type: 'error',
      error: { code: 'redis_unavailable', retryable: true },
    });
  });
});

describeWithRedis('crm-connect worker against Redis and a sandbox CRM', (redis) => {
  it('in process: handles enqueued events (secrets on standard input), prints a line per write, stops on Ctrl-C', async () => {
    const crm = await startCrm('kustomer');
    const { plain, secrets } = splitSettings(crm);
    const prefix = redis.prefix();
    const path = await tenantsFile({
      'beta.eu': { crm: 'kustomer', settings: { ...plain, defaultUser: true } },
    });
    let interrupt = () => {};
    const terminal = memoryIo({
      stdin: Object.entries(secrets)
        .map(([field, value]) => `beta.eu.${field}=${value}`)
        .join('\n'),
      interrupt: new Promise((resolve) => (interrupt = resolve)),
    });
    const running = run(
      [
        'worker',
        '--redis',
        redis.url,
        '--tenants',
        path,
        '--prefix',
        prefix,
        '--secrets-stdin',
        '--concurrency',
        '2',
      ],
      terminal.io,
    );
    await vi.waitFor(() => expect(terminal.out()).toContain('Waiting for events'), { timeout: 10_000 });
    expect(terminal.out()).toContain('1 tenant (1 kustomer), concurrency 2');

    const producer = await createProducer({ url: redis.url, prefix });
    const step = demoSteps.find((candidate) => candidate.label === 'chat later assigned to an agent');
    const interactionId = `worker-test-${Date.now()}`;
    try {
      for (const event of step?.events(interactionId) ?? []) await producer.enqueue('beta.eu', event);
    } finally {
      await producer.close();
    }
    const agent = crm.sandbox.seed.users.find((user) => user.key === 'agent');
    await vi.waitFor(
      () => {
        expect(crm.recordsFor(interactionId).map((record) => record.ownerId)).toEqual([agent?.id]);
        expect(terminal.out()).toContain(`beta.eu ${interactionId} interaction.ended: add-note`);
      },
      { timeout: 15_000, interval: 100 },
    );
    expect(terminal.out()).toMatch(
      new RegExp(
        `✔ beta\\.eu ${interactionId} chat\\.started: create-ticket \\S+ created \\(default-user\\)`,
      ),
    );
    expect(terminal.out()).toMatch(/agent\.assigned: change-owner \S+ updated \(identified-agent\), owner /);

    interrupt();
    expect(await running).toBe(exitCodes.ok);
    expect(terminal.err()).toContain('Stopped.');
    for (const value of Object.values(secrets)) expect(terminal.out() + terminal.err()).not.toContain(value);
  });

  it('as a process: --json lines, a dead letter for an unknown tenant, exit 0 on SIGTERM', {
    timeout: 60_000,
  }, async () => {
    const crm = await startCrm('zendesk');
    const { plain, secrets } = splitSettings(crm);
    const prefix = redis.prefix();
    const path = await tenantsFile({ acme: { crm: 'zendesk', settings: { ...plain, defaultUser: true } } });
    const env = Object.fromEntries(
      Object.entries(secrets).map(([field, value]) => [tenantSecretEnvName('acme', field), value]),
    );
    const child = startCliProcess(
      ['worker', '--redis', redis.url, '--tenants', path, '--prefix', prefix, '--json'],
      '',
      env,
    );
    children.push(child);
    const lines: Record<string, unknown>[] = [];
    let stdout = '';
    let stderr = '';
    child.stderr.on('data', (data: Buffer) => {
      stderr += data.toString('utf8');
    });
    createInterface({ input: child.stdout }).on('line', (line) => {
      stdout += `${line}\n`;
      lines.push(JSON.parse(line) as Record<string, unknown>);
    });
    const exited = once(child, 'close');
    await vi.waitFor(
      () =>
        expect(
          lines.map((line) => line.type),
          stderr,
        ).toContain('ready'),
      {
        timeout: 30_000,
        interval: 100,
      },
    );
    expect(lines[0]).toMatchObject({ type: 'ready', tenants: [{ id: 'acme', crm: 'zendesk' }], prefix });

    const producer = await createProducer({ url: redis.url, prefix });
    const step = demoSteps.find((candidate) => candidate.label === 'chat started, no agent yet');
    const interactionId = `worker-process-${Date.now()}`;
    try {
      for (const event of step?.events(interactionId) ?? []) {
        await producer.enqueue('acme', event);
        await producer.enqueue('nobody', event);
      }
    } finally {
      await producer.close();
    }
    await vi.waitFor(
      () => {
        expect(lines.filter((line) => line.type === 'write')).toHaveLength(1);
        expect(lines.filter((line) => line.type === 'dead-letter')).toHaveLength(1);
      },
      { timeout: 15_000, interval: 100 },
    );
    const [record] = crm.recordsFor(interactionId);
    const write = lines.find((line) => line.type === 'write');
    expect(write).toMatchObject({
      tenantId: 'acme',
      interactionId,
      crm: 'zendesk',
      eventType: 'chat.started',
      operation: 'create-ticket',
      outcome: 'created',
      reason: 'default-user',
      recordId: record?.id,
      owner: { id: record?.ownerId },
    });
    expect(lines.find((line) => line.type === 'dead-letter')).toMatchObject({
      tenantId: 'nobody',
      interactionId,
      code: 'tenant_unknown',
      attempts: 1,
    });

    child.kill('SIGTERM');
    const [code] = await exited;
    expect(code, stderr).toBe(0);
    expect(lines.map((line) => line.type).slice(-2)).toEqual(['stopping', 'stopped']);
    for (const value of Object.values(secrets)) expect(stdout + stderr).not.toContain(value);
  });
});
