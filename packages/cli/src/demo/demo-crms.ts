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

const zendeskDemo: DemoCrm = {
  id: 'zendesk',
  async start() {
    const sandbox = createZendeskSandbox();
    const url = await sandbox.start();
    return {
      id: 'zendesk',
      displayName: 'Zendesk',
      url,
      plugin: zendesk() as unknown as CrmPlugin<z.ZodObject>,
      settings: { ...zendeskSandboxSettings(sandbox) },
      seed: sandbox.seed,
      faults: sandbox.faults,
      recordsFor: (interactionId) =>
        sandbox.store.tickets
          .filter((ticket) => ticket.external_id === interactionId)
          .map((ticket) => ({
            id: String(ticket.id),
            ownerId: ticket.assignee_id === null ? undefined : String(ticket.assignee_id),
          })),
      createRoutes: ['tickets.create'],
      stop: () => sandbox.stop(),
    };
  },
};

const kustomerDemo: DemoCrm = {
  id: 'kustomer',
  async start() {
    const sandbox = createKustomerSandbox();
    const url = await sandbox.start();
    return {
      id: 'kustomer',
      displayName: 'Kustomer',
      url,
      plugin: kustomer() as unknown as CrmPlugin<z.ZodObject>,
      settings: { ...kustomerSandboxSettings(sandbox) },
      seed: sandbox.seed,
      faults: sandbox.faults,
      recordsFor: (interactionId) =>
        sandbox.store.conversations
          .filter((conversation) => conversation.externalId === interactionId)
          .map((conversation) => ({ id: conversation.id, ownerId: conversation.assignedUsers[0] })),
      createRoutes: ['conversations.create'],
      stop: () => sandbox.stop(),
    };
  },
};

/** The CRMs the demo runs, in table order. */
export const demoCrms: readonly DemoCrm[] = [zendeskDemo, kustomerDemo];
