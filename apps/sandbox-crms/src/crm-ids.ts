/** The CRMs crm-connect has a plugin and a sandbox for, in the order every table shows them. */
export const crmIds = ['zendesk', 'salesforce', 'dynamics', 'kustomer'] as const;

export type CrmId = (typeof crmIds)[number];
