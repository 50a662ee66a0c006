import { z } from 'zod';
import type { components } from './sunshine-openapi.generated.js';

/**
 * The v2 webhook payload of Sunshine Conversations, validated where it arrives. The zod schemas
 * check the fields crm-connect reads and let every other field through untouched (`looseObject`),
 * so new channels, content types or author subtypes never break a delivery. Each inferred type is
 * checked at compile time against the type generated from the official OpenAPI spec
 * (`sunshine-openapi.generated.ts`, `pnpm run generate:sunshine`): a schema that drifted from the spec
 * stops the build.
 * https://developer.zendesk.com/api-reference/conversations/#tag/Webhooks
 */

type Schemas = components['schemas'];

/**
 * Compiles only when what a schema lets through is a valid value of the spec's type. Used in
 * unexported `SpecConformance` lists only: the `.d.ts` files then never carry the check, so a
 * consumer's compiler does not re-run it under other settings (`exactOptionalPropertyTypes`, which
 * zod's `prop?: T | undefined` and the spec's `prop?: T` disagree on, would fail it).
 */
export type Conforms<TParsed extends TSpec, TSpec> = TParsed;

/** The webhook triggers of spec 17.12.1 ("Webhook Triggers"); anything else is reported as unknown. */
export const sunshineTriggers = [
  'client:add',
  'client:remove',
  'client:update',
  'conversation:create',
  'conversation:join',
  'conversation:leave',
  'conversation:remove',
  'conversation:message',
  'conversation:message:delivery:channel',
  'conversation:message:delivery:failure',
  'conversation:message:delivery:user',
  'conversation:postback',
  'conversation:read',
  'conversation:referral',
  'conversation:typing',
  'passthrough:messaging',
  'switchboard:acceptControl',
  'switchboard:acceptControl:failure',
  'switchboard:offerControl',
  'switchboard:offerControl:failure',
  'switchboard:passControl',
  'switchboard:passControl:failure',
  'switchboard:releaseControl',
  'user:merge',
  'user:update',
  'user:remove',
] as const;
export type SunshineTrigger = (typeof sunshineTriggers)[number];

/** Metadata as delivered: a flat object in practice, passed through as is. */
const metadataSchema = z.record(z.string(), z.unknown());

const switchboardIntegrationSchema = z.looseObject({
  id: z.string().optional(),
  name: z.string().optional(),
  integrationId: z.string().optional(),
  /** `zd:agentWorkspace` for Zendesk's agents, `custom` for a custom integration, an OAuth client id for a marketplace bot. */
  integrationType: z.string().optional(),
});
export type SwitchboardIntegration = z.infer<typeof switchboardIntegrationSchema>;

const conversationSchema = z.looseObject({
  id: z.string().min(1, 'is required: the conversation id'),
  type: z.enum(['personal', 'sdkGroup']).optional(),
  metadata: metadataSchema.nullable().optional(),
  activeSwitchboardIntegration: switchboardIntegrationSchema.nullable().optional(),
  pendingSwitchboardIntegration: switchboardIntegrationSchema.nullable().optional(),
});
export type SunshineConversation = z.infer<typeof conversationSchema>;

const profileSchema = z.looseObject({
  givenName: z.string().nullable().optional(),
  surname: z.string().nullable().optional(),
  email: z.string().nullable().optional(),
  locale: z.string().nullable().optional(),
});

/** A connected identity (`identity`): read-only, set by Zendesk from a sign-in (JWT claims, help center). */
const identitySchema = z.looseObject({
  /** `email` for an email identity. */
  type: z.string().optional(),
  value: z.string().optional(),
  /** How it was verified (`sso`, `embed` in the spec's examples; the full list is not documented). */
  verification: z.string().optional(),
});

/** `userTruncated`, plus `profile` and `identities` when the webhook includes the full user. */
const userSchema = z.looseObject({
  id: z.string().optional(),
  /** True when the user signed in with a messaging JWT or through the help center. */
  authenticated: z.boolean().optional(),
  externalId: z.string().nullable().optional(),
  zendeskId: z.string().nullable().optional(),
  brandId: z.string().nullable().optional(),
  profile: profileSchema.optional(),
  identities: z.array(identitySchema).optional(),
});
export type SunshineUser = z.infer<typeof userSchema>;

/** Present in the payload only with "include client and device" (`includeFullSource`). */
const clientSchema = z.looseObject({
  externalId: z.string().nullable().optional(),
  displayName: z.string().nullable().optional(),
});

/** Where an event came from (`sourceWebhook`). */
const sourceSchema = z.looseObject({
  /** The channel: web, ios, android, whatsapp, messenger, twilio, api… an open list. */
  type: z.string().optional(),
  integrationId: z.string().optional(),
  client: clientSchema.nullable().optional(),
});
export type SunshineSource = z.infer<typeof sourceSchema>;

/** Where a message came from (`source`): the same, but the channel is always named. */
const messageSourceSchema = sourceSchema.extend({
  type: z.string(),
  integrationId: z.string().nullable().optional(),
});
export type SunshineMessageSource = z.infer<typeof messageSourceSchema>;

const authorSchema = z.looseObject({
  type: z.enum(['business', 'user']),
  userId: z.string().optional(),
  displayName: z.string().optional(),
  user: userSchema.optional(),
});

const contentSchema = z.looseObject({
  type: z.string(),
  text: z.string().optional(),
  mediaUrl: z.string().optional(),
});

const messageSchema = z.looseObject({
  id: z.string().optional(),
  received: z.string().optional(),
  author: authorSchema.optional(),
  content: contentSchema.optional(),
  source: messageSourceSchema.optional(),
});
export type SunshineMessage = z.infer<typeof messageSchema>;

const envelope = {
  /** The event id: the same on every delivery of this event, hence the de-duplication key. */
  id: z.string().min(1).max(128),
  createdAt: z.string().optional(),
};

const conversationCreateEventSchema = z.looseObject({
  ...envelope,
  type: z.literal('conversation:create'),
  payload: z.looseObject({
    conversation: conversationSchema,
    creationReason: z
      .enum([
        'linkRequest',
        'message',
        'none',
        'notification',
        'prechatCapture',
        'startConversation',
        'proactiveMessaging',
      ])
      .optional(),
    source: sourceSchema.optional(),
    user: userSchema.nullable().optional(),
  }),
});
export type ConversationCreateEvent = z.infer<typeof conversationCreateEventSchema>;

const conversationMessageEventSchema = z.looseObject({
  ...envelope,
  type: z.literal('conversation:message'),
  payload: z.looseObject({ conversation: conversationSchema, message: messageSchema }),
});
export type ConversationMessageEvent = z.infer<typeof conversationMessageEventSchema>;

const switchboardPayload = {
  conversation: conversationSchema,
  metadata: metadataSchema.nullable().optional(),
};
/** Why Zendesk gave control up: its ticket was closed, or the conversation moved to email. */
const controlReasonSchema = z.enum(['ticketClosed', 'transferToEmail']).optional();

const passControlEventSchema = z.looseObject({
  ...envelope,
  type: z.literal('switchboard:passControl'),
  payload: z.looseObject({ ...switchboardPayload, reason: controlReasonSchema }),
});
export type SwitchboardPassControlEvent = z.infer<typeof passControlEventSchema>;

const releaseControlEventSchema = z.looseObject({
  ...envelope,
  type: z.literal('switchboard:releaseControl'),
  payload: z.looseObject({ ...switchboardPayload, reason: controlReasonSchema }),
});
export type SwitchboardReleaseControlEvent = z.infer<typeof releaseControlEventSchema>;

const acceptControlEventSchema = z.looseObject({
  ...envelope,
  type: z.literal('switchboard:acceptControl'),
  payload: z.looseObject(switchboardPayload),
});
export type SwitchboardAcceptControlEvent = z.infer<typeof acceptControlEventSchema>;

const offerControlEventSchema = z.looseObject({
  ...envelope,
  type: z.literal('switchboard:offerControl'),
  payload: z.looseObject(switchboardPayload),
});
export type SwitchboardOfferControlEvent = z.infer<typeof offerControlEventSchema>;

const failureEventSchema = z.looseObject({
  ...envelope,
  type: z.enum([
    'switchboard:acceptControl:failure',
    'switchboard:offerControl:failure',
    'switchboard:passControl:failure',
  ]),
  payload: z.looseObject({
    ...switchboardPayload,
    /** Such as `switchboard_invalid_target`. */
    error: z.looseObject({ code: z.string().optional(), message: z.string().optional() }).optional(),
  }),
});
// Not checked against the spec's types: they model `error` as an empty object, while the spec's
// own examples (and Zendesk) send `{ code, message }`.
export type SwitchboardFailureEvent = z.infer<typeof failureEventSchema>;

const readEventTypes = [
  'conversation:create',
  'conversation:message',
  'switchboard:passControl',
  'switchboard:releaseControl',
  'switchboard:acceptControl',
  'switchboard:offerControl',
  'switchboard:acceptControl:failure',
  'switchboard:offerControl:failure',
  'switchboard:passControl:failure',
] as const;
type OtherTrigger = Exclude<SunshineTrigger, (typeof readEventTypes)[number]>;
const otherTriggers = sunshineTriggers.filter(
  (trigger): trigger is OtherTrigger => !(readEventTypes as readonly string[]).includes(trigger),
);

/** A documented event crm-connect does not read (typing, read receipts, user merges…): delivered with its payload as is. */
const otherEventSchema = z.looseObject({
  ...envelope,
  type: z.enum(otherTriggers),
  payload: z.record(z.string(), z.unknown()).optional(),
});
export type OtherSunshineEvent = z.infer<typeof otherEventSchema>;

export const sunshineEventSchema = z.discriminatedUnion('type', [
  conversationCreateEventSchema,
  conversationMessageEventSchema,
  passControlEventSchema,
  releaseControlEventSchema,
  acceptControlEventSchema,
  offerControlEventSchema,
  failureEventSchema,
  otherEventSchema,
]);
/** A validated event of a documented type. */
export type SunshineEvent = z.infer<typeof sunshineEventSchema>;

/** An event whose `type` the spec does not list: reported, acknowledged, never handled as another type. */
export interface UnknownSunshineEvent {
  id: string;
  type: string;
  createdAt?: string | undefined;
  payload: unknown;
}

/** What the receiver needs of any event before it knows the type: the id to de-duplicate on. */
export const eventEnvelopeSchema = z.looseObject({
  id: envelope.id,
  type: z.string().min(1).max(200),
  createdAt: z.string().optional(),
  payload: z.unknown(),
});

/** The v2 payload: one app, one webhook, several events (possibly of different users and conversations). */
export const webhookBodySchema = z.looseObject({
  app: z.looseObject({ id: z.string().min(1) }),
  webhook: z.looseObject({ id: z.string().min(1), version: z.literal('v2') }),
  events: z.array(z.unknown()),
});
export type WebhookBody = z.infer<typeof webhookBodySchema>;

export function isKnownTrigger(type: string): type is SunshineTrigger {
  return (sunshineTriggers as readonly string[]).includes(type);
}

/** The drift check (see `Conforms`): each type above against the spec's; a drifted schema stops the build. */
// biome-ignore lint/correctness/noUnusedVariables: checked by the compiler, never used, never exported.
type SpecConformance = [
  Conforms<SwitchboardIntegration, Schemas['switchboardIntegrationWebhook']>,
  Conforms<SunshineConversation, Schemas['conversationTruncated']>,
  Conforms<SunshineUser, Schemas['user']>,
  Conforms<SunshineSource, Schemas['sourceWebhook']>,
  Conforms<SunshineMessageSource, Schemas['source']>,
  Conforms<SunshineMessage, Schemas['messageWebhook']>,
  Conforms<ConversationCreateEvent, Schemas['conversationCreateEvent']>,
  Conforms<ConversationMessageEvent, Schemas['conversationMessageEvent']>,
  Conforms<SwitchboardPassControlEvent, Schemas['switchboardPassControl']>,
  Conforms<SwitchboardReleaseControlEvent, Schemas['switchboardReleaseControl']>,
  Conforms<SwitchboardAcceptControlEvent, Schemas['switchboardAcceptControl']>,
  Conforms<SwitchboardOfferControlEvent, Schemas['switchboardOfferControl']>,
  Conforms<OtherSunshineEvent, Schemas['eventSubSchema']>,
  Conforms<
    WebhookBody,
    { app?: Schemas['appSubSchema']; webhook?: Schemas['webhookSubSchema']; events?: unknown[] }
  >,
];
