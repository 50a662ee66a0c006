#!/usr/bin/env node
import { spawn } from 'node:child_process';
import { sandboxCertificatePath } from '@crm-connect/sandbox';
import { processIo } from './io.js';
import { run } from './run.js';

/** Commands that start the sandboxes; the Dynamics one serves https with the loopback certificate. */
const startsSandboxes = new Set(['demo', 'sandbox']);

const args = process.argv.slice(2);
if (startsSandboxes.has(args[0] ?? '') && process.env.NODE_EXTRA_CA_CERTS !== sandboxCertificatePath) {
  // Node reads NODE_EXTRA_CA_CERTS only at start-up (Node 20 cannot add a CA later), so run again with it.
  const child = spawn(process.execPath, [...process.execArgv, ...process.argv.slice(1)], {
    stdio: 'inherit',
    env: { ...process.env, NODE_EXTRA_CA_CERTS: sandboxCertificatePath },
  });
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => child.kill(signal));
  child.on('exit', (code, signal) => {
    process.exitCode = code ?? (signal === null ? 1 : 128);
  });
} else {
  process.exitCode = await run(args, processIo());
}
