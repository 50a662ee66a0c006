import {
  createConnector,
  createRateBudgetRegistry,
  type InteractionEvent,
  type RecordLinkStore,
} from '@crm-connect/core';
import { createZendeskSandbox, type ZendeskSandbox, zendeskSandboxSettings } from '@crm-connect/sandbox';
import { zendesk } from '@crm-connect/zendesk';
import {
  type ConversationStore,
  createMessagingInteractions,
  createSunshineWebhookReceiver,
  type OpenInteraction,
  type WebhookEventStore,
} from '@crm-connect/zendesk/messaging';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  createRedisClaimStore,
  createRedisJsonStore,
  createRedisRecordLinkStore,
  type RedisClaimStore,
  type RedisJsonStore,
} from '../../packages/redis/src/index.js';
import { describeWithRedis } from '../../packages/redis/test/support/redis-test.js';
import {
  delivery,
  sunshineExamples,
  webhookSecret,
  withEvent,
} from '../../plugins/zendesk/test/messaging/sunshine-examples.js';

/**
 * @crm-connect/redis imports no plugin, so it implements the Zendesk messaging stores by shape.
 * These assignments are the check: `tsc --build` fails if either side's shape drifts.
 */
const asWebhookEventStore = (store: RedisClaimStore): WebhookEventStore => store;
const asConversationStore = (store: RedisJsonStore<OpenInteraction>): ConversationStore => store;
const asRecordLinkStore = (store: ReturnType<typeof createRedisRecordLinkStore>): RecordLinkStore => store;

const conversationId = 'f52b01137aa6c250bc7251fa';

describeWithRedis('Redis stores plugged into the Zendesk messaging receiver', (redis) => {
  /** One worker process: its own Redis client, receiver and mapping, sharing the stores' keys. */
  async function worker(prefix: string, handled: InteractionEvent[], handleMs = 0) {
    const client = await redis.client();
    const mapping = createMessagingInteractions({
      conversations: asConversationStore(
        createRedisJsonStore<OpenInteraction>({ redis: client, prefix, name: 'sunshine-conversation' }),
      ),
      onInteraction: async (event) => {
        await new Promise((resolve) => setTimeout(resolve, handleMs));
        handled.push(event);
      },
    });
    return createSunshineWebhookReceiver({
      secret: webhookSecret,
      store: asWebhookEventStore(createRedisClaimStore({ redis: client, prefix, name: 'sunshine-event' })),
      onEvent: async (event) => {
        await mapping.handle(event);
      },
    });
  }

  it('a delivery received by two processes at once is handled once', async () => {
    const prefix = redis.prefix();
    const handled: InteractionEvent[] = [];
    const [first, second] = await Promise.all([worker(prefix, handled, 100), worker(prefix, handled, 100)]);
    const body = withEvent('conversationCreate', { id: 'evt-open' });
    const responses = await Promise.all([first.receive(delivery(body)), second.receive(delivery(body))]);
    // One handles it; the other answers 503, so Sunshine delivers again later.
    expect(responses.map((response) => response.status).sort()).toEqual([200, 503]);
    expect(handled).toHaveLength(1);
    // The redelivery, to either process, is a duplicate.
    const again = await second.receive(delivery(body));
    expect(again.status).toBe(200);
    expect(JSON.parse(again.body)).toMatchObject({ duplicates: 1, processed: 0 });
    expect(handled).toHaveLength(1);
  });

  it('one process opens the conversation, another ends the same interaction', async () => {
    const prefix = redis.prefix();
    const handled: InteractionEvent[] = [];
    const [first, second] = await Promise.all([worker(prefix, handled), worker(prefix, handled)]);
    await first.receive(delivery(withEvent('conversationCreate', { id: 'evt-open' })));
    await second.receive(delivery(withEvent('releaseControl', { id: 'evt-release' })));
    expect(handled.map((event) => [event.type, event.interactionId])).toEqual([
      ['chat.started', `sunco:${conversationId}:evt-open`],
      ['interaction.ended', `sunco:${conversationId}:evt-open`],
    ]);
  });

  it('offers the atomic open the mapping needs across processes: one of two racing first messages wins', async () => {
    const prefix = redis.prefix();
    const stores = await Promise.all(
      [0, 1].map(async () =>
        createRedisJsonStore<OpenInteraction>({
          redis: await redis.client(),
          prefix,
          name: 'sunshine-conversation',
        }),
      ),
    );
    const candidate = (eventId: string): OpenInteraction => ({
      interactionId: `sunco:${conversationId}:${eventId}`,
      channel: 'messaging',
      endUser: { externalId: '912382197', verified: true },
    });
    const [a, b] = await Promise.all([
      stores[0]!.setIfAbsent(conversationId, candidate('evt-a')),
      stores[1]!.setIfAbsent(conversationId, candidate('evt-b')),
    ]);
    expect([a.stored, b.stored].sort()).toEqual([false, true]);
    expect(a.value).toEqual(b.value);
    // Closing compares what was opened: a stale close of another interaction leaves it open.
    expect(await stores[0]!.deleteIf(conversationId, candidate('evt-other'))).toBe(false);
    expect(await stores[1]!.deleteIf(conversationId, a.value)).toBe(true);
  });

  it('the record-link store is core’s RecordLinkStore', async () => {
    const store = asRecordLinkStore(
      createRedisRecordLinkStore({ redis: await redis.client(), prefix: redis.prefix() }),
    );
    await store.set('zendesk', 'i', { ticket: { id: '1' }, createdHere: true });
    expect(await store.get('zendesk', 'i')).toEqual({ ticket: { id: '1' }, createdHere: true });
  });

  describe('into the Zendesk sandbox', () => {
    let sandbox: ZendeskSandbox;
    beforeEach(async () => {
      sandbox = createZendeskSandbox();
      await sandbox.start();
    });
    afterEach(async () => {
      await sandbox.stop();
    });

    /** A worker process as a platform runs one: its own Redis client, stores, connector, mapping and receiver. */
    async function platformWorker(prefix: string) {
      const client = await redis.client();
      const connector = createConnector({
        plugin: zendesk(),
        settings: { ...zendeskSandboxSettings(sandbox), defaultUser: true },
        recordLinks: createRedisRecordLinkStore({ redis: client, prefix }),
        rateBudgets: createRateBudgetRegistry(),
        http: { retry: { initialDelayMs: 1, maxDelayMs: 5 }, timeoutMs: 5_000 },
      });
      const mapping = createMessagingInteractions({
        conversations: createRedisJsonStore<OpenInteraction>({
          redis: client,
          prefix,
          name: 'sunshine-conversation',
        }),
        onInteraction: (event) => connector.handle(event),
      });
      const receiver = createSunshineWebhookReceiver({
        secret: webhookSecret,
        store: createRedisClaimStore({ redis: client, prefix, name: 'sunshine-event' }),
        onEvent: async (event) => {
          await mapping.handle(event);
        },
      });
      return (body: unknown) => receiver.receive(delivery(body));
    }

    it('the conversation start received by two processes at once: one ticket', async () => {
      const prefix = redis.prefix();
      const [first, second] = await Promise.all([platformWorker(prefix), platformWorker(prefix)]);
      const responses = await Promise.all([
        first(sunshineExamples.conversationCreate),
        second(sunshineExamples.conversationCreate),
      ]);
      // One opens the ticket; the other is told to deliver again later, and then finds it handled.
      expect(responses.map((response) => response.status).sort()).toEqual([200, 503]);
      expect((await second(sunshineExamples.conversationCreate)).status).toBe(200);
      expect(sandbox.store.tickets.count()).toBe(1);
    });

    it('the conversation:create and the first message, received by two processes at once: one ticket', async () => {
      const prefix = redis.prefix();
      const [first, second] = await Promise.all([platformWorker(prefix), platformWorker(prefix)]);
      const responses = await Promise.all([
        first(withEvent('conversationCreate', { id: 'evt-create' })),
        second(withEvent('conversationMessage', { id: 'evt-message' })),
      ]);
      expect(responses.map((response) => response.status)).toEqual([200, 200]);
      expect(sandbox.store.tickets.count()).toBe(1);
    });
  });
});
