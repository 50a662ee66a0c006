import { exitCodes, run } from '@crm-connect/cli';
import { sandboxCrms } from '@crm-connect/sandbox-crms';
import { describe, expect, it } from 'vitest';
import { memoryIo } from './cli-io.js';

/** `crm-connect demo --json`: the tables as one document, progress on standard error, no secret. */

describe('crm-connect demo --json', () => {
  it('one document: every pass and row, the totals, exit 0', async () => {
    const terminal = memoryIo();
    const code = await run(['demo', '--crm', 'zendesk,dynamics', '--seed', '3', '--json'], terminal.io);
    expect(code, terminal.err()).toBe(exitCodes.ok);
    const document = JSON.parse(terminal.out());
    expect(document).toMatchObject({
      command: 'demo',
      ok: true,
      exitCode: 0,
      seed: 3,
      faults: false,
      interactions: 28,
      problems: 0,
    });
    expect(
      document.passes.map((pass: { crm: string; defaultUser: boolean }) => [pass.crm, pass.defaultUser]),
    ).toEqual([
      ['zendesk', true],
      ['dynamics', true],
      ['zendesk', false],
      ['dynamics', false],
    ]);
    const [first] = document.passes;
    expect(first.displayName).toBe('Zendesk');
    expect(first.rows[0]).toEqual({
      interaction: 'chat started, no agent yet',
      records: [expect.any(String)],
      performer: 'Ada Admin',
      owner: 'Ada Admin',
      reason: 'default-user',
    });
    // No record, nobody: an empty list and nulls, never the table's dashes.
    expect(first.rows[3]).toEqual({
      interaction: 'abandoned call (tickets off)',
      records: [],
      performer: null,
      owner: null,
      reason: 'abandoned-call-tickets-disabled',
    });
    expect(terminal.err()).toContain('started Zendesk sandbox');
  });

  it('never prints a sandbox credential', async () => {
    const terminal = memoryIo();
    expect(await run(['demo', '--crm', 'salesforce,kustomer', '--json'], terminal.io)).toBe(exitCodes.ok);
    // The seeds are fixed: a fresh sandbox holds the same credentials as the demo's.
    for (const crm of sandboxCrms.filter((candidate) => ['salesforce', 'kustomer'].includes(candidate.id))) {
      const running = await crm.start();
      try {
        for (const value of Object.values(running.sandbox.seed.credentials))
          expect(terminal.out() + terminal.err()).not.toContain(value);
      } finally {
        await running.stop();
      }
    }
  });

  it('a wrong option value is a JSON error document', async () => {
    const terminal = memoryIo();
    expect(await run(['demo', '--seed', 'seven', '--json'], terminal.io)).toBe(exitCodes.usage);
    expect(JSON.parse(terminal.out())).toMatchObject({
      command: 'demo',
      ok: false,
      exitCode: 2,
      error: { code: 'usage_invalid', message: '--seed seven is not a whole number.' },
    });
  });
});
