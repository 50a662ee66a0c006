import type { PluginSettingsSchema } from '@crm-connect/core';
import type { ConformanceFixture } from './fixture.js';
import { useHarness } from './harness.js';
import { actorResolutionSuite } from './suites/actor-resolution.js';
import { connectorPathsSuite } from './suites/connector-paths.js';
import { credentialsSuite } from './suites/credentials.js';
import { errorsAndRetriesSuite } from './suites/errors-and-retries.js';
import { foreignIdsSuite } from './suites/foreign-ids.js';
import { lostAnswersSuite } from './suites/lost-answers.js';
import { recordOperationsSuite } from './suites/record-operations.js';
import { secretRedactionSuite } from './suites/secret-redaction.js';
import { settingsSuite } from './suites/settings.js';

export * from './events.js';
export type {
  CapturedRequest,
  ConformanceFixture,
  ConformanceMocks,
  ExpectedRequest,
  FieldOf,
  LoseAnswer,
  Matcher,
  Mock,
  NotApplicable,
  PresentNote,
  SeededUsers,
  WriteDeclarations,
  WriteExpectation,
} from './fixture.js';
export { type Harness, type SettingsOverrides, useHarness } from './harness.js';
export { expectWritten, type MatchedRequest, type WriteOperationName } from './written.js';

/**
 * Registers the whole conformance suite for a plugin: a plugin's `contract.test.ts` is this one
 * call. Every test runs against nock (no network), fails on an unused interceptor or a secret
 * printed to stdout/stderr, and checks each write twice: what the connector returned and what the
 * CRM received.
 */
export function testPlugin<TSchema extends PluginSettingsSchema>(fixture: ConformanceFixture<TSchema>): void {
  const harness = useHarness(fixture);
  settingsSuite(fixture, harness);
  credentialsSuite(fixture, harness);
  actorResolutionSuite(fixture, harness);
  recordOperationsSuite(fixture, harness);
  connectorPathsSuite(fixture, harness);
  foreignIdsSuite(fixture, harness);
  errorsAndRetriesSuite(fixture, harness);
  lostAnswersSuite(fixture, harness);
  secretRedactionSuite(fixture, harness);
}
