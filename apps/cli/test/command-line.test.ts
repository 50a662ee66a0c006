import { readFileSync } from 'node:fs';
import { exitCodes, run } from '@crm-connect/cli';
import { describe, expect, it } from 'vitest';
import { editDistance, nearestName } from '../src/nearest-name.js';
import { memoryIo } from './cli-io.js';

/** The command line itself: --version, mistyped options and commands, the salesforce group's help. */

describe('crm-connect --version', () => {
  it("prints the CLI package's version", async () => {
    const manifest = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
    for (const flag of ['--version', '-v']) {
      const terminal = memoryIo();
      expect(await run([flag], terminal.io)).toBe(exitCodes.ok);
      expect(terminal.out()).toBe(`${manifest.version}\n`);
    }
  });

  it('is listed in the main help', async () => {
    const terminal = memoryIo();
    await run(['--help'], terminal.io);
    expect(terminal.out()).toContain('--version');
  });
});

describe('mistyped options name the nearest one', () => {
  it.each([
    [['validate', 'zendesk', '--jsn'], 'Unknown option --jsn; did you mean --json?'],
    [['validate', 'zendesk', '--tiemout', '3'], 'Unknown option --tiemout; did you mean --timeout?'],
    [['validate', 'zendesk', '--conifg=x.json'], 'Unknown option --conifg; did you mean --config?'],
    [
      ['validate', 'zendesk', '--token-stor', 'x'],
      'Unknown option --token-stor; did you mean --token-store?',
    ],
    [['demo', '--sed', '3'], 'Unknown option --sed; did you mean --seed?'],
    [['salesforce', 'link', '--login', 'x'], 'Unknown option --login; did you mean --login-hint?'],
    [['salesforce', 'unlink', '--usr', 'x'], 'Unknown option --usr; did you mean --user?'],
  ])('%j', async (argv, message) => {
    const terminal = memoryIo();
    expect(await run(argv, terminal.io)).toBe(exitCodes.usage);
    expect(terminal.err()).toMatch(/^✖ .+\n {2}hint: Run crm-connect .+ --help to see its options\.\n$/);
    expect(terminal.err().split('\n')[0]).toBe(`✖ ${message}`);
  });

  it('an option like none of them is named without a guess', async () => {
    const terminal = memoryIo();
    expect(await run(['validate', 'zendesk', '--frobnicate'], terminal.io)).toBe(exitCodes.usage);
    expect(terminal.err()).toContain('✖ Unknown option --frobnicate for crm-connect validate.');
    expect(terminal.err()).not.toContain('did you mean');
  });

  it('with --json the mistake is a JSON document with its code', async () => {
    const terminal = memoryIo();
    expect(await run(['validate', 'zendesk', '--json', '--verbse'], terminal.io)).toBe(exitCodes.usage);
    expect(JSON.parse(terminal.out())).toEqual({
      command: 'validate',
      ok: false,
      exitCode: 2,
      error: {
        code: 'unknown_option',
        message: 'Unknown option --verbse; did you mean --verbose?',
        hint: 'Run crm-connect validate --help to see its options.',
        retryable: false,
      },
    });
    expect(terminal.err()).toBe('');
  });

  it('mistyped commands and CRM names are suggested too', async () => {
    for (const [argv, guess] of [
      [['valdate', 'zendesk'], 'did you mean validate?'],
      [['salesforce', 'lnk'], 'did you mean salesforce link?'],
      [['validate', 'zendsk'], 'did you mean zendesk?'],
      [['demo', '--crm', 'kustomr'], 'did you mean kustomer?'],
    ] as const) {
      const terminal = memoryIo();
      expect(await run(argv, terminal.io)).toBe(exitCodes.usage);
      expect(terminal.err()).toContain(guess);
    }
  });
});

describe('nearestName', () => {
  it('allows one edit per three characters, swapped neighbours counting as one', () => {
    expect(editDistance('tiemout', 'timeout')).toBe(1);
    expect(editDistance('jsn', 'json')).toBe(1);
    expect(editDistance('', 'abc')).toBe(3);
    expect(nearestName('jsn', ['json', 'config'])).toBe('json');
    expect(nearestName('xyz', ['json', 'config'])).toBeUndefined();
    // Too far for a typo, but the only name it begins: an abbreviation.
    expect(nearestName('tok', ['token-store', 'timeout'])).toBe('token-store');
    expect(nearestName('s', ['set', 'secrets-stdin'])).toBeUndefined();
  });
});

describe('crm-connect salesforce', () => {
  it('--help lists link, unlink and status', async () => {
    const terminal = memoryIo();
    expect(await run(['salesforce', '--help'], terminal.io)).toBe(exitCodes.ok);
    expect(terminal.out()).toMatch(/^Usage: crm-connect salesforce <command>/);
    for (const command of ['salesforce link', 'salesforce unlink', 'salesforce status'])
      expect(terminal.out()).toContain(command);
  });

  it('alone, it says which commands it has', async () => {
    const terminal = memoryIo();
    expect(await run(['salesforce'], terminal.io)).toBe(exitCodes.usage);
    expect(terminal.err()).toMatch(/^✖ crm-connect salesforce needs a command: .*unlink.*\n {2}hint: /);
  });

  it('every command has --help', async () => {
    for (const command of [
      ['demo'],
      ['sandbox'],
      ['salesforce', 'unlink'],
      ['salesforce', 'status'],
      ['salesforce', 'link'],
    ]) {
      const terminal = memoryIo();
      expect(await run([...command, '--help'], terminal.io)).toBe(exitCodes.ok);
      expect(terminal.out()).toMatch(new RegExp(`^Usage: crm-connect ${command.join(' ')}`));
    }
  });
});
