import { type RunningSandboxCrm, sandboxCrm } from '@crm-connect/sandbox-crms';
import { seedAgents } from './agent-seeding.js';
import { entriesAfter, lastSequence } from './bench-connector.js';
import { type HostCall, type HostReply, hostRequestSchema } from './sandbox-host-protocol.js';

/**
 * The sandbox host process, forked by remote-sandbox.ts: one sandbox CRM, started on request, and
 * answers about its request log and store over IPC. It exists so that the figures timing the
 * client's CPU have the sandbox's work (parsing, routing, its store, answering) in another process.
 */

let running: RunningSandboxCrm | undefined;

function started(): RunningSandboxCrm {
  if (running === undefined) throw new Error('No sandbox is started: send "start" first');
  return running;
}

async function answer(call: HostCall): Promise<unknown> {
  switch (call.call) {
    case 'start': {
      if (running !== undefined) throw new Error('The sandbox host runs one sandbox at a time');
      running = await sandboxCrm(call.crm).start();
      return {
        url: running.sandbox.url,
        crm: await running.portable(),
        authorization: await running.bareAuthorization(),
      };
    }
    case 'lastSequence':
      return lastSequence(started().sandbox.log);
    case 'entriesAfter':
      return entriesAfter(started().sandbox.log, call.sequence);
    case 'recordIdFor':
      return started().recordsFor(call.interactionId)[0]?.id ?? null;
    case 'seedAgents':
      return seedAgents(started(), call.count);
    case 'stop':
      await running?.stop();
      running = undefined;
      return null;
  }
}

function reply(message: HostReply): void {
  process.send?.(message);
}

process.on('message', (message: unknown) => {
  const request = hostRequestSchema.safeParse(message);
  if (!request.success) {
    reply({ id: -1, ok: false, error: `unreadable call: ${request.error.message}` });
    return;
  }
  const { id, call } = request.data;
  answer(call).then(
    (value) => reply({ id, ok: true, value }),
    (error: unknown) =>
      reply({
        id,
        ok: false,
        error: error instanceof Error ? (error.stack ?? error.message) : String(error),
      }),
  );
});
