import { createHttpClient, createRateBudgetRegistry, createRedactor } from '@crm-connect/core';
import { type RunningSandboxCrm, sandboxCrms } from '@crm-connect/sandbox-crms';
import { afterEach, describe, expect, it } from 'vitest';
import { connectorFor } from './connectors.js';
import { chatStarted, interactionId } from './events.js';

/**
 * A tenant that leaves must not leave connections open: once `close()` returns, the connector's
 * keep-alive sockets to its CRM end (issue #15), whatever the CRM, without waiting for the
 * server's idle timeout (5 s for the sandboxes, minutes for real CRMs). Counted as the process's
 * open sockets, the sandbox's ends of them included, since the sandbox runs in this process.
 */

/** Open TCP and TLS sockets in this process (listening servers are not sockets). */
const openSockets = () =>
  process.getActiveResourcesInfo().filter((kind) => kind === 'TCPSocketWrap' || kind === 'TLSWrap').length;

/** The count once it is down to `target`, waiting at most `withinMs`: a destroyed socket's other end closes a turn later. */
async function settledSockets(target: number, withinMs: number): Promise<number> {
  const deadline = Date.now() + withinMs;
  let count = openSockets();
  while (count > target && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 20));
    count = openSockets();
  }
  return count;
}

/**
 * Ends the idle sockets the sandbox's setup left (Salesforce's admin linking makes requests), by
 * sending one request to the sandbox through a client of the HTTP layer and closing it, so that
 * what is counted next is the connector's alone. A socket another library opened stays: it is in
 * the count the connector must come back to.
 */
async function withoutSetupSockets(running: RunningSandboxCrm): Promise<number> {
  const client = createHttpClient({
    pluginId: 'test',
    baseUrl: running.sandbox.url,
    auth: { headers: async () => ({}) },
    budget: createRateBudgetRegistry().forAccount('setup', { requestsPerInterval: 10 }),
    redactor: createRedactor(),
    retry: { maxRetries: 0 },
  });
  await client
    .request({ method: 'GET', path: '/', operation: 'reach the sandbox', acceptStatus: [404] })
    .catch(() => undefined);
  client.close();
  // A turn for the closed sockets' other ends to close too.
  await new Promise((resolve) => setTimeout(resolve, 100));
  return openSockets();
}

const stops: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const stop of stops.splice(0)) await stop();
});

describe('closing a connector ends its keep-alive sockets', () => {
  for (const crm of sandboxCrms) {
    it(`${crm.displayName}: the sockets a write opened are gone once close() returns`, async () => {
      const running = await crm.start();
      stops.push(() => running.stop());
      const before = await withoutSetupSockets(running);
      const connector = connectorFor(running.plugin, { ...running.settings, defaultUser: true });
      const audit = await connector.handle(
        chatStarted({ interactionId: interactionId(`sockets-${crm.id}`) }),
      );
      expect(audit.outcome).toBe('created');
      // Kept alive after the write: what close() must end (else this test could not fail).
      expect(openSockets()).toBeGreaterThan(before);
      await connector.close();
      // Well within the sandbox's 5 s idle timeout, which would end them anyway.
      expect(await settledSockets(before, 1_000)).toBeLessThanOrEqual(before);
    });
  }
});
