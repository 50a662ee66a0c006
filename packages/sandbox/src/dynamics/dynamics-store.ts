import { type SandboxSeed, type SeededUser, seedPeople } from '../seed.js';
import { createTable, type Table } from '../store.js';

/**
 * The Dynamics sandbox's records: the Microsoft Entra tenant side (app registrations, the access
 * tokens issued) and the Dataverse environment side (users, security roles, contacts, cases,
 * notes). Dataverse records keep the Web API's attribute names (`fullname`, `_ownerid_value`), so
 * answers are the records minus the sandbox's own bookkeeping.
 * https://learn.microsoft.com/power-apps/developer/data-platform/reference/about-entity-reference
 */

/** A Microsoft Entra app registration with one client secret. */
export interface AppRegistrationRecord {
  /** The Application (client) ID. */
  id: string;
  displayName: string;
  /** The client secret's Value. */
  secret: string;
  /** False once the secret is deleted: the token endpoint refuses it (AADSTS7000215). */
  secretActive: boolean;
}

/** An access token the tenant's token endpoint issued. */
export interface AccessTokenRecord {
  /** The token itself. */
  id: string;
  clientId: string;
  /** The resource it was issued for: the environment URL of the `scope` (`https://127.0.0.1:4010`). */
  audience: string;
  expiresAt: number;
  revoked: boolean;
}

export interface SystemUserRecord {
  id: string;
  systemuserid: string;
  fullname: string;
  firstname: string | null;
  lastname: string;
  /** The primary email; `null` for application users. */
  internalemailaddress: string | null;
  isdisabled: boolean;
  /** 0 Read-Write, 4 Non-interactive (application users). */
  accessmode: number;
  /** The Entra app of an application user, else `null`. */
  applicationid: string | null;
  azureactivedirectoryobjectid: string | null;
  _businessunitid_value: string;
  /** Security roles (`systemuserroles_association`). */
  roleIds: string[];
  createdon: string;
  modifiedon: string;
  versionnumber: number;
}

export interface RoleRecord {
  id: string;
  roleid: string;
  name: string;
  /** Privilege names (`prvCreateIncident`); `*` grants every privilege (System Administrator). */
  privileges: string[];
}

/** What every created record carries: owner, creator, the impersonating caller, times, version. */
interface Owned {
  _ownerid_value: string;
  /** The user the write was made as (the impersonated agent, if any). */
  _createdby_value: string;
  /** The application user that impersonated `_createdby_value`, else `null`. */
  _createdonbehalfby_value: string | null;
  _modifiedby_value: string;
  createdon: string;
  modifiedon: string;
  versionnumber: number;
}

export interface ContactRecord extends Owned {
  id: string;
  contactid: string;
  firstname: string | null;
  lastname: string | null;
  fullname: string;
  emailaddress1: string | null;
  mobilephone: string | null;
  telephone1: string | null;
  /** 0 Active, 1 Inactive. */
  statecode: number;
  statuscode: number;
}

export interface IncidentRecord extends Owned {
  id: string;
  incidentid: string;
  title: string | null;
  description: string | null;
  /** 1 Phone, 2 Email, 3 Web. */
  caseorigincode: number | null;
  ticketnumber: string;
  /** 0 Active. */
  statecode: number;
  statuscode: number;
  _customerid_value: string;
}

export interface AnnotationRecord extends Owned {
  id: string;
  annotationid: string;
  subject: string | null;
  notetext: string | null;
  _objectid_value: string;
  objecttypecode: 'incident';
}

export interface DynamicsStore {
  tenantId: string;
  organizationId: string;
  businessUnitId: string;
  appRegistrations: Table<AppRegistrationRecord>;
  accessTokens: Table<AccessTokenRecord>;
  systemUsers: Table<SystemUserRecord>;
  roles: Table<RoleRecord>;
  contacts: Table<ContactRecord>;
  incidents: Table<IncidentRecord>;
  annotations: Table<AnnotationRecord>;
  /** A new version number (the `@odata.etag` of a record) for each write. */
  nextVersion(): number;
  /** The next case number (`CAS-01001-S4N6B0`). */
  nextTicketNumber(): string;
}

export interface DynamicsSeed extends SandboxSeed {
  credentials: {
    /** The Directory (tenant) ID. */
    tenantId: string;
    /** The app registration `crm-connect`, whose enabled application user holds its roles and Delegate. */
    clientId: string;
    clientSecret: string;
    /** An app registration with no application user in the environment (`0x80072560` on WhoAmI). */
    unlinkedClientId: string;
    unlinkedClientSecret: string;
  };
}

/** Privileges crm-connect uses (its README's security role), each CRUD privilege by its Dataverse name. */
export const integrationPrivileges = [
  'prvReadUser',
  'prvReadContact',
  'prvCreateContact',
  'prvAppendToContact',
  'prvReadIncident',
  'prvCreateIncident',
  'prvWriteIncident',
  'prvAppendIncident',
  'prvAppendToIncident',
  'prvAssignIncident',
  'prvReadNote',
  'prvCreateNote',
  'prvAppendNote',
];

const tenantId = '7d1e5a2b-3c4d-4e5f-8a6b-7c8d9e0f1a2b';
const clientId = 'c2f0e1d3-5a6b-4c7d-8e9f-0a1b2c3d4e5f';
const unlinkedClientId = '9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d';
const seededAt = '2024-03-04T09:12:45Z';

/** Deterministic GUIDs: a fixed prefix naming the kind of record, then a counter. */
export function guids(prefix: string): () => string {
  if (!/^[0-9a-f]{8}$/.test(prefix)) throw new Error('A GUID prefix is 8 lowercase hex characters');
  let counter = 0;
  return () => {
    counter += 1;
    return `${prefix}-5eed-4000-8000-${counter.toString(16).padStart(12, '0')}`;
  };
}

export function createDynamicsStore(): { store: DynamicsStore; seed: DynamicsSeed } {
  const userIds = guids('3b0c5e00');
  const objectIds = guids('0b1ec700');
  const roleIds = guids('7e1e0000');
  const businessUnitId = 'b0510000-5eed-4000-8000-000000000001';
  const role = (name: string, privileges: string[]): RoleRecord => {
    const id = roleIds();
    return { id, roleid: id, name, privileges };
  };
  const administrator = role('System Administrator', ['*']);
  const representative = role('Customer Service Representative', integrationPrivileges);
  const integration = role('CRM Connect Integration', integrationPrivileges);
  const delegate = role('Delegate', ['prvActOnBehalfOfAnotherUser']);

  const user = (fields: Partial<SystemUserRecord> & Pick<SystemUserRecord, 'fullname' | 'lastname'>) => {
    const id = userIds();
    return {
      id,
      systemuserid: id,
      firstname: null,
      internalemailaddress: null,
      isdisabled: false,
      accessmode: 0,
      applicationid: null,
      azureactivedirectoryobjectid: objectIds(),
      _businessunitid_value: businessUnitId,
      roleIds: [],
      createdon: seededAt,
      modifiedon: seededAt,
      versionnumber: 1,
      ...fields,
    };
  };
  const people: SystemUserRecord[] = seedPeople.map((person) => {
    const [firstname = '', ...rest] = person.name.split(' ');
    return user({
      fullname: person.name,
      firstname,
      lastname: rest.join(' '),
      internalemailaddress: person.email,
      isdisabled: !person.active,
      roleIds: [person.role === 'admin' ? administrator.id : representative.id],
    });
  });
  // Application users are named with a leading "#" in the admin center's list.
  const applicationUser = user({
    fullname: '# crm-connect',
    lastname: '# crm-connect',
    accessmode: 4,
    applicationid: clientId,
    roleIds: [integration.id, delegate.id],
  });

  let version = 1_000;
  let ticket = 1_000;
  const store: DynamicsStore = {
    tenantId,
    organizationId: '0e6a0000-5eed-4000-8000-000000000001',
    businessUnitId,
    appRegistrations: createTable<AppRegistrationRecord>([
      {
        id: clientId,
        displayName: 'crm-connect',
        secret: 'Sbx8Q~crmConnectSandboxSecret.7f3kQ9mV2xL8',
        secretActive: true,
      },
      {
        id: unlinkedClientId,
        displayName: 'crm-connect (no application user)',
        secret: 'Sbx9Q~unlinkedAppSecretNoAppUser.4Jw2Lp6',
        secretActive: true,
      },
    ]),
    accessTokens: createTable(),
    systemUsers: createTable([...people, applicationUser]),
    roles: createTable([administrator, representative, integration, delegate]),
    contacts: createTable(),
    incidents: createTable(),
    annotations: createTable(),
    nextVersion: () => {
      version += 1;
      return version;
    },
    nextTicketNumber: () => {
      ticket += 1;
      return `CAS-${String(ticket).padStart(5, '0')}-S4N6B0`;
    },
  };

  const seeded: SeededUser[] = [
    ...seedPeople.map((person, index) => {
      const record = people[index] as SystemUserRecord;
      return {
        key: person.key,
        id: record.systemuserid,
        name: record.fullname,
        email: person.email,
        role: person.role === 'admin' ? 'System Administrator' : 'Customer Service Representative',
        active: person.active,
      };
    }),
    {
      key: 'applicationUser',
      id: applicationUser.systemuserid,
      name: applicationUser.fullname,
      email: undefined,
      role: 'application',
      active: true,
    },
  ];
  const secrets = store.appRegistrations.all();
  return {
    store,
    seed: {
      users: seeded,
      credentials: {
        tenantId,
        clientId,
        clientSecret: secrets[0]?.secret ?? '',
        unlinkedClientId,
        unlinkedClientSecret: secrets[1]?.secret ?? '',
      },
    },
  };
}
