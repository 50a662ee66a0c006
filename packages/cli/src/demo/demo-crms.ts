import type { CrmPlugin } from '@crm-connect/core';
import { kustomer } from '@crm-connect/kustomer';
import {
  createKustomerSandbox,
  createZendeskSandbox,
  type FaultInjector,
  kustomerSandboxSettings,
  type SandboxSeed,
  zendeskSandboxSettings,
} from '@crm-connect/sandbox';
import { zendesk } from '@crm-connect/zendesk';
import type { z } from 'zod';

/** A record the sandbox holds for an interaction, and who owns it. */
export interface StoredRecord {
  id: string;
  ownerId: string | undefined;
}

/** One sandbox CRM, started, with the plugin configured against it. */
export interface RunningDemoCrm {
  id: string;
  displayName: string;
  url: string;
  plugin: CrmPlugin<z.ZodObject>;
  /** Plugin settings pointing at the sandbox (its URL and seeded credentials). */
  settings: Record<string, unknown>;
  seed: SandboxSeed;
  faults: FaultInjector;
  /** Reads the sandbox's own store: the independent check that each record exists exactly once. */
  recordsFor(interactionId: string): StoredRecord[];
  /** Route names whose requests create records, where the fault demo aims. */
  createRoutes: readonly string[];
  stop(): Promise<void>;
}

/** How to start one CRM's sandbox for the demo. */
export interface DemoCrm {
  id: string;
  start(): Promise<RunningDemoCrm>;
}

/** What differs between CRMs: how to create the sandbox, configure the plugin, and read records back. */
interface DemoCrmDefinition<
  TSandbox extends {
    start(): Promise<string>;
    stop(): Promise<void>;
    seed: SandboxSeed;
    faults: FaultInjector;
  },
> {
  id: string;
  displayName: string;
  createSandbox(): TSandbox;
  plugin(): CrmPlugin<z.ZodObject>;
  settings(sandbox: TSandbox): Record<string, unknown>;
  recordsFor(sandbox: TSandbox, interactionId: string): StoredRecord[];
  createRoutes: readonly string[];
}

function demoCrm<
  TSandbox extends {
    start(): Promise<string>;
    stop(): Promise<void>;
    seed: SandboxSeed;
    faults: FaultInjector;
  },
>(definition: DemoCrmDefinition<TSandbox>): DemoCrm {
  return {
    id: definition.id,
    async start() {
      const sandbox = definition.createSandbox();
      const url = await sandbox.start();
      return {
        id: definition.id,
        displayName: definition.displayName,
        url,
        plugin: definition.plugin(),
        settings: definition.settings(sandbox),
        seed: sandbox.seed,
        faults: sandbox.faults,
        recordsFor: (interactionId) => definition.recordsFor(sandbox, interactionId),
        createRoutes: definition.createRoutes,
        stop: () => sandbox.stop(),
      };
    },
  };
}

const zendeskDemo = demoCrm({
  id: 'zendesk',
  displayName: 'Zendesk',
  createSandbox: () => createZendeskSandbox(),
  plugin: () => zendesk() as unknown as CrmPlugin<z.ZodObject>,
  settings: (sandbox) => ({ ...zendeskSandboxSettings(sandbox) }),
  recordsFor: (sandbox, interactionId) =>
    sandbox.store.tickets
      .filter((ticket) => ticket.external_id === interactionId)
      .map((ticket) => ({
        id: String(ticket.id),
        ownerId: ticket.assignee_id === null ? undefined : String(ticket.assignee_id),
      })),
  createRoutes: ['tickets.create'],
});

const kustomerDemo = demoCrm({
  id: 'kustomer',
  displayName: 'Kustomer',
  createSandbox: () => createKustomerSandbox(),
  plugin: () => kustomer() as unknown as CrmPlugin<z.ZodObject>,
  settings: (sandbox) => ({ ...kustomerSandboxSettings(sandbox) }),
  recordsFor: (sandbox, interactionId) =>
    sandbox.store.conversations
      .filter((conversation) => conversation.externalId === interactionId)
      .map((conversation) => ({ id: conversation.id, ownerId: conversation.assignedUsers[0] })),
  createRoutes: ['conversations.create'],
});

/** The CRMs the demo runs, in table order. */
export const demoCrms: readonly DemoCrm[] = [zendeskDemo, kustomerDemo];
