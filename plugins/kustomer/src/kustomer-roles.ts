/**
 * The roles an API key needs. Kustomer names each permission twice: a permission-set role
 * (`org.permission.customer.read`) and a legacy role (`org.user.customer.read`); a reference page
 * accepts either. Roles are chosen when a key is created and cannot be edited afterwards.
 * Source: https://developer.kustomer.com/docs/get-started/api-keys-and-roles and the "Any one of
 * the following roles is required" table of each reference page named below.
 */

export interface RequiredRole {
  /** What crm-connect does with it. */
  purpose: string;
  /** The permission-set role. */
  role: string;
  /** Legacy roles Kustomer accepts instead. */
  legacy: readonly string[];
}

export const requiredRoles = {
  readCustomers: {
    purpose: 'find customers by email, external id or phone',
    role: 'org.permission.customer.read',
    legacy: ['org.user.customer.read'],
  },
  createCustomers: {
    purpose: 'create customers',
    role: 'org.permission.customer.create',
    legacy: ['org.user.customer.write'],
  },
  readConversations: {
    purpose: 'find the conversation of an interaction',
    role: 'org.permission.conversation.read',
    legacy: ['org.user.conversation.read'],
  },
  createConversations: {
    purpose: 'create conversations',
    role: 'org.permission.conversation.create',
    legacy: ['org.user.conversation.write'],
  },
  updateConversations: {
    purpose: 'assign conversations to agents',
    role: 'org.permission.conversation.update',
    legacy: ['org.user.conversation.write'],
  },
  createNotes: {
    purpose: 'add notes (transcripts) to conversations',
    role: 'org.permission.note.create',
    // The "create note within conversation" page lists org.user.note.read as its legacy role.
    legacy: ['org.user.note.write', 'org.user.note.read'],
  },
  readUsers: {
    purpose: 'identify agents by email',
    role: 'org.permission.user.read',
    // UNCONFIRMED: the Users reference lists no role table; these are the legacy names by analogy.
    legacy: ['org.user.user.read', 'org.admin.user.read', 'org.admin.user'],
  },
} as const satisfies Record<string, RequiredRole>;

export type RoleNeed = keyof typeof requiredRoles;

/**
 * True when `granted` includes the role or one of its legacy equivalents. A granted role also
 * covers the roles below it (`org.user` covers `org.user.customer.read`): Kustomer's broad roles
 * (`org.user`, `org.admin`) are assumed to include their sub-roles (UNCONFIRMED), which errs on
 * the side of accepting a key rather than refusing one that works.
 */
export function hasRole(granted: readonly string[], need: RequiredRole): boolean {
  const accepted = [need.role, ...need.legacy];
  return accepted.some((role) => granted.some((have) => have === role || role.startsWith(`${have}.`)));
}

/** The needs a key with these roles does not meet. */
export function missingRoles(granted: readonly string[]): RequiredRole[] {
  return Object.values(requiredRoles).filter((need) => !hasRole(granted, need));
}

/** "org.permission.customer.read (or legacy org.user.customer.read) to find customers…" */
export function describeRole(need: RequiredRole): string {
  return `${need.role} (or legacy ${need.legacy.join(' / ')}) to ${need.purpose}`;
}
