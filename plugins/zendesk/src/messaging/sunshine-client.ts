import {
  AuthenticationError,
  AuthorizationError,
  bodyExcerpt,
  ConfigurationError,
  ConnectionClosedError,
  type CrmConnectError,
  CrmRejectedInputError,
  createHttpClient,
  createRedactingLogger,
  createRedactor,
  type ErrorResponse,
  type Logger,
  NotFoundError,
  parseInput,
  type RateBudgetRegistry,
  type Redactor,
  type RetryOptions,
  sharedRateBudgets,
  silentLogger,
} from '@crm-connect/core';
import { z } from 'zod';
import { normaliseSubdomain, zendeskOrigin } from '../zendesk-settings.js';
import { parseOptions, pluginId } from './options.js';
import type { components, operations } from './sunshine-openapi.generated.js';
import type { Conforms } from './webhook-events.js';

/**
 * A small Sunshine Conversations client: the four switchboard actions a connector needs, on the
 * Zendesk subdomain's host (`https://acme.zendesk.com/sc/v2/apps/{appId}/…`), authenticated with
 * a Conversations API key (Basic: key id as user, secret as password), through the core HTTP
 * layer (timeouts, Retry-After, redaction, a rate budget). Request and response types come from
 * the official OpenAPI spec (`sunshine-openapi.generated.ts`).
 * https://developer.zendesk.com/api-reference/conversations/#tag/Switchboard-Actions
 */

/** Flat metadata echoed in the matching webhook: strings, numbers and booleans only, 4 KB at most. */
export const maxMetadataBytes = 4096;

const metadataSchema = z
  .record(
    z.string(),
    z.union(
      [z.string(), z.number(), z.boolean()],
      'must be a string, a number or a boolean: switchboard metadata is flat (no objects, arrays or null)',
    ),
    'must be a flat object of strings, numbers and booleans',
  )
  .refine(
    // The spec says "limited to 4KB"; serialised JSON bytes is the reading assumed here (unconfirmed).
    (metadata) => Buffer.byteLength(JSON.stringify(metadata)) <= maxMetadataBytes,
    `is larger than ${maxMetadataBytes} bytes once serialised as JSON: keep only what the next integration needs`,
  );

/** An integration referenced by id, name (letters, digits, - and _), integrationType (`zd:agentWorkspace`) or `next`. */
const integrationReferenceSchema = z
  .string('must name the switchboard integration: its id, name, integrationType or next')
  .trim()
  .min(1, 'is required: the switchboard integration id, name, integrationType or next')
  .max(128, 'must be at most 128 characters')
  .regex(/^[A-Za-z0-9:._-]+$/, 'must be a switchboard integration id, name, integrationType or next');

type Operations = operations;
type JsonBody<TOperation extends keyof Operations> = Operations[TOperation] extends {
  requestBody?: { content: { 'application/json': infer TBody } };
}
  ? TBody
  : never;

const passControlBodySchema = z.object({
  switchboardIntegration: integrationReferenceSchema,
  metadata: metadataSchema.optional(),
});
export type PassControlBody = z.output<typeof passControlBodySchema>;

const offerControlBodySchema = passControlBodySchema;
export type OfferControlBody = z.output<typeof offerControlBodySchema>;

const acceptControlBodySchema = z.object({ metadata: metadataSchema.optional() });
export type AcceptControlBody = z.output<typeof acceptControlBodySchema>;

const releaseControlBodySchema = acceptControlBodySchema;
export type ReleaseControlBody = z.output<typeof releaseControlBodySchema>;

/** The drift check (see `Conforms`): each body against the spec's request body. */
// biome-ignore lint/correctness/noUnusedVariables: checked by the compiler, never used, never exported.
type SpecConformance = [
  Conforms<PassControlBody, JsonBody<'PassControl'>>,
  Conforms<OfferControlBody, JsonBody<'OfferControl'>>,
  Conforms<AcceptControlBody, JsonBody<'AcceptControl'>>,
  Conforms<ReleaseControlBody, JsonBody<'ReleaseControl'>>,
];

/** Every switchboard action answers 200 `{}`. */
type SwitchboardActionResponse = Operations['PassControl']['responses'][200]['content']['application/json'];

export interface SwitchboardActionResult {
  /** HTTP attempts it took. */
  attempts: number;
  /** The HTTP layer's id of the request, to find it in the logs. */
  requestId: string;
}

const idSchema = z
  .string('must be a Sunshine Conversations id')
  .regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be a Sunshine Conversations id (letters, digits, - and _)');

const optionsSchema = z.object({
  subdomain: z.string('must be your Zendesk subdomain, such as acme').trim().min(1, 'is required'),
  appId: idSchema,
  keyId: z
    .string('must be the key id of a Conversations API key')
    .regex(/^[A-Za-z0-9_-]{1,128}$/, 'must be the key id of a Conversations API key, such as app_5f0e…'),
  keySecret: z
    .string('must be the secret of the Conversations API key')
    .trim()
    .min(16, 'is too short to be a Conversations API key secret: copy the whole value'),
  requestsPerMinute: z.number().int().positive().default(300),
});

export interface SunshineClientOptions {
  /** The Zendesk account: `acme`, `acme.zendesk.com` or `https://acme.zendesk.com`. The API is `https://acme.zendesk.com/sc`. Required. */
  subdomain: string;
  /** The Sunshine Conversations app id (Admin Center › Apps and integrations › APIs › Conversations API). Required. */
  appId: string;
  /** The Conversations API key id (`app_…` for an app key, `int_…` for an integration key). Required. */
  keyId: string;
  /** The Conversations API key secret, shown once when the key is created. Required. */
  keySecret: string;
  /** Requests per minute this client allows itself on the account, shared with other clients of it. Default 300; a 429 holds every caller for its Retry-After. */
  requestsPerMinute?: number | undefined;
  /** Default: silent. Every line is redacted. */
  logger?: Logger | undefined;
  /** Holds the secrets to redact; the client registers the key secret. Default: a private one. */
  redactor?: Redactor | undefined;
  /** Default: the process-wide registry. */
  rateBudgets?: RateBudgetRegistry | undefined;
  /** HTTP layer overrides (retry backoff, per-attempt timeout). */
  http?: { retry?: RetryOptions | undefined; timeoutMs?: number | undefined } | undefined;
}

export interface SunshineClient {
  /** Makes the named integration active (others go to standby). Not retried on an ambiguous failure: with `next`, a repeat would move control twice. */
  passControl(conversationId: string, body: PassControlBody): Promise<SwitchboardActionResult>;
  /** Offers control to the named integration (it becomes pending); invalidates earlier offers. */
  offerControl(conversationId: string, body: OfferControlBody): Promise<SwitchboardActionResult>;
  /** Takes the control that was offered to the pending integration. */
  acceptControl(conversationId: string, body?: AcceptControlBody): Promise<SwitchboardActionResult>;
  /** Leaves the conversation with no integration in control; the next user message goes to the default one. */
  releaseControl(conversationId: string, body?: ReleaseControlBody): Promise<SwitchboardActionResult>;
  /**
   * Releases the account's Sunshine budget (dropped from the registry once no other client of
   * the account holds it; a client never closed holds it for the life of the process). Later
   * calls are refused unsent. Idempotent.
   */
  close(): void;
}

const errorResponseSchema: z.ZodType<components['schemas']['errorResponse']> = z.object({
  errors: z.array(z.object({ code: z.string().optional(), title: z.string().optional() })).optional(),
});

/** `https://acme.zendesk.com`, or a loopback origin the settings accept for a local sandbox; anything else is refused. */
function originOf(subdomain: string): string {
  const origin = zendeskOrigin(normaliseSubdomain(subdomain));
  let url: URL | undefined;
  try {
    url = new URL(origin);
  } catch {
    url = undefined;
  }
  const zendeskHost =
    url?.protocol === 'https:' && /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.zendesk\.com$/.test(url.hostname);
  const loopback = url !== undefined && ['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname);
  if (url === undefined || !(zendeskHost || loopback) || url.origin !== origin) {
    throw new ConfigurationError(
      'The Sunshine Conversations subdomain is not a Zendesk subdomain: enter acme for https://acme.zendesk.com.',
      {
        pluginId,
        issues: [{ path: 'subdomain', message: 'subdomain: must be your Zendesk subdomain, such as acme' }],
      },
    );
  }
  return origin;
}

function errorMapper(appId: string) {
  return (response: ErrorResponse): CrmConnectError | undefined => {
    const { status, requestId, retryAfterMs } = response;
    const parsed = errorResponseSchema.safeParse(response.data);
    const first = parsed.success ? parsed.data.errors?.[0] : undefined;
    const what = response.redact(
      first === undefined ? bodyExcerpt(response, 200) : [first.code, first.title].filter(Boolean).join(': '),
    );
    const common = {
      pluginId,
      status,
      requestId,
      retryAfterMs,
      cause: { status, body: bodyExcerpt(response) },
    };
    const prefix = `Sunshine Conversations refused to ${response.operation} (HTTP ${status}: ${what}).`;
    if (status === 401) {
      return new AuthenticationError(
        `${prefix} Check the Conversations API key id and secret (Admin Center › Apps and integrations › APIs › Conversations API) and that the key belongs to app ${appId}.`,
        common,
      );
    }
    if (status === 403) {
      return new AuthorizationError(
        `${prefix} An integration-scoped key may release control only while its integration is active, and accept it only while it is pending; use an app-scoped key to act on any conversation.`,
        common,
      );
    }
    if (status === 404) {
      return new NotFoundError(
        `${prefix} The conversation does not exist in app ${appId} (deleted, or another app).`,
        common,
      );
    }
    if (status === 400 || status === 422) {
      return new CrmRejectedInputError(
        `${prefix} Check the switchboard integration named (its id, name, integrationType or next) and the metadata.`,
        { ...common, issues: first?.code === undefined ? [] : [{ path: 'body', message: what }] },
      );
    }
    // 429 (with Retry-After) and 5xx keep the core's generic, typed mapping.
    return undefined;
  };
}

export function createSunshineClient(options: SunshineClientOptions): SunshineClient {
  const { subdomain, appId, keyId, keySecret, requestsPerMinute } = parseOptions(
    optionsSchema,
    {
      subdomain: options.subdomain,
      appId: options.appId,
      keyId: options.keyId,
      keySecret: options.keySecret,
      requestsPerMinute: options.requestsPerMinute,
    },
    'Sunshine Conversations client options',
  );
  const redactor = (options.redactor ?? createRedactor()).add(keySecret);
  const logger = createRedactingLogger(options.logger ?? silentLogger, redactor);
  const origin = originOf(subdomain);
  const authorization = `Basic ${Buffer.from(`${keyId}:${keySecret}`).toString('base64')}`;
  // Sunshine's limits are its own, not the Support API's: a budget of their own, per account,
  // held by this client until it closes.
  const budgets = options.rateBudgets ?? sharedRateBudgets;
  const budgetKey = `zendesk-sunshine:${origin}`;
  let closed = false;
  const http = createHttpClient({
    pluginId,
    baseUrl: origin,
    auth: { headers: async () => ({ Authorization: authorization }) },
    budget: budgets.acquire(budgetKey, { requestsPerInterval: requestsPerMinute }),
    redactor,
    logger,
    mapError: errorMapper(appId),
    retry: options.http?.retry,
    timeoutMs: options.http?.timeoutMs,
    defaultHeaders: { Accept: 'application/json' },
  });

  async function act(
    action: 'passControl' | 'offerControl' | 'acceptControl' | 'releaseControl',
    conversationId: string,
    body: unknown,
    idempotent: boolean,
  ): Promise<SwitchboardActionResult> {
    if (closed) {
      throw new ConnectionClosedError(`This Sunshine Conversations client of ${origin}`, { pluginId });
    }
    const id = parseInput(idSchema, conversationId, 'conversation id', pluginId);
    const response = await http.request<SwitchboardActionResponse>({
      method: 'POST',
      path: `/sc/v2/apps/${appId}/conversations/${id}/${action}`,
      operation: `${action} of conversation ${id}`,
      body,
      idempotent,
    });
    return { attempts: response.attempts, requestId: response.requestId };
  }

  return {
    // https://developer.zendesk.com/api-reference/conversations/#tag/Switchboard-Actions/operation/PassControl
    passControl: async (conversationId, body) =>
      act(
        'passControl',
        conversationId,
        parseInput(passControlBodySchema, body, 'passControl body', pluginId),
        false,
      ),
    // https://developer.zendesk.com/api-reference/conversations/#tag/Switchboard-Actions/operation/OfferControl
    offerControl: async (conversationId, body) =>
      act(
        'offerControl',
        conversationId,
        parseInput(offerControlBodySchema, body, 'offerControl body', pluginId),
        false,
      ),
    // https://developer.zendesk.com/api-reference/conversations/#tag/Switchboard-Actions/operation/AcceptControl
    // The body is required by the spec, if only `{}`; a repeat fails (nothing is pending any more), so no retry.
    acceptControl: async (conversationId, body = {}) =>
      act(
        'acceptControl',
        conversationId,
        parseInput(acceptControlBodySchema, body, 'acceptControl body', pluginId),
        false,
      ),
    // https://developer.zendesk.com/api-reference/conversations/#tag/Switchboard-Actions/operation/ReleaseControl
    // Sent without a body when there is no metadata (the spec makes it optional). Releasing twice
    // leaves the same state, so a failed attempt is retried.
    releaseControl: async (conversationId, body) =>
      act(
        'releaseControl',
        conversationId,
        body === undefined
          ? undefined
          : parseInput(releaseControlBodySchema, body, 'releaseControl body', pluginId),
        true,
      ),
    close() {
      if (closed) return;
      closed = true;
      budgets.release(budgetKey);
    },
  };
}
