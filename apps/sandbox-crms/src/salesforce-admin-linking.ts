import type { SalesforcePlugin, SalesforceSettingsInput } from '@crm-connect/salesforce';

/** Two admins, as the plugin's setup guide asks: the second takes over when the first one's grant ends. */
export const linkedAdmins = ['ada.admin@acme.test', 'integration@acme.test'] as const;

/**
 * Links an admin with the plugin's own two linking calls around the sandbox's authorize endpoint,
 * which signs the `login_hint` user in at once (`autoApprove`): that stands in for the admin at
 * the browser; everything else is the real OAuth web-server flow with PKCE.
 */
export async function linkAdmin(
  plugin: SalesforcePlugin,
  settings: SalesforceSettingsInput,
  loginHint: string,
): Promise<SalesforceSettingsInput> {
  const redirectUri = 'http://127.0.0.1:8723/oauth/callback';
  const { url, state, codeVerifier } = plugin.admin.start(settings, { redirectUri, loginHint });
  const answer = await fetch(url, { redirect: 'manual' });
  const callback = new URL(answer.headers.get('location') ?? redirectUri).searchParams;
  const linked = await plugin.admin.complete(settings, { callback, state, codeVerifier, redirectUri });
  return linked.settings;
}

/** Links every admin of `linkedAdmins`, in order. */
export async function linkAdmins(
  plugin: SalesforcePlugin,
  settings: SalesforceSettingsInput,
): Promise<SalesforceSettingsInput> {
  let linked = settings;
  for (const loginHint of linkedAdmins) linked = await linkAdmin(plugin, linked, loginHint);
  return linked;
}
