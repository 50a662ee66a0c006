import { createZendeskSandbox, type ZendeskSandbox } from '@crm-connect/sandbox';
import { seededRandom } from '@crm-connect/sandbox-crms';
import { afterEach, describe, expect, it } from 'vitest';
import { injectPeriodically } from '../../src/faults/periodic-faults.js';

let sandbox: ZendeskSandbox | undefined;
afterEach(async () => {
  await sandbox?.stop();
});

async function statuses(url: string, count: number): Promise<number[]> {
  const answers: number[] = [];
  for (let request = 0; request < count; request += 1)
    answers.push((await fetch(`${url}/api/v2/users/me`)).status);
  return answers;
}

describe('fault matrix: faults all through a run', () => {
  it('injects a fault into about one eligible request in N, until stopped', async () => {
    sandbox = createZendeskSandbox();
    const url = await sandbox.start();
    const faults = injectPeriodically({
      faults: sandbox.faults,
      log: sandbox.log,
      fault: { kind: 'server-error', status: 503 },
      oneIn: 10,
      eligible: (route) => route === 'users.me',
      random: seededRandom(1),
    });
    const during = await statuses(url, 400);
    const failed = during.filter((status) => status === 503).length;
    expect(failed).toBeGreaterThan(20);
    expect(failed).toBeLessThan(60);
    expect(faults.applied()).toBe(failed);
    // Spread through the run, not bunched at its start.
    expect(during.slice(300).filter((status) => status === 503).length).toBeGreaterThan(0);
    faults.stop();
    expect((await statuses(url, 50)).every((status) => status === 200)).toBe(true);
  });

  it('leaves routes that are not eligible alone', async () => {
    sandbox = createZendeskSandbox();
    const url = await sandbox.start();
    injectPeriodically({
      faults: sandbox.faults,
      log: sandbox.log,
      fault: { kind: 'server-error', status: 503 },
      oneIn: 2,
      eligible: (route) => route !== 'users.me',
      random: seededRandom(1),
    });
    expect((await statuses(url, 50)).every((status) => status === 200)).toBe(true);
  });
});
