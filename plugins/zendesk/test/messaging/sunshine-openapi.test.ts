import { describe, expect, it } from 'vitest';
import { type SunshineExample, sunshineExamples } from './sunshine-examples.js';
import {
  sunshineAnswerFindings,
  sunshineRequestFindings,
  sunshineWebhookFindings,
} from './sunshine-openapi-check.js';

/**
 * The Sunshine Conversations payloads the tests use, held against the vendored spec: every example
 * webhook body, and the switchboard answers the client tests mock. (The requests the client sends
 * are checked after each test of sunshine-client.test.ts.)
 */

describe('Sunshine webhook payloads against the spec', () => {
  it.each(Object.keys(sunshineExamples) as SunshineExample[])(
    '%s: envelope and event conform',
    async (name) => {
      expect(await sunshineWebhookFindings(sunshineExamples[name])).toEqual([]);
    },
  );

  it('the check finds a broken event and an unknown type', async () => {
    const broken = structuredClone(sunshineExamples.conversationCreate) as {
      events: Record<string, unknown>[];
    };
    const [event] = broken.events;
    if (event === undefined) throw new Error('no event');
    event.payload = { ...(event.payload as object), creationReason: 'because' };
    broken.events.push({
      id: 'e2',
      type: 'participant:join',
      createdAt: '2020-09-30T15:14:29.834Z',
      payload: {},
    });
    const findings = await sunshineWebhookFindings(broken);
    expect(findings).toEqual([
      expect.stringMatching(
        /events\[0\] \(conversation:create, conversationCreateEvent\): \/requestBody\/payload\/creationReason must be equal to one of the allowed values/,
      ),
      'events[1]: type participant:join is not a webhook event of the spec',
    ]);
  });
});

const appId = '5ebee0975ac5304b664a12fa';
const conversationId = 'f52b01137aa6c250bc7251fa';
const path = (action: string) => `/sc/v2/apps/${appId}/conversations/${conversationId}/${action}`;

describe('mocked Sunshine answers against the spec', () => {
  it.each([
    ['passControl', 200, {}],
    ['offerControl', 200, {}],
    ['acceptControl', 200, {}],
    ['releaseControl', 200, {}],
    [
      'releaseControl',
      404,
      { errors: [{ code: 'conversation_not_found', title: 'Conversation not found' }] },
    ],
    ['releaseControl', 403, { errors: [{ code: 'forbidden', title: 'Forbidden' }] }],
    ['releaseControl', 401, { errors: [{ code: 'unauthorized', title: 'Invalid key' }] }],
    [
      'offerControl',
      400,
      {
        errors: [
          {
            code: 'switchboard_invalid_target',
            title: 'Cannot offer control to the active switchboard integration.',
          },
        ],
      },
    ],
    ['releaseControl', 429, { errors: [{ code: 'too_many_requests' }] }],
  ] as const)('%s %i', async (action, status, body) => {
    expect(await sunshineAnswerFindings({ method: 'POST', path: path(action), status, body })).toEqual([]);
  });

  it('the check finds a body the spec does not allow', async () => {
    expect(
      await sunshineRequestFindings({
        method: 'POST',
        path: path('passControl'),
        headers: { 'content-type': 'application/json' },
        body: { metadata: { a: 'b' } },
      }),
    ).toEqual([expect.stringMatching(/PassControl.*switchboardIntegration/)]);
  });
});
