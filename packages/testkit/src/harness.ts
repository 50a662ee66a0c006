import {
  type CommonSettingsInput,
  type Connector,
  createConnector,
  createMemoryAuditSink,
  createRateBudgetRegistry,
  createRedactor,
  type Logger,
  type MemoryAuditSink,
  type PluginContext,
  type PluginSettingsSchema,
} from '@crm-connect/core';
import nock from 'nock';
import { afterAll, afterEach, beforeAll, beforeEach } from 'vitest';
import type { z } from 'zod';
import type { CapturedRequest, ConformanceFixture, Mock } from './fixture.js';

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
  /** Every log line (message and fields, serialised) the connector produced. */
  readonly logs: string[];
  readonly logger: Logger;
  readonly audit: MemoryAuditSink;
  /**
   * A fresh connector over the fixture's settings plus `overrides` (the common settings, or any of
   * the plugin's own fields), with fast retries and a private rate budget.
   */
  connector(overrides?: SettingsOverrides<TSchema>, random?: () => number): Connector;
  /** A plugin context like the connector's, for calling plugin functions directly. */
  context(): PluginContext;
}

/**
 * Owns nock for a test file: no real network, every request recorded, and a test fails when an
 * interceptor it registered was never used. Returns a getter for the current test's harness.
 */
export function useHarness<TSchema extends PluginSettingsSchema>(
  fixture: ConformanceFixture<TSchema>,
): () => Harness<TSchema> {
  let current: Harness<TSchema> | undefined;

  beforeAll(() => {
    nock.disableNetConnect();
  });
  afterAll(() => {
    nock.enableNetConnect();
  });
  beforeEach(() => {
    current = createHarness(fixture);
  });
  afterEach(() => {
    const pending = nock.pendingMocks();
    nock.cleanAll();
    current = undefined;
    if (pending.length > 0)
      throw new Error(`Interceptors never called (the plugin skipped a request): ${pending.join(', ')}`);
  });

  return () => {
    if (current === undefined) throw new Error('The harness exists only inside a test');
    return current;
  };
}

function createHarness<TSchema extends PluginSettingsSchema>(
  fixture: ConformanceFixture<TSchema>,
): Harness<TSchema> {
  const requests: CapturedRequest[] = [];
  const logs: string[] = [];
  const logger: Logger = {
    log: (level, message, fields) => logs.push(`${level} ${message} ${JSON.stringify(fields ?? {})}`),
  };
  const audit = createMemoryAuditSink();
  const origin = fixture.origins[0];
  if (origin === undefined) throw new Error('The fixture names no CRM origin');

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
    connector(overrides = {}, random = () => 0) {
      return createConnector({
        plugin: fixture.plugin,
        settings: { ...fixture.settings, ...overrides } as z.input<TSchema>,
        audit: audit.sink,
        logger,
        random,
        rateBudgets: createRateBudgetRegistry(),
        http: { retry: { initialDelayMs: 1, maxDelayMs: 5 }, timeoutMs: 5_000 },
      });
    },
    context() {
      return {
        redactor: createRedactor(),
        logger,
        audit: audit.sink,
        rateBudgets: createRateBudgetRegistry(),
        http: { retry: { initialDelayMs: 1, maxDelayMs: 5 }, timeoutMs: 5_000 },
      };
    },
  };
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
