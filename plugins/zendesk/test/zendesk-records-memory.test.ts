import {
  createMemoryAuditSink,
  createRateBudgetRegistry,
  createRedactingLogger,
  createRedactor,
  type RequestOptions,
} from '@crm-connect/core';
import { describe, expect, it } from 'vitest';
import type { ZendeskAccount } from '../src/zendesk-client.js';
import { createZendeskRecords } from '../src/zendesk-records.js';
import { zendeskSettingsSchema } from '../src/zendesk-settings.js';

/**
 * The note parts a connection remembers having written are bounded: the last 10,000, the oldest
 * forgotten first. Ten thousand writes over nock would take minutes, so the account's HTTP client
 * is a stub that answers every note PUT at once (the wire format is pinned in
 * zendesk-records-wire.test.ts).
 */

function stubAccount(paths: string[]): ZendeskAccount {
  const auth = { headers: async () => ({ Authorization: 'Basic stub' }) };
  return {
    origin: 'https://acme.zendesk.com',
    oauth: undefined,
    close: () => undefined,
    credentials: { admin: () => auth, performer: () => auth },
    api: {
      baseUrl: 'https://acme.zendesk.com',
      close: () => undefined,
      async request<TData>(options: RequestOptions) {
        paths.push(`${options.method} ${options.path}`);
        return {
          status: 200,
          headers: {},
          attempts: 1,
          requestId: 'r',
          data: { ticket: { id: 1 } } as TData,
        };
      },
    },
  };
}

describe('zendesk notes remembered by a connection', () => {
  it('keeps the last 10,000 parts it wrote and forgets the oldest first', async () => {
    const paths: string[] = [];
    const redactor = createRedactor();
    const records = createZendeskRecords(
      stubAccount(paths),
      zendeskSettingsSchema.parse({
        subdomain: 'acme',
        email: 'ada.admin@acme.com',
        apiToken: 'x'.repeat(20),
      }),
      {
        redactor,
        logger: createRedactingLogger({ log: () => undefined }, redactor),
        audit: createMemoryAuditSink().sink,
        rateBudgets: createRateBudgetRegistry(),
        http: { timeoutMs: 5_000 },
      },
    );
    const note = (n: number) =>
      records.addNote({
        interactionId: 'chat-1',
        ticket: { id: '1' },
        body: `Note ${n}`,
        performer: { id: '1', active: true },
        idempotencyKey: `key-${n}`,
        mayExist: false,
      });

    for (let n = 0; n < 10_000; n += 1) await note(n);
    expect(paths).toHaveLength(10_000);
    // 10,000 remembered: the first is still known, nothing is written.
    expect(await note(0)).toEqual({ attempts: 0, written: false });

    await note(10_000);
    // The 10,001st pushed the oldest out: it is written again; the second oldest is still known.
    expect(await note(0)).toEqual({ attempts: 1, written: true });
    expect(await note(2)).toEqual({ attempts: 0, written: false });
    expect(paths).toHaveLength(10_002);
    expect(paths[0]).toBe('PUT /api/v2/tickets/1');
  });
});
