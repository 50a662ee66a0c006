import {
  createSunshineWebhookReceiver,
  type SunshineEvent,
  type WebhookRequest,
  type WebhookResponse,
} from '@crm-connect/zendesk/messaging';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
// The receiver's own event schema: what "passed validation" means for an event handed to `onEvent`.
import { sunshineEventSchema } from '../../plugins/zendesk/src/messaging/webhook-events.js';
import {
  adversarialString,
  adversarialValue,
  assertPrototypeClean,
  hugeString,
  mutated,
  ownObject,
  runs,
  toJson,
} from './arbitraries.js';

/**
 * The Sunshine Conversations webhook receiver, fed deliveries an attacker or a misconfigured
 * integration could send: right and wrong keys, arbitrary and truncated JSON, huge arrays, v1
 * payloads, spec-shaped events with mutated fields, and the same event ids again and again. It
 * always answers with a status of its documented contract, hands over only events that passed
 * validation, and never handles one event id twice.
 */

const secret = 'Wbk-s3cr3t-0123456789abcdefghijklmn';
const appId = '5ebee0975ac5304b664a12fa';
const webhookId = '5f4eaef81e3dcc117c7ba48a';
const maxBodyBytes = 1_048_576;

/** The statuses of the receiver's contract for POST requests (its doc comment). */
const contractStatuses = [200, 400, 401, 403, 413, 500, 503];

/** A few ids, so that deliveries and events repeat them; `fail-…` ids make the handler fail. */
const eventId = fc.constantFrom('evt-1', 'evt-2', 'evt-3', 'fail-1', '5f74a0d52b5315fc007e798a');

const conversation = {
  id: 'f52b01137aa6c250bc7251fa',
  type: 'personal',
  metadata: { lang: 'en-ca' },
  activeSwitchboardIntegration: { id: '5eec', name: 'bot', integrationId: '5f11', integrationType: 'custom' },
};

/** A payload of the spec's shape for each kind of event the receiver reads, and two it does not. */
const payloads: Readonly<Record<string, Record<string, unknown>>> = {
  'conversation:create': {
    conversation,
    user: { id: '26508c10541a4b0ff472e5e2', externalId: '912382197', authenticated: true },
    creationReason: 'prechatCapture',
    source: { type: 'web', integrationId: '5ecff63ffc3ab25f4561c8a0' },
  },
  'conversation:message': {
    conversation,
    message: {
      id: '5f74c7d84a146f3abd72af1d',
      received: '2020-09-30T18:00:56.820Z',
      author: {
        type: 'user',
        userId: 'u1',
        displayName: 'Jane',
        user: { id: 'u1', profile: { email: 'jane@example.com' } },
      },
      content: { type: 'text', text: 'Hello' },
      source: { type: 'web', integrationId: '5ecff63ffc3ab25f4561c8a0' },
    },
  },
  'switchboard:passControl': { conversation, metadata: { first_message_id: 'm1' }, reason: 'ticketClosed' },
  'switchboard:acceptControl:failure': {
    conversation,
    error: { code: 'switchboard_invalid_target', message: 'no such integration' },
  },
  'conversation:typing': { conversation, user: { id: 'u1' } },
  'custom:unlisted': { anything: 1 },
};
const eventTypes = Object.keys(payloads);

const specEvent: fc.Arbitrary<Record<string, unknown>> = fc
  .tuple(eventId, fc.constantFrom(...eventTypes))
  .map(([id, type]) => ({ id, createdAt: '2020-09-30T15:14:29.834Z', type, payload: payloads[type] }));

const payloadVariants = {
  conversation: fc.constantFrom(
    {},
    { id: '' },
    { id: 42 },
    { id: 'c1', type: 'group' },
    { id: 'c1', metadata: [] },
    { id: 'c1', activeSwitchboardIntegration: 'bot' },
    ownObject([
      ['id', 'c1'],
      ['__proto__', { polluted: 'yes' }],
    ]),
  ),
  message: fc.constantFrom(
    {},
    { author: { type: 'bot' } },
    { content: {} },
    { source: {} },
    { content: { type: 'text', text: 'x'.repeat(100_000) } },
  ),
  user: fc.constantFrom(null, { profile: { email: 5 } }, { authenticated: 'yes' }),
  creationReason: fc.constantFrom('other', 'message', ''),
  reason: fc.constantFrom('other', 'transferToEmail'),
  metadata: fc.constantFrom([], 'x', null, ownObject([['__proto__', { polluted: 'yes' }]])),
  error: fc.constantFrom('x', { code: 5 }),
};

/** A spec-shaped event, or one with mutated envelope or payload fields. */
const event: fc.Arbitrary<unknown> = fc.oneof(
  { arbitrary: specEvent, weight: 3 },
  {
    arbitrary: mutated(specEvent, {
      id: fc.oneof(eventId, fc.constantFrom('', 'x'.repeat(129), 42, null)),
      type: fc.constantFrom(
        ...eventTypes,
        '',
        'x'.repeat(201),
        'Conversation:Create',
        'toString',
        '__proto__',
        7,
      ),
      createdAt: fc.constantFrom(7, null, 'yesterday'),
      payload: fc.oneof(
        mutated(fc.constantFrom(...Object.values(payloads)), payloadVariants),
        adversarialValue,
      ),
    }),
    weight: 3,
  },
  { arbitrary: adversarialValue, weight: 1 },
);

const validBody = fc
  .array(specEvent, { minLength: 1, maxLength: 4 })
  .map((events) => ({ app: { id: appId }, webhook: { id: webhookId, version: 'v2' }, events }));

/** A body of the v2 shape, a v1 one, a mutated one, a huge one, or anything at all. */
const body: fc.Arbitrary<unknown> = fc.oneof(
  { arbitrary: validBody, weight: 3 },
  {
    // Another app or webhook: refused when the receiver serves one app and webhook only.
    arbitrary: fc
      .tuple(validBody, fc.constantFrom('app', 'webhook'))
      .map(([valid, which]) =>
        which === 'app'
          ? { ...valid, app: { id: 'another-app' } }
          : { ...valid, webhook: { id: 'another-webhook', version: 'v2' } },
      ),
    weight: 1,
  },
  {
    arbitrary: mutated(validBody, {
      app: fc.constantFrom({}, { id: '' }, { id: 5 }, { id: 'another-app' }, 'app'),
      webhook: fc.constantFrom(
        { id: webhookId, version: 'v1' },
        { id: webhookId, version: 'v1.1' },
        { id: webhookId },
        { id: webhookId, version: ownObject([['toString', 1]]) },
        { id: webhookId, version: null },
        { id: 'another-webhook', version: 'v2' },
        { version: 'v2' },
      ),
      events: fc.oneof(fc.array(event, { maxLength: 6 }), fc.constantFrom([], 'events', null, {})),
      trigger: fc.constantFrom('message:appUser', 'conversation:start'),
      appUser: fc.constantFrom({}, { _id: 'u1' }),
      version: fc.constantFrom('v1.1', 'v1', 2),
    }),
    weight: 4,
  },
  {
    // Thousands of events, most of them repeating ids: a few exceed the body limit.
    arbitrary: fc.tuple(specEvent, fc.integer({ min: 100, max: 5_000 })).map(([one, count]) => ({
      app: { id: appId },
      webhook: { id: webhookId, version: 'v2' },
      events: Array.from({ length: count }, (_, index) => ({ ...one, id: `bulk-${index % 50}` })),
    })),
    weight: 2,
  },
  { arbitrary: adversarialValue, weight: 1 },
);

/** How the body travels: JSON text, truncated JSON, bytes, bytes that are not UTF-8, or any text. */
const rawBody: fc.Arbitrary<string | Uint8Array> = fc.oneof(
  { arbitrary: body.map(toJson), weight: 6 },
  {
    arbitrary: fc
      .tuple(body.map(toJson), fc.double({ min: 0, max: 1, noNaN: true }))
      .map(([json, share]) => json.slice(0, Math.floor(json.length * share))),
    weight: 1,
  },
  { arbitrary: body.map((value) => new TextEncoder().encode(toJson(value))), weight: 1 },
  {
    arbitrary: body.map((value) => {
      const json = new TextEncoder().encode(toJson(value));
      return Uint8Array.from([...json.subarray(0, 20), 0xff, 0xfe, 0xc3, ...json.subarray(20)]);
    }),
    weight: 1,
  },
  { arbitrary: fc.oneof(adversarialString, hugeString), weight: 1 },
);

const keyHeader: fc.Arbitrary<WebhookRequest['headers']> = fc.oneof(
  {
    arbitrary: fc.constantFrom('x-api-key', 'X-API-Key', 'X-Api-Key').map((name) => ({ [name]: secret })),
    weight: 6,
  },
  {
    arbitrary: fc.oneof(
      fc.constant({}),
      fc.constantFrom(
        { 'x-api-key': '' },
        { 'x-api-key': `${secret} ` },
        { 'x-api-key': secret.toUpperCase() },
        { 'x-api-key': [secret, secret] },
        { 'x-api-key': [secret] },
        { 'x-api-key': undefined },
        { authorization: `Bearer ${secret}` },
        // The key hidden in an own `__proto__` header (as a JSON-parsed header map would hold it).
        ownObject([['__proto__', { 'x-api-key': secret }]]) as unknown as WebhookRequest['headers'],
      ),
      adversarialString.map((value) => ({ 'x-api-key': value })),
    ),
    weight: 2,
  },
);

const request: fc.Arbitrary<WebhookRequest> = fc.record({
  method: fc.oneof(
    { arbitrary: fc.constantFrom('POST', 'post', undefined), weight: 9 },
    { arbitrary: fc.constantFrom('GET', 'PUT', ''), weight: 1 },
  ),
  headers: keyHeader,
  body: rawBody,
});

/** A receiver whose handler records what it succeeded on; events with `fail-` ids make it fail. */
function recordingReceiver(scope: {
  appId?: string | undefined;
  webhookIds?: readonly string[] | undefined;
}) {
  const handled: { key: string; event: SunshineEvent }[] = [];
  const receiver = createSunshineWebhookReceiver({
    secret,
    ...scope,
    onEvent: async (received, delivery) => {
      // Yield, so concurrent deliveries of one event overlap.
      await new Promise((resolve) => setImmediate(resolve));
      if (received.id.startsWith('fail-')) throw new Error('the platform is down');
      handled.push({ key: `${delivery.appId}/${received.id}`, event: received });
    },
  });
  return { receiver, handled };
}

/** Receives, turning a rejection (which the contract forbids) into a failed check with its reason. */
async function receiveSafely(
  receiver: { receive(request: WebhookRequest): Promise<WebhookResponse> },
  delivery: WebhookRequest,
) {
  try {
    return await receiver.receive(delivery);
  } catch (error) {
    throw new Error(
      `receive threw instead of answering: ${error instanceof Error ? error.stack : String(error)}`,
    );
  }
}

function keyIsRight(headers: WebhookRequest['headers']): boolean {
  const entries = Object.entries(headers).filter(([name]) => name.toLowerCase() === 'x-api-key');
  const value = entries[0]?.[1];
  return (
    entries.length === 1 &&
    (value === secret || (Array.isArray(value) && value.length === 1 && value[0] === secret))
  );
}

const byteLength = (raw: string | Uint8Array) =>
  typeof raw === 'string' ? Buffer.byteLength(raw) : raw.byteLength;

describe('sunshine webhook receiver: any delivery', () => {
  it('answers with a contract status, never throws, hands over only valid events, never handles an id twice', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(request, { minLength: 1, maxLength: 4 }),
        fc.record({
          appId: fc.constantFrom(undefined, appId),
          webhookIds: fc.constantFrom(undefined, [webhookId]),
        }),
        fc.boolean(),
        async (deliveries, scope, concurrently) => {
          const { receiver, handled } = recordingReceiver(scope);
          const send = (delivery: WebhookRequest) => receiveSafely(receiver, delivery);
          const responses: WebhookResponse[] = [];
          if (concurrently) responses.push(...(await Promise.all(deliveries.map(send))));
          else for (const delivery of deliveries) responses.push(await send(delivery));

          for (const [index, response] of responses.entries()) {
            const delivery = deliveries[index] as WebhookRequest;
            const post = (delivery.method ?? 'POST').toUpperCase() === 'POST';
            if (!post) {
              expect(response.status).toBe(405);
              continue;
            }
            expect(contractStatuses).toContain(response.status);
            if (!keyIsRight(delivery.headers)) expect(response.status).toBe(401);
            else if (byteLength(delivery.body) > maxBodyBytes) expect(response.status).toBe(413);
            expect(() => JSON.parse(response.body)).not.toThrow();
            expect(response.body).not.toContain(secret);
          }
          for (const { event: received } of handled) {
            expect(
              sunshineEventSchema.safeParse(received).success,
              `handed over unvalidated: ${toJson(received)}`,
            ).toBe(true);
          }
          const keys = handled.map(({ key }) => key);
          expect(keys, 'an event id was handled twice').toEqual([...new Set(keys)]);
          assertPrototypeClean();
        },
      ),
      { ...runs, numRuns: 200 },
    );
  });

  it('sequential deliveries: the summary counts exactly the events the handler completed', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(validBody.map(toJson), { minLength: 1, maxLength: 4 }), async (bodies) => {
        const { receiver, handled } = recordingReceiver({});
        for (const text of bodies) {
          const before = handled.length;
          const response = await receiveSafely(receiver, { headers: { 'x-api-key': secret }, body: text });
          const summary = JSON.parse(response.body) as { processed: number; failed: number };
          expect(summary.processed).toBe(handled.length - before);
          expect(response.status).toBe(summary.failed > 0 ? 500 : 200);
        }
      }),
      runs,
    );
  });
});
