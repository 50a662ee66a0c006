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
import { dynamics } from '../src/index.js';

/** A Dynamics 365 environment in Europe (crm4) and its Microsoft Entra tenant, as the mocks answer. */
export const organizationUrl = 'https://contoso.crm4.dynamics.com';
export const webApi = '/api/data/v9.2';
export const authorityHost = 'https://login.microsoftonline.com';
export const tenantId = '8f3e1c2a-5b7d-4e9f-a1c3-d5e7f9b1c3a5';
export const clientId = '2c9d4e6f-8a1b-4c3d-9e5f-7a9b1c3d5e7f';
export const clientSecret = 'Xq48Q~r2Yt.k9Lw3Zp7Vn1Bc6Df0Gh5Jm8Ks4UaB';
export const wrongSecret = 'Rv93Q~m1Pq.z8Xc2Wb6Nh0Fg4Jk7Ls3Te5YdR2v';
export const accessToken =
  'eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiIsIng1dCI6ImZpeHR1cmUifQ.eyJhdWQiOiJodHRwczovL2NvbnRvc28uY3JtNC5keW5hbWljcy5jb20ifQ.c2lnbmF0dXJl';

export type SeededDynamicsUser = CrmUser & { email: string; objectId: string };

export const users: SeededUsers & {
  agent: SeededDynamicsUser;
  otherAgent: SeededDynamicsUser;
  deactivatedAgent: SeededDynamicsUser;
} = {
  admin: {
    id: '6f1d2b3c-4e5a-4b6c-8d7e-9f0a1b2c3d4e',
    name: '# CRM Connect',
    active: true,
    role: 'application',
  },
  agent: {
    id: '0b7c8d9e-1f2a-4b3c-9d4e-5f6a7b8c9d0e',
    email: 'alex.agent@contoso.com',
    name: 'Alex Agent',
    active: true,
    role: 'read-write',
    objectId: 'e39c5d16-675b-48d1-8e67-667427e9c084',
  },
  otherAgent: {
    id: '1c8d9e0f-2a3b-4c4d-8e5f-6a7b8c9d0e1f',
    email: 'olga.other@contoso.com',
    name: 'Olga Other',
    active: true,
    role: 'read-write',
    objectId: '3d8bed3e-79a3-47c8-80cf-269869b2e9f0',
  },
  deactivatedAgent: {
    id: '2d9e0f1a-3b4c-4d5e-9f6a-7b8c9d0e1f2a',
    email: 'gus.gone@contoso.com',
    name: 'Gus Gone',
    active: false,
    role: 'read-write',
    objectId: '7a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d',
  },
};
export const contactId = '4a5b6c7d-8e9f-4a0b-9c1d-2e3f4a5b6c7d';

/** A `systemuser` row as the Web API returns it for our `$select`. */
export function systemUser(user: CrmUser & { objectId?: string }, application = false) {
  return {
    '@odata.etag': 'W/"4711023"',
    systemuserid: user.id,
    fullname: user.name ?? null,
    internalemailaddress: application ? null : (user.email ?? null),
    isdisabled: !user.active,
    accessmode: application ? 4 : 0,
    applicationid: application ? clientId : null,
    azureactivedirectoryobjectid: user.objectId ?? null,
  };
}

/** Answers the tenant's token endpoint (what msal-node POSTs to), optionally only if it is asked. */
export function tokenEndpoint(
  options: { secret?: string; client?: string; tenant?: string; token?: string; optional?: boolean } = {},
) {
  const client = options.client ?? clientId;
  const scope = nock(authorityHost)
    .post(
      `/${options.tenant ?? tenantId}/oauth2/v2.0/token`,
      (body: Record<string, string>) =>
        body.grant_type === 'client_credentials' &&
        body.client_id === client &&
        body.client_secret === (options.secret ?? clientSecret) &&
        body.scope === `${organizationUrl}/.default`,
    )
    .query(true)
    .optionally(options.optional === true)
    .reply(200, {
      token_type: 'Bearer',
      expires_in: 3599,
      ext_expires_in: 3599,
      access_token: options.token ?? accessToken,
    });
  return scope;
}

/** Microsoft Entra ID refusing a wrong client secret. */
export function wrongSecretAnswer(client = clientId) {
  return {
    error: 'invalid_client',
    error_description: `AADSTS7000215: Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '${client}'. Trace ID: 0b3c9a52-76a1-4be0-9d8c-2f1a5c0e4d00 Correlation ID: 9d2f1e7a-4c6b-4f1a-8e3d-5b7c9a1e2f40 Timestamp: 2026-11-21 10:00:00Z`,
    error_codes: [7000215],
    timestamp: '2026-11-21 10:00:00Z',
    trace_id: '0b3c9a52-76a1-4be0-9d8c-2f1a5c0e4d00',
    correlation_id: '9d2f1e7a-4c6b-4f1a-8e3d-5b7c9a1e2f40',
    error_uri: 'https://login.microsoftonline.com/error?code=7000215',
  };
}

export const whoAmI = {
  '@odata.context': `${organizationUrl}${webApi}/$metadata#Microsoft.Dynamics.CRM.WhoAmIResponse`,
  BusinessUnitId: '9a0b1c2d-3e4f-4a5b-8c6d-7e8f9a0b1c2d',
  UserId: users.admin.id,
  OrganizationId: '5e6f7a8b-9c0d-4e1f-a2b3-c4d5e6f7a8b9',
};

/** The application user with its security roles, as `$expand=systemuserroles_association` returns it. */
export function applicationUserRecord(overrides: { isdisabled?: boolean; roles?: number } = {}) {
  const roles = [
    { roleid: 'c1d2e3f4-a5b6-4c7d-8e9f-0a1b2c3d4e5f', name: 'CRM Connect Integration' },
    { roleid: 'd2e3f4a5-b6c7-4d8e-9f0a-1b2c3d4e5f6a', name: 'Delegate' },
  ];
  return {
    '@odata.context': `${organizationUrl}${webApi}/$metadata#systemusers(${encodeURIComponent('systemuserid,fullname')})/$entity`,
    ...systemUser(users.admin, true),
    isdisabled: overrides.isdisabled ?? false,
    systemuserroles_association: roles.slice(0, overrides.roles ?? roles.length),
  };
}

export const privilegePath = `${webApi}/systemusers(${users.admin.id})/Microsoft.Dynamics.CRM.RetrieveUserPrivilegeByPrivilegeName(PrivilegeName='prvActOnBehalfOfAnotherUser')`;
export const delegatePrivilege = {
  '@odata.context': `${organizationUrl}${webApi}/$metadata#Microsoft.Dynamics.CRM.RetrieveUserPrivilegeByPrivilegeNameResponse`,
  RolePrivileges: [
    {
      Depth: 'Global',
      PrivilegeId: '4f3e2d1c-0b9a-4877-8665-5f4e3d2c1b0a',
      BusinessUnitId: whoAmI.BusinessUnitId,
      PrivilegeName: 'prvActOnBehalfOfAnotherUser',
    },
  ],
};

const bearer = `Bearer ${accessToken}`;
const seededPeople = [users.agent, users.otherAgent, users.deactivatedAgent];

/** Dataverse's answer to a create whose primary key exists already. */
export const duplicateKey = {
  error: { code: '0x80040237', message: 'A record with matching key values already exists.' },
};

/**
 * What Dataverse refuses to store twice: a row with a primary key that exists. The plugin chooses
 * `incidentid` and `annotationid` itself (name-based GUIDs of the interaction and the note's key),
 * so a repeated create of the same case or note is refused as a duplicate.
 */
export function idempotencyKeyOf(request: CapturedRequest): string | undefined {
  if (request.method !== 'POST') return undefined;
  const body = request.body as { incidentid?: unknown; annotationid?: unknown } | undefined;
  const path = request.path.split('?')[0];
  if (path === `${webApi}/incidents` && typeof body?.incidentid === 'string') return body.incidentid;
  if (path === `${webApi}/annotations` && typeof body?.annotationid === 'string') return body.annotationid;
  return undefined;
}

const rowId = (path: string, table: string) =>
  new RegExp(`^${webApi.replace(/\./g, '\\.')}/${table}\\(([0-9a-f-]{36})\\)`).exec(path)?.[1];

/**
 * A case create Dataverse made whose answer was lost. A repeat with the same `incidentid` is refused
 * as a duplicate key (412, 0x80040237), and the case is then read back by that id, owned by the
 * application user; a repeat with another id, or none, makes a second case.
 */
function createTicketAnswerLost(ticketId: string, lose: LoseAnswer) {
  return (crm: () => nock.Scope) => {
    let incidentid: unknown;
    existingContact(crm());
    lose(
      crm()
        .post(`${webApi}/incidents`, (body: Record<string, unknown>) => {
          if (typeof body['ownerid@odata.bind'] !== 'string') return false;
          incidentid = body.incidentid;
          return true;
        })
        .query(true),
    );
    crm()
      .post(
        `${webApi}/incidents`,
        (body: Record<string, unknown>) => incidentid !== undefined && body.incidentid === incidentid,
      )
      .query(true)
      .optionally()
      .times(3)
      .reply(412, duplicateKey);
    crm()
      .post(`${webApi}/incidents`)
      .query(true)
      .optionally()
      .reply(201, createdIncident('c1d2e3f4-a5b6-4c7d-8e9f-0a1b2c3d4e5f'));
    crm()
      .get((path) => incidentid !== undefined && rowId(path, 'incidents') === incidentid)
      .query(true)
      .optionally()
      .times(3)
      .reply(200, {
        '@odata.etag': 'W/"4711121"',
        incidentid: ticketId,
        _customerid_value: contactId,
        _ownerid_value: users.admin.id,
      });
  };
}

/**
 * A note Dataverse made whose answer was lost: a repeat with the same `annotationid` is refused as
 * a duplicate key, and the note is then found by that id; another id makes a second note.
 */
function addNoteAnswerLost(ticketId: string, lose: LoseAnswer) {
  return (crm: () => nock.Scope) => {
    let annotationid: unknown;
    lose(
      crm().post(`${webApi}/annotations`, (body: Record<string, unknown>) => {
        if (body['objectid_incident@odata.bind'] !== `/incidents(${ticketId})`) return false;
        annotationid = body.annotationid;
        return true;
      }),
    );
    crm()
      .post(
        `${webApi}/annotations`,
        (body: Record<string, unknown>) => annotationid !== undefined && body.annotationid === annotationid,
      )
      .optionally()
      .times(3)
      .reply(412, duplicateKey);
    crm()
      .post(`${webApi}/annotations`)
      .optionally()
      .reply(204, '', {
        'OData-EntityId': `${organizationUrl}${webApi}/annotations(9c0d1e2f-3a4b-4c5d-8e6f-7a8b9c0d1e2f)`,
      });
    crm()
      .get((path) => annotationid !== undefined && rowId(path, 'annotations') === annotationid)
      .query(true)
      .optionally()
      .times(3)
      .reply(200, () => ({ '@odata.etag': 'W/"4711130"', annotationid }));
  };
}

const guid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
/** incident.caseorigincode of each channel: 1 Phone, 3 Web. */
const caseOriginOf: Partial<Record<Channel, number>> = { chat: 3, voice: 1 };
const fieldOf = (request: CapturedRequest, field: string) =>
  (request.body as Record<string, unknown> | undefined)?.[field];
/** The id a `/systemusers(…)` binding names. */
const boundUser = (request: CapturedRequest) => {
  const bind = fieldOf(request, 'ownerid@odata.bind');
  return typeof bind === 'string' ? /^\/systemusers\(([^)]+)\)$/.exec(bind)?.[1] : undefined;
};

/**
 * What Dataverse must receive. A case is ONE POST of the incident with a client-chosen
 * `incidentid` (a repeat is refused as a duplicate key), the owner bound explicitly
 * (`ownerid@odata.bind`), the known contact bound as customer, the title and description, and
 * the channel's `caseorigincode`, answered with the row (`Prefer: return=representation`); an
 * agent performs through `CallerObjectId`. An owner change PATCHes the binding alone, with
 * `If-Match: *` (an update, never an upsert). A note is an annotation with its own client-chosen
 * `annotationid`, bound to the case, owned by the performer.
 */
export const writes: WriteDeclarations = {
  createTicket: ({ event }) => [
    {
      label: 'the case create',
      method: 'POST',
      path: `${webApi}/incidents`,
      // The row comes back with the create (Prefer: return=representation), these columns only.
      query: { $select: 'incidentid,_customerid_value' },
      headers: { prefer: 'return=representation', 'content-type': /^application\/json/ },
      body: {
        incidentid: guid,
        caseorigincode: caseOriginOf[event.channel],
        'customerid_contact@odata.bind': `/contacts(${contactId})`,
      },
      bodyFields: [
        'incidentid',
        'title',
        'description',
        'caseorigincode',
        'ownerid@odata.bind',
        'customerid_contact@odata.bind',
      ],
      subject: (request) => fieldOf(request, 'title'),
      content: (request) => fieldOf(request, 'description'),
      owner: boundUser,
      idempotencyKey: (request) => fieldOf(request, 'incidentid'),
    },
  ],
  changeOwner: ({ ticketId, owner }) => [
    {
      label: 'the case assignment',
      method: 'PATCH',
      path: `${webApi}/incidents(${ticketId})`,
      headers: { 'if-match': '*' },
      body: (value: unknown) =>
        isDeepStrictEqual(value, { 'ownerid@odata.bind': `/systemusers(${owner?.id})` }),
      owner: boundUser,
    },
  ],
  addNote: ({ ticketId, event, performer }) => [
    {
      label: 'the annotation',
      method: 'POST',
      path: `${webApi}/annotations`,
      body: {
        annotationid: guid,
        subject: `Interaction ${event.interactionId}: notes and transcript`,
        'objectid_incident@odata.bind': `/incidents(${ticketId})`,
        'ownerid@odata.bind': `/systemusers(${performer.id})`,
      },
      content: (request) => fieldOf(request, 'notetext'),
      // Annotations are internal by kind: Dynamics never shows a note to the customer.
      visibility: () => 'internal',
      idempotencyKey: (request) => fieldOf(request, 'annotationid'),
    },
  ],
};

export const dynamicsFixture: ConformanceFixture<ReturnType<typeof dynamics>['settings']['schema']> = {
  plugin: dynamics(),
  origins: [organizationUrl, authorityHost],
  // Impersonation on, so the suite also checks that agents perform their own writes.
  settings: { organizationUrl, tenantId, clientId, clientSecret, impersonateAgents: true },
  invalidCredentials: { clientSecret: wrongSecret },
  users,
  ticketId: 'b0c1d2e3-f4a5-4b6c-8d7e-9f0a1b2c3d4e',
  mocks: {
    validCredentials: (crm) => {
      tokenEndpoint();
      crm().get(`${webApi}/WhoAmI`).matchHeader('authorization', bearer).reply(200, whoAmI);
      crm().get(`${webApi}/systemusers(${users.admin.id})`).query(true).reply(200, applicationUserRecord());
      crm().get(privilegePath).reply(200, delegatePrivilege);
    },
    invalidCredentials: () => {
      nock(authorityHost)
        .post(
          `/${tenantId}/oauth2/v2.0/token`,
          (body: Record<string, string>) => body.client_secret === wrongSecret,
        )
        .query(true)
        .reply(401, wrongSecretAnswer());
    },
    connectionUser: (crm) => {
      tokenEndpoint({ optional: true });
      crm().get(`${webApi}/WhoAmI`).reply(200, whoAmI);
      crm()
        .get(`${webApi}/systemusers(${users.admin.id})`)
        .query((query) => String(query.$expand).startsWith('systemuserroles_association'))
        .reply(200, applicationUserRecord());
    },
    userByEmail: (email, user) => (crm) => {
      crm()
        .get(`${webApi}/systemusers`)
        .query((query) => String(query.$filter).includes(`internalemailaddress eq '${email.toLowerCase()}'`))
        .reply(200, {
          '@odata.context': `${organizationUrl}${webApi}/$metadata#systemusers`,
          value:
            user === undefined
              ? []
              : [systemUser(seededPeople.find((seeded) => seeded.id === user.id) ?? user)],
        });
    },
    assignableUsers: (list) => (crm) => {
      crm()
        .get(`${webApi}/systemusers`)
        .query((query) => String(query.$filter).includes('isdisabled eq false and accessmode eq 0'))
        .reply(200, {
          '@odata.context': `${organizationUrl}${webApi}/$metadata#systemusers`,
          // The $filter drops disabled users, as Dataverse would.
          value: list
            .filter((user) => user.active)
            .map((user) => systemUser(seededPeople.find((seeded) => seeded.id === user.id) ?? user)),
        });
    },
    createTicket: (ticketId) => (crm) => {
      existingContact(crm());
      crm()
        .post(
          `${webApi}/incidents`,
          (body: Record<string, unknown>) => typeof body['ownerid@odata.bind'] === 'string',
        )
        .query(true)
        .reply(201, createdIncident(ticketId));
    },
    createTicketRateLimitedOnce: (ticketId) => (crm) => {
      existingContact(crm());
      crm()
        .post(`${webApi}/incidents`)
        .query(true)
        .reply(
          429,
          {
            error: {
              code: '0x80072322',
              message: 'Number of requests exceeded the limit of 6000 over time window of 300 seconds.',
            },
          },
          { 'Retry-After': '1' },
        );
      crm().post(`${webApi}/incidents`).query(true).reply(201, createdIncident(ticketId));
    },
    changeOwner: (ticketId) => (crm) => {
      crm().patch(`${webApi}/incidents(${ticketId})`).matchHeader('if-match', '*').reply(204, '');
    },
    addNote: () => (crm) => {
      crm()
        .post(`${webApi}/annotations`)
        .reply(204, '', {
          'OData-EntityId': `${organizationUrl}${webApi}/annotations(8b9c0d1e-2f3a-4b4c-9d5e-6f7a8b9c0d1e)`,
        });
    },
    createTicketAnswerLost,
    addNoteAnswerLost,
    findTicket: (_interactionId, ticketId) => (crm) => {
      // The case's id is derived from the interaction id: it is read by that id.
      const read = crm()
        .get((path) => rowId(path, 'incidents') !== undefined)
        .query(true);
      if (ticketId === undefined)
        read.reply(404, { error: { code: '0x80040217', message: 'incident With Ids = … Does Not Exist' } });
      else
        read.reply(200, {
          incidentid: ticketId,
          _customerid_value: contactId,
          _ownerid_value: users.admin.id,
        });
    },
    createTicketExisting: (ticketId, owner) => (crm) => {
      existingContact(crm());
      // The case's id is taken: refused as a duplicate key, then read back with its owner now,
      // who is read too (not the application user).
      crm()
        .post(`${webApi}/incidents`, (body: Record<string, unknown>) => typeof body.incidentid === 'string')
        .query(true)
        .reply(412, duplicateKey);
      crm()
        .get((path) => rowId(path, 'incidents') !== undefined)
        .query(true)
        .reply(200, {
          '@odata.etag': 'W/"4711121"',
          incidentid: ticketId,
          _customerid_value: contactId,
          _ownerid_value: owner.id,
        });
      // The application user is known already; anyone else is read.
      if (owner.id === users.admin.id) return;
      crm()
        .get(`${webApi}/systemusers(${owner.id})`)
        .query(true)
        .reply(200, systemUser(seededPeople.find((seeded) => seeded.id === owner.id) ?? owner));
    },
    addNoteToFoundTicket: (ticketId, present) => (crm) => {
      // The note's client-chosen id makes a repeat a duplicate: no lookup before writing. When the
      // note is there, its id is refused as a duplicate key on the first attempt, and found.
      if (present !== undefined) {
        crm()
          .post(
            `${webApi}/annotations`,
            (body: Record<string, unknown>) =>
              body['objectid_incident@odata.bind'] === `/incidents(${ticketId})`,
          )
          .reply(412, duplicateKey);
        crm()
          .get((path) => rowId(path, 'annotations') !== undefined)
          .query(true)
          .reply(200, (path) => ({ '@odata.etag': 'W/"4711130"', annotationid: rowId(path, 'annotations') }));
        return;
      }
      crm()
        .post(
          `${webApi}/annotations`,
          (body: Record<string, unknown>) =>
            body['objectid_incident@odata.bind'] === `/incidents(${ticketId})`,
        )
        .reply(204, '', {
          'OData-EntityId': `${organizationUrl}${webApi}/annotations(8b9c0d1e-2f3a-4b4c-9d5e-6f7a8b9c0d1e)`,
        });
    },
    createTicketLongDescription: (ticketId) => (crm) => {
      // incident.description holds 2,000 characters: the start, with a pointer to the note that
      // holds the full text (annotation.notetext holds 100,000).
      existingContact(crm());
      crm()
        .post(`${webApi}/incidents`, (body: Record<string, unknown>) => {
          const description = String(body.description);
          return (
            description.length <= 2_000 &&
            description.endsWith('The full text is in the note "Description (full text)".')
          );
        })
        .query(true)
        .reply(201, createdIncident(ticketId));
      crm()
        .post(
          `${webApi}/annotations`,
          (body: Record<string, unknown>) =>
            body.subject === 'Description (full text)' &&
            body['objectid_incident@odata.bind'] === `/incidents(${ticketId})` &&
            body['ownerid@odata.bind'] === `/systemusers(${users.admin.id})` &&
            String(body.notetext).length > 70_000,
        )
        .reply(204, '', {
          'OData-EntityId': `${organizationUrl}${webApi}/annotations(7a8b9c0d-1e2f-4a3b-8c4d-5e6f7a8b9c0d)`,
        });
    },
    createTicketOwnerRejected: (ticketId, rejected) => (crm) => {
      existingContact(crm());
      crm()
        .post(
          `${webApi}/incidents`,
          (body: Record<string, unknown>) => body['ownerid@odata.bind'] === `/systemusers(${rejected.id})`,
        )
        .query(true)
        .reply(403, {
          error: { code: '0x80040225', message: `The specified user(Id = ${rejected.id}) is disabled.` },
        });
      existingContact(crm());
      crm()
        .post(
          `${webApi}/incidents`,
          (body: Record<string, unknown>) => body['ownerid@odata.bind'] === `/systemusers(${users.admin.id})`,
        )
        .query(true)
        .reply(201, createdIncident(ticketId));
    },
    createTicketStepFails: {
      notApplicable:
        'the contact is looked up (a read), and a new one is deep-inserted in the case create: one write, all or nothing',
    },
  },
  writes,
  // Owners are systemuser GUIDs: a Zendesk user id is not. Case ids are sent URL-encoded (Dataverse refuses a bad key).
  foreignIds: { user: '360001234502' },
  // The plugin chooses the case's id (a name-based GUID of the interaction id).
  createdIdOf: (request) =>
    request.method === 'POST' && request.path.split('?')[0] === `${webApi}/incidents`
      ? (fieldOf(request, 'incidentid') as string | undefined)
      : undefined,
  idempotencyKeyOf,
  ownerOf: (request) => {
    if (!request.path.startsWith(`${webApi}/incidents`)) return undefined;
    const bind = (request.body as Record<string, unknown> | undefined)?.['ownerid@odata.bind'];
    return typeof bind === 'string' ? /^\/systemusers\(([^)]+)\)$/.exec(bind)?.[1] : undefined;
  },
  performerOf: (request) => {
    const objectId = request.headers.callerobjectid;
    if (objectId !== undefined) return seededPeople.find((user) => user.objectId === objectId)?.id;
    if (request.headers.mscrmcallerid !== undefined) return request.headers.mscrmcallerid;
    return request.headers.authorization === bearer ? users.admin.id : undefined;
  },
};

/** Jane Doe is already a contact (found by email). */
export function existingContact(scope: nock.Scope) {
  scope
    .get(`${webApi}/contacts`)
    .query((query) => String(query.$filter).includes("emailaddress1 eq 'jane.doe@example.com'"))
    .reply(200, {
      '@odata.context': `${organizationUrl}${webApi}/$metadata#contacts(contactid,emailaddress1,mobilephone,telephone1)`,
      value: [
        {
          '@odata.etag': 'W/"4711099"',
          contactid: contactId,
          emailaddress1: 'jane.doe@example.com',
          mobilephone: null,
          telephone1: '+15555550100',
        },
      ],
    });
}

/** The 201 of `POST incidents?$select=incidentid,_customerid_value` with `Prefer: return=representation`. */
export function createdIncident(incidentId: string, customerId = contactId) {
  return {
    '@odata.context': `${organizationUrl}${webApi}/$metadata#incidents(incidentid,_customerid_value)/$entity`,
    '@odata.etag': 'W/"4711120"',
    incidentid: incidentId,
    _customerid_value: customerId,
  };
}
