/**
 * Webhook payloads exactly as the examples of the official Sunshine Conversations OpenAPI spec
 * (17.12.1, `components.examples`), copied verbatim. Every example reuses one event id, so tests
 * that send several give them their own with `withEvent`.
 */
export const sunshineExamples = {
  /** components.examples.conversationCreateEvent */
  conversationCreate: {
    app: { id: '5ebee0975ac5304b664a12fa' },
    webhook: { id: '5f4eaef81e3dcc117c7ba48a', version: 'v2' },
    events: [
      {
        id: '5f74a0d52b5315fc007e798a',
        createdAt: '2020-09-30T15:14:29.834Z',
        type: 'conversation:create',
        payload: {
          conversation: {
            id: 'f52b01137aa6c250bc7251fa',
            type: 'personal',
            metadata: { lang: 'en-ca' },
            activeSwitchboardIntegration: {
              id: '5eecde2dcdbffb08f5c3ed37',
              name: 'bot',
              integrationId: '5f11a650e4e987667c2051d1',
              integrationType: 'custom',
            },
          },
          user: { id: '26508c10541a4b0ff472e5e2', externalId: '912382197', authenticated: true },
          creationReason: 'prechatCapture',
          source: { type: 'web', integrationId: '5ecff63ffc3ab25f4561c8a0' },
        },
      },
    ],
  },
  /** components.examples.conversationMessageEvent */
  conversationMessage: {
    app: { id: '5ebee0975ac5304b664a12fa' },
    webhook: { id: '5f4eaef81e3dcc117c7ba48a', version: 'v2' },
    events: [
      {
        id: '5f74a0d52b5315fc007e798a',
        createdAt: '2020-09-30T15:14:29.834Z',
        type: 'conversation:message',
        payload: {
          conversation: {
            id: 'f52b01137aa6c250bc7251fa',
            type: 'personal',
            activeSwitchboardIntegration: {
              id: '5eecde2dcdbffb08f5c3ed37',
              name: 'bot',
              integrationId: '5f11a650e4e987667c2051d1',
              integrationType: 'custom',
            },
          },
          message: {
            id: '5f74c7d84a146f3abd72af1d',
            received: '2020-09-30T18:00:56.820Z',
            author: {
              userId: '26508c10541a4b0ff472e5e2',
              avatarUrl: 'https://s3.amazonaws.com/avatar.jpg',
              displayName: 'Steve Rogers',
              type: 'user',
              user: { id: '26508c10541a4b0ff472e5e2', externalId: '912382197', authenticated: true },
            },
            content: { type: 'text', text: 'hello' },
            source: {
              integrationId: '5ec69c6e12dda33be985cb1a',
              originalMessageId: '374',
              originalMessageTimestamp: '2020-09-30T18:00:56.000Z',
              type: 'telegram',
            },
          },
        },
      },
    ],
  },
  /** components.examples.switchboardPassControlEvent */
  passControl: {
    app: { id: '5ebee0975ac5304b664a12fa' },
    webhook: { id: '5f4eaef81e3dcc117c7ba48a', version: 'v2' },
    events: [
      {
        id: '5f74a0d52b5315fc007e798a',
        createdAt: '2020-09-30T15:14:29.834Z',
        type: 'switchboard:passControl',
        payload: {
          conversation: {
            id: 'f52b01137aa6c250bc7251fa',
            type: 'personal',
            activeSwitchboardIntegration: {
              id: '5eecde2dcdbffb08f5c3ed37',
              name: 'bot',
              integrationId: '5f11a650e4e987667c2051d1',
              integrationType: 'custom',
            },
          },
        },
      },
    ],
  },
  /** components.examples.switchboardReleaseControlEvent */
  releaseControl: {
    app: { id: '5ebee0975ac5304b664a12fa' },
    webhook: { id: '5f4eaef81e3dcc117c7ba48a', version: 'v2' },
    events: [
      {
        id: '5f74a0d52b5315fc007e798a',
        createdAt: '2020-09-30T15:14:29.834Z',
        type: 'switchboard:releaseControl',
        payload: { conversation: { id: 'f52b01137aa6c250bc7251fa', type: 'personal' } },
      },
    ],
  },
  /** components.examples.switchboardOfferControlEvent */
  offerControl: {
    app: { id: '5ebee0975ac5304b664a12fa' },
    webhook: { id: '5f4eaef81e3dcc117c7ba48a', version: 'v2' },
    events: [
      {
        id: '5f74a0d52b5315fc007e798a',
        createdAt: '2020-09-30T15:14:29.834Z',
        type: 'switchboard:offerControl',
        payload: {
          conversation: {
            id: 'f52b01137aa6c250bc7251fa',
            type: 'personal',
            activeSwitchboardIntegration: {
              id: '5eecde2dcdbffb08f5c3ed37',
              name: 'bot',
              integrationId: '5f11a650e4e987667c2051d1',
              integrationType: 'custom',
            },
            pendingSwitchboardIntegration: {
              id: '5eece1cacdbffb08f5c3ed43',
              name: 'human',
              integrationId: '5f11a65ae4e987667c2051d2',
              integrationType: 'custom',
            },
          },
        },
      },
    ],
  },
  /** components.examples.switchboardAcceptControlEvent */
  acceptControl: {
    app: { id: '5ebee0975ac5304b664a12fa' },
    webhook: { id: '5f4eaef81e3dcc117c7ba48a', version: 'v2' },
    events: [
      {
        id: '5f74a0d52b5315fc007e798a',
        createdAt: '2020-09-30T15:14:29.834Z',
        type: 'switchboard:acceptControl',
        payload: {
          conversation: {
            id: 'f52b01137aa6c250bc7251fa',
            type: 'personal',
            activeSwitchboardIntegration: {
              id: '5eecde2dcdbffb08f5c3ed37',
              name: 'bot',
              integrationId: '5f11a650e4e987667c2051d1',
              integrationType: 'custom',
            },
          },
        },
      },
    ],
  },
  /** components.examples.switchboardPassControlFailureEvent */
  passControlFailure: {
    app: { id: '5ebee0975ac5304b664a12fa' },
    webhook: { id: '5f4eaef81e3dcc117c7ba48a', version: 'v2' },
    events: [
      {
        id: '5f74a0d52b5315fc007e798a',
        createdAt: '2020-09-30T15:14:29.834Z',
        type: 'switchboard:passControl:failure',
        payload: {
          conversation: {
            id: 'f52b01137aa6c250bc7251fa',
            type: 'personal',
            activeSwitchboardIntegration: {
              id: '5eecde2dcdbffb08f5c3ed37',
              name: 'bot',
              integrationId: '5f11a650e4e987667c2051d1',
              integrationType: 'custom',
            },
          },
          error: { code: 'switchboard_invalid_target', message: 'Switchboard invalid target' },
        },
      },
    ],
  },
  /** components.examples.conversationReadEvent */
  conversationRead: {
    app: { id: '5ebee0975ac5304b664a12fa' },
    webhook: { id: '5f4eaef81e3dcc117c7ba48a', version: 'v2' },
    events: [
      {
        id: '5f74a0d52b5315fc007e798a',
        createdAt: '2020-09-30T15:14:29.834Z',
        type: 'conversation:read',
        payload: {
          conversation: {
            id: 'f52b01137aa6c250bc7251fa',
            type: 'personal',
            activeSwitchboardIntegration: {
              id: '5eecde2dcdbffb08f5c3ed37',
              name: 'bot',
              integrationId: '5f11a650e4e987667c2051d1',
              integrationType: 'custom',
            },
          },
          activity: {
            type: 'conversation:read',
            author: {
              type: 'user',
              userId: 'b5a0f8de1fd4198a96faa0af',
              user: { id: 'b5a0f8de1fd4198a96faa0af', authenticated: false },
            },
            source: { type: 'web', integrationId: '5ecff63ffc3ab25f4561c8a0' },
          },
        },
      },
    ],
  },
};

export type SunshineExample = keyof typeof sunshineExamples;

/** The shared secret of the example webhook. */
export const webhookSecret = 'Wbk-s3cr3t-6f1d0c93b2a84e57a1c2d3e4f5a6b7c8';
export const exampleAppId = '5ebee0975ac5304b664a12fa';

type ExampleEvent = { id: string; [key: string]: unknown };

/**
 * A copy of an example whose single event gets `overrides` merged in (`id`, `payload`…); a
 * deep copy, so tests never change the shared examples.
 */
export function withEvent(name: SunshineExample, overrides: Partial<ExampleEvent> = {}) {
  const example = structuredClone(sunshineExamples[name]) as {
    app: { id: string };
    webhook: { id: string; version: string };
    events: ExampleEvent[];
  };
  const [event] = example.events;
  if (event === undefined) throw new Error(`example ${name} has no event`);
  example.events = [{ ...event, ...overrides }];
  return example;
}

/** A delivery as Sunshine sends it: the JSON body and the X-API-Key header. */
export function delivery(body: unknown, secret = webhookSecret) {
  return {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': secret },
    body: JSON.stringify(body),
  };
}
