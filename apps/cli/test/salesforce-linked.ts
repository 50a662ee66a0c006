import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createFileTokenStore } from '@crm-connect/cli';
import { type SalesforceSettingsInput, salesforce } from '@crm-connect/salesforce';
import { type SalesforceSandbox, salesforceSandboxSettings } from '@crm-connect/sandbox';

/**
 * Links Ada and Ivy (the integration user) through the real OAuth flow, with the plugin over the
 * CLI's token file in `folder`, and writes the settings file an admin would keep (no secret).
 */
export async function linkedSalesforceConfig(
  sandbox: SalesforceSandbox,
  folder: string,
): Promise<{ config: string; tokens: string }> {
  const tokens = join(folder, 'tokens.json');
  const plugin = salesforce({ tokenStore: createFileTokenStore(tokens) });
  const redirectUri = 'http://127.0.0.1:9/oauth/callback';
  let settings: SalesforceSettingsInput = salesforceSandboxSettings(sandbox);
  for (const loginHint of ['ada.admin@acme.test', 'integration@acme.test']) {
    const { url, state, codeVerifier } = plugin.admin.start(settings, { redirectUri, loginHint });
    const answer = await fetch(url, { redirect: 'manual' });
    const callback = new URL(answer.headers.get('location') ?? redirectUri).searchParams;
    settings = (await plugin.admin.complete(settings, { callback, state, codeVerifier, redirectUri }))
      .settings;
  }
  const { clientSecret: _secret, ...saved } = settings;
  const config = join(folder, 'salesforce.json');
  await writeFile(config, JSON.stringify(saved));
  return { config, tokens };
}
