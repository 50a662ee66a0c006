/**
 * The worked example of docs/adding-a-crm.md: a minimal plugin for a made-up "Helpdesk" API and
 * its conformance fixture. Read it as a model; run `testPlugin(helpdeskFixture)` to see the suite pass.
 */
export { apiKey, helpdeskFixture, origin, users } from './helpdesk-fixture.js';
export { helpdeskPlugin } from './helpdesk-plugin.js';
