import type { Connector } from '@crm-connect/core';
import { chatBeforeAgent } from './bench-events.js';
import type { RemoteSandbox } from './remote-sandbox.js';
import {
  bareSender,
  type Capture,
  calibrate,
  httpLayerSender,
  type InteractionTemplate,
  type Sender,
  templateOf,
} from './replay.js';

/** What the bare clients of a figure send: the connector's own requests, and two ways to send them. */
export interface RemoteReplay {
  template: InteractionTemplate;
  /** A bare keep-alive axios client. */
  bare: Sender;
  /** The connector's HTTP layer alone, with the same fixed credential. */
  httpLayer: Sender;
}

/**
 * Warms the connector up with one "chat before agent", then captures two more from the remote
 * sandbox's request log and turns them into a template a bare client replays (replay.ts), as the
 * cost figure does with an in-process sandbox. `prefix` keeps the figure's interaction ids apart.
 */
export async function captureRemoteReplay(
  connector: Connector,
  remote: RemoteSandbox,
  prefix: string,
): Promise<RemoteReplay> {
  await connector.handle(chatBeforeAgent(`${prefix}-warm`));
  const captures: Capture[] = [];
  for (const interactionId of [`${prefix}-capture-a`, `${prefix}-capture-b`]) {
    const before = await remote.lastSequence();
    const audit = await connector.handle(chatBeforeAgent(interactionId));
    captures.push({ entries: await remote.entriesAfter(before), interactionId, recordId: audit.recordId });
  }
  const [first, second] = captures as [Capture, Capture];
  const bare = bareSender(remote.url, remote.authorization);
  const template = await calibrate(templateOf(first, second), `${prefix}-calibrate`, bare, (interactionId) =>
    remote.recordIdFor(interactionId),
  );
  return { template, bare, httpLayer: httpLayerSender(remote.url, remote.authorization) };
}
