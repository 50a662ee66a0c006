export {
  type ActorDecision,
  type ActorResolutionInput,
  type AgentMatch,
  type AgentStatus,
  type OwnerReason,
  type PerformerReason,
  resolveActor,
  type SkipReason,
} from './actor-resolution.js';
export {
  type AgentDirectory,
  type AgentDirectoryOptions,
  createAgentDirectory,
  type UserLookup,
} from './agent-directory.js';
export {
  type AuditEvent,
  type AuditOutcome,
  type AuditReason,
  type AuditSink,
  createMemoryAuditSink,
  createRedactingAuditSink,
  type MemoryAuditSink,
  type WriteOperation,
} from './audit.js';
export { cacheOnSuccess } from './cache-on-success.js';
export { clipText } from './clip-text.js';
export { type Connector, type ConnectorOptions, createConnector, idempotencyKey } from './connector.js';
export { type CreateOnceOptions, type CreateOnceResult, createOnce } from './create-once.js';
export {
  AuthenticationError,
  AuthorizationError,
  ConfigurationError,
  ConflictError,
  ConnectionClosedError,
  CrmConnectError,
  type CrmConnectErrorOptions,
  CrmRejectedInputError,
  type ErrorCode,
  errorCodes,
  type FieldIssue,
  hasErrorCode,
  InvalidInputError,
  InvalidResponseError,
  isCrmConnectError,
  NotFoundError,
  OwnerRejectedError,
  RateLimitedError,
  TransportError,
} from './errors.js';
export {
  type AgentAssigned,
  type CallAbandoned,
  type Channel,
  type ChatStarted,
  channelSchema,
  type EndUser,
  endUserSchema,
  type InteractionEnded,
  type InteractionEvent,
  type InteractionEventType,
  interactionEventSchema,
  interactionIdSchema,
  isOpeningEvent,
  type OpeningEvent,
  openingEventTypes,
  type PlatformAgent,
  parseInteractionEvent,
  platformAgentSchema,
  type VoicemailReceived,
} from './events.js';
export { bodyExcerpt, defaultErrorFor, type ErrorResponse } from './http/error-mapping.js';
export {
  type AuthProvider,
  createHttpClient,
  type HttpClient,
  type HttpClientOptions,
  type HttpMethod,
  type HttpResponse,
  type RequestOptions,
  type RetryOptions,
} from './http/http-client.js';
export {
  createRateBudgetRegistry,
  type RateBudget,
  type RateBudgetOptions,
  type RateBudgetRegistry,
  sharedRateBudgets,
} from './http/rate-budget.js';
export { parseRetryAfter } from './http/retry-after.js';
export { parseHttpsUrl } from './https-url.js';
export {
  createJsonLinesLogger,
  createRedactingLogger,
  type LogFields,
  type Logger,
  type LogLevel,
  silentLogger,
} from './logging.js';
export { isLoopbackHost, loopbackOrigin } from './loopback.js';
export { asOwnerRejected, type OwnerRejectionOptions } from './owner-rejection.js';
export {
  type AnswerParser,
  type CrmAnswer,
  createAnswerParser,
  createWriteAnswerParser,
} from './parse-answer.js';
export { parseUrl } from './parse-url.js';
export {
  type AddNoteInput,
  type AddNoteResult,
  type ChangeOwnerInput,
  type CreateTicketInput,
  type CreateTicketResult,
  type CredentialCheck,
  type CrmConnection,
  type CrmPlugin,
  definePlugin,
  type PluginCapabilities,
  type PluginContext,
  type TicketRef,
  type WriteResult,
} from './plugin.js';
export {
  createMemoryRecordLinkStore,
  type NoteState,
  type RecordLink,
  type RecordLinkStore,
} from './record-links.js';
export { createRedactor, REDACTED, type Redactor } from './redaction.js';
export {
  type CommonSettings,
  type CommonSettingsInput,
  commonSettingsSchema,
  commonSettingsShape,
  optionalText,
  type PluginSettingsSchema,
} from './settings/common-settings.js';
export { type SettingsJsonSchemaSource, settingsJsonSchema } from './settings/json-schema.js';
export { anyCase, loopbackUrlPattern, trimmedPattern } from './settings/json-schema-patterns.js';
export {
  applySettingsRules,
  type CheckboxState,
  type CredentialStatus,
  type SaveSettingsOptions,
  type SaveSettingsResult,
  type SettingsForm,
  saveSettings,
} from './settings/save-rules.js';
export {
  type Availability,
  type CredentialGroup,
  SECRET_MASK,
  type SettingsDefinition,
} from './settings/settings-definition.js';
export { partLabel, partLabelSeparator, type SplitTextOptions, splitText } from './split-text.js';
export {
  countTokenRequest,
  type Instruments,
  instrumentationScope,
  instruments,
  measureTokenRequest,
} from './telemetry/instruments.js';
export { routeTemplate } from './telemetry/route-template.js';
export { type TextUnit, textLength } from './text-units.js';
export { endNote, ticketDescription, ticketSubject } from './ticket-text.js';
export type { CrmUser } from './users.js';
export { fieldIssuesOf, parseInput, parseSettings } from './validation.js';
export { withTimeout } from './with-timeout.js';
