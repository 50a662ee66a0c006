import {
  createConnector,
  createMemoryAuditSink,
  createRateBudgetRegistry,
  InvalidInputError,
  isCrmConnectError,
  parseInteractionEvent,
} from '@crm-connect/core';
import { zendesk } from '@crm-connect/zendesk';
import fc from 'fast-check';
import nock from 'nock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  adversarialString,
  adversarialValue,
  assertPrototypeClean,
  hugeString,
  mutated,
  ownObject,
  runs,
} from './arbitraries.js';

/**
 * Every interaction event type, valid and adversarial: parsing gives a valid event or an
 * `InvalidInputError`, and a connector handed an invalid event sends nothing to the CRM.
 */

const eventTypes = [
  'chat.started',
  'voicemail.received',
  'call.abandoned',
  'agent.assigned',
  'interaction.ended',
];
const channels = ['chat', 'messaging', 'sms', 'email', 'voice', 'social'];

const interactionId = fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._:@-]{0,40}$/);
const timestamp = fc
  .date({ min: new Date('2000-01-01T00:00:00Z'), max: new Date('2100-01-01T00:00:00Z'), noInvalidDate: true })
  .map((date) => date.toISOString());
const agentEmail = fc.constantFrom('agent@acme.com', 'Agent.Two@Example.org', 'a+b@sub.acme.co');
const endUser = fc
  .record(
    {
      name: fc.constantFrom('Jane Doe', 'Renée Ø', 'ج'),
      email: fc.constantFrom('jane@example.com', 'JANE.DOE@Example.com'),
      phone: fc.constantFrom('+15555550100', '+442071838750'),
      externalId: fc.constantFrom('cust-42', '912382197'),
    },
    { requiredKeys: [] },
  )
  .filter((user) => Object.keys(user).length > 0);
const agent = fc.record({
  id: fc.constantFrom('platform-agent-7', 'a1'),
  emails: fc.array(agentEmail, { minLength: 1, maxLength: 3 }),
});

/** A valid event of any type, with the optional fields of its type sometimes present. */
const validEvent: fc.Arbitrary<Record<string, unknown>> = fc
  .record({
    type: fc.constantFrom(...eventTypes),
    interactionId,
    channel: fc.constantFrom(...channels),
    occurredAt: timestamp,
    endUser,
    agent: fc.option(agent, { nil: undefined }),
    text: fc.option(fc.string({ maxLength: 200 }), { nil: undefined }),
    seconds: fc.option(fc.nat({ max: 86_400 }), { nil: undefined }),
  })
  .map(({ type, agent: assigned, text, seconds, ...base }) => {
    const event: Record<string, unknown> = { type, ...base };
    if (assigned !== undefined || type === 'agent.assigned')
      event.agent = assigned ?? { id: 'a1', emails: ['agent@acme.com'] };
    if (type === 'chat.started' && text !== undefined) event.firstMessage = text;
    if (type === 'voicemail.received')
      Object.assign(event, {
        transcription: text,
        durationSeconds: seconds,
        recordingUrl: 'https://rec.example/1.mp3',
      });
    if (type === 'call.abandoned' && seconds !== undefined) event.waitSeconds = seconds;
    if (type === 'interaction.ended')
      Object.assign(event, { transcript: text, notes: text, disposition: 'resolved' });
    return ownObject(Object.entries(event).filter(([, value]) => value !== undefined));
  });

const endUserVariants = {
  name: fc.constantFrom('', '   ', 'x'.repeat(256), '\u200F\u202E'),
  email: fc.constantFrom(
    'not-an-email',
    'jane@',
    'JANE@EXAMPLE.COM',
    `${'a'.repeat(250)}@x.co`,
    'jane@exa mple.com',
  ),
  phone: fc.constantFrom('5555550100', '+0555', '+1555555010012345', '+1 555 555 0100', '＋15555550100'),
  externalId: fc.oneof(
    fc.constantFrom('', ' ', 'x'.repeat(256), 'cust-\uD83D', '\uDE00cust'),
    adversarialString,
  ),
};

/** Fields of every event type with values close to valid: other ids, times without a zone, out-of-range numbers. */
const eventVariants = {
  type: fc.constantFrom(
    ...eventTypes,
    'Chat.Started',
    'chat.started ',
    '',
    'constructor',
    '__proto__',
    'toString',
  ),
  interactionId: fc.oneof(
    interactionId,
    fc.constantFrom(
      '',
      '-starts-with-dash',
      'has space',
      'has/slash',
      'x'.repeat(129),
      'ab\u0000',
      'é',
      '__proto__',
    ),
  ),
  channel: fc.constantFrom(...channels, 'Chat', 'phone', ''),
  occurredAt: fc.constantFrom(
    '2026-11-21T10:00:00',
    '2026-13-01T00:00:00Z',
    '2026-11-21',
    'yesterday',
    '2026-11-21T10:00:00+25:00',
  ),
  startedAt: fc.constantFrom('2026-11-21T09:59:00Z', '2026-11-21T09:59:00+02:00', '', 0),
  endUser: fc.oneof(
    mutated(endUser, endUserVariants),
    fc.constantFrom({}, ownObject([['__proto__', { email: 'jane@example.com' }]])),
  ),
  agent: fc.oneof(
    agent,
    fc.constantFrom(
      { id: '', emails: ['agent@acme.com'] },
      { id: 'a1', emails: [] },
      { id: 'a1', emails: Array.from({ length: 11 }, (_, index) => `agent${index}@acme.com`) },
      { id: 'a1', emails: ['not-an-email'] },
      { id: 'a1', emails: 'agent@acme.com' },
    ),
  ),
  firstMessage: fc.oneof(adversarialString, hugeString),
  subject: fc.constantFrom('', ' ', 'x'.repeat(256), 'Order #123'),
  transcription: hugeString,
  transcript: hugeString,
  notes: hugeString,
  disposition: fc.constantFrom('', 'x'.repeat(256), 'resolved'),
  recordingUrl: fc.constantFrom(
    'http://rec.example/1.mp3',
    'javascript:alert(1)',
    'https://',
    'rec.example/1.mp3',
  ),
  durationSeconds: fc.constantFrom(-1, 0, 86_400, 86_401, 1.5, '42', Number.NaN),
  waitSeconds: fc.constantFrom(-1, 0, 86_401, 2.5, '95'),
};

/** Anything at all, or a valid event with up to four fields made adversarial. */
const eventInput: fc.Arbitrary<unknown> = fc.oneof(
  { arbitrary: adversarialValue, weight: 1 },
  { arbitrary: mutated(validEvent, eventVariants), weight: 6 },
);

/** Parses, or returns the error it threw. */
function tryParse(input: unknown): { event: unknown } | { error: unknown } {
  try {
    return { event: parseInteractionEvent(input) };
  } catch (error) {
    return { error };
  }
}

describe('interaction events: parseInteractionEvent', () => {
  it('every valid event parses, and parses again to itself', () => {
    fc.assert(
      fc.property(validEvent, (input) => {
        const event = parseInteractionEvent(input);
        expect(parseInteractionEvent(event)).toEqual(event);
      }),
      runs,
    );
  });

  it('any input: a valid event or an InvalidInputError naming fields, never another exception; Object.prototype untouched', () => {
    fc.assert(
      fc.property(eventInput, (input) => {
        const parsed = tryParse(input);
        if ('event' in parsed) {
          expect(parseInteractionEvent(parsed.event)).toEqual(parsed.event);
        } else {
          expect(isCrmConnectError(parsed.error), `not a typed error: ${String(parsed.error)}`).toBe(true);
          expect(parsed.error).toBeInstanceOf(InvalidInputError);
          expect((parsed.error as InvalidInputError).code).toBe('input_invalid');
          expect((parsed.error as InvalidInputError).issues.length).toBeGreaterThan(0);
        }
        assertPrototypeClean();
      }),
      runs,
    );
  });

  it("a parsed event's customer external id can go into a URL (plugins look customers up by it)", () => {
    fc.assert(
      fc.property(eventInput, (input) => {
        const parsed = tryParse(input);
        fc.pre('event' in parsed);
        const { externalId } = (parsed as { event: { endUser: { externalId?: string } } }).event.endUser;
        if (externalId !== undefined) expect(() => encodeURIComponent(externalId)).not.toThrow();
      }),
      runs,
    );
  });
});

describe('interaction events: a connector handed an invalid event', () => {
  /** Every request the connector attempted: nock answers none of them. */
  const attempted: string[] = [];
  const recordAttempt = (request: { method?: string; host?: string; path?: string }) =>
    attempted.push(`${request.method ?? '?'} ${request.host ?? '?'}${request.path ?? ''}`);

  beforeAll(() => {
    nock.disableNetConnect();
    nock.emitter.on('no match', recordAttempt);
  });
  afterAll(() => {
    nock.emitter.removeListener('no match', recordAttempt);
    nock.cleanAll();
    nock.enableNetConnect();
  });
  afterEach(() => {
    attempted.length = 0;
  });

  function zendeskConnector() {
    const audit = createMemoryAuditSink();
    const connector = createConnector({
      plugin: zendesk(),
      settings: {
        subdomain: 'acme',
        authMode: 'apiToken',
        email: 'admin@acme.com',
        apiToken: 'AbCdEfGhIjKlMnOp1234',
        defaultUser: true,
      },
      audit: audit.sink,
      rateBudgets: createRateBudgetRegistry(),
      http: { retry: { maxRetries: 0 } },
    });
    return { connector, audit };
  }

  it('a valid event does reach for the CRM (so the check below can see a write)', async () => {
    const { connector } = zendeskConnector();
    const event = fc.sample(
      validEvent.filter((candidate) => candidate.type === 'chat.started'),
      1,
    )[0];
    await expect(connector.handle(event)).rejects.toSatisfy(isCrmConnectError);
    expect(attempted.length).toBeGreaterThan(0);
  });

  it('rejects with the InvalidInputError, sends no HTTP request and writes no audit event', async () => {
    const { connector, audit } = zendeskConnector();
    await fc.assert(
      fc.asyncProperty(eventInput, async (input) => {
        const parsed = tryParse(input);
        fc.pre('error' in parsed);
        const error = await connector.handle(input).then(
          () => undefined,
          (rejection: unknown) => rejection,
        );
        expect(error).toBeInstanceOf(InvalidInputError);
        expect(attempted, 'HTTP requests sent for an invalid event').toEqual([]);
        expect(audit.events()).toEqual([]);
        assertPrototypeClean();
      }),
      runs,
    );
  });
});
