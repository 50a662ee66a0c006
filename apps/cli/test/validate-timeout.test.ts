import { createServer, type Server, type Socket } from 'node:net';
import { exitCodes, run } from '@crm-connect/cli';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { memoryIo } from './cli-io.js';

/**
 * `validate --timeout` against a host that accepts connections and never answers (without it,
 * two attempts of 15 s each): the whole check is bounded, each retry is reported on standard
 * error as it happens, and the final error says how many attempts were made.
 */

const token = 'zd_token_9a8b7c6d5e4f3a2b1c0d';
let server: Server;
let sockets: Socket[];
let port: number;

beforeEach(async () => {
  sockets = [];
  // Accepts every connection and reads nothing back: the request waits for an answer that never comes.
  server = createServer((socket) => {
    sockets.push(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as { port: number }).port;
});
afterEach(async () => {
  for (const socket of sockets) socket.destroy();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

const zendeskArgs = () => [
  'validate',
  'zendesk',
  '--set',
  `subdomain=http://127.0.0.1:${port}`,
  '--set',
  'authMode=apiToken',
  '--set',
  'email=admin@acme.test',
];

describe('crm-connect validate --timeout', () => {
  it('gives up at the deadline, shows each retry as it happens, and says how many attempts were made', async () => {
    const terminal = memoryIo({ env: { CRM_CONNECT_API_TOKEN: token } });
    const started = performance.now();
    const code = await run([...zendeskArgs(), '--timeout', '2'], terminal.io);
    const seconds = (performance.now() - started) / 1000;

    expect(code).toBe(exitCodes.unavailable);
    expect(seconds).toBeGreaterThanOrEqual(1.9);
    expect(seconds).toBeLessThan(3);
    // Attempts of 1 s each (half the deadline), so a retry happens before the deadline.
    expect(terminal.err()).toMatch(/^… zendesk: .+ timed out after 1000 ms; attempt 2 in \d\.\d s\n/);
    expect(terminal.err()).toMatch(
      /✖ Zendesk did not answer within 2 s \(2 attempts made\)\.\n {2}hint: .+--timeout\.\n$/,
    );
    expect(sockets.length).toBeGreaterThanOrEqual(2);
    expect(terminal.out() + terminal.err()).not.toContain(token);
  });

  it('with --json: one document with the timed_out code and the attempts, progress on standard error', async () => {
    const terminal = memoryIo({ env: { CRM_CONNECT_API_TOKEN: token } });
    expect(await run([...zendeskArgs(), '--timeout', '1.5', '--json'], terminal.io)).toBe(
      exitCodes.unavailable,
    );
    expect(JSON.parse(terminal.out())).toEqual({
      command: 'validate',
      ok: false,
      exitCode: 3,
      crm: 'zendesk',
      error: {
        code: 'timed_out',
        message: 'Zendesk did not answer within 1.5 s (2 attempts made).',
        hint: 'Check the URL and your network, or allow longer with --timeout.',
        retryable: true,
        attempts: 2,
      },
    });
    expect(terminal.err()).toContain('attempt 2 in');
    expect(terminal.out() + terminal.err()).not.toContain(token);
  });

  it('a deadline shorter than one attempt (at least 250 ms): one attempt, said so', async () => {
    const terminal = memoryIo({ env: { CRM_CONNECT_API_TOKEN: token } });
    expect(await run([...zendeskArgs(), '--timeout', '0.2'], terminal.io)).toBe(exitCodes.unavailable);
    expect(terminal.err()).toBe(
      '✖ Zendesk did not answer within 0.2 s (1 attempt made).\n  hint: Check the URL and your network, or allow longer with --timeout.\n',
    );
  });

  it('a timeout that is not a number of seconds is a usage error', async () => {
    for (const value of ['0', '-1', 'soon']) {
      const terminal = memoryIo({ env: { CRM_CONNECT_API_TOKEN: token } });
      expect(await run([...zendeskArgs(), `--timeout=${value}`], terminal.io)).toBe(exitCodes.usage);
      expect(terminal.err()).toContain(`--timeout ${value} is not a number of seconds`);
    }
    expect(sockets).toEqual([]);
  });
});
