import { type ChildProcess, fork } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { createMemoryRecordLinkStore } from '@crm-connect/core';
import { createRedisRecordLinkStore } from '@crm-connect/redis';
import { afterEach, expect, it, vi } from 'vitest';
import { describeWithRedis } from '../../redis/test/support/redis-test.js';
import { bullPrefix, drainQueueName } from '../src/index.js';
import { agentAssigned, chatStarted, interactionEnded, newInteractionId } from './support/events.js';
import { createFakeCrm, fakePlugin, serveFakeCrm } from './support/fake-crm.js';
import type { WorkerProcessConfig } from './support/worker-process.js';
import { workerTests } from './support/worker-test.js';

const children: ChildProcess[] = [];
afterEach(() => {
  for (const child of children.splice(0))
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
});

/** Starts support/worker-process.ts in a real child process, on the workspace's TypeScript sources; resolves once it works. */
async function startWorkerProcess(config: WorkerProcessConfig): Promise<ChildProcess> {
  const hooks = new URL('../../redis/test/support/ts-hooks.mjs', import.meta.url).href;
  const child = fork(
    fileURLToPath(new URL('./support/worker-process.ts', import.meta.url)),
    [JSON.stringify(config)],
    {
      execArgv: [
        '--import',
        `data:text/javascript,import{register}from"node:module";register(${JSON.stringify(hooks)})`,
      ],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    },
  );
  children.push(child);
  const [message] = (await Promise.race([
    once(child, 'message'),
    once(child, 'exit').then(([code]) => {
      throw new Error(`worker process exited (${code}) before it was ready`);
    }),
  ])) as unknown[];
  expect(message).toBe('ready');
  return child;
}

describeWithRedis('worker: a worker killed mid-job (SIGKILL)', (redis) => {
  const context = workerTests(redis);

  it('another worker recovers its job within seconds: nothing lost, nothing written twice', {
    timeout: 60_000,
  }, async () => {
    const test = context();
    const crm = createFakeCrm({ latencyMs: 5 });
    const server = await serveFakeCrm(crm);
    // Recovery within a few seconds: a lock lasts 1 s unless renewed, checked every 0.5 s.
    const recovery = { lockDurationMs: 1_000, stalledIntervalMs: 500, timeoutMs: 1_000 };
    try {
      const child = await startWorkerProcess({
        url: test.url,
        prefix: test.prefix,
        crmUrl: server.url,
        ...recovery,
      });
      const victim = newInteractionId('crash');
      // The CRM writes the victim's ticket, but its answer never reaches the child.
      const held = crm.hold('createTicket', victim);
      const producer = await test.producer();
      const others = [newInteractionId('crash'), newInteractionId('crash')];
      for (const id of [victim, ...others]) {
        await producer.enqueue('acme', chatStarted(id));
        await producer.enqueue('acme', agentAssigned(id, 2));
        await producer.enqueue('acme', interactionEnded(id));
      }
      await held.arrived;
      child.kill('SIGKILL');
      await once(child, 'exit');
      const killedAt = Date.now();
      // The CRM answers; nobody is listening any more.
      held.release();
      // The victim's drain job (and any other it had taken) is left active, its lock no longer renewed.
      expect((await test.drainJobCounts()).active).toBeGreaterThanOrEqual(1);

      const links = createRedisRecordLinkStore({ redis: await redis.client(), prefix: test.prefix });
      const { plugin } = fakePlugin(crm.api);
      await test.worker({
        tenants: async () => ({ plugin, settings: { defaultUser: true } }),
        recordLinks: () => links,
        lockDurationMs: recovery.lockDurationMs,
        stalledIntervalMs: recovery.stalledIntervalMs,
        http: { timeoutMs: recovery.timeoutMs },
      });
      for (const id of [victim, ...others]) {
        await vi.waitFor(
          () => expect(crm.writes.get(id), id).toEqual(['create:admin', 'owner:agent-2', 'note']),
          {
            timeout: 10_000,
            interval: 50,
          },
        );
      }
      const recoveredInMs = Date.now() - killedAt;
      console.log(`[worker] the killed worker's job was recovered and finished in ${recoveredInMs} ms`);
      expect(recoveredInMs).toBeLessThan(8_000);
      // The victim's opening event was handled twice (once per worker): the second create found the ticket.
      expect(
        crm.calls.filter((call) => call.operation === 'createTicket' && call.interactionId === victim),
      ).toHaveLength(2);
      expect(crm.tickets.size).toBe(3);
      expect(crm.peakInFlight()).toBe(1);
      await vi.waitFor(async () =>
        expect(await test.drainJobCounts()).toMatchObject({ active: 0, wait: 0, delayed: 0, failed: 0 }),
      );
      expect(await test.deadLetters()).toEqual([]);
    } finally {
      await server.close();
    }
  });

  it('a worker that froze past its lock: the worker that took the job over finishes it, the frozen one stops at its next step', async () => {
    const test = context();
    const crm = createFakeCrm();
    const { plugin } = fakePlugin(crm.api);
    const links = createMemoryRecordLinkStore();
    const options = {
      tenants: async () => ({ plugin, settings: { defaultUser: true } }),
      recordLinks: () => links,
      lockDurationMs: 1_000,
      stalledIntervalMs: 300,
    };
    // One job at a time: while frozen on this one, the first worker cannot take it over itself.
    const frozenLog: string[] = [];
    await test.worker({
      ...options,
      concurrency: 1,
      logger: { log: (_level, message) => frozenLog.push(message) },
    });
    const producer = await test.producer();
    const id = newInteractionId('frozen');
    const frozen = crm.hold('createTicket', id);
    await producer.enqueue('acme', chatStarted(id));
    await producer.enqueue('acme', agentAssigned(id, 1));
    await producer.enqueue('acme', agentAssigned(id, 3));
    await frozen.arrived;
    await test.worker(options);
    // Frozen: its lock expires unrenewed (here: it is taken away), and the stalled check hands the job on.
    const client = await redis.client();
    const token = await client.get(`${test.prefix}drain:acme:${id}`);
    expect(await client.del(`${bullPrefix(test.prefix)}:${drainQueueName}:${token}:lock`)).toBe(1);
    // The second worker re-handles the opening event (the create finds the ticket), then is busy on the next.
    const busy = crm.hold('changeOwner', id);
    await busy.arrived;
    expect(
      crm.calls.filter((call) => call.operation === 'createTicket' && call.interactionId === id),
    ).toHaveLength(2);
    // The frozen worker wakes up: its create is answered, and it must not remove the entry the other is handling.
    frozen.release();
    await vi.waitFor(() =>
      expect(frozenLog).toContain('drain job no longer owns its mailbox; another worker has it'),
    );
    busy.release();
    await vi.waitFor(() =>
      expect(crm.writes.get(id)).toEqual(['create:admin', 'owner:agent-1', 'owner:agent-3']),
    );
    await vi.waitFor(async () =>
      expect(await test.drainJobCounts()).toMatchObject({ active: 0, wait: 0, delayed: 0, failed: 0 }),
    );
    expect(crm.writes.get(id)).toEqual(['create:admin', 'owner:agent-1', 'owner:agent-3']);
    expect(await test.deadLetters()).toEqual([]);
  });
});
