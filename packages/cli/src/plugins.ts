import { homedir } from 'node:os';
import { join } from 'node:path';
import type { CrmPlugin } from '@crm-connect/core';
import { dynamics } from '@crm-connect/dynamics';
import { kustomer } from '@crm-connect/kustomer';
import { type SalesforcePlugin, salesforce } from '@crm-connect/salesforce';
import { zendesk } from '@crm-connect/zendesk';
import type { z } from 'zod';
import { UsageError } from './cli-error.js';
import { createFileTokenStore } from './file-token-store.js';

export const crmNames = ['zendesk', 'salesforce', 'dynamics', 'kustomer'] as const;
export type CrmName = (typeof crmNames)[number];

/** Where `salesforce link` keeps refresh tokens unless told otherwise. */
export function defaultTokenStorePath(env: Readonly<Record<string, string | undefined>>): string {
  return env.CRM_CONNECT_SALESFORCE_TOKENS ?? join(homedir(), '.crm-connect', 'salesforce-tokens.json');
}

export function parseCrmName(value: string | undefined): CrmName {
  if (value !== undefined && (crmNames as readonly string[]).includes(value)) return value as CrmName;
  throw new UsageError(
    value === undefined ? 'Name the CRM to use.' : `"${value}" is not a CRM crm-connect knows.`,
    `Use one of: ${crmNames.join(', ')}.`,
  );
}

export function salesforcePlugin(tokenStorePath: string): SalesforcePlugin {
  return salesforce({ tokenStore: createFileTokenStore(tokenStorePath) });
}

/** The plugin for a CRM, as the CLI configures it. */
export function pluginFor(name: CrmName, options: { tokenStorePath: string }): CrmPlugin<z.ZodObject> {
  switch (name) {
    case 'zendesk':
      return zendesk() as unknown as CrmPlugin<z.ZodObject>;
    case 'salesforce':
      return salesforcePlugin(options.tokenStorePath) as unknown as CrmPlugin<z.ZodObject>;
    case 'dynamics':
      return dynamics() as unknown as CrmPlugin<z.ZodObject>;
    case 'kustomer':
      return kustomer() as unknown as CrmPlugin<z.ZodObject>;
  }
}
