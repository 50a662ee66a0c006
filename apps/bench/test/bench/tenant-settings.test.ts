import { describe, expect, it } from 'vitest';
import { tenantSettings } from '../../src/bench/tenant-settings.js';

/** Salesforce's shape: the org id in the settings and in a linked admin, the sandbox's URL in both. */
const sandboxUrl = 'http://127.0.0.1:4010';
const settings = {
  orgId: '00DSb0000000001',
  loginUrl: sandboxUrl,
  clientId: '3MVG9SbxConsumerKey',
  clientSecret: 'E1F4A7C0B3D6E9F2A5C8B1D4E7F0A3C6',
  adminConnections: [{ orgId: '00DSb0000000001', instanceUrl: sandboxUrl, userId: '005Sb0000000001IAA' }],
};

describe('bench: tenant settings', () => {
  it('gives each tenant its own address, org id and secrets, and leaves the rest', () => {
    const tenant = tenantSettings(settings, sandboxUrl, ['clientSecret'], 42);
    expect(tenant).toEqual({
      orgId: '00D000000000016',
      loginUrl: 'http://127.0.0.1:20042',
      clientId: '3MVG9SbxConsumerKey',
      clientSecret: 'E1F4A7C0B3D6E9F2A5C8B1D4E7000016',
      adminConnections: [
        { orgId: '00D000000000016', instanceUrl: 'http://127.0.0.1:20042', userId: '005Sb0000000001IAA' },
      ],
    });
  });

  it('makes two tenants differ in every one of those', () => {
    const [first, second] = [1, 2].map((tenant) =>
      tenantSettings(settings, sandboxUrl, ['clientSecret'], tenant),
    );
    for (const field of ['orgId', 'loginUrl', 'clientSecret'])
      expect(first?.[field], field).not.toBe(second?.[field]);
  });
});
