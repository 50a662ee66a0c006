import { testPlugin } from '@crm-connect/testkit';
import { dynamicsFixture } from './dynamics-fixture.js';

testPlugin(dynamicsFixture);
