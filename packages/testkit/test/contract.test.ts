import { testPlugin } from '@crm-connect/testkit';
import { helpdeskFixture } from './helpdesk-fixture.js';

testPlugin(helpdeskFixture);
