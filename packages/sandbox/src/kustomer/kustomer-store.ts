import { createHash } from 'node:crypto';
import { objectIds } from '../ids.js';
import { type SandboxSeed, type SeededUser, seedPeople } from '../seed.js';
import { createTable, type Table } from '../store.js';

/**
 * The Kustomer sandbox's records and what it is seeded with: the four seed people as full users
 * plus one machine user per API key (Kustomer backs every key with a machine user, which performs
 * everything done with the key). Attribute names follow Kustomer's JSON (camelCase).
 * https://developer.kustomer.com/docs/get-started/api-keys-and-roles
 */

export interface KustomerUserRecord {
  id: string;
  name: string;
  email: string | null;
  /** `user` (a full user), `machine` (an API key's user) or `limited` (a collaborator). */
  userType: 'user' | 'machine' | 'limited';
  roles: string[];
  deleted: boolean;
  deletedAt: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface ApiKeyRecord {
  /** The token record's id (what `GET /v1/auth/tokens/current` shows), not the key itself. */
  id: string;
  /** The bearer token. */
  token: string;
  name: string;
  userId: string;
  roles: string[];
  revoked: boolean;
  createdAt: string;
}

export interface CustomerRecord {
  id: string;
  name: string;
  emails: { type: string; email: string; verified: boolean }[];
  phones: { type: string; phone: string; verified: boolean }[];
  externalId: string | null;
  createdBy: string;
  createdAt: string;
  updatedAt: string;
}

export interface ConversationRecord {
  id: string;
  customerId: string;
  name: string;
  externalId: string | null;
  status: 'open' | 'snoozed' | 'done';
  priority: number;
  direction: 'in' | 'out';
  replyChannel: string | null;
  assignedUsers: string[];
  createdBy: string;
  modifiedBy: string;
  createdAt: string;
  updatedAt: string;
}

export interface NoteRecord {
  id: string;
  conversationId: string;
  customerId: string;
  body: string;
  externalId: string | null;
  createdBy: string;
  createdAt: string;
  updatedAt: string;
}

export interface KustomerStore {
  /** The organization every record belongs to. */
  orgId: string;
  users: Table<KustomerUserRecord>;
  apiKeys: Table<ApiKeyRecord>;
  customers: Table<CustomerRecord>;
  conversations: Table<ConversationRecord>;
  notes: Table<NoteRecord>;
  nextId: { customer: () => string; conversation: () => string; note: () => string };
}

/** Every role the crm-connect Kustomer plugin needs (its README's table). */
export const crmConnectRoles = [
  'org.permission.customer.read',
  'org.permission.customer.create',
  'org.permission.conversation.read',
  'org.permission.conversation.create',
  'org.permission.conversation.update',
  'org.permission.note.create',
  'org.permission.user.read',
];

export interface KustomerSeed extends SandboxSeed {
  credentials: {
    /** A key with every role crm-connect needs; its machine user `crm-connect` is the default user. */
    apiKey: string;
    /** A key that can only read customers and conversations: a live check refuses it, naming the missing roles. */
    limitedApiKey: string;
  };
  orgId: string;
}

const orgId = '5eedc0ffee0000000000a001';
const seededAt = '2024-03-04T09:12:45.123Z';

/** A JWT-shaped key, deterministic so the CLI prints the same key on every run. */
function apiKeyFor(userId: string, name: string): string {
  const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const header = encode({ alg: 'HS256', typ: 'JWT' });
  const payload = encode({ org: orgId, user: userId, name, sandbox: true });
  const signature = createHash('sha256').update(`${header}.${payload}`).digest('base64url');
  return `${header}.${payload}.${signature}`;
}

export function createKustomerStore(): { store: KustomerStore; seed: KustomerSeed } {
  const userIds = objectIds('5f3c1a9e8b7d');
  const keyIds = objectIds('6a1b2c3d4e5f');
  const people: KustomerUserRecord[] = seedPeople.map((person) => ({
    id: userIds(),
    name: person.name,
    email: person.email,
    userType: 'user',
    roles: person.role === 'admin' ? ['org.admin', 'org.user'] : ['org.user'],
    deleted: !person.active,
    deletedAt: person.active ? null : '2026-09-30T16:02:11.000Z',
    createdAt: seededAt,
    updatedAt: seededAt,
  }));
  const machine = (name: string, roles: string[]): KustomerUserRecord => ({
    id: userIds(),
    name,
    email: null,
    userType: 'machine',
    roles,
    deleted: false,
    deletedAt: null,
    createdAt: seededAt,
    updatedAt: seededAt,
  });
  const limitedRoles = ['org.permission.customer.read', 'org.permission.conversation.read'];
  const keyUser = machine('crm-connect', crmConnectRoles);
  const limitedKeyUser = machine('reporting', limitedRoles);
  const users = createTable<KustomerUserRecord>([...people, keyUser, limitedKeyUser]);
  const apiKey = apiKeyFor(keyUser.id, keyUser.name);
  const limitedApiKey = apiKeyFor(limitedKeyUser.id, limitedKeyUser.name);
  const apiKeys = createTable<ApiKeyRecord>([
    {
      id: keyIds(),
      token: apiKey,
      name: 'crm-connect',
      userId: keyUser.id,
      roles: crmConnectRoles,
      revoked: false,
      createdAt: seededAt,
    },
    {
      id: keyIds(),
      token: limitedApiKey,
      name: 'reporting',
      userId: limitedKeyUser.id,
      roles: limitedRoles,
      revoked: false,
      createdAt: seededAt,
    },
  ]);
  const store: KustomerStore = {
    orgId,
    users,
    apiKeys,
    customers: createTable(),
    conversations: createTable(),
    notes: createTable(),
    nextId: {
      customer: objectIds('5f1e2d3c4b5a'),
      conversation: objectIds('6a1f0c2b3d4e'),
      note: objectIds('6b2c3d4e5f60'),
    },
  };
  const seeded: SeededUser[] = [
    ...seedPeople.map((person, index) => {
      const user = people[index] as KustomerUserRecord;
      return {
        key: person.key,
        id: user.id,
        name: user.name,
        email: person.email,
        role: user.userType,
        active: person.active,
      };
    }),
    {
      key: 'apiKeyUser',
      id: keyUser.id,
      name: keyUser.name,
      email: undefined,
      role: 'machine',
      active: true,
    },
    {
      key: 'limitedApiKeyUser',
      id: limitedKeyUser.id,
      name: limitedKeyUser.name,
      email: undefined,
      role: 'machine',
      active: true,
    },
  ];
  return { store, seed: { users: seeded, credentials: { apiKey, limitedApiKey }, orgId } };
}
