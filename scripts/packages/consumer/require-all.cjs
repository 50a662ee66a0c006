// Loads every public entry point with require(), as a CommonJS consumer does. The packages are
// ESM only: this works from Node 20.19 on (require of a synchronous ES module graph).
const assert = require('node:assert/strict');

const entryPoints = {
  '@crm-connect/core': ['createConnector', 'settingsJsonSchema', 'CrmConnectError'],
  '@crm-connect/testkit': ['testPlugin', 'useHarness', 'chatStarted'],
  '@crm-connect/testkit/example': ['helpdeskPlugin', 'helpdeskFixture'],
  '@crm-connect/sandbox': ['createZendeskSandbox', 'createSandboxServer'],
  '@crm-connect/redis': ['connectRedis', 'createRedisRecordLinkStore'],
  '@crm-connect/worker': ['createProducer', 'createWorker'],
  '@crm-connect/zendesk': ['zendesk'],
  '@crm-connect/zendesk/messaging': ['createSunshineWebhookReceiver', 'signMessagingJwt'],
  '@crm-connect/salesforce': ['salesforce', 'createMemoryTokenStore'],
  '@crm-connect/dynamics': ['dynamics'],
  '@crm-connect/kustomer': ['kustomer'],
  '@crm-connect/sandbox-crms': ['sandboxCrms'],
  '@crm-connect/cli': ['run', 'exitCodes'],
};

for (const [specifier, names] of Object.entries(entryPoints)) {
  const loaded = require(specifier);
  for (const name of names) assert.ok(name in loaded, `${specifier} has no export ${name}`);
  process.stdout.write(`require('${specifier}'): ${Object.keys(loaded).length} exports\n`);
}
