import { z } from 'zod';
import { parseInput } from './validation.js';

/**
 * The interaction events a contact-center platform hands to a connector. They are validated
 * here, at the edge; everything past `parseInteractionEvent` trusts the types.
 */

/** Interaction ids end up in idempotency keys, external-id fields and query filters, so they are kept to a safe alphabet. */
export const interactionIdSchema = z
  .string()
  .regex(
    /^[A-Za-z0-9][A-Za-z0-9._:@-]{0,127}$/,
    'must be 1 to 128 characters of letters, digits and . _ : @ - (starting with a letter or digit)',
  );

/** The channel the interaction came through. */
export const channelSchema = z.enum(['chat', 'messaging', 'sms', 'email', 'voice', 'social']);
export type Channel = z.infer<typeof channelSchema>;

const emailSchema = z
  .email('must be an email address such as jane@example.com')
  .max(254)
  .transform((email) => email.toLowerCase());

/** The customer on the other end. At least one way to recognise them is required. */
export const endUserSchema = z
  .object({
    name: z.string().trim().min(1).max(255).optional(),
    email: emailSchema.optional(),
    phone: z
      .string()
      .regex(/^\+[1-9]\d{6,14}$/, 'must be an E.164 phone number such as +15555550100')
      .optional(),
    externalId: z
      .string()
      .trim()
      .min(1)
      .max(255)
      // Plugins put it in URLs (encodeURIComponent throws a URIError on a lone surrogate) and UTF-8
      // turns every lone surrogate into U+FFFD, so two different ids would find the same customer.
      .refine((value) => !/\p{Surrogate}/u.test(value), 'must be well-formed text (no lone UTF-16 surrogate)')
      .optional(),
    /**
     * True when the platform verified who the end user is (signed in: a messaging JWT, a help-center
     * session), so `externalId` and `email` are theirs, not something they typed. A plugin may then
     * attach the external id to the CRM contact found by that email; unverified, an external id only
     * finds the contact that already carries it, and is never written onto one found by email.
     */
    verified: z.boolean().optional(),
  })
  .refine((user) => user.email || user.phone || user.externalId || user.name, {
    message: 'needs at least one of name, email, phone or externalId',
  });
export type EndUser = z.infer<typeof endUserSchema>;

/** A contact-center agent as the platform knows them; an agent may have used two email addresses (see the Chat migration). */
export const platformAgentSchema = z.object({
  id: z.string().trim().min(1).max(128),
  emails: z.array(emailSchema).min(1, 'needs at least one email address').max(10),
});
export type PlatformAgent = z.infer<typeof platformAgentSchema>;

const timestampSchema = z.iso.datetime({
  offset: true,
  message: 'must be an ISO 8601 date-time with a time zone, such as 2026-11-21T10:00:00Z',
});

const interactionBase = {
  interactionId: interactionIdSchema,
  channel: channelSchema,
  /** When this event happened. */
  occurredAt: timestampSchema,
  /** When the interaction began, if earlier than this event. */
  startedAt: timestampSchema.optional(),
  endUser: endUserSchema,
  /** The platform agent, when one is known for this event. */
  agent: platformAgentSchema.optional(),
};

/** A chat (or messaging conversation) started; no agent is assigned yet in the usual case. */
export const chatStartedSchema = z.object({
  type: z.literal('chat.started'),
  ...interactionBase,
  subject: z.string().trim().min(1).max(255).optional(),
  firstMessage: z.string().max(65_536).optional(),
});

/** A voicemail was left; its ticket is created before anyone calls back. */
export const voicemailReceivedSchema = z.object({
  type: z.literal('voicemail.received'),
  ...interactionBase,
  recordingUrl: z.url({ protocol: /^https$/ }).optional(),
  transcription: z.string().max(1_000_000).optional(),
  durationSeconds: z.number().int().nonnegative().max(86_400).optional(),
});

/** A caller hung up before reaching an agent. */
export const callAbandonedSchema = z.object({
  type: z.literal('call.abandoned'),
  ...interactionBase,
  waitSeconds: z.number().int().nonnegative().max(86_400).optional(),
});

/** An agent was assigned to an interaction whose record may already exist. */
export const agentAssignedSchema = z.object({
  type: z.literal('agent.assigned'),
  ...interactionBase,
  agent: platformAgentSchema,
});

/** The interaction ended; its transcript or notes and disposition are written to the record. */
export const interactionEndedSchema = z.object({
  type: z.literal('interaction.ended'),
  ...interactionBase,
  transcript: z.string().max(1_000_000).optional(),
  notes: z.string().max(65_536).optional(),
  disposition: z.string().trim().min(1).max(255).optional(),
});

export const interactionEventSchema = z.discriminatedUnion('type', [
  chatStartedSchema,
  voicemailReceivedSchema,
  callAbandonedSchema,
  agentAssignedSchema,
  interactionEndedSchema,
]);
export type InteractionEvent = z.infer<typeof interactionEventSchema>;
export type InteractionEventType = InteractionEvent['type'];
export type ChatStarted = z.infer<typeof chatStartedSchema>;
export type VoicemailReceived = z.infer<typeof voicemailReceivedSchema>;
export type CallAbandoned = z.infer<typeof callAbandonedSchema>;
export type AgentAssigned = z.infer<typeof agentAssignedSchema>;
export type InteractionEnded = z.infer<typeof interactionEndedSchema>;

/** The events that open a CRM record (a ticket and its contact). */
export type OpeningEvent = ChatStarted | VoicemailReceived | CallAbandoned;
export const openingEventTypes = ['chat.started', 'voicemail.received', 'call.abandoned'] as const;

export function isOpeningEvent(event: InteractionEvent): event is OpeningEvent {
  return (openingEventTypes as readonly string[]).includes(event.type);
}

/** Validates an event from the platform; throws `InvalidInputError` naming each bad field. */
export function parseInteractionEvent(input: unknown): InteractionEvent {
  return parseInput(interactionEventSchema, input, 'interaction event');
}
