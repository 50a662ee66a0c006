import { testPlugin } from '@crm-connect/testkit';
import { kustomerFixture } from './kustomer-fixture.js';

testPlugin(kustomerFixture);
