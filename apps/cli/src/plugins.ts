import { homedir } from 'node:os';
import { join } from 'node:path';
import type { CrmPlugin } from '@crm-connect/core';
import { dynamics } from '@crm-connect/dynamics';
import { kustomer } from '@crm-connect/kustomer';
import { type SalesforcePlugin, salesforce } from '@crm-connect/salesforce';
import { zendesk } from '@crm-connect/zendesk';
import { UsageError } from './cli-error.js';
import { createFileTokenStore } from './file-token-store.js';
import { nearestName } from './nearest-name.js';

/** The CRMs the CLI has a plugin for, in the order every table shows them (the sandboxes' order too). */
export const crmIds = ['zendesk', 'salesforce', 'dynamics', 'kustomer'] as const;
export type CrmId = (typeof crmIds)[number];

/** Where `salesforce link` keeps refresh tokens unless told otherwise. */
export function defaultTokenStorePath(env: Readonly<Record<string, string | undefined>>): string {
  return env.CRM_CONNECT_SALESFORCE_TOKENS ?? join(homedir(), '.crm-connect', 'salesforce-tokens.json');
}

export function parseCrmName(value: string | undefined): CrmId {
  const known = crmIds.find((id) => id === value);
  if (known !== undefined) return known;
  const nearest = value === undefined ? undefined : nearestName(value, crmIds);
  throw new UsageError(
    value === undefined
      ? 'Name the CRM to use.'
      : `"${value}" is not a CRM crm-connect knows${nearest === undefined ? '.' : `; did you mean ${nearest}?`}`,
    `Use one of: ${crmIds.join(', ')}.`,
  );
}

export function salesforcePlugin(tokenStorePath: string): SalesforcePlugin {
  return salesforce({ tokenStore: createFileTokenStore(tokenStorePath) });
}

/** The plugin for a real CRM, as the CLI configures it (Salesforce's admins in a token file). */
export function pluginFor(name: CrmId, options: { tokenStorePath: string }): CrmPlugin {
  switch (name) {
    case 'zendesk':
      return zendesk();
    case 'salesforce':
      return salesforcePlugin(options.tokenStorePath);
    case 'dynamics':
      return dynamics();
    case 'kustomer':
      return kustomer();
  }
}
