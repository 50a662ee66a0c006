import type { SandboxResponse } from '../http-exchange.js';
import { sequentialIds } from '../ids.js';
import type { SandboxSeed, SeededUser } from '../seed.js';
import { seedPeople } from '../seed.js';
import { createTable, type Table } from '../store.js';

/**
 * The Zendesk sandbox's records and what it is seeded with. Field names follow Zendesk's JSON
 * (snake_case), so answers are the records plus a few derived fields.
 * https://developer.zendesk.com/api-reference/ticketing/users/users/#json-format
 */

export type ZendeskRole = 'end-user' | 'agent' | 'admin';

export interface ZendeskUserRecord {
  id: number;
  name: string;
  email: string | null;
  role: ZendeskRole;
  /** 4 for admins; 1 light agent, 2 chat-only agent, 3 contributor (unassignable); null otherwise. */
  role_type: number | null;
  /** False once the user is deleted. */
  active: boolean;
  /** True for a suspended user: cannot sign in, cannot be assigned tickets. */
  suspended: boolean;
  phone: string | null;
  external_id: string | null;
  default_group_id: number | null;
  created_at: string;
  updated_at: string;
}

export interface ZendeskTicketRecord {
  id: number;
  subject: string;
  status: 'new' | 'open' | 'pending' | 'hold' | 'solved' | 'closed';
  requester_id: number;
  submitter_id: number;
  assignee_id: number | null;
  group_id: number | null;
  external_id: string | null;
  tags: string[];
  custom_fields: { id: number; value: unknown }[];
  created_at: string;
  updated_at: string;
}

export interface ZendeskCommentRecord {
  id: number;
  ticket_id: number;
  author_id: number;
  body: string;
  public: boolean;
  created_at: string;
  /** The audit of the create or update that added it. */
  audit_id: number;
}

/**
 * One create or update of a ticket, as Zendesk keeps it: who made it, its events, and the
 * request's write-only `ticket.metadata`, returned as the audit's `metadata.custom`.
 * https://developer.zendesk.com/api-reference/ticketing/tickets/ticket_audits/
 */
export interface ZendeskAuditRecord {
  id: number;
  ticket_id: number;
  author_id: number;
  created_at: string;
  /** The request's `ticket.metadata`, `{}` without one. */
  custom: Record<string, unknown>;
  /** The `User-Agent` of the request, shown as `metadata.system.client`. */
  client: string | null;
  events: Record<string, unknown>[];
}

/** An answer kept under an `Idempotency-Key`, replayed for a repeat of the same request. */
export interface IdempotentAnswerRecord {
  /** The key as the client sent it. */
  id: string;
  /** The request body, canonically serialised: a repeat must carry the same one. */
  fingerprint: string;
  response: SandboxResponse;
  storedAt: number;
}

export interface OAuthClientRecord {
  id: number;
  /** The "Identifier" an admin copies (the client_id of the token request). */
  identifier: string;
  secret: string;
  /** The client credentials grant is only for confidential clients. */
  kind: 'confidential' | 'public';
  /** The admin who created the client: its tokens act as them. */
  user_id: number;
  active: boolean;
}

export interface AccessTokenRecord {
  /** The token itself. */
  id: string;
  client_id: number;
  user_id: number;
  scopes: string[];
  /** Epoch ms; `undefined` for a token without a lifetime. */
  expiresAt: number | undefined;
  revoked: boolean;
}

export interface ApiTokenRecord {
  id: number;
  token: string;
  active: boolean;
}

export interface ZendeskStore {
  users: Table<ZendeskUserRecord>;
  tickets: Table<ZendeskTicketRecord>;
  comments: Table<ZendeskCommentRecord>;
  audits: Table<ZendeskAuditRecord>;
  idempotentAnswers: Table<IdempotentAnswerRecord>;
  oauthClients: Table<OAuthClientRecord>;
  accessTokens: Table<AccessTokenRecord>;
  apiTokens: Table<ApiTokenRecord>;
  /** Id generators of new records. */
  nextId: { user: () => number; ticket: () => number; comment: () => number; audit: () => number };
}

/** The seeded credentials, named as `revokeCredential` and the README name them. */
export interface ZendeskSeed extends SandboxSeed {
  credentials: {
    /** The account's API token; works with the email of any active user (Basic `{email}/token:{apiToken}`). */
    apiToken: string;
    /** The Identifier of a confidential OAuth client created by the admin. */
    oauthClientId: string;
    oauthClientSecret: string;
  };
  /** The group seeded agents belong to. */
  groupId: number;
}

export const zendeskSeedCredentials = {
  apiToken: 'sbxZendeskApiToken7f3kQ9mV2xL8',
  oauthClientId: 'crm_connect_sandbox',
  oauthClientSecret: '5b0e6c1f9a2d4e8b7c3a1f6d0e9b8a7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a',
} as const;

const groupId = 360000451112;
const seededAt = '2024-02-12T09:14:57Z';

export function createZendeskStore(): { store: ZendeskStore; seed: ZendeskSeed } {
  const staffIds = sequentialIds(360001234501);
  const users = createTable<ZendeskUserRecord>(
    seedPeople.map((person) => ({
      id: staffIds(),
      name: person.name,
      email: person.email,
      role: person.role,
      role_type: person.role === 'admin' ? 4 : null,
      active: true,
      // Zendesk deactivates an agent by suspending them (or downgrading them to end user).
      suspended: !person.active,
      phone: null,
      external_id: null,
      default_group_id: groupId,
      created_at: seededAt,
      updated_at: seededAt,
    })),
  );
  const admin = users.find((user) => user.role === 'admin');
  if (admin === undefined) throw new Error('The seed has no admin');
  const store: ZendeskStore = {
    users,
    tickets: createTable(),
    comments: createTable(),
    audits: createTable(),
    idempotentAnswers: createTable(),
    oauthClients: createTable([
      {
        id: 1,
        identifier: zendeskSeedCredentials.oauthClientId,
        secret: zendeskSeedCredentials.oauthClientSecret,
        kind: 'confidential',
        user_id: admin.id,
        active: true,
      },
    ]),
    accessTokens: createTable(),
    apiTokens: createTable([{ id: 1, token: zendeskSeedCredentials.apiToken, active: true }]),
    nextId: {
      user: sequentialIds(360009876501),
      ticket: sequentialIds(35436),
      comment: sequentialIds(9_110_000_001),
      audit: sequentialIds(9_120_000_001),
    },
  };
  const seededUsers: SeededUser[] = seedPeople.map((person) => {
    const user = users.find((candidate) => candidate.email === person.email);
    if (user === undefined) throw new Error(`Seed person ${person.key} was not created`);
    return {
      key: person.key,
      id: String(user.id),
      name: user.name,
      email: person.email,
      role: user.role,
      active: !user.suspended,
    };
  });
  return { store, seed: { users: seededUsers, credentials: { ...zendeskSeedCredentials }, groupId } };
}
