import { createHash, timingSafeEqual } from 'node:crypto';
import {
  ConfigurationError,
  createRedactingLogger,
  createRedactor,
  isCrmConnectError,
  type Logger,
  type Redactor,
  silentLogger,
} from '@crm-connect/core';
import { type ClaimResult, createMemoryWebhookEventStore, type WebhookEventStore } from './event-store.js';
import { exceedsJsonDepth } from './json-depth.js';
import { pluginId } from './options.js';
import {
  eventEnvelopeSchema,
  isKnownTrigger,
  type SunshineEvent,
  sunshineEventSchema,
  type UnknownSunshineEvent,
  webhookBodySchema,
} from './webhook-events.js';

/**
 * The Sunshine Conversations webhook receiver, framework-agnostic: headers and the raw body in,
 * typed events handed to your callback, an HTTP answer out.
 *
 * Sunshine authenticates a delivery only by sending the webhook's shared secret in `X-API-Key`
 * (no signature, no timestamp), so the key is compared in constant time and replays are stopped
 * by event id. Sunshine retries any answer but 400, 401, 403, 404 and 406 up to 5 times over 15
 * minutes, and counts no answer within 20 s as a failure; the statuses below are chosen for that:
 * - 401 missing or wrong key, 403 another app or webhook, 400 a body that is not a v2 payload
 *   (or nests deeper than `maxJsonDepth`): retrying cannot help, so Sunshine does not;
 * - 500 when a handler failed, 503 when another delivery of an event is still being handled:
 *   Sunshine delivers again, and the events already handled are skipped as duplicates;
 * - 200 otherwise, also for unknown event types (reported, not handled) and for events whose
 *   payload breaks the spec (reported: a redelivery would carry the same payload).
 * https://developer.zendesk.com/api-reference/conversations/#section/Webhooks
 */

export interface WebhookRequest {
  /** POST; anything else gets 405. Default POST. */
  method?: string | undefined;
  /** The request headers, any case. */
  headers: Readonly<Record<string, string | readonly string[] | undefined>>;
  /** The raw body, exactly as received. */
  body: string | Uint8Array;
}

export interface WebhookResponse {
  status: number;
  headers: Readonly<Record<string, string>>;
  /** A short JSON summary; it never echoes the key. */
  body: string;
}

/** How one request went, event by event. */
export interface WebhookSummary {
  /** Events handed to `onEvent` whose handling succeeded. */
  processed: number;
  /** Events already handled by an earlier delivery. */
  duplicates: number;
  /** Events of a type the spec does not list. */
  unknown: number;
  /** Events that break the spec's shape, skipped. */
  invalid: number;
  /** Events whose handler failed: the answer is 500, so Sunshine delivers them again. */
  failed: number;
  /** Events another delivery is still handling: the answer is 503, so Sunshine delivers them again later. */
  busy: number;
}

/** Which app and webhook a delivery came from. */
export interface WebhookDelivery {
  appId: string;
  webhookId: string;
}

export interface SunshineWebhookReceiverOptions {
  /**
   * The webhook's shared secret, shown once when the Conversations integration is created (Admin
   * Center › Apps and integrations › Conversations integrations). Required.
   */
  secret: string;
  /** Handles one event; resolve when it is done. A rejection answers 500 so Sunshine delivers the event again. Required. */
  onEvent: (event: SunshineEvent, delivery: WebhookDelivery) => Promise<unknown> | unknown;
  /** Hears events of types the spec does not list (they are acknowledged, never retried). Default: a warning in the log. */
  onUnknownEvent?:
    | ((event: UnknownSunshineEvent, delivery: WebhookDelivery) => Promise<unknown> | unknown)
    | undefined;
  /** Accept deliveries for this Sunshine Conversations app id only; others get 403. Default: every app. */
  appId?: string | undefined;
  /** Accept deliveries from these webhook ids only; others get 403. Default: every webhook. */
  webhookIds?: readonly string[] | undefined;
  /** Which event ids were handled. Default: in memory, 10,000 ids. */
  store?: WebhookEventStore | undefined;
  /** Largest body accepted, in bytes; larger ones get 413. Default 1 MiB. */
  maxBodyBytes?: number | undefined;
  /**
   * Deepest nesting of arrays and objects accepted; deeper bodies get 400 (`body_too_deep`) before
   * they are parsed. Sunshine's v2 payloads nest about 10 levels. Default 64.
   */
  maxJsonDepth?: number | undefined;
  /** Default: silent. Every line is redacted. */
  logger?: Logger | undefined;
  /** Holds the secrets to redact; the receiver registers the webhook secret in it. Default: a private one. */
  redactor?: Redactor | undefined;
}

export interface SunshineWebhookReceiver {
  /** Handles one delivery; never throws (a handler failure becomes a 500 answer, any other failure a 500 too). */
  receive(request: WebhookRequest): Promise<WebhookResponse>;
  /** The body limit, for adapters that read the body themselves. */
  readonly maxBodyBytes: number;
}

type Outcome = 'processed' | 'duplicate' | 'failed' | 'busy';
const jsonHeaders = { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' };

/** Why a delivery was refused, stable for monitoring; the `error` beside it is for people. */
export type WebhookRefusalCode =
  | 'method_not_allowed'
  | 'unauthenticated'
  | 'body_too_large'
  | 'body_too_deep'
  | 'not_json'
  | 'not_an_object'
  | 'unsupported_version'
  | 'not_a_v2_payload'
  | 'app_refused'
  | 'webhook_refused'
  | 'internal_error';

function answer(status: number, body: Record<string, unknown>): WebhookResponse {
  return { status, headers: jsonHeaders, body: JSON.stringify(body) };
}

function refuse(status: number, code: WebhookRefusalCode, error: string): WebhookResponse {
  return answer(status, { code, error });
}

const defaultMaxJsonDepth = 64;

/** Header names are case-insensitive; a repeated header is ambiguous and reads as absent. */
function headerValue(headers: WebhookRequest['headers'], wanted: string): string | undefined {
  for (const [name, value] of Object.entries(headers)) {
    if (name.toLowerCase() !== wanted) continue;
    if (typeof value === 'string') return value;
    if (Array.isArray(value) && value.length === 1 && typeof value[0] === 'string') return value[0];
    return undefined;
  }
  return undefined;
}

/** SHA-256 digests have one length whatever the input, so `timingSafeEqual` never sees unequal lengths. */
function digest(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

/** A v1 or v1.1 payload: `trigger` and `appUser` at the top, no `webhook.version` of v2. */
function legacyVersion(body: Record<string, unknown>): string | undefined {
  const webhook = body.webhook;
  if (typeof webhook === 'object' && webhook !== null && 'version' in webhook) {
    const { version } = webhook as { version: unknown };
    if (version === 'v2') return undefined;
    // Not String(): a JSON object whose own `toString` is not a function makes it throw.
    return typeof version === 'string' ? version : JSON.stringify(version);
  }
  if ('trigger' in body || 'appUser' in body) return typeof body.version === 'string' ? body.version : 'v1';
  return undefined;
}

export function createSunshineWebhookReceiver(
  options: SunshineWebhookReceiverOptions,
): SunshineWebhookReceiver {
  if (typeof options.secret !== 'string' || options.secret.trim() === '') {
    throw new ConfigurationError(
      'The Sunshine Conversations webhook secret is missing: copy the shared secret shown when the Conversations integration was created (Admin Center › Apps and integrations › Conversations integrations).',
      { pluginId, issues: [{ path: 'secret', message: 'secret: is required' }] },
    );
  }
  // Header values arrive without surrounding whitespace, so a secret pasted with a newline would never match.
  const secret = options.secret.trim();
  const expected = digest(secret);
  const redactor = (options.redactor ?? createRedactor()).add(secret).add(options.secret);
  const logger = createRedactingLogger(options.logger ?? silentLogger, redactor);
  const store = options.store ?? createMemoryWebhookEventStore();
  const maxBodyBytes = options.maxBodyBytes ?? 1_048_576;
  const maxJsonDepth = options.maxJsonDepth ?? defaultMaxJsonDepth;
  if (!Number.isInteger(maxJsonDepth) || maxJsonDepth < 1) {
    throw new ConfigurationError('maxJsonDepth must be a whole number of at least 1.', {
      pluginId,
      issues: [{ path: 'maxJsonDepth', message: 'maxJsonDepth: must be an integer of at least 1' }],
    });
  }
  const webhookIds = options.webhookIds === undefined ? undefined : new Set(options.webhookIds);

  /** Claims, handles, then completes or releases one event; returns how it went. */
  async function handleOnce(
    key: string,
    event: { id: string; type: string },
    handle: () => Promise<unknown>,
  ): Promise<Outcome> {
    let claim: ClaimResult;
    try {
      claim = await store.claim(key);
    } catch (error) {
      logger.log('error', 'sunshine webhook event store failed', {
        eventId: event.id,
        error: describe(error),
      });
      return 'failed';
    }
    if (claim === 'processed') return 'duplicate';
    if (claim === 'processing') return 'busy';
    try {
      await handle();
    } catch (error) {
      logger.log('error', 'sunshine webhook event failed; Sunshine Conversations will deliver it again', {
        eventId: event.id,
        type: event.type,
        error: describe(error),
      });
      await Promise.resolve()
        .then(() => store.release(key))
        .catch((releaseError: unknown) =>
          logger.log('error', 'sunshine webhook event claim not released', {
            eventId: event.id,
            error: describe(releaseError),
          }),
        );
      return 'failed';
    }
    try {
      await store.complete(key);
    } catch (error) {
      // Handled but not recorded: a redelivery may handle it again, so say so loudly.
      logger.log('error', 'sunshine webhook event handled but not recorded as handled', {
        eventId: event.id,
        error: describe(error),
      });
    }
    return 'processed';
  }

  async function receive(request: WebhookRequest): Promise<WebhookResponse> {
    try {
      return await receiveOnce(request);
    } catch (error) {
      // Nothing above is expected to throw; if something does, the delivery still gets an answer
      // (a 500, so Sunshine delivers again) and the failure is logged.
      logger.log('error', 'sunshine webhook receiver failed', { error: describe(error) });
      return refuse(500, 'internal_error', 'the delivery could not be handled: deliver it again');
    }
  }

  async function receiveOnce(request: WebhookRequest): Promise<WebhookResponse> {
    if ((request.method ?? 'POST').toUpperCase() !== 'POST') {
      return {
        ...refuse(405, 'method_not_allowed', 'Sunshine Conversations webhooks are POST requests'),
        headers: { ...jsonHeaders, Allow: 'POST' },
      };
    }
    const key = headerValue(request.headers, 'x-api-key');
    if (key === undefined || !timingSafeEqual(digest(key), expected)) {
      logger.log('warn', 'sunshine webhook refused: missing or wrong X-API-Key', {
        present: key !== undefined,
      });
      return refuse(401, 'unauthenticated', 'missing or wrong X-API-Key');
    }
    const bytes =
      typeof request.body === 'string' ? Buffer.byteLength(request.body) : request.body.byteLength;
    if (bytes > maxBodyBytes) {
      return refuse(413, 'body_too_large', `body larger than ${maxBodyBytes} bytes`);
    }
    const text = typeof request.body === 'string' ? request.body : Buffer.from(request.body).toString('utf8');
    // Before parsing: whatever walks a parsed value (zod, JSON.stringify, a logger) recurses.
    if (exceedsJsonDepth(text, maxJsonDepth)) {
      logger.log('warn', 'sunshine webhook refused: body nested too deep', { maxJsonDepth });
      return refuse(
        400,
        'body_too_deep',
        `the body nests arrays and objects deeper than ${maxJsonDepth} levels`,
      );
    }

    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch {
      return refuse(400, 'not_json', 'the body is not JSON');
    }
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
      return refuse(400, 'not_an_object', 'the body is not a JSON object');
    }
    const legacy = legacyVersion(raw as Record<string, unknown>);
    if (legacy !== undefined) {
      logger.log('warn', 'sunshine webhook refused: not a v2 payload', { version: legacy });
      return refuse(
        400,
        'unsupported_version',
        `payload version ${legacy} is not supported: set the webhook's version to v2`,
      );
    }
    const body = webhookBodySchema.safeParse(raw);
    if (!body.success) {
      const fields = body.error.issues.map((issue) => issue.path.join('.') || '(root)').join(', ');
      return refuse(
        400,
        'not_a_v2_payload',
        `not a v2 webhook payload (app, webhook and events are required; bad: ${fields})`,
      );
    }
    const delivery: WebhookDelivery = { appId: body.data.app.id, webhookId: body.data.webhook.id };
    if (options.appId !== undefined && delivery.appId !== options.appId) {
      logger.log('warn', 'sunshine webhook refused: another app', { appId: delivery.appId });
      return refuse(403, 'app_refused', 'this receiver does not serve that app');
    }
    if (webhookIds !== undefined && !webhookIds.has(delivery.webhookId)) {
      logger.log('warn', 'sunshine webhook refused: unknown webhook', { webhookId: delivery.webhookId });
      return refuse(403, 'webhook_refused', 'this receiver does not serve that webhook');
    }

    const summary: WebhookSummary = {
      processed: 0,
      duplicates: 0,
      unknown: 0,
      invalid: 0,
      failed: 0,
      busy: 0,
    };
    const count = (outcome: Outcome) => {
      if (outcome === 'processed') summary.processed += 1;
      else if (outcome === 'duplicate') summary.duplicates += 1;
      else if (outcome === 'failed') summary.failed += 1;
      else summary.busy += 1;
    };
    // One at a time, in the order Sunshine sent them: events of one conversation depend on each other.
    for (const [index, item] of body.data.events.entries()) {
      const envelope = eventEnvelopeSchema.safeParse(item);
      if (!envelope.success) {
        summary.invalid += 1;
        logger.log('warn', 'sunshine webhook event without an id or type skipped', { index });
        continue;
      }
      const { id, type } = envelope.data;
      const storeKey = `${delivery.appId}/${id}`;
      if (!isKnownTrigger(type)) {
        summary.unknown += 1;
        logger.log('warn', 'sunshine webhook event of an unknown type acknowledged, not handled', {
          eventId: id,
          type,
        });
        const unknown: UnknownSunshineEvent = { ...envelope.data, payload: envelope.data.payload };
        const outcome = await handleOnce(storeKey, envelope.data, async () =>
          options.onUnknownEvent?.(unknown, delivery),
        );
        // An unknown event counts once, as unknown; only a failure of its own handler matters more.
        if (outcome === 'failed' || outcome === 'busy') count(outcome);
        continue;
      }
      const event = sunshineEventSchema.safeParse(item);
      if (!event.success) {
        summary.invalid += 1;
        logger.log('warn', 'sunshine webhook event does not match the spec; skipped', {
          eventId: id,
          type,
          issues: event.error.issues.slice(0, 5).map((issue) => `${issue.path.join('.')}: ${issue.message}`),
        });
        continue;
      }
      count(await handleOnce(storeKey, envelope.data, async () => options.onEvent(event.data, delivery)));
    }

    if (summary.failed > 0)
      return answer(500, { ...summary, error: 'some events failed: deliver them again' });
    if (summary.busy > 0)
      return answer(503, { ...summary, error: 'some events are still being handled: deliver again' });
    return answer(200, { ...summary });
  }

  function describe(error: unknown): string {
    const text = isCrmConnectError(error)
      ? `${error.code}: ${error.message}`
      : error instanceof Error
        ? error.message
        : String(error);
    return redactor.redact(text);
  }

  return { receive, maxBodyBytes };
}
