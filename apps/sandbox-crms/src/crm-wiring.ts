import type { CrmPlugin } from '@crm-connect/core';
import type { Sandbox, SandboxSeed } from '@crm-connect/sandbox';
import { createListedTokenStore, type LinkedAdminToken } from './admin-tokens.js';
import type { CrmId } from './crm-ids.js';
import type {
  PluginOptions,
  RecordNote,
  SandboxCrm,
  SandboxCrmOptions,
  Secret,
  StoredRecord,
  StoredUser,
} from './sandbox-crm.js';
import { countByInteraction, repeatedNotes } from './store-figures.js';

/**
 * What is a CRM's own in its wiring: its sandbox, its plugin and settings, and how to read its
 * store. `defineSandboxCrm` adds what is the same for all four (starting, the token store,
 * the portable form, stopping).
 */
export interface CrmWiring<TSandbox extends Sandbox<unknown, SandboxSeed>, TPlugin extends CrmPlugin> {
  id: CrmId;
  displayName: string;
  createSandbox(): TSandbox;
  plugin(options: PluginOptions): TPlugin;
  /** Settings as an admin would save them, pointing at the started sandbox (linking what must be linked). */
  settings(sandbox: TSandbox, plugin: TPlugin, options: SandboxCrmOptions): Promise<Record<string, unknown>>;
  /** Every record the store holds, with the interaction it names. */
  records(sandbox: TSandbox): StoredRecord[];
  notes(sandbox: TSandbox): RecordNote[];
  /** The CRM's users (not its customers), from the store. */
  users(sandbox: TSandbox): StoredUser[];
  secrets(sandbox: TSandbox): Secret[];
  expireAccessTokens(sandbox: TSandbox): void;
  bareAuthorization(sandbox: TSandbox, adminTokens: readonly LinkedAdminToken[]): Promise<string>;
  createRoutes: readonly string[];
  tokenRoutes: readonly string[];
  noteRoutes: readonly string[];
  rateLimitRetryable: boolean;
}

export function defineSandboxCrm<TSandbox extends Sandbox<unknown, SandboxSeed>, TPlugin extends CrmPlugin>(
  wiring: CrmWiring<TSandbox, TPlugin>,
): SandboxCrm {
  const { id, displayName } = wiring;
  return {
    id,
    displayName,
    plugin: (options) => wiring.plugin(options),
    async start(options = {}) {
      const sandbox = wiring.createSandbox();
      await sandbox.start();
      try {
        const tokenStore = await createListedTokenStore();
        const { requestsPerMinute } = options;
        const plugin = wiring.plugin({ tokenStore, requestsPerMinute });
        const settings = await wiring.settings(sandbox, plugin, options);
        return {
          id,
          displayName,
          sandbox,
          plugin,
          settings,
          createRoutes: wiring.createRoutes,
          tokenRoutes: wiring.tokenRoutes,
          noteRoutes: wiring.noteRoutes,
          rateLimitRetryable: wiring.rateLimitRetryable,
          recordsFor: (interactionId) =>
            wiring.records(sandbox).filter((record) => record.interactionId === interactionId),
          recordCounts: () => countByInteraction(wiring.records(sandbox)),
          duplicateNotes: () => repeatedNotes(wiring.notes(sandbox)),
          records: () => wiring.records(sandbox),
          notes: () => wiring.notes(sandbox),
          users: () => wiring.users(sandbox),
          secrets: () => wiring.secrets(sandbox),
          expireAccessTokens: () => wiring.expireAccessTokens(sandbox),
          bareAuthorization: async () => wiring.bareAuthorization(sandbox, await tokenStore.entries()),
          portable: async () => ({
            id,
            settings,
            requestsPerMinute,
            adminTokens: await tokenStore.entries(),
          }),
          stop: () => sandbox.stop(),
        };
      } catch (error) {
        // Linking or configuring failed: the caller gets no handle to stop the sandbox with.
        await sandbox.stop();
        throw error;
      }
    },
  };
}
