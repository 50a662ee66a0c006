import { testPlugin } from '@crm-connect/testkit';
import { zendeskFixture } from './zendesk-fixture.js';

testPlugin(zendeskFixture);
