import { describe, expect, it } from 'vitest';
import { createConnector } from '../src/connector.js';
import type { Logger } from '../src/logging.js';
import { createMemoryRecordLinkStore } from '../src/record-links.js';
import {
  admin,
  alex,
  apiToken,
  bea,
  chatStarted,
  connectTo,
  platformAgent,
  recordingCrm,
} from './support/recording-plugin.js';

/** What the connector hands its plugin, what it exposes to the platform, and its options. */

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('connector: what the plugin gets', () => {
  it('the parsed settings (defaults applied) and the HTTP overrides', () => {
    const crm = recordingCrm();
    const retry = { initialDelayMs: 1, maxDelayMs: 2 };
    createConnector({
      plugin: crm.plugin,
      settings: { account: 'globex' },
      http: { retry, timeoutMs: 1234 },
    });
    expect(crm.connectedWith).toEqual([
      {
        account: 'globex',
        apiToken,
        defaultUser: false,
        alwaysUseAdmin: false,
        abandonedCallTickets: false,
        agentEmailAliases: {},
      },
    ]);
    expect(crm.contexts[0]?.http).toEqual({ retry, timeoutMs: 1234 });
  });

  it('a logger that redacts the settings’ secrets before they reach the platform’s logger', () => {
    const crm = recordingCrm();
    const lines: string[] = [];
    const logger: Logger = { log: (level, message) => lines.push(`${level}: ${message}`) };
    createConnector({ plugin: crm.plugin, settings: {}, logger });
    crm.contexts[0]?.logger.log('warn', `signing in with ${apiToken}`);
    expect(lines).toEqual(['warn: signing in with [REDACTED]']);
  });

  it('an audit sink that redacts what the plugin audits', async () => {
    const crm = recordingCrm();
    const { events } = connectTo(crm);
    await crm.contexts[0]?.audit({
      at: '2026-12-01T10:00:00.000Z',
      interactionId: 'i-1',
      eventType: 'chat.started',
      crm: 'recording',
      operation: 'create-ticket',
      reason: 'connection-failover',
      attempts: 1,
      outcome: 'failed',
      detail: `token ${apiToken} refused`,
    });
    expect(events()[0]?.detail).toBe('token [REDACTED] refused');
  });
});

describe('connector: what the platform gets', () => {
  it('the plugin id, its capabilities for these settings, and a redactor holding the secrets', () => {
    const crm = recordingCrm({ capabilities: { performsAsAgent: true } });
    const { connector } = connectTo(crm);
    expect(connector.pluginId).toBe('recording');
    expect(connector.capabilities).toEqual({ performsAsAgent: true, alwaysUseAdmin: false });
    expect(connector.redactor.redact(`Bearer ${apiToken}`)).toBe('Bearer [REDACTED]');
  });

  it('the live credential check, run by the plugin with the parsed settings', async () => {
    const crm = recordingCrm();
    let checked: unknown;
    crm.plugin.validateCredentials = async (settings, context) => {
      checked = { account: settings.account, sameRedactor: context.redactor };
      return { connectionUser: admin, warnings: ['token expires soon'] };
    };
    const { connector } = connectTo(crm, { account: 'globex' });
    await expect(connector.validateCredentials()).resolves.toEqual({
      connectionUser: admin,
      warnings: ['token expires soon'],
    });
    expect(checked).toEqual({ account: 'globex', sameRedactor: connector.redactor });
  });

  it('works without an audit sink', async () => {
    const crm = recordingCrm();
    const connector = createConnector({ plugin: crm.plugin, settings: { defaultUser: true } });
    await expect(connector.handle(chatStarted)).resolves.toMatchObject({
      outcome: 'created',
      crm: 'recording',
    });
  });

  it('stamps each audit event with the time it was emitted', async () => {
    const crm = recordingCrm();
    const before = Date.now();
    const audit = await connectTo(crm).connector.handle(chatStarted);
    expect(audit.at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(Date.parse(audit.at)).toBeGreaterThanOrEqual(before);
    expect(Date.parse(audit.at)).toBeLessThanOrEqual(Date.now());
  });
});

describe('connector: record links', () => {
  it('are kept in the store the platform passes', async () => {
    const crm = recordingCrm();
    const store = createMemoryRecordLinkStore();
    await connectTo(crm, { defaultUser: true }, { recordLinks: store }).connector.handle(chatStarted);
    await expect(store.get('recording', 'i-1')).resolves.toEqual({
      ticket: { id: 'T-1' },
      createdHere: true,
      ownerSetAt: undefined,
    });
  });

  it('remember when an identified agent was given a record created here', async () => {
    const crm = recordingCrm();
    const store = createMemoryRecordLinkStore();
    const { connector } = connectTo(crm, { defaultUser: true }, { recordLinks: store });
    await connector.handle({ ...chatStarted, agent: platformAgent(alex) });
    await expect(store.get('recording', 'i-1')).resolves.toMatchObject({
      ownerSetAt: Date.parse(chatStarted.occurredAt),
    });
  });
});

describe('connector: agent lookups', () => {
  it('find an agent through a configured alias, which wins over the platform address', async () => {
    const crm = recordingCrm();
    const { connector } = connectTo(crm, {
      defaultUser: true,
      agentEmailAliases: { 'Alex.Old@Platform.test': 'ALEX@acme.test' },
    });
    await connector.handle({
      ...chatStarted,
      agent: { id: 'p-alex', emails: ['alex.old@platform.test', bea.email ?? ''] },
    });
    expect(crm.records.get('i-1')?.owner).toBe(alex.id);
  });

  it('are cached, found or not, and asked again after clearCaches()', async () => {
    const crm = recordingCrm();
    const { connector } = connectTo(crm);
    await connector.handle({ ...chatStarted, agent: platformAgent(alex) });
    await connector.handle({ ...chatStarted, interactionId: 'i-2', agent: platformAgent(alex) });
    expect(crm.count('findUserByEmail')).toBe(1);
    connector.clearCaches();
    await connector.handle({ ...chatStarted, interactionId: 'i-3', agent: platformAgent(alex) });
    expect(crm.count('findUserByEmail')).toBe(2);
  });

  it('are trusted for the configured lifetime only', async () => {
    const crm = recordingCrm();
    const { connector } = connectTo(crm, { defaultUser: true }, { agentCache: { ttlMs: 5 } });
    await connector.handle({ ...chatStarted, agent: platformAgent(alex) });
    await pause(15);
    await connector.handle({ ...chatStarted, interactionId: 'i-2', agent: platformAgent(alex) });
    expect(crm.count('findUserByEmail')).toBe(2);
  });

  it('keep at most the configured number of emails', async () => {
    const crm = recordingCrm();
    const { connector } = connectTo(crm, { defaultUser: true }, { agentCache: { maxEntries: 1 } });
    for (const [interactionId, user] of [
      ['i-1', alex],
      ['i-2', bea],
      ['i-3', alex],
    ] as const) {
      await connector.handle({ ...chatStarted, interactionId, agent: platformAgent(user) });
    }
    expect(crm.count('findUserByEmail')).toBe(3);
  });
});
