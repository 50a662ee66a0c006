import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { apiKey, helpdeskFixture } from '@crm-connect/testkit/example';
import { beforeAll, describe, expect, it } from 'vitest';

/**
 * The conformance suite fails a plugin with a planted bug (issue 17: a fifth plugin got four of
 * fourteen planted bugs past it) and passes the example it was copied from. The suite runs as a
 * plugin author runs it, in a vitest of its own (planted/), against copies of the example plugin
 * with one bug each (planted/planted-plugins.ts); this file reads its JSON report.
 */

interface TestReport {
  ancestorTitles: string[];
  title: string;
  status: string;
  failureMessages: string[];
}

const config = fileURLToPath(new URL('./planted/vitest.config.ts', import.meta.url));
const vitestCli = join(dirname(createRequire(import.meta.url).resolve('vitest/package.json')), 'vitest.mjs');

let results: TestReport[] = [];

beforeAll(async () => {
  const folder = await mkdtemp(join(tmpdir(), 'planted-bugs-'));
  const report = join(folder, 'report.json');
  // The child is a vitest of its own, not a worker of this one.
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('VITEST')));
  try {
    await promisify(execFile)(
      process.execPath,
      [vitestCli, 'run', '--config', config, '--reporter=json', `--outputFile=${report}`],
      { env, maxBuffer: 64 * 1024 * 1024 },
    ).catch((error: { code?: number }) => {
      // Exit code 1: some tests failed, which is the point. Anything else is a broken run.
      if (error.code !== 1) throw error;
    });
    const parsed = JSON.parse(await readFile(report, 'utf8')) as {
      testResults: Array<{ assertionResults: TestReport[] }>;
    };
    results = parsed.testResults.flatMap((file) => file.assertionResults);
  } finally {
    await rm(folder, { recursive: true, force: true });
  }
}, 180_000);

/** The tests of one copy, by outcome. */
function copy(name: string) {
  const tests = results.filter((test) => test.ancestorTitles[0] === name);
  const failed = tests.filter((test) => test.status === 'failed');
  return {
    tests,
    failed: failed.map((test) => test.title).sort(),
    messages: failed.map((test) => test.failureMessages.join('\n')),
  };
}

const lostCreate = [
  'a create the CRM made whose answer was lost (a 503) leaves exactly one record',
  'a create the CRM made whose answer was lost (no answer before the timeout) leaves exactly one record',
];
const lostNote = [
  'a note the CRM made whose answer was lost (a 503) is there exactly once',
  'a note the CRM made whose answer was lost (no answer before the timeout) is there exactly once',
];

describe('the conformance suite against planted bugs', () => {
  it('passes the example plugin, every test run', () => {
    const correct = copy('correct');
    expect(correct.tests.length).toBeGreaterThan(25);
    expect(correct.failed).toEqual([]);
    expect(correct.tests.every((test) => test.status === 'passed')).toBe(true);
  });

  it.each(['createKeyNeverSent', 'createKeyNotHonoured', 'createMarkedIdempotent'])(
    'a: a create retried without an idempotency key the CRM honours (%s) fails the lost-answer checks',
    (name) => {
      const planted = copy(name);
      expect(planted.failed).toEqual(lostCreate);
      for (const message of planted.messages) expect(message).toContain('records made by the CRM');
    },
  );

  it('b: a note POST marked idempotent fails the lost-answer checks for notes', () => {
    const planted = copy('noteMarkedIdempotent');
    expect(planted.failed).toEqual(lostNote);
    for (const message of planted.messages)
      expect(message).toContain('writes POST /api/tickets/ticket-1/notes made by the CRM');
  });

  it('c: a secret logged through the context logger in validateCredentials fails the redaction check', () => {
    const planted = copy('logsSecret');
    expect(planted.failed).toEqual([
      'validateCredentials called with a plugin context, as a save flow does: nothing it logs holds a secret',
    ]);
    expect(planted.messages[0]).toContain('checking the Helpdesk API key');
    expect(planted.messages[0]).toContain('[REDACTED]');
  });

  it.each(['printsSecret', 'writesSecretToStderr'])(
    'd: a secret written to stdout or stderr (%s) fails every test that ran the credential check',
    (name) => {
      const planted = copy(name);
      expect(planted.failed).toEqual(
        expect.arrayContaining([
          'valid credentials resolve to the identity they act as: the default user',
          'refused credentials throw a typed, non-retryable error that says what to fix',
        ]),
      );
      for (const message of planted.messages)
        expect(message).toContain('A secret was written to stdout, stderr or the console');
    },
  );

  it('no failure message shows a secret', () => {
    const everything = results.flatMap((test) => test.failureMessages).join('\n');
    expect(everything).not.toContain(apiKey);
    expect(everything).not.toContain(helpdeskFixture.invalidCredentials.apiKey);
  });
});
