import { exitCodes, run } from '@crm-connect/cli';
import { describe, expect, it } from 'vitest';
import { describeWithRedis } from '../../../packages/redis/test/support/redis-test.js';
import { memoryIo } from './cli-io.js';
import { startCliProcess } from './cli-process.js';

/**
 * `crm-connect demo --redis`: the demo's interactions enqueued and handled by real `crm-connect
 * worker` processes; the same tables and checks, and the same owners as the in-process demo.
 */

interface DemoDocument {
  ok: boolean;
  seed?: number;
  workers?: number;
  interactions: number;
  problems: number;
  passes: {
    crm: string;
    defaultUser: boolean;
    rows: { interaction: string; records: string[]; owner: string | null; reason: string | null }[];
  }[];
}

async function demo(args: string[]): Promise<{ document: DemoDocument; err: string }> {
  const terminal = memoryIo();
  const io = { ...terminal.io, startCommand: startCliProcess };
  const code = await run(['demo', ...args, '--json'], io);
  expect(code, terminal.err()).toBe(exitCodes.ok);
  return { document: JSON.parse(terminal.out()) as DemoDocument, err: terminal.err() };
}

describeWithRedis('crm-connect demo --redis', (redis) => {
  it('two worker processes: every record present once, the same owners as the in-process demo', {
    timeout: 90_000,
  }, async () => {
    const queued = await demo(['--crm', 'zendesk', '--redis', redis.url, '--workers', '2']);
    const inProcess = await demo(['--crm', 'zendesk']);

    expect(queued.document).toMatchObject({ ok: true, workers: 2, interactions: 14, problems: 0 });
    expect(queued.document.seed).toBeUndefined();
    expect(queued.err).toMatch(/2 worker processes ready \(pids \d+, \d+\); enqueueing 14 interactions/);
    expect(queued.err).toMatch(
      /worker [12] {2}Zendesk +demo-zendesk-on-5 +agent\.assigned: change-owner updated/,
    );

    const rows = (document: DemoDocument) =>
      document.passes.flatMap((pass) =>
        pass.rows.map((row) => ({
          pass: `${pass.crm} ${pass.defaultUser ? 'on' : 'off'}`,
          interaction: row.interaction,
          records: row.records.length,
          reason: row.reason,
          // The legacy random agent is drawn by each side on its own; every other owner is decided.
          owner: row.reason === 'random-agent' ? 'a random active agent' : row.owner,
        })),
      );
    expect(rows(queued.document)).toEqual(rows(inProcess.document));
    expect(
      rows(queued.document).find((row) => row.interaction === 'chat later assigned to an agent'),
    ).toEqual(expect.objectContaining({ owner: 'Alex Agent', reason: 'identified-agent' }));
    // The run's keys (queues, mailboxes, record links, budgets: all under its own prefix) are removed.
    const client = await redis.client();
    expect(await client.keys('crm-connect:demo:*')).toEqual([]);
  });

  it('Redis unreachable: exit 3 before any worker starts', async () => {
    const terminal = memoryIo();
    const io = { ...terminal.io, startCommand: startCliProcess };
    const code = await run(['demo', '--crm', 'kustomer', '--redis', 'redis://127.0.0.1:1', '--json'], io);
    expect(code).toBe(exitCodes.unavailable);
    expect(JSON.parse(terminal.out())).toMatchObject({ ok: false, error: { code: 'redis_unavailable' } });
  });
});

describe('crm-connect demo: --redis options', () => {
  it.each([
    [['--workers', '2'], '--workers needs --redis.'],
    [['--redis', 'redis://127.0.0.1:1', '--seed', '3'], '--seed does not apply with --redis'],
    [['--redis', 'redis://127.0.0.1:1', '--workers', '0'], '--workers 0 is not a whole number above 0.'],
    [['--redis', 'http://127.0.0.1:1'], '--redis must be a redis:// or rediss:// URL.'],
    [['--redis', 'redis://:secret-password@127.0.0.1:1'], '--redis holds a password'],
  ])('%j', async (args, message) => {
    const terminal = memoryIo();
    expect(await run(['demo', ...args], terminal.io)).toBe(exitCodes.usage);
    expect(terminal.err()).toContain(message);
    expect(terminal.err()).not.toContain('secret-password');
  });
});
