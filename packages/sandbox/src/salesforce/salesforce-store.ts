import { type SandboxSeed, type SeededUser, type SeedPerson, seedPeople } from '../seed.js';
import { createTable, type Table } from '../store.js';
import { salesforceId18 } from './salesforce-id-suffix.js';
import type { SystemPermission } from './salesforce-permissions.js';

/**
 * The Salesforce sandbox's records: the org's users and the sObjects the plugin writes (Contact,
 * Case, CaseComment, Task), the connected app, and the OAuth grants issued. sObject records keep
 * Salesforce's field API names (`OwnerId`, `CrmConnect_Interaction_Id__c`) and 18-character ids.
 * Writes made through `insert` / `update` can be rolled back, as Salesforce rolls back an
 * all-or-none request when one part fails.
 * https://developer.salesforce.com/docs/atlas.en-us.object_reference.meta/object_reference/
 */

/** A record of any sObject: its fields by API name, `id` (= `Id`, 18 characters) as the table key. */
export interface SObjectRecord {
  readonly id: string;
  Id: string;
  CreatedById: string;
  CreatedDate: string;
  LastModifiedById: string;
  LastModifiedDate: string;
  [field: string]: unknown;
}

export interface UserRecord extends SObjectRecord {
  Username: string;
  Name: string;
  FirstName: string | null;
  LastName: string;
  Email: string;
  IsActive: boolean;
  /** `Standard` for people; portal and automated users have other types. */
  UserType: string;
  /** For the sandbox's sign-in page only; never answered. */
  password: string;
  /** `System Administrator` or `Standard User` (the identity service and the seed list show it). */
  profile: string;
  /** Rights a test grants (`true`) or takes away (`false`) over the profile's, as permission sets would. */
  permissionSets?: Partial<Record<SystemPermission, boolean>> | undefined;
}

export interface ContactRecord extends SObjectRecord {
  FirstName: string | null;
  LastName: string;
  Email: string | null;
  Phone: string | null;
  OwnerId: string;
  CrmConnect_Contact_Key__c: string | null;
}

export interface CaseRecord extends SObjectRecord {
  CaseNumber: string;
  Subject: string | null;
  Description: string | null;
  Origin: string | null;
  Status: string;
  /** A User, or the Support queue (00G…) when an assignment rule ran. */
  OwnerId: string;
  ContactId: string | null;
  CrmConnect_Interaction_Id__c: string | null;
}

export interface CaseCommentRecord extends SObjectRecord {
  ParentId: string;
  CommentBody: string;
  IsPublished: boolean;
}

export interface TaskRecord extends SObjectRecord {
  WhatId: string | null;
  WhoId: string | null;
  Subject: string | null;
  Description: string | null;
  Status: string;
  OwnerId: string;
}

/** A queue cases can be assigned to (`Group` with type Queue). */
export interface QueueRecord extends SObjectRecord {
  Name: string;
}

export interface ConnectedAppRecord {
  /** The Consumer Key (client_id). */
  id: string;
  name: string;
  secret: string;
  /** False once the Consumer Secret was rotated: the old one is refused (`invalid_client`). */
  secretActive: boolean;
}

export interface AuthorizationCodeRecord {
  /** The code itself. */
  id: string;
  clientId: string;
  userId: string;
  redirectUri: string;
  /** PKCE: base64url(SHA-256(code_verifier)) as given at the authorize endpoint. */
  codeChallenge: string;
  scope: string;
  expiresAt: number;
  used: boolean;
}

export interface RefreshTokenRecord {
  id: string;
  clientId: string;
  userId: string;
  scope: string;
  revoked: boolean;
}

export interface AccessTokenRecord {
  id: string;
  clientId: string;
  userId: string;
  /** The refresh token it was issued from, if any: revoking that revokes this too. */
  refreshTokenId: string | null;
  revoked: boolean;
}

/** One sObject table per API name. */
export interface SObjectTables {
  User: Table<UserRecord>;
  Group: Table<QueueRecord>;
  Contact: Table<ContactRecord>;
  Case: Table<CaseRecord>;
  CaseComment: Table<CaseCommentRecord>;
  Task: Table<TaskRecord>;
}
export type SObjectName = keyof SObjectTables;

/** Undoes the writes made since it began; `commit` keeps them (inside an outer transaction, for it to undo). */
export interface Transaction {
  commit(): void;
  rollback(): void;
}

export interface SalesforceStore {
  /** The org ID, 18 characters. */
  orgId: string;
  objects: SObjectTables;
  /** Shortcuts to the tables tests read most. */
  users: Table<UserRecord>;
  contacts: Table<ContactRecord>;
  cases: Table<CaseRecord>;
  caseComments: Table<CaseCommentRecord>;
  tasks: Table<TaskRecord>;
  connectedApps: Table<ConnectedAppRecord>;
  authorizationCodes: Table<AuthorizationCodeRecord>;
  refreshTokens: Table<RefreshTokenRecord>;
  accessTokens: Table<AccessTokenRecord>;
  /** The queue the org's case assignment rule routes to. */
  supportQueueId: string;
  /** REST API requests counted against the org's 24-hour allocation (`Sforce-Limit-Info`). */
  apiUsage: { used: number; allocation: number };
  /** Inserts a record (undone if an enclosing transaction rolls back). */
  insert<T extends SObjectRecord>(table: Table<T>, record: T): T;
  /** Updates a record (restored if an enclosing transaction rolls back). */
  update<T extends SObjectRecord>(table: Table<T>, id: string, changes: Partial<T>): T | undefined;
  /** Starts recording writes so they can be undone. */
  begin(): Transaction;
  /** Any object's table, for code that works on every sObject alike. */
  tableOf(object: SObjectName): Table<SObjectRecord>;
  /** A new record id (18 characters) with the object's key prefix. */
  nextId(object: SObjectName): string;
  /** The next case number (`00001001`). Like Salesforce's auto-numbers, a rolled-back one is not reused. */
  nextCaseNumber(): string;
}

export interface SalesforceSeed extends SandboxSeed {
  credentials: {
    /** The org ID as the settings take it (15 characters). */
    orgId: string;
    /** The connected app's Consumer Key. */
    clientId: string;
    /** The connected app's Consumer Secret. */
    clientSecret: string;
  };
}

const keyPrefixes: Record<SObjectName, string> = {
  User: '005',
  Group: '00G',
  Contact: '003',
  Case: '500',
  CaseComment: '00a',
  Task: '00T',
};

/** 18-character ids: key prefix, `Sb` (the sandbox's "pod"), zeros, a counter; then the case checksum. */
function idsFor(prefix: string): () => string {
  let counter = 0;
  return () => {
    counter += 1;
    return salesforceId18(`${prefix}Sb00${String(counter).padStart(8, '0')}`);
  };
}

const orgId15 = '00DSb0000000001';
const seededAt = '2024-03-04T09:12:45.000+0000';

/** The integration user Salesforce recommends linking (a second admin for failover). */
const integrationPerson: Omit<SeedPerson, 'key'> & { key: string } = {
  key: 'integrationUser',
  name: 'Ivy Integration',
  email: 'integration@acme.test',
  password: 'sandbox-ivy-2Hw6',
  role: 'admin',
  active: true,
};

export function createSalesforceStore(options: { apiRequestsPerDay: number }): {
  store: SalesforceStore;
  seed: SalesforceSeed;
} {
  const ids = Object.fromEntries(
    Object.entries(keyPrefixes).map(([name, prefix]) => [name, idsFor(prefix)]),
  ) as Record<SObjectName, () => string>;
  const system = (id: string, by: string) => ({
    id,
    Id: id,
    CreatedById: by,
    CreatedDate: seededAt,
    LastModifiedById: by,
    LastModifiedDate: seededAt,
  });
  const people = [...seedPeople, integrationPerson];
  const userIds = people.map(() => ids.User());
  const adminId = userIds[0] ?? '';
  const users: UserRecord[] = people.map((person, index) => {
    const [first = '', ...rest] = person.name.split(' ');
    return {
      ...system(userIds[index] ?? '', adminId),
      Username: person.email,
      Name: person.name,
      FirstName: first,
      LastName: rest.join(' '),
      Email: person.email,
      IsActive: person.active,
      UserType: 'Standard',
      password: person.password,
      profile: person.role === 'admin' ? 'System Administrator' : 'Standard User',
    };
  });
  const supportQueueId = ids.Group();

  // Writes recorded by the open transactions, innermost last.
  const open: (() => void)[][] = [];
  const record = (undo: () => void) => open.at(-1)?.push(undo);
  let caseNumber = 1_000;

  const objects: SObjectTables = {
    User: createTable(users),
    Group: createTable<QueueRecord>([{ ...system(supportQueueId, adminId), Name: 'Support Queue' }]),
    Contact: createTable(),
    Case: createTable(),
    CaseComment: createTable(),
    Task: createTable(),
  };
  const store: SalesforceStore = {
    orgId: salesforceId18(orgId15),
    objects,
    users: objects.User,
    contacts: objects.Contact,
    cases: objects.Case,
    caseComments: objects.CaseComment,
    tasks: objects.Task,
    connectedApps: createTable<ConnectedAppRecord>([
      {
        id: '3MVG9SbxCrmConnectSandboxConsumerKey0rg00DSb0000000001.ConnectedAppForCrmConnectDemo',
        name: 'crm-connect',
        secret: 'E1F4A7C0B3D6E9F2A5C8B1D4E7F0A3C6B9D2E5F8A1C4B7D0E3F6A9C2B5D8E1F4',
        secretActive: true,
      },
    ]),
    authorizationCodes: createTable(),
    refreshTokens: createTable(),
    accessTokens: createTable(),
    supportQueueId,
    apiUsage: { used: 0, allocation: options.apiRequestsPerDay },
    insert(table, inserted) {
      table.insert(inserted);
      record(() => table.delete(inserted.id));
      return inserted;
    },
    update(table, id, changes) {
      const before = table.get(id);
      const after = table.update(id, changes);
      if (before !== undefined) record(() => table.update(id, before));
      return after;
    },
    begin() {
      const writes: (() => void)[] = [];
      open.push(writes);
      const close = () => {
        const index = open.lastIndexOf(writes);
        if (index >= 0) open.splice(index, 1);
      };
      return {
        commit() {
          close();
          // An enclosing transaction can still undo these writes.
          open.at(-1)?.push(...writes);
        },
        rollback() {
          close();
          for (const undo of writes.reverse()) undo();
        },
      };
    },
    // Every record type extends SObjectRecord; a table is only ever given records of its own type.
    tableOf: (object) => objects[object] as unknown as Table<SObjectRecord>,
    nextId: (object) => ids[object](),
    nextCaseNumber() {
      caseNumber += 1;
      return String(caseNumber).padStart(8, '0');
    },
  };

  const app = store.connectedApps.all()[0];
  const seeded: SeededUser[] = people.map((person, index) => ({
    key: person.key,
    id: userIds[index] ?? '',
    name: person.name,
    email: person.email,
    role: person.role === 'admin' ? 'System Administrator' : 'Standard User',
    active: person.active,
  }));
  return {
    store,
    seed: {
      users: seeded,
      credentials: { orgId: orgId15, clientId: app?.id ?? '', clientSecret: app?.secret ?? '' },
    },
  };
}
