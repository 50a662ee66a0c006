// The out-of-tree plugin's contract test: one call, as in every plugin of the repository.
import { testPlugin } from '@crm-connect/testkit';
import { helpdeskFixture } from '../src/helpdesk-fixture.js';

testPlugin(helpdeskFixture);
