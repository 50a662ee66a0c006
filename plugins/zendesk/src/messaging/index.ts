/**
 * `@crm-connect/zendesk/messaging`: end-user identity tokens for Zendesk's widgets, and Sunshine
 * Conversations (the messaging platform behind them) webhook events turned into interaction
 * events. A subpath of the Zendesk plugin: it shares the account's subdomain and the HTTP layer,
 * and a platform that does not use messaging never loads it.
 */
export { channelForSource } from './channels.js';
export {
  type ChatVisitor,
  type ChatVisitorClaims,
  type ChatVisitorSignOptions,
  type ChatVisitorVerifyOptions,
  chatVisitorClockSkewSeconds,
  chatVisitorMaxLifetimeSeconds,
  signChatVisitorJwt,
  verifyChatVisitorJwt,
} from './chat-visitor-jwt.js';
export {
  type ConversationStore,
  createMemoryConversationStore,
  type OpenInteraction,
} from './conversation-store.js';
export { type ClaimResult, createMemoryWebhookEventStore, type WebhookEventStore } from './event-store.js';
export {
  createMessagingInteractions,
  type InteractionOutcome,
  type MessagingInteractions,
  type MessagingInteractionsOptions,
} from './interactions.js';
export {
  type MessagingClaims,
  type MessagingSigningKey,
  type MessagingSignOptions,
  type MessagingUser,
  type MessagingVerifyOptions,
  maxMessagingSigningKeys,
  messagingClockSkewSeconds,
  signMessagingJwt,
  verifyMessagingJwt,
} from './messaging-jwt.js';
export { type NodeWebhookReceiverOptions, nodeTokenEndpoint, nodeWebhookReceiver } from './node-http.js';
export {
  type AcceptControlBody,
  createSunshineClient,
  maxMetadataBytes,
  type OfferControlBody,
  type PassControlBody,
  type ReleaseControlBody,
  type SunshineClient,
  type SunshineClientOptions,
  type SwitchboardActionResult,
} from './sunshine-client.js';
export type {
  components as SunshineComponents,
  operations as SunshineOperations,
} from './sunshine-openapi.generated.js';
export {
  createChatVisitorTokenEndpoint,
  createMessagingTokenEndpoint,
  createTokenEndpoint,
  type TokenEndpoint,
  type TokenEndpointOptions,
  type TokenEndpointRequest,
  type TokenEndpointResponse,
} from './token-endpoint.js';
export type {
  ConversationCreateEvent,
  ConversationMessageEvent,
  OtherSunshineEvent,
  SunshineConversation,
  SunshineEvent,
  SunshineMessage,
  SunshineTrigger,
  SunshineUser,
  SwitchboardAcceptControlEvent,
  SwitchboardFailureEvent,
  SwitchboardIntegration,
  SwitchboardOfferControlEvent,
  SwitchboardPassControlEvent,
  SwitchboardReleaseControlEvent,
  UnknownSunshineEvent,
} from './webhook-events.js';
export {
  createSunshineWebhookReceiver,
  type SunshineWebhookReceiver,
  type SunshineWebhookReceiverOptions,
  type WebhookDelivery,
  type WebhookRefusalCode,
  type WebhookRequest,
  type WebhookResponse,
  type WebhookSummary,
} from './webhook-receiver.js';
