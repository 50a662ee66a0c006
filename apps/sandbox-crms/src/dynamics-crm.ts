import { dynamics, type dynamicsSettingsSchema } from '@crm-connect/dynamics';
import { createDynamicsSandbox, dynamicsSandboxSettings } from '@crm-connect/sandbox';
import type { z } from 'zod';
import { requestAccessToken } from './bare-token.js';
import { defineSandboxCrm } from './crm-wiring.js';

/**
 * The case id is derived inside the plugin, so the interaction is read, independently, from the
 * first line of the description: "Interaction {id} (channel) at …".
 */
const describedInteraction = /^Interaction (\S+) \(/;

export const dynamicsCrm = defineSandboxCrm({
  id: 'dynamics',
  displayName: 'Dynamics 365',
  createSandbox: () => createDynamicsSandbox(),
  plugin: () => dynamics(),
  // Typed as the plugin's input: the compiler checks that the sandbox's settings still fit its form.
  settings: async (sandbox): Promise<z.input<typeof dynamicsSettingsSchema>> =>
    dynamicsSandboxSettings(sandbox),
  records: (sandbox) =>
    sandbox.store.incidents.all().map((incident) => ({
      id: incident.incidentid,
      interactionId: describedInteraction.exec(incident.description ?? '')?.[1],
      ownerId: incident._ownerid_value,
    })),
  notes: (sandbox) =>
    sandbox.store.annotations
      .all()
      .map((note) => ({ recordId: note._objectid_value, text: note.notetext ?? '' })),
  users: (sandbox) =>
    sandbox.store.systemUsers.all().map((user) => ({
      id: user.systemuserid,
      email: user.internalemailaddress?.toLowerCase() ?? undefined,
      active: !user.isdisabled,
    })),
  secrets: (sandbox) => [
    { kind: 'client secret', value: sandbox.seed.credentials.clientSecret },
    { kind: 'client secret', value: sandbox.seed.credentials.unlinkedClientSecret },
    ...sandbox.store.accessTokens.all().map((token) => ({ kind: 'access token', value: token.id })),
  ],
  expireAccessTokens: (sandbox) => sandbox.revokeCredential('accessTokens'),
  async bareAuthorization(sandbox) {
    const { tenantId, clientId, clientSecret } = sandbox.seed.credentials;
    const token = await requestAccessToken(`${sandbox.url}/${tenantId}/oauth2/v2.0/token`, {
      grant_type: 'client_credentials',
      client_id: clientId,
      client_secret: clientSecret,
      scope: `${sandbox.url}/.default`,
    });
    return `Bearer ${token}`;
  },
  createRoutes: ['incidents.create'],
  tokenRoutes: ['oauth.token'],
  noteRoutes: ['annotations.create'],
  rateLimitRetryable: true,
});
