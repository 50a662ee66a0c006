import {
  type CommonSettingsInput,
  type Connector,
  createConnector,
  createMemoryAuditSink,
  createRateBudgetRegistry,
  createRedactingAuditSink,
  createRedactingLogger,
  createRedactor,
  type Logger,
  type MemoryAuditSink,
  type PluginContext,
  type PluginSettingsSchema,
  REDACTED,
  type Redactor,
} from '@crm-connect/core';
import nock from 'nock';
import { afterAll, afterEach, beforeAll, beforeEach } from 'vitest';
import type { z } from 'zod';
import type { CapturedRequest, ConformanceFixture, Mock } from './fixture.js';
import { captureOutput, type OutputCapture } from './output-capture.js';

/** Settings a test changes: the common ones (typed for every plugin) or the plugin's own. */
export type SettingsOverrides<TSchema extends PluginSettingsSchema> =
  | Partial<CommonSettingsInput>
  | Partial<z.input<TSchema>>;

export interface Harness<TSchema extends PluginSettingsSchema> {
  /** A nock scope for the CRM origin (default: the fixture's first) whose requests are recorded. */
  crm(origin?: string): nock.Scope;
  /** Registers a fixture mock on recorded scopes. */
  use(mock: Mock): void;
  /** Every request the plugin sent in this test, in order. */
  readonly requests: CapturedRequest[];
  /** The requests that write (POST, PUT, PATCH, DELETE). */
  writes(): CapturedRequest[];
  /** Every log line (message and fields, serialised, after redaction) the connectors and contexts produced. */
  readonly logs: string[];
  /** The raw sink under every connector's and context's redacting logger. */
  readonly logger: Logger;
  readonly audit: MemoryAuditSink;
  /** Everything written to process.stdout, process.stderr or the console during this test. */
  readonly output: readonly string[];
  /**
   * A fresh connector over the fixture's settings plus `overrides` (the common settings, or any of
   * the plugin's own fields), with fast retries, a 5 s timeout (or `http`) and a private rate budget.
   */
  connector(
    overrides?: SettingsOverrides<TSchema>,
    random?: () => number,
    http?: PluginContext['http'],
  ): Connector;
  /**
   * A plugin context built like the connector's (a redactor, a redacting logger and audit sink),
   * for calling plugin functions directly. Its redactor starts empty, as a save flow's may: a
   * plugin registers every secret it uses, configured ones included, before anything can log it.
   */
  context(): PluginContext;
  /**
   * The texts that hold a secret (a configured one, valid or invalid, or one registered with a
   * redactor of this test's connectors and contexts), each redacted: a failure says where, never what.
   */
  leaks(texts: readonly string[]): string[];
}

/** The HTTP overrides of the harness's connectors and contexts: fast retries, a 5 s timeout. */
const fastHttp: PluginContext['http'] = { retry: { initialDelayMs: 1, maxDelayMs: 5 }, timeoutMs: 5_000 };

/**
 * Owns nock for a test file: no real network, every request recorded, and a test fails when an
 * interceptor it registered was never used or a secret was printed to stdout, stderr or the
 * console. Returns a getter for the current test's harness.
 */
export function useHarness<TSchema extends PluginSettingsSchema>(
  fixture: ConformanceFixture<TSchema>,
): () => Harness<TSchema> {
  let current: Harness<TSchema> | undefined;
  let output: OutputCapture | undefined;

  beforeAll(() => {
    nock.disableNetConnect();
  });
  afterAll(() => {
    nock.enableNetConnect();
  });
  beforeEach(() => {
    output = captureOutput();
    current = createHarness(fixture, output);
  });
  afterEach(() => {
    output?.stop();
    const printed = current?.leaks(output?.chunks ?? []) ?? [];
    const pending = nock.pendingMocks();
    // Answers held back (a lost answer's delay) are dropped with their timers.
    nock.abortPendingRequests();
    nock.cleanAll();
    const unnamed = current?.logs.filter(unnamedRequest) ?? [];
    current = undefined;
    output = undefined;
    const problems: string[] = [];
    if (unnamed.length > 0)
      problems.push(
        `CRM requests logged without what the plugin was doing (give every request an operation): ${unnamed.join(' | ')}`,
      );
    if (pending.length > 0)
      problems.push(`Interceptors never called (the plugin skipped a request): ${pending.join(', ')}`);
    if (printed.length > 0)
      problems.push(
        `A secret was written to stdout, stderr or the console (a plugin never prints; log through context.logger, which redacts): ${printed.join(' | ')}`,
      );
    if (problems.length > 0) throw new Error(problems.join('\n'));
  });

  return () => {
    if (current === undefined) throw new Error('The harness exists only inside a test');
    return current;
  };
}

function createHarness<TSchema extends PluginSettingsSchema>(
  fixture: ConformanceFixture<TSchema>,
  output: OutputCapture,
): Harness<TSchema> {
  const requests: CapturedRequest[] = [];
  const logs: string[] = [];
  const logger: Logger = {
    log: (level, message, fields) => logs.push(`${level} ${message} ${JSON.stringify(fields ?? {})}`),
  };
  const audit = createMemoryAuditSink();
  const origin = fixture.origins[0];
  if (origin === undefined) throw new Error('The fixture names no CRM origin');
  /** The configured secrets first, then every redactor a connector or context of this test holds. */
  const redactors: Redactor[] = [createRedactor(configuredSecrets(fixture))];
  const holdsSecret = (text: string) => redactors.some((redactor) => redactor.redact(text) !== text);
  const redacted = (text: string) => redactors.reduce((result, redactor) => redactor.redact(result), text);

  const crm = (scopeOrigin = origin) => {
    const scope = nock(scopeOrigin);
    scope.on('request', (request: RecordedRequest, _interceptor: unknown, body: string) => {
      requests.push({
        method: String(request.method).toUpperCase(),
        path: String(request.path),
        headers: lowercaseHeaders(request.headers ?? request.getHeaders?.() ?? {}),
        body: parseBody(body),
      });
    });
    return scope;
  };

  return {
    crm,
    use: (mock) => mock(() => crm()),
    requests,
    writes: () => requests.filter((request) => request.method !== 'GET' && request.method !== 'HEAD'),
    logs,
    logger,
    audit,
    output: output.chunks,
    connector(overrides = {}, random = () => 0, http = fastHttp) {
      const connector = createConnector({
        plugin: fixture.plugin,
        settings: { ...fixture.settings, ...overrides } as z.input<TSchema>,
        audit: audit.sink,
        logger,
        random,
        rateBudgets: createRateBudgetRegistry(),
        http,
      });
      redactors.push(connector.redactor);
      return connector;
    },
    context() {
      const redactor = createRedactor();
      redactors.push(redactor);
      return {
        redactor,
        logger: createRedactingLogger(logger, redactor),
        audit: createRedactingAuditSink(audit.sink, redactor),
        rateBudgets: createRateBudgetRegistry(),
        http: fastHttp,
      };
    },
    leaks: (texts) => texts.filter(holdsSecret).map((text) => excerpt(redacted(text))),
  };
}

/** The values of the plugin's secret fields in the fixture's settings, valid and invalid. */
function configuredSecrets<TSchema extends PluginSettingsSchema>(
  fixture: ConformanceFixture<TSchema>,
): string[] {
  const settings: Record<string, unknown>[] = [
    fixture.settings,
    { ...fixture.settings, ...fixture.invalidCredentials },
  ];
  return settings.flatMap((values) =>
    fixture.plugin.settings.secretFields.flatMap((field) => {
      const value = values[field];
      return typeof value === 'string' ? [value] : [];
    }),
  );
}

/** A request log line of core's HTTP layer whose operation is empty. */
function unnamedRequest(line: string): boolean {
  if (!line.startsWith('debug crm request {')) return false;
  const fields = JSON.parse(line.slice('debug crm request '.length)) as { operation?: unknown };
  return typeof fields.operation !== 'string' || fields.operation.trim() === '';
}

/** Up to 200 characters around the first redacted secret, on one line. */
function excerpt(text: string): string {
  const line = text.replace(/\s+/g, ' ').trim();
  const start = Math.max(0, line.indexOf(REDACTED) - 80);
  const end = Math.min(line.length, start + 200);
  return `${start > 0 ? '…' : ''}${line.slice(start, end)}${end < line.length ? '…' : ''}`;
}

interface RecordedRequest {
  method?: string;
  path?: string;
  headers?: Record<string, unknown>;
  getHeaders?: () => Record<string, unknown>;
}

function lowercaseHeaders(headers: Record<string, unknown>): Record<string, string> {
  const result: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined)
      result[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : String(value);
  }
  return result;
}

function parseBody(body: string | undefined): unknown {
  if (body === undefined || body === '') return undefined;
  try {
    return JSON.parse(body);
  } catch {
    return body;
  }
}
