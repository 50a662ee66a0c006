import { testPlugin } from '@crm-connect/testkit';
import { helpdeskFixture } from '@crm-connect/testkit/example';

testPlugin(helpdeskFixture);
