import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { CrmPlugin } from '@crm-connect/core';
import { restorePlugin, type SandboxCrm } from '@crm-connect/sandbox-crms';
import type { LoggedRequest } from './replay.js';
import {
  type HostAnswer,
  type HostCall,
  type HostRequest,
  hostAnswerParsers,
  hostReplySchema,
} from './sandbox-host-protocol.js';

/**
 * A sandbox CRM running in a process of its own (sandbox-host.ts), with its plugin rebuilt in this
 * one from the portable form, as a platform's would be: the bench's process then does the
 * client's work alone, so its CPU time is the client's.
 */
export interface RemoteSandbox {
  url: string;
  /** The plugin, built in this process against the remote sandbox (Salesforce's linked admins included). */
  plugin: CrmPlugin;
  /** The saved settings pointing at the sandbox. */
  settings: Record<string, unknown>;
  /** An Authorization header for a bare client, obtained from the sandbox directly. */
  authorization: string;
  lastSequence(): Promise<number>;
  entriesAfter(sequence: number): Promise<LoggedRequest[]>;
  recordIdFor(interactionId: string): Promise<string | undefined>;
  /** Adds the bench agents 0 … count-1 as CRM users (agent-seeding.ts). */
  seedAgents(count: number): Promise<number>;
  /** Stops the sandbox and its process. */
  stop(): Promise<void>;
}

/** Starts the CRM's sandbox in a new process (it inherits NODE_EXTRA_CA_CERTS, which Dynamics needs). */
export async function startRemoteSandbox(crm: SandboxCrm): Promise<RemoteSandbox> {
  const host = fork(fileURLToPath(new URL('./sandbox-host.js', import.meta.url)), {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const ask = caller(host);
  try {
    const started = await ask({ call: 'start', crm: crm.id });
    return {
      url: started.url,
      plugin: await restorePlugin(started.crm),
      settings: started.crm.settings,
      authorization: started.authorization,
      lastSequence: () => ask({ call: 'lastSequence' }),
      entriesAfter: (sequence) => ask({ call: 'entriesAfter', sequence }),
      recordIdFor: async (interactionId) => (await ask({ call: 'recordIdFor', interactionId })) ?? undefined,
      seedAgents: (count) => ask({ call: 'seedAgents', count }),
      async stop() {
        try {
          await ask({ call: 'stop' });
        } finally {
          await ended(host);
        }
      },
    };
  } catch (error) {
    await ended(host);
    throw error;
  }
}

type Pending = { resolve: (value: unknown) => void; reject: (error: Error) => void };

/** Sends calls to the host and resolves each with its checked answer. */
function caller(host: ChildProcess) {
  const pending = new Map<number, Pending>();
  let nextId = 0;
  host.on('message', (message: unknown) => {
    const reply = hostReplySchema.safeParse(message);
    if (!reply.success) {
      for (const waiting of pending.values())
        waiting.reject(new Error(`The sandbox host sent an unreadable reply: ${reply.error.message}`));
      pending.clear();
      return;
    }
    const waiting = pending.get(reply.data.id);
    pending.delete(reply.data.id);
    if (reply.data.ok) waiting?.resolve(reply.data.value);
    else waiting?.reject(new Error(`The sandbox host failed: ${reply.data.error}`));
  });
  host.once('exit', (code) => {
    for (const waiting of pending.values())
      waiting.reject(new Error(`The sandbox host exited (code ${code}) before answering`));
    pending.clear();
  });
  return async <TCall extends HostCall>(call: TCall): Promise<HostAnswer<TCall['call']>> => {
    const id = nextId;
    nextId += 1;
    const value = await new Promise<unknown>((resolve, reject) => {
      pending.set(id, { resolve, reject });
      const request: HostRequest = { id, call };
      host.send(request);
    });
    const name: TCall['call'] = call.call;
    return hostAnswerParsers[name].parse(value);
  };
}

/** Ends the host process (its sandbox is stopped, or it failed) and waits until it is gone. */
function ended(host: ChildProcess): Promise<void> {
  if (host.exitCode !== null || host.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    host.once('exit', () => resolve());
    host.kill();
  });
}
