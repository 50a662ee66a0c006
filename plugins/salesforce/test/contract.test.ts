import { testPlugin } from '@crm-connect/testkit';
import { salesforceFixture } from './salesforce-fixture.js';

testPlugin(salesforceFixture);
