import { ConfigurationError, type Logger } from '@crm-connect/core';
import { describe, expect, it } from 'vitest';
import {
  createMemoryWebhookEventStore,
  createSunshineWebhookReceiver,
  type SunshineEvent,
  type SunshineWebhookReceiverOptions,
  type WebhookEventStore,
} from '../../src/messaging/index.js';
import {
  delivery,
  exampleAppId,
  type SunshineExample,
  sunshineExamples,
  webhookSecret,
  withEvent,
} from './sunshine-examples.js';

function setup(options: Partial<SunshineWebhookReceiverOptions> = {}) {
  const events: SunshineEvent[] = [];
  const lines: string[] = [];
  const logger: Logger = {
    log: (level, message, fields) => lines.push(`${level} ${message} ${JSON.stringify(fields)}`),
  };
  const receiver = createSunshineWebhookReceiver({
    secret: webhookSecret,
    logger,
    onEvent: (event) => {
      events.push(event);
    },
    ...options,
  });
  return { receiver, events, lines };
}

const summaryOf = (body: string) => JSON.parse(body) as Record<string, unknown>;

describe('webhook receiver: the spec examples', () => {
  it('conversation:create: 200, and the handler gets the typed event and where it came from', async () => {
    let from: unknown;
    const { receiver, events } = setup({
      onEvent: (event, source) => {
        events.push(event);
        from = source;
      },
    });
    const response = await receiver.receive(delivery(sunshineExamples.conversationCreate));
    expect(response.status).toBe(200);
    expect(summaryOf(response.body)).toEqual({
      processed: 1,
      duplicates: 0,
      unknown: 0,
      invalid: 0,
      failed: 0,
      busy: 0,
    });
    expect(from).toEqual({ appId: exampleAppId, webhookId: '5f4eaef81e3dcc117c7ba48a' });
    const [event] = events;
    if (event?.type !== 'conversation:create')
      throw new Error(`expected conversation:create, got ${event?.type}`);
    expect(event.payload.user).toEqual({
      id: '26508c10541a4b0ff472e5e2',
      externalId: '912382197',
      authenticated: true,
    });
    expect(event.payload.conversation.activeSwitchboardIntegration?.name).toBe('bot');
  });

  it.each(Object.keys(sunshineExamples) as SunshineExample[])(
    '%s is accepted and handed over once',
    async (name) => {
      const { receiver, events } = setup();
      const response = await receiver.receive(delivery(sunshineExamples[name]));
      expect(response.status).toBe(200);
      expect(events.map((event) => event.type)).toEqual([sunshineExamples[name].events[0]?.type]);
    },
  );

  it('fields the schemas do not name are passed through untouched', async () => {
    const { receiver, events } = setup();
    await receiver.receive(delivery(sunshineExamples.conversationMessage));
    const [event] = events;
    if (event?.type !== 'conversation:message') throw new Error('expected conversation:message');
    expect(event.payload.message.author).toMatchObject({ avatarUrl: 'https://s3.amazonaws.com/avatar.jpg' });
    expect(event.payload.message.source).toMatchObject({ originalMessageId: '374', type: 'telegram' });
  });
});

describe('webhook receiver: X-API-Key', () => {
  it.each(['x-api-key', 'X-API-Key', 'X-Api-Key'])('header %s is found whatever its case', async (name) => {
    const { receiver } = setup();
    const request = delivery(sunshineExamples.conversationCreate);
    const response = await receiver.receive({ ...request, headers: { [name]: webhookSecret } });
    expect(response.status).toBe(200);
  });

  it.each([
    ['missing', {}],
    ['wrong', { 'x-api-key': 'Wbk-s3cr3t-0000000000000000000000000000000' }],
    ['wrong and shorter', { 'x-api-key': 'nope' }],
    ['empty', { 'x-api-key': '' }],
    ['the secret with a trailing space', { 'x-api-key': `${webhookSecret} ` }],
    ['sent twice', { 'x-api-key': [webhookSecret, webhookSecret] }],
  ])('%s key: 401, nothing handled, nothing recorded', async (_case, headers) => {
    const store = createMemoryWebhookEventStore();
    const { receiver, events, lines } = setup({ store });
    const response = await receiver.receive({ ...delivery(sunshineExamples.conversationCreate), headers });
    expect(response.status).toBe(401);
    expect(response.body).not.toContain(webhookSecret);
    expect(events).toHaveLength(0);
    expect(store.claim(`${exampleAppId}/5f74a0d52b5315fc007e798a`)).toBe('claimed');
    expect(lines.join('\n')).not.toContain(webhookSecret);
  });

  it('a secret configured with a trailing newline (an env file) still matches the header', async () => {
    const { receiver } = setup({ secret: `${webhookSecret}\n` });
    expect((await receiver.receive(delivery(sunshineExamples.conversationCreate))).status).toBe(200);
  });

  it('a receiver without a secret cannot be created', () => {
    expect(() => setup({ secret: ' ' })).toThrow(ConfigurationError);
  });
});

describe('webhook receiver: bodies that are not v2 payloads', () => {
  it.each([
    ['not JSON', '{"app":'],
    ['a JSON array', '[]'],
    ['no events', JSON.stringify({ app: { id: exampleAppId }, webhook: { id: 'w', version: 'v2' } })],
    ['no app', JSON.stringify({ webhook: { id: 'w', version: 'v2' }, events: [] })],
    ['events not a list', JSON.stringify({ ...sunshineExamples.conversationCreate, events: {} })],
  ])('%s: 400, nothing handled', async (_case, body) => {
    const { receiver, events } = setup();
    const response = await receiver.receive({ ...delivery({}), body });
    expect(response.status).toBe(400);
    expect(events).toHaveLength(0);
  });

  it.each([
    [
      'webhook.version v1.1',
      { ...sunshineExamples.conversationCreate, webhook: { id: 'w', version: 'v1.1' } },
      'v1.1',
    ],
    [
      'webhook.version v1',
      { ...sunshineExamples.conversationCreate, webhook: { id: 'w', version: 'v1' } },
      'v1',
    ],
    [
      'a v1.1 body (trigger, appUser)',
      {
        trigger: 'message:appUser',
        version: 'v1.1',
        app: { _id: exampleAppId },
        appUser: { _id: 'u' },
        messages: [],
      },
      'v1.1',
    ],
  ])('%s: 400 naming the version', async (_case, body, version) => {
    const { receiver, events } = setup();
    const response = await receiver.receive(delivery(body));
    expect(response.status).toBe(400);
    expect(summaryOf(response.body).error).toBe(
      `payload version ${version} is not supported: set the webhook's version to v2`,
    );
    expect(events).toHaveLength(0);
  });

  it('another app or an unknown webhook: 403, nothing handled', async () => {
    const { receiver, events } = setup({ appId: 'another-app' });
    expect((await receiver.receive(delivery(sunshineExamples.conversationCreate))).status).toBe(403);
    const second = setup({ appId: exampleAppId, webhookIds: ['another-webhook'] });
    expect((await second.receiver.receive(delivery(sunshineExamples.conversationCreate))).status).toBe(403);
    expect([...events, ...second.events]).toHaveLength(0);
  });

  it('a body over the limit: 413', async () => {
    const { receiver, events } = setup({ maxBodyBytes: 100 });
    expect((await receiver.receive(delivery(sunshineExamples.conversationCreate))).status).toBe(413);
    expect(events).toHaveLength(0);
  });

  it('a GET: 405', async () => {
    const { receiver } = setup();
    expect(
      (await receiver.receive({ ...delivery(sunshineExamples.conversationCreate), method: 'GET' })).status,
    ).toBe(405);
  });
});

describe('webhook receiver: bodies nested too deep', () => {
  const levels = 200_000;
  const deepArray = `${'['.repeat(levels)}${']'.repeat(levels)}`;
  const deepObject = `${'{"a":'.repeat(levels)}1${'}'.repeat(levels)}`;
  const valid = sunshineExamples.conversationCreate;
  /** The example body with `value` (raw JSON text) in place of one of its fields. */
  const withRaw = (field: 'webhook.version' | 'events' | 'app', value: string) => {
    const marker = '"__deep__"';
    const body =
      field === 'webhook.version'
        ? { ...valid, webhook: { id: valid.webhook.id, version: '__deep__' } }
        : field === 'events'
          ? { ...valid, events: ['__deep__'] }
          : { ...valid, app: '__deep__' };
    return JSON.stringify(body).replace(marker, value);
  };

  it.each([
    ['the whole body, 200,000 arrays deep', deepArray],
    ['the whole body, 200,000 objects deep', deepObject],
    ['webhook.version, 200,000 arrays deep', withRaw('webhook.version', deepArray)],
    ['webhook.version, 200,000 objects deep', withRaw('webhook.version', deepObject)],
    ['an event, 200,000 arrays deep', withRaw('events', deepArray)],
    ['an event, 200,000 objects deep', withRaw('events', deepObject)],
    ['app, 200,000 objects deep', withRaw('app', deepObject)],
  ])('%s: a typed 400, never an exception, nothing handled', async (_case, body) => {
    const { receiver, events } = setup({ maxBodyBytes: 4 * 1024 * 1024 });
    const response = await receiver.receive({ ...delivery({}), body });
    expect(response.status).toBe(400);
    expect(summaryOf(response.body)).toMatchObject({ code: 'body_too_deep' });
    expect(events).toHaveLength(0);
  });

  it('the same bodies as bytes: a typed 400 too', async () => {
    const { receiver } = setup({ maxBodyBytes: 4 * 1024 * 1024 });
    const body = new TextEncoder().encode(withRaw('webhook.version', deepObject));
    const response = await receiver.receive({ ...delivery({}), body });
    expect(response.status).toBe(400);
    expect(summaryOf(response.body)).toMatchObject({ code: 'body_too_deep' });
  });

  it('brackets inside strings do not count; nesting up to maxJsonDepth is accepted', async () => {
    const { receiver, events } = setup({ maxJsonDepth: 8 });
    const body = withEvent('conversationCreate', {
      payload: {
        ...sunshineExamples.conversationCreate.events[0]?.payload,
        // body, events, event, payload, conversation, metadata, nested, deeper: 8 levels.
        conversation: {
          ...sunshineExamples.conversationCreate.events[0]?.payload.conversation,
          metadata: { lang: '[[[[{{{{"\\"[[', nested: { deeper: ['x'] } },
        },
      },
    });
    expect(JSON.stringify(body)).toContain('\\"[[');
    const response = await receiver.receive(delivery(body));
    expect(response.status).toBe(200);
    expect(events).toHaveLength(1);
    const tooDeep = setup({ maxJsonDepth: 7 });
    expect((await tooDeep.receiver.receive(delivery(body))).status).toBe(400);
  });

  it('a receiver that cannot bound the depth cannot be created', () => {
    expect(() => setup({ maxJsonDepth: 0 })).toThrow(ConfigurationError);
  });
});

describe('webhook receiver: events', () => {
  it('several events in one request are all handled, in their order', async () => {
    const { receiver, events } = setup();
    const body = {
      ...sunshineExamples.conversationCreate,
      events: [
        withEvent('conversationCreate', { id: 'evt-1' }).events[0],
        withEvent('conversationMessage', { id: 'evt-2' }).events[0],
        withEvent('releaseControl', { id: 'evt-3' }).events[0],
      ],
    };
    const response = await receiver.receive(delivery(body));
    expect(summaryOf(response.body)).toMatchObject({ processed: 3 });
    expect(events.map((event) => `${event.id} ${event.type}`)).toEqual([
      'evt-1 conversation:create',
      'evt-2 conversation:message',
      'evt-3 switchboard:releaseControl',
    ]);
  });

  it('a replayed event id is handled once; the replay is acknowledged as a duplicate', async () => {
    const { receiver, events } = setup();
    const first = await receiver.receive(delivery(sunshineExamples.conversationCreate));
    const replay = await receiver.receive(delivery(sunshineExamples.conversationCreate));
    expect(first.status).toBe(200);
    expect(replay.status).toBe(200);
    expect(summaryOf(replay.body)).toMatchObject({ processed: 0, duplicates: 1 });
    expect(events).toHaveLength(1);
  });

  it('an unknown event type is reported and acknowledged, never handled as another type', async () => {
    const unknown: unknown[] = [];
    const { receiver, events, lines } = setup({ onUnknownEvent: (event) => unknown.push(event) });
    const body = withEvent('conversationCreate', { id: 'evt-9', type: 'participant:join' });
    const response = await receiver.receive(delivery(body));
    expect(response.status).toBe(200);
    expect(summaryOf(response.body)).toMatchObject({ processed: 0, unknown: 1 });
    expect(events).toHaveLength(0);
    expect(unknown).toEqual([expect.objectContaining({ id: 'evt-9', type: 'participant:join' })]);
    expect(lines.some((line) => line.startsWith('warn') && line.includes('participant:join'))).toBe(true);
  });

  it('an event of a known type that breaks the spec is skipped and reported; the others are handled', async () => {
    const { receiver, events, lines } = setup();
    const broken = withEvent('conversationCreate', { id: 'evt-bad', payload: { user: { id: 'u' } } })
      .events[0];
    const noId = { type: 'conversation:create', payload: {} };
    const good = withEvent('conversationMessage', { id: 'evt-good' }).events[0];
    const response = await receiver.receive(
      delivery({ ...sunshineExamples.conversationCreate, events: [broken, noId, good] }),
    );
    expect(response.status).toBe(200);
    expect(summaryOf(response.body)).toMatchObject({ processed: 1, invalid: 2 });
    expect(events.map((event) => event.id)).toEqual(['evt-good']);
    expect(lines.some((line) => line.includes('evt-bad') && line.includes('payload.conversation'))).toBe(
      true,
    );
  });

  it('a failed handler: 500, the event is not recorded, and the redelivery handles it (the others once only)', async () => {
    let failures = 1;
    const handled: string[] = [];
    const { receiver, lines } = setup({
      onEvent: (event) => {
        if (event.id === 'evt-2' && failures-- > 0) throw new Error(`CRM down (key ${webhookSecret})`);
        handled.push(event.id);
      },
    });
    const body = {
      ...sunshineExamples.conversationCreate,
      events: [
        withEvent('conversationCreate', { id: 'evt-1' }).events[0],
        withEvent('conversationMessage', { id: 'evt-2' }).events[0],
        withEvent('passControl', { id: 'evt-3' }).events[0],
      ],
    };
    const first = await receiver.receive(delivery(body));
    expect(first.status).toBe(500);
    expect(summaryOf(first.body)).toMatchObject({ processed: 2, failed: 1 });
    expect(lines.join('\n')).toContain('CRM down (key [REDACTED])');
    const redelivery = await receiver.receive(delivery(body));
    expect(redelivery.status).toBe(200);
    expect(summaryOf(redelivery.body)).toMatchObject({ processed: 1, duplicates: 2 });
    expect(handled).toEqual(['evt-1', 'evt-3', 'evt-2']);
  });

  it('a redelivery while the first is still being handled: 503, then a duplicate once it is done', async () => {
    let finish: () => void = () => {};
    const calls: string[] = [];
    const { receiver } = setup({
      onEvent: (event) => {
        calls.push(event.id);
        return new Promise<void>((resolve) => {
          finish = resolve;
        });
      },
    });
    const first = receiver.receive(delivery(sunshineExamples.conversationCreate));
    await new Promise((resolve) => setImmediate(resolve));
    const concurrent = await receiver.receive(delivery(sunshineExamples.conversationCreate));
    expect(concurrent.status).toBe(503);
    finish();
    expect((await first).status).toBe(200);
    const later = await receiver.receive(delivery(sunshineExamples.conversationCreate));
    expect(summaryOf(later.body)).toMatchObject({ duplicates: 1 });
    expect(calls).toHaveLength(1);
  });

  it('uses the store it is given: claim before handing over, complete after success, release after failure', async () => {
    const calls: string[] = [];
    const memory = createMemoryWebhookEventStore();
    const store: WebhookEventStore = {
      claim: (id) => {
        calls.push(`claim ${id}`);
        return memory.claim(id);
      },
      complete: (id) => {
        calls.push(`complete ${id}`);
        return memory.complete(id);
      },
      release: (id) => {
        calls.push(`release ${id}`);
        return memory.release(id);
      },
    };
    let fail = true;
    const { receiver } = setup({
      store,
      onEvent: (event) => {
        calls.push(`handle ${event.id}`);
        if (fail) throw new Error('no');
      },
    });
    await receiver.receive(delivery(sunshineExamples.releaseControl));
    fail = false;
    await receiver.receive(delivery(sunshineExamples.releaseControl));
    const key = `${exampleAppId}/5f74a0d52b5315fc007e798a`;
    expect(calls).toEqual([
      `claim ${key}`,
      'handle 5f74a0d52b5315fc007e798a',
      `release ${key}`,
      `claim ${key}`,
      'handle 5f74a0d52b5315fc007e798a',
      `complete ${key}`,
    ]);
  });
});

describe('in-memory event store', () => {
  it('remembers at most maxEntries ids, the oldest going first', () => {
    const store = createMemoryWebhookEventStore(2);
    for (const id of ['a', 'b', 'c']) {
      expect(store.claim(id)).toBe('claimed');
      store.complete(id);
    }
    expect(store.claim('c')).toBe('processed');
    expect(store.claim('b')).toBe('processed');
    expect(store.claim('a')).toBe('claimed');
  });

  it('a claim in progress reads as processing; a released one can be claimed again', () => {
    const store = createMemoryWebhookEventStore();
    expect(store.claim('a')).toBe('claimed');
    expect(store.claim('a')).toBe('processing');
    store.release('a');
    expect(store.claim('a')).toBe('claimed');
  });
});
