import { salesforce } from '@crm-connect/salesforce';
import { createSalesforceSandbox, salesforceSandboxSettings } from '@crm-connect/sandbox';
import { requestAccessToken } from './bare-token.js';
import { defineSandboxCrm } from './crm-wiring.js';
import { linkAdmins } from './salesforce-admin-linking.js';

export const salesforceCrm = defineSandboxCrm({
  id: 'salesforce',
  displayName: 'Salesforce',
  createSandbox: () =>
    createSalesforceSandbox({
      // Auto-approve stands in for the admin at the browser during linking.
      autoApprove: true,
      // The default daily allocation (15,000) would run out during the benchmark's memory figure
      // (10,000 interactions); the fault matrix injects the limit answer itself.
      apiRequestsPerDay: 100_000_000,
    }),
  plugin: (options) => salesforce({ tokenStore: options.tokenStore }),
  settings: (sandbox, plugin) => linkAdmins(plugin, salesforceSandboxSettings(sandbox)),
  records: (sandbox) =>
    sandbox.store.cases.all().map((record) => ({
      id: record.Id,
      interactionId: record.CrmConnect_Interaction_Id__c ?? undefined,
      ownerId: record.OwnerId,
    })),
  // A note is a CaseComment, or a Task when it is too long for one.
  notes: (sandbox) => [
    ...sandbox.store.caseComments
      .all()
      .map((comment) => ({ recordId: comment.ParentId, text: comment.CommentBody })),
    ...sandbox.store.tasks
      .all()
      .map((task) => ({ recordId: task.WhatId ?? '', text: task.Description ?? '' })),
  ],
  users: (sandbox) =>
    sandbox.store.users.all().map((user) => ({
      id: user.Id,
      email: user.Email.toLowerCase(),
      active: user.IsActive,
    })),
  secrets: (sandbox) => {
    const { store } = sandbox;
    return [
      { kind: 'consumer secret', value: sandbox.seed.credentials.clientSecret },
      ...store.authorizationCodes.all().map((code) => ({ kind: 'authorization code', value: code.id })),
      ...store.refreshTokens.all().map((token) => ({ kind: 'refresh token', value: token.id })),
      ...store.accessTokens.all().map((token) => ({ kind: 'access token', value: token.id })),
    ];
  },
  // A session that timed out: the access token stops working, the refresh token still works.
  expireAccessTokens: (sandbox) => {
    const { accessTokens } = sandbox.store;
    for (const token of accessTokens.filter((candidate) => !candidate.revoked))
      accessTokens.update(token.id, { revoked: true });
  },
  async bareAuthorization(sandbox, adminTokens) {
    const [first] = adminTokens;
    if (first === undefined) throw new Error('No Salesforce admin is linked');
    const token = await requestAccessToken(`${sandbox.url}/services/oauth2/token`, {
      grant_type: 'refresh_token',
      refresh_token: first.token.refreshToken,
      client_id: sandbox.seed.credentials.clientId,
      client_secret: sandbox.seed.credentials.clientSecret,
    });
    return `Bearer ${token}`;
  },
  createRoutes: ['composite'],
  tokenRoutes: ['oauth.token'],
  // A CaseComment (POST …/sobjects/CaseComment), or Tasks in one collection request when too long for one.
  noteRoutes: ['sobjects.create', 'composite.sobjects.create'],
  rateLimitRetryable: false,
});
