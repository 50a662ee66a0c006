import { type KustomerSettingsInput, kustomer } from '@crm-connect/kustomer';
import { createKustomerSandbox, kustomerSandboxSettings } from '@crm-connect/sandbox';
import { defineSandboxCrm } from './crm-wiring.js';

export const kustomerCrm = defineSandboxCrm({
  id: 'kustomer',
  displayName: 'Kustomer',
  createSandbox: () => createKustomerSandbox(),
  plugin: () => kustomer(),
  // Kustomer's plan rate limit is a setting, not a plugin option.
  settings: async (sandbox, _plugin, options): Promise<KustomerSettingsInput> => ({
    ...kustomerSandboxSettings(sandbox),
    ...(options.requestsPerMinute === undefined ? {} : { rateLimitPerMinute: options.requestsPerMinute }),
  }),
  records: (sandbox) =>
    sandbox.store.conversations.all().map((conversation) => ({
      id: conversation.id,
      interactionId: conversation.externalId ?? undefined,
      ownerId: conversation.assignedUsers[0],
    })),
  notes: (sandbox) =>
    sandbox.store.notes.all().map((note) => ({ recordId: note.conversationId, text: note.body })),
  users: (sandbox) =>
    sandbox.store.users.all().map((user) => ({
      id: user.id,
      email: user.email?.toLowerCase() ?? undefined,
      active: !user.deleted,
    })),
  secrets: (sandbox) => [
    { kind: 'API key', value: sandbox.seed.credentials.apiKey },
    { kind: 'API key', value: sandbox.seed.credentials.limitedApiKey },
  ],
  expireAccessTokens: () => {
    throw new Error('A Kustomer API key has no access tokens to expire');
  },
  bareAuthorization: async (sandbox) => `Bearer ${sandbox.seed.credentials.apiKey}`,
  createRoutes: ['conversations.create'],
  // An API key: no token endpoint at all.
  tokenRoutes: [],
  noteRoutes: ['notes.create'],
  rateLimitRetryable: true,
});
