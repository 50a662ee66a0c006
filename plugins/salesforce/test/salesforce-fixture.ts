import { isDeepStrictEqual } from 'node:util';
import type { Channel, CrmUser } from '@crm-connect/core';
import type {
  CapturedRequest,
  ConformanceFixture,
  LoseAnswer,
  SeededUsers,
  WriteDeclarations,
} from '@crm-connect/testkit';
import nock from 'nock';
import { createMemoryTokenStore, type SalesforcePlugin, salesforce } from '../src/index.js';

/**
 * The Salesforce org the tests talk to: realistic, trimmed answers of the REST API (v62.0), the
 * OAuth token endpoint on the org's My Domain, and the identity service on login.salesforce.com.
 */

export const origin = 'https://acme.my.salesforce.com';
export const loginOrigin = 'https://login.salesforce.com';
export const apiVersion = '62.0';
export const dataPath = `/services/data/v${apiVersion}`;
export const orgId = '00Dxx0000001gPL';
export const orgId18 = '00Dxx0000001gPLEAY';
export const clientId = '3MVG9rZjd7MXFdLhZ4yRk1Vq7Qb8uW3n2Jm5pS6tX0aC9eD1fG2hI3jK4lM5nO6pQ7rS8tU9vW0xY';
export const clientSecret = 'C8A2F07B3E9D4C16A5B0E7F2D9C3B8A14E6F0D2C7B9A3E5F1D8C4B6A0E2F9D7C';

export const users = {
  admin: {
    id: '005xx000001SwiUAAS',
    email: 'ada.admin@acme.com',
    name: 'Ada Admin',
    active: true,
    role: 'admin',
  },
  agent: {
    id: '005xx000001TkBqAAK',
    email: 'alex.agent@acme.com',
    name: 'Alex Agent',
    active: true,
    role: 'agent',
  },
  otherAgent: {
    id: '005xx000001Ux3ZAAS',
    email: 'olga.other@acme.com',
    name: 'Olga Other',
    active: true,
    role: 'agent',
  },
  deactivatedAgent: {
    id: '005xx000001WpQ2AAK',
    email: 'gus.gone@acme.com',
    name: 'Gus Gone',
    active: false,
    role: 'agent',
  },
} satisfies SeededUsers;

/** An admin connection as linking stores it in the settings. */
export function adminConnection(user: CrmUser & { email: string }, status: 'active' | 'inactive' = 'active') {
  return {
    userId: user.id,
    username: user.email,
    name: user.name,
    email: user.email,
    orgId,
    instanceUrl: origin,
    status,
    linkedAt: '2026-11-20T09:30:00.000Z',
  };
}

export const adminRefreshToken =
  '5Aep861TSESvWeug_xvFHRBTTbf_YrTWgEyjBJrVXD8LiGdJ5dFQB4jFNvDsmT3bJkvFqZjD9bCTvuGTEkrHw2o';
export const adminAccessToken = `${orgId}!AQ4AQFo7yT2m1xQm7Cq5d2bG9kKd8mQ3Jj0uX9vLk4sN6pR2tZ8wY1eH3gF5cV7bN0mA.wQ`;

export const tokenStore = createMemoryTokenStore();
await tokenStore.set(
  { orgId, userId: users.admin.id },
  { refreshToken: adminRefreshToken, status: 'active', updatedAt: '2026-11-20T09:30:00.000Z' },
);
/** The plugin with admin sessions only: the admin performs every write. */
export const plugin: SalesforcePlugin = salesforce({ tokenStore });

/** Access tokens the platform holds for two agents, who then write as themselves. */
export const agentAccessTokens: Readonly<Record<string, string>> = {
  [users.agent.id]: `${orgId}!AQ4AQAlexAgentOwnAccessToken0123456789abcdefghijklmnopqrstuvwxyzABCD`,
  [users.otherAgent.id]: `${orgId}!AQ4AQOlgaOtherOwnAccessToken0123456789abcdefghijklmnopqrstuvwxyzABCD`,
};

/** The plugin with `agentSessions`: identified agents perform their own writes (performsAsAgent). */
export const agentPlugin: SalesforcePlugin = salesforce({
  tokenStore,
  agentSessions: (userId) => {
    const accessToken = agentAccessTokens[userId];
    return accessToken === undefined ? undefined : { accessToken, instanceUrl: origin };
  },
});

export const settings = {
  orgId,
  loginUrl: origin,
  clientId,
  clientSecret,
  apiVersion,
  adminConnections: [adminConnection(users.admin)],
};

/** The token endpoint's answer (web server flow and refresh share it; a refresh has no refresh_token). */
export function tokenResponse(accessToken: string, userId: string, extra: Record<string, string> = {}) {
  return {
    access_token: accessToken,
    signature: 'dGlzIGlzIGEgc2lnbmF0dXJlIG9mIHRoZSBpZCBhbmQgaXNzdWVkX2F0IGZpZWxkcw==',
    scope: 'id api refresh_token',
    instance_url: origin,
    id: `${loginOrigin}/id/${orgId18}/${userId}`,
    token_type: 'Bearer',
    issued_at: '1763719200000',
    ...extra,
  };
}

/** The identity service's answer for a user (https://login.salesforce.com/id/{org}/{user}). */
export function identityResponse(user: CrmUser & { email: string }) {
  const [first = '', last = ''] = (user.name ?? '').split(' ');
  return {
    id: `${loginOrigin}/id/${orgId18}/${user.id}`,
    asserted_user: true,
    user_id: user.id,
    organization_id: orgId18,
    username: user.email,
    nick_name: user.email.split('@')[0],
    display_name: user.name,
    email: user.email,
    email_verified: true,
    first_name: first,
    last_name: last,
    timezone: 'Europe/Paris',
    active: user.active,
    user_type: 'STANDARD',
    language: 'en_US',
    locale: 'en_US',
    utcOffset: 3600000,
    last_modified_date: '2026-10-02T09:12:44.000+0000',
    is_app_installed: true,
  };
}

/**
 * The token endpoint refreshing `refreshToken` into `accessToken` for `user`. OAuth and identity
 * calls are made on unrecorded scopes: they go to the authorization server, not to the CRM's
 * data, and the suite counts recorded POSTs as CRM writes.
 */
export function mockRefresh(refreshToken: string, accessToken: string, user: CrmUser): void {
  nock(origin)
    .post(
      '/services/oauth2/token',
      (body: Record<string, string>) =>
        body.grant_type === 'refresh_token' &&
        body.refresh_token === refreshToken &&
        body.client_id === clientId &&
        body.client_secret === clientSecret &&
        body.code_verifier === undefined,
    )
    .reply(200, tokenResponse(accessToken, user.id));
}

/** The identity service answering for `user`, asked with `accessToken`. */
export function mockIdentity(accessToken: string, user: CrmUser & { email: string }): void {
  nock(loginOrigin)
    .get(`/id/${orgId18}/${user.id}`)
    .matchHeader('authorization', `Bearer ${accessToken}`)
    .reply(200, identityResponse(user));
}

/** A new session: the refresh, then the identity of the admin it acts as (`connectionUser()`). */
export function mockSession(
  refreshToken: string,
  accessToken: string,
  user: CrmUser & { email: string },
): void {
  mockRefresh(refreshToken, accessToken, user);
  mockIdentity(accessToken, user);
}

export function userRecord(user: CrmUser) {
  return {
    attributes: { type: 'User', url: `${dataPath}/sobjects/User/${user.id}` },
    Id: user.id,
    Name: user.name,
    Email: user.email,
    Username: user.email,
    IsActive: user.active,
  };
}

export const contactId = '003xx000004TmiQAAS';

/** The `Owner` a Case query returns for a user (Salesforce's polymorphic `Name` object). */
export function ownerOfCase(user: CrmUser) {
  return {
    attributes: { type: 'Name', url: `${dataPath}/sobjects/User/${user.id}` },
    Type: 'User',
    Name: user.name,
    Email: user.email,
    IsActive: user.active,
  };
}

/**
 * The composite answer of a create: the Case created now (and the Contact with it), or, with
 * `created: false`, refused as a duplicate because the interaction's Case exists, owned by `owner`.
 */
export function compositeCreated(
  ticketId: string,
  options: { contactExisted?: boolean; created?: boolean; owner?: CrmUser } = {},
) {
  const contact = options.contactExisted
    ? {
        body: [
          {
            message: `duplicate value found: CrmConnect_Contact_Key__c duplicates value on record with id: ${contactId}`,
            errorCode: 'DUPLICATE_VALUE',
            fields: [],
          },
        ],
        httpHeaders: {},
        httpStatusCode: 400,
        referenceId: 'contact',
      }
    : {
        body: { id: contactId, success: true, errors: [] },
        httpHeaders: { Location: `${dataPath}/sobjects/Contact/${contactId}` },
        httpStatusCode: 201,
        referenceId: 'contact',
      };
  const created = options.created ?? true;
  const owner = options.owner ?? users.admin;
  return {
    compositeResponse: [
      contact,
      created
        ? {
            body: { id: ticketId, success: true, errors: [] } as unknown,
            httpHeaders: { Location: `${dataPath}/sobjects/Case/${ticketId}` },
            httpStatusCode: 201,
            referenceId: 'case',
          }
        : {
            body: [
              {
                message: `duplicate value found: CrmConnect_Interaction_Id__c duplicates value on record with id: ${ticketId}`,
                errorCode: 'DUPLICATE_VALUE',
                fields: [],
              },
            ] as unknown,
            httpHeaders: {},
            httpStatusCode: 400,
            referenceId: 'case',
          },
      {
        body: {
          totalSize: 1,
          done: true,
          records: [
            {
              attributes: { type: 'Case', url: `${dataPath}/sobjects/Case/${ticketId}` },
              Id: ticketId,
              ContactId: contactId,
              OwnerId: owner.id,
              Owner: ownerOfCase(owner),
            },
          ],
        },
        httpHeaders: {},
        httpStatusCode: 200,
        referenceId: 'caseRecord',
      },
    ],
  };
}

const limitInfo = { 'Sforce-Limit-Info': 'api-usage=1204/15000' };
const bearer = `Bearer ${adminAccessToken}`;
/** Who each access token belongs to: the admin, or an agent writing as themselves. */
const performers = new Map<string, string>([
  [bearer, users.admin.id],
  ...Object.entries(agentAccessTokens).map(([userId, token]): [string, string] => [
    `Bearer ${token}`,
    userId,
  ]),
]);
const anyBearer = (value: string) => performers.has(value);

interface CompositeBody {
  compositeRequest?: {
    referenceId: string;
    method: string;
    url: string;
    body?: { OwnerId?: string; [field: string]: unknown };
  }[];
  OwnerId?: string;
}

/** The Case field holding the interaction id: the settings' default `caseExternalIdField`. */
const caseExternalIdField = 'CrmConnect_Interaction_Id__c';

/** The Case subrequest of a composite create. */
function caseSubrequest(body: CompositeBody | undefined) {
  return body?.compositeRequest?.find((sub) => sub.referenceId === 'case');
}

/**
 * What Salesforce refuses to store twice: a Case with the same interaction id in its Unique
 * external-id field (`caseExternalIdField`, by default CrmConnect_Interaction_Id__c). A composite
 * create carrying it makes at most one Case; a repeat is refused with DUPLICATE_VALUE.
 */
export function idempotencyKeyOf(request: CapturedRequest): string | undefined {
  if (request.method !== 'POST' || request.path.split('?')[0] !== `${dataPath}/composite`) return undefined;
  const interactionId = caseSubrequest(request.body as CompositeBody | undefined)?.body?.[
    caseExternalIdField
  ];
  return typeof interactionId === 'string' ? `Case:${interactionId}` : undefined;
}

/**
 * A composite create Salesforce made whose answer was lost. A repeat carrying the same interaction
 * id is refused by the Unique field (DUPLICATE_VALUE, the Contact too), its read-back finding the
 * Case; a repeat without it makes a second Case. A lookup by interaction id finds the Case.
 */
function createTicketAnswerLost(ticketId: string, lose: LoseAnswer) {
  return (crm: () => nock.Scope) => {
    let key: string | undefined;
    lose(
      crm()
        .post(`${dataPath}/composite`, (body: CompositeBody) => {
          key = idempotencyKeyOf({ method: 'POST', path: `${dataPath}/composite`, headers: {}, body });
          return true;
        })
        .matchHeader('authorization', anyBearer)
        .matchHeader('sforce-auto-assign', 'FALSE'),
    );
    crm()
      .post(
        `${dataPath}/composite`,
        (body: CompositeBody) =>
          key !== undefined &&
          idempotencyKeyOf({ method: 'POST', path: `${dataPath}/composite`, headers: {}, body }) === key,
      )
      .optionally()
      .times(3)
      .reply(200, compositeCreated(ticketId, { contactExisted: true, created: false }), limitInfo);
    crm()
      .post(`${dataPath}/composite`)
      .optionally()
      .reply(200, compositeCreated(`${ticketId}-2`, { contactExisted: true }), limitInfo);
    crm()
      .get(`${dataPath}/query`)
      .query((query) => String(query.q).includes('FROM Case WHERE'))
      .optionally()
      .times(3)
      .reply(
        200,
        {
          totalSize: 1,
          done: true,
          records: [
            {
              attributes: { type: 'Case', url: `${dataPath}/sobjects/Case/${ticketId}` },
              Id: ticketId,
              ContactId: contactId,
            },
          ],
        },
        limitInfo,
      );
  };
}

/**
 * A CaseComment Salesforce made whose answer was lost. A CaseComment has no external id: a repeat
 * adds a second comment. The Case's comments, queried, list the one made.
 */
function addNoteAnswerLost(ticketId: string, lose: LoseAnswer) {
  return (crm: () => nock.Scope) => {
    let commentBody: string | undefined;
    lose(
      crm()
        .post(`${dataPath}/sobjects/CaseComment`, (body: { ParentId?: string; CommentBody?: string }) => {
          if (body.ParentId !== ticketId) return false;
          commentBody = body.CommentBody;
          return true;
        })
        .matchHeader('authorization', anyBearer),
    );
    crm()
      .get(`${dataPath}/query`)
      .query((query) => String(query.q).includes('FROM CaseComment WHERE ParentId'))
      .optionally()
      .times(3)
      .reply(
        200,
        () => ({
          totalSize: 1,
          done: true,
          records: [
            {
              attributes: { type: 'CaseComment', url: `${dataPath}/sobjects/CaseComment/00axx000000Jk2LAAS` },
              Id: '00axx000000Jk2LAAS',
              // Salesforce hands text areas back with CRLF line endings.
              CommentBody: commentBody?.replace(/\n/g, '\r\n') ?? null,
            },
          ],
        }),
        limitInfo,
      );
    crm()
      .post(`${dataPath}/sobjects/CaseComment`, (body: { ParentId?: string }) => body.ParentId === ticketId)
      .optionally()
      .reply(201, { id: '00axx000000Jk2MAAS', success: true, errors: [] }, limitInfo);
  };
}

/** The Contact field holding the end user's key: the settings' default `contactExternalIdField`. */
const contactKeyField = 'CrmConnect_Contact_Key__c';
/** Jane Doe's Contact key: her lowercased email. */
const janeKey = 'jane.doe@example.com';
/** The default Case Origin of each channel (the values every org's picklist has). */
const caseOriginOf: Partial<Record<Channel, string>> = { chat: 'Web', voice: 'Phone' };

/** Exactly this value: no field more or less. */
const exactly = (expected: unknown) => (value: unknown) => isDeepStrictEqual(value, expected);
const subrequestBody = (request: CapturedRequest, referenceId: string) =>
  (request.body as CompositeBody | undefined)?.compositeRequest?.find(
    (sub) => sub.referenceId === referenceId,
  )?.body;
const fieldOf = (request: CapturedRequest, field: string) =>
  (request.body as Record<string, unknown> | undefined)?.[field];

/**
 * What Salesforce must receive. A create is ONE composite request, `allOrNone: false` and
 * `Sforce-Auto-Assign: FALSE` (on the request and on the Case subrequest): the Contact POSTed with
 * its Unique key (a repeat is refused as DUPLICATE_VALUE, never a second Contact), the Case POSTed
 * owned by the owner with the interaction id in its Unique external-id field (the key a repeat is
 * refused on) and its Contact named by key, then the Case read back by interaction id. An owner
 * change PATCHes `OwnerId` alone, assignment rules off; a note is a CaseComment, `IsPublished: false`.
 */
export const writes: WriteDeclarations = {
  createTicket: ({ event }) => [
    {
      label: 'the composite create',
      method: 'POST',
      path: `${dataPath}/composite`,
      headers: { 'sforce-auto-assign': 'FALSE' },
      body: {
        allOrNone: false,
        compositeRequest: [
          {
            method: 'POST',
            url: `${dataPath}/sobjects/Contact`,
            referenceId: 'contact',
            body: exactly({
              [contactKeyField]: janeKey,
              LastName: 'Doe',
              FirstName: 'Jane',
              Email: 'jane.doe@example.com',
              Phone: '+15555550100',
            }),
          },
          {
            method: 'POST',
            url: `${dataPath}/sobjects/Case`,
            referenceId: 'case',
            httpHeaders: exactly({ 'Sforce-Auto-Assign': 'FALSE' }),
            body: {
              Origin: caseOriginOf[event.channel] ?? 'Web',
              Contact: exactly({ [contactKeyField]: janeKey }),
              SuppliedName: 'Jane Doe',
              SuppliedEmail: 'jane.doe@example.com',
              SuppliedPhone: '+15555550100',
            },
          },
          {
            method: 'GET',
            url: (url: unknown) =>
              typeof url === 'string' &&
              decodeURIComponent(url) ===
                `${dataPath}/query?q=SELECT Id, ContactId, OwnerId, Owner.Type, Owner.Name, Owner.Email, Owner.IsActive FROM Case WHERE ${caseExternalIdField} = '${event.interactionId}' LIMIT 1`,
            referenceId: 'caseRecord',
          },
        ],
      },
      subject: (request) => subrequestBody(request, 'case')?.Subject,
      content: (request) => subrequestBody(request, 'case')?.Description,
      owner: (request) => subrequestBody(request, 'case')?.OwnerId,
      interactionId: (request) => subrequestBody(request, 'case')?.[caseExternalIdField],
      idempotencyKey: (request) => subrequestBody(request, 'case')?.[caseExternalIdField],
    },
  ],
  changeOwner: ({ ticketId, owner }) => [
    {
      label: 'the owner change',
      method: 'PATCH',
      path: `${dataPath}/sobjects/Case/${ticketId}`,
      headers: { 'sforce-auto-assign': 'FALSE' },
      body: exactly({ OwnerId: owner?.id }),
      owner: (request) => fieldOf(request, 'OwnerId'),
    },
  ],
  addNote: ({ ticketId }) => [
    {
      label: 'the CaseComment',
      method: 'POST',
      path: `${dataPath}/sobjects/CaseComment`,
      body: { ParentId: ticketId, IsPublished: false },
      content: (request) => fieldOf(request, 'CommentBody'),
      visibility: (request) => {
        const published = fieldOf(request, 'IsPublished');
        return published === false ? 'internal' : published === true ? 'public' : undefined;
      },
    },
  ],
};

interface SalesforceError {
  message: string;
  errorCode: string;
  fields: string[];
}

/**
 * A composite create whose Case subrequest Salesforce refused (`error`), the read-back empty; the
 * Contact made, or (`contact`) refused as DUPLICATE_VALUE when `'existed'`, or with that error.
 */
function compositeCaseRefused(
  error: SalesforceError,
  contact: 'made' | 'existed' | SalesforceError = 'made',
) {
  const created = compositeCreated('unused', { contactExisted: contact === 'existed' });
  return {
    compositeResponse: [
      typeof contact === 'object'
        ? { body: [contact], httpHeaders: {}, httpStatusCode: 400, referenceId: 'contact' }
        : created.compositeResponse[0],
      { body: [error], httpHeaders: {}, httpStatusCode: 400, referenceId: 'case' },
      {
        body: { totalSize: 0, done: true, records: [] },
        httpHeaders: {},
        httpStatusCode: 200,
        referenceId: 'caseRecord',
      },
    ],
  };
}

/** Mocks the composite create, sent without auto-assignment, answered with the Case refused. */
function refuseComposite(crm: () => nock.Scope, ...refusal: Parameters<typeof compositeCaseRefused>): void {
  crm()
    .post(`${dataPath}/composite`)
    .matchHeader('sforce-auto-assign', 'FALSE')
    .reply(200, compositeCaseRefused(...refusal), limitInfo);
}

export const salesforceFixture: ConformanceFixture<typeof plugin.settings.schema> = {
  // With agent sessions, so the always-admin cases differ from the others for real.
  plugin: agentPlugin,
  origins: [origin, loginOrigin],
  settings,
  invalidCredentials: { clientSecret: 'D00DFEEDFACE0B5E55ED0C0FFEE0DECAF0BADC0DE0FACADE0DEADBEEF0CAFE00' },
  users,
  mocks: {
    validCredentials: () => mockSession(adminRefreshToken, adminAccessToken, users.admin),
    invalidCredentials: () => {
      nock(origin)
        .post('/services/oauth2/token', (body: Record<string, string>) => body.grant_type === 'refresh_token')
        .reply(400, { error: 'invalid_client', error_description: 'invalid client credentials' });
    },
    connectionUser: () => mockSession(adminRefreshToken, adminAccessToken, users.admin),
    userByEmail: (email, user) => (crm) => {
      crm()
        .get(`${dataPath}/query`)
        .query((query) => {
          const soql = String(query.q);
          return soql.includes('FROM User') && soql.includes(`Email = '${email.toLowerCase()}'`);
        })
        .matchHeader('authorization', bearer)
        .reply(
          200,
          { totalSize: user ? 1 : 0, done: true, records: user ? [userRecord(user)] : [] },
          limitInfo,
        );
    },
    assignableUsers: (list) => (crm) => {
      // The query asks for active standard users only, so Salesforce leaves the deactivated out.
      const active = list.filter((user) => user.active);
      crm()
        .get(`${dataPath}/query`)
        .query((query) => String(query.q).includes('FROM User WHERE IsActive = true'))
        .matchHeader('authorization', bearer)
        .reply(200, { totalSize: active.length, done: true, records: active.map(userRecord) }, limitInfo);
    },
    createTicket: (ticketId) => (crm) => {
      crm()
        .post(`${dataPath}/composite`)
        .matchHeader('authorization', anyBearer)
        .matchHeader('sforce-auto-assign', 'FALSE')
        .reply(200, compositeCreated(ticketId), limitInfo);
    },
    createTicketRateLimitedOnce: (ticketId) => (crm) => {
      // Salesforce's daily allocation is a 403 (never retried: see salesforce-records.test.ts);
      // this is the throttling answer with Retry-After that the suite simulates.
      crm()
        .post(`${dataPath}/composite`)
        .reply(429, [{ message: 'Too many requests; retry later.', errorCode: 'REQUEST_LIMIT_EXCEEDED' }], {
          'Retry-After': '1',
        });
      crm()
        .post(`${dataPath}/composite`)
        .matchHeader('sforce-auto-assign', 'FALSE')
        .reply(200, compositeCreated(ticketId), limitInfo);
    },
    changeOwner: (ticketId) => (crm) => {
      crm()
        .patch(`${dataPath}/sobjects/Case/${ticketId}`)
        .matchHeader('authorization', anyBearer)
        .matchHeader('sforce-auto-assign', 'FALSE')
        .reply(204, '', limitInfo);
    },
    addNote: (ticketId) => (crm) => {
      crm()
        .post(`${dataPath}/sobjects/CaseComment`, (body: { ParentId?: string }) => body.ParentId === ticketId)
        .matchHeader('authorization', anyBearer)
        .reply(201, { id: '00axx000000Jk2LAAS', success: true, errors: [] }, limitInfo);
    },
    createTicketAnswerLost,
    addNoteAnswerLost,
    findTicket: (interactionId, ticketId) => (crm) => {
      crm()
        .get(`${dataPath}/query`)
        .query(
          (query) =>
            String(query.q) ===
            `SELECT Id, ContactId FROM Case WHERE ${caseExternalIdField} = '${interactionId}' LIMIT 1`,
        )
        .matchHeader('authorization', bearer)
        .reply(
          200,
          {
            totalSize: ticketId === undefined ? 0 : 1,
            done: true,
            records: ticketId === undefined ? [] : [{ Id: ticketId, ContactId: contactId }],
          },
          limitInfo,
        );
    },
    createTicketExisting: (ticketId, owner) => (crm) => {
      // Both Unique keys are taken: the Contact and the Case refused as DUPLICATE_VALUE, the
      // read-back finding the interaction's Case with its owner now.
      crm()
        .post(`${dataPath}/composite`)
        .matchHeader('sforce-auto-assign', 'FALSE')
        .reply(200, compositeCreated(ticketId, { contactExisted: true, created: false, owner }), limitInfo);
    },
    addNoteToFoundTicket: (ticketId, present) => (crm) => {
      // A CaseComment has no external id: the Case's comments are read, this note among them when present.
      crm()
        .get(`${dataPath}/query`)
        .query(
          (query) =>
            String(query.q) === `SELECT Id, CommentBody FROM CaseComment WHERE ParentId = '${ticketId}'`,
        )
        .matchHeader('authorization', bearer)
        .reply(
          200,
          {
            totalSize: 1,
            done: true,
            records: [
              {
                attributes: {
                  type: 'CaseComment',
                  url: `${dataPath}/sobjects/CaseComment/00axx000000Jk2KAAS`,
                },
                Id: '00axx000000Jk2KAAS',
                CommentBody: 'Called back, left a message.',
              },
              ...(present === undefined
                ? []
                : [
                    {
                      attributes: {
                        type: 'CaseComment',
                        url: `${dataPath}/sobjects/CaseComment/00axx000000Jk2LAAS`,
                      },
                      Id: '00axx000000Jk2LAAS',
                      // Salesforce hands text areas back with CRLF line endings.
                      CommentBody: present.body.replace(/\n/g, '\r\n'),
                    },
                  ]),
            ],
          },
          limitInfo,
        );
      if (present !== undefined) return;
      crm()
        .post(`${dataPath}/sobjects/CaseComment`, (body: { ParentId?: string }) => body.ParentId === ticketId)
        .matchHeader('authorization', anyBearer)
        .reply(201, { id: '00axx000000Jk2LAAS', success: true, errors: [] }, limitInfo);
    },
    createTicketLongDescription: (ticketId) => (crm) => {
      // Description holds 32,000 characters: what does not fit goes to completed Tasks on the Case,
      // in one all-or-none sObject Collections request.
      crm()
        .post(`${dataPath}/composite`, (body: CompositeBody) => {
          const description = String(caseSubrequest(body)?.body?.Description ?? '');
          return (
            description.length <= 32_000 &&
            description.endsWith(
              '[Continued in the completed Tasks "Case description (continued)" on this case.]',
            )
          );
        })
        .matchHeader('sforce-auto-assign', 'FALSE')
        .reply(200, compositeCreated(ticketId), limitInfo);
      crm()
        .post(
          `${dataPath}/composite/sobjects`,
          (body: { allOrNone?: boolean; records?: Array<Record<string, unknown>> }) =>
            body.allOrNone === true &&
            body.records?.length === 2 &&
            body.records.every(
              (task, index) =>
                task.WhatId === ticketId &&
                task.WhoId === contactId &&
                task.Status === 'Completed' &&
                task.Subject === `Case description (continued) (part ${index + 1} of 2)` &&
                String(task.Description).length <= 32_000,
            ),
        )
        .reply(
          200,
          [
            { id: '00Txx000004TmiQEAS', success: true, errors: [] },
            { id: '00Txx000004TmiREAS', success: true, errors: [] },
          ],
          limitInfo,
        );
    },
    createTicketOwnerRejected: (ticketId, rejected) => (crm) => {
      // The Contact is made; the Case refused: Salesforce names the inactive owner (15-character id).
      crm()
        .post(
          `${dataPath}/composite`,
          (body: CompositeBody) => caseSubrequest(body)?.body?.OwnerId === rejected.id,
        )
        .reply(
          200,
          compositeCaseRefused({
            message: `operation performed with inactive user [${rejected.id.slice(0, 15)}] as owner of case`,
            errorCode: 'INACTIVE_OWNER_OR_USER',
            fields: [],
          }),
          limitInfo,
        );
      crm()
        .post(
          `${dataPath}/composite`,
          (body: CompositeBody) => caseSubrequest(body)?.body?.OwnerId === users.admin.id,
        )
        .reply(200, compositeCreated(ticketId, { contactExisted: true }), limitInfo);
    },
    createTicketStepFails: (ticketId) => (crm) => {
      // A returning end user: the Contact's key is taken (DUPLICATE_VALUE, expected, no second
      // Contact); the Case refused while another write held a row (retryable).
      crm()
        .post(`${dataPath}/composite`)
        .reply(
          200,
          compositeCaseRefused(
            {
              message: 'unable to obtain exclusive access to this record',
              errorCode: 'UNABLE_TO_LOCK_ROW',
              fields: [],
            },
            'existed',
          ),
          limitInfo,
        );
      // The redelivery: the Contact's key is taken now (DUPLICATE_VALUE, no second Contact).
      crm()
        .post(`${dataPath}/composite`)
        .reply(200, compositeCreated(ticketId, { contactExisted: true }), limitInfo);
    },
    createTicketContactRefused: {
      refusal:
        'create case failed (HTTP 400, FIELD_CUSTOM_VALIDATION_EXCEPTION: A contact needs a mailing country)',
      mock: (crm) => {
        // A validation rule refuses the Contact; the Case, naming its Contact by key, then finds
        // none (INVALID_FIELD on the key field, which alone would read as a missing field).
        refuseComposite(
          crm,
          {
            message: `Foreign key external ID: ${janeKey} not found for field ${contactKeyField} in entity Contact`,
            errorCode: 'INVALID_FIELD',
            fields: [],
          },
          {
            message: 'A contact needs a mailing country',
            errorCode: 'FIELD_CUSTOM_VALIDATION_EXCEPTION',
            fields: ['MailingCountry'],
          },
        );
      },
    },
    createTicketRefused: {
      refusal:
        'create case failed (HTTP 400, INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST: Case Origin: bad value for restricted picklist field: Web)',
      mock: (crm) => {
        // The Contact made; the Case refused: the org's Case Origin picklist lacks the value sent.
        refuseComposite(crm, {
          message: 'Case Origin: bad value for restricted picklist field: Web',
          errorCode: 'INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST',
          fields: ['Origin'],
        });
      },
    },
  },
  // The Case read back with its Owner (a User: Name, Email, IsActive).
  existingOwnerDetails: ['name', 'email', 'active'],
  writes,
  idempotencyKeyOf,
  ownerOf: (request: CapturedRequest) => {
    const body = request.body as CompositeBody | undefined;
    return body?.compositeRequest?.find((sub) => sub.referenceId === 'case')?.body?.OwnerId ?? body?.OwnerId;
  },
  // The access token says who performs a write: the admin, or the agent writing as themselves.
  performerOf: (request: CapturedRequest) => performers.get(request.headers.authorization ?? ''),
};
