/**
 * A consumer of the installed tarballs, type-checked (never run) by check-packages.mjs under
 * `module: nodenext` and under `moduleResolution: bundler`, both `strict` with
 * `exactOptionalPropertyTypes` and `skipLibCheck: false`, so the shipped `.d.ts` files are checked
 * as a consumer's compiler sees them. It imports every public entry point and uses the key types.
 */
import { type ExitCode, exitCodes, run as runCli } from '@crm-connect/cli';
import {
  type AuditEvent,
  type ConnectorOptions,
  type CrmPlugin,
  createConnector,
  createMemoryAuditSink,
  type InteractionEvent,
  isCrmConnectError,
  type PluginSettingsSchema,
  parseInteractionEvent,
  saveSettings,
  settingsJsonSchema,
} from '@crm-connect/core';
import { type DynamicsSettings, dynamics } from '@crm-connect/dynamics';
import { type KustomerSettings, kustomer } from '@crm-connect/kustomer';
import {
  connectRedis,
  createRedisRecordLinkStore,
  type RedisRecordLinkStoreOptions,
} from '@crm-connect/redis';
import { createMemoryTokenStore, type SalesforceSettings, salesforce } from '@crm-connect/salesforce';
import { createZendeskSandbox, type ZendeskSandboxOptions } from '@crm-connect/sandbox';
import { type CrmId, sandboxCrm } from '@crm-connect/sandbox-crms';
import { type ConformanceFixture, chatStarted, testPlugin } from '@crm-connect/testkit';
import { helpdeskFixture, type helpdeskPlugin } from '@crm-connect/testkit/example';
import { createProducer, type ProducerOptions, type WorkerOptions } from '@crm-connect/worker';
import { type ZendeskSettings, zendesk } from '@crm-connect/zendesk';
import {
  createMessagingInteractions,
  createSunshineWebhookReceiver,
  type SunshineEvent,
  type SunshineWebhookReceiverOptions,
  signMessagingJwt,
  type TokenEndpointOptions,
} from '@crm-connect/zendesk/messaging';

/** A platform wiring one connector per CRM, with the options a consumer sets. */
export async function connectEveryCrm(event: unknown): Promise<AuditEvent[]> {
  const audit = createMemoryAuditSink();
  const plugins = [zendesk(), salesforce({ tokenStore: createMemoryTokenStore() }), dynamics(), kustomer()];
  const results: AuditEvent[] = [];
  for (const plugin of plugins) {
    const options: ConnectorOptions<PluginSettingsSchema> = {
      plugin: plugin as unknown as CrmPlugin,
      settings: {},
      audit: audit.sink,
      http: { timeoutMs: 5_000 },
      agentCache: { ttlMs: 60_000 },
    };
    const connector = createConnector(options);
    try {
      results.push(await connector.handle(event));
    } catch (error) {
      if (!isCrmConnectError(error)) throw error;
      results.push(...audit.events());
    } finally {
      await connector.close();
    }
  }
  return results;
}

/** The typed settings of each plugin, as a platform stores them. */
export interface StoredSettings {
  zendesk: ZendeskSettings;
  salesforce: SalesforceSettings;
  dynamics: DynamicsSettings;
  kustomer: KustomerSettings;
}

/** A settings form: the JSON Schema to render, the save rules on submit. */
export async function saveZendeskForm(submitted: Record<string, unknown>) {
  const plugin = zendesk();
  const schema = settingsJsonSchema(plugin);
  const result = await saveSettings(plugin, {
    previous: undefined,
    submitted,
    validate: async () => ({
      connectionUser: { id: '1', email: 'admin@acme.com', active: true },
      warnings: [],
    }),
  });
  return { schema, form: result.form };
}

/** Zendesk messaging: webhooks turned into interaction events, and end-user tokens. */
export function messaging(onInteraction: (event: InteractionEvent) => Promise<unknown>) {
  const interactions = createMessagingInteractions({
    onInteraction,
    agentWorkspaceTypes: ['zd:agentWorkspace'],
  });
  const options: SunshineWebhookReceiverOptions = {
    secret: 'webhook-secret',
    onEvent: (event: SunshineEvent) => interactions.handle(event),
    maxBodyBytes: 1024 * 1024,
  };
  const tokenOptions: Partial<TokenEndpointOptions<{ email: string }>> = {};
  return { receiver: createSunshineWebhookReceiver(options), tokenOptions, sign: signMessagingJwt };
}

/** A plugin author's fixture and the shipped example. */
export function contract(
  fixture: ConformanceFixture<typeof helpdeskPlugin.settings.schema> = helpdeskFixture,
) {
  testPlugin(fixture);
  return parseInteractionEvent(chatStarted({ channel: 'chat' }));
}

/** Store backends, the worker, the sandbox and the CLI. */
export async function backends(redisUrl: string) {
  const redis = await connectRedis({ url: redisUrl });
  const linkOptions: RedisRecordLinkStoreOptions = { redis, prefix: 'tenant-a:' };
  const producerOptions: Partial<ProducerOptions> = { dedupeWindowMs: 60_000 };
  const workerOptions: Partial<WorkerOptions> = {};
  const sandboxOptions: ZendeskSandboxOptions = {};
  const crm: CrmId = 'zendesk';
  const code: ExitCode = exitCodes.ok;
  return {
    links: createRedisRecordLinkStore(linkOptions),
    producer: createProducer,
    producerOptions,
    workerOptions,
    sandbox: createZendeskSandbox(sandboxOptions),
    sandboxCrm: sandboxCrm(crm),
    cli: runCli,
    code,
  };
}
