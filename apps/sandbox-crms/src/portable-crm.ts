import { z } from 'zod';
import { crmIds } from './crm-ids.js';

/**
 * What another process needs to configure the same plugin against the same running sandbox: the
 * saved settings, the plugin's own budget option and Salesforce's linked admin tokens. Plain data,
 * so it crosses a process boundary; the schema checks it on arrival.
 */
export const portableCrmSchema = z.object({
  id: z.enum(crmIds),
  settings: z.record(z.string(), z.unknown()),
  requestsPerMinute: z.number().int().positive().optional(),
  adminTokens: z.array(
    z.object({
      orgId: z.string(),
      userId: z.string(),
      token: z.object({
        refreshToken: z.string(),
        status: z.enum(['active', 'inactive']),
        inactiveReason: z.string().optional(),
        updatedAt: z.string(),
      }),
    }),
  ),
});

export type PortableCrm = z.infer<typeof portableCrmSchema>;
