/**
 * The people every sandbox starts with: the same four in each CRM (same names and emails), so one
 * scripted set of interactions means the same agents everywhere. Each sandbox gives them its own
 * ids and roles, and adds its own credentials (API tokens, OAuth clients, API keys).
 */

/** Which seeded person; also the key of their entry in a sandbox's seed. */
export type SeedPersonKey = 'admin' | 'agent' | 'otherAgent' | 'deactivatedAgent';

export interface SeedPerson {
  key: SeedPersonKey;
  name: string;
  /** Lowercase, on the reserved `.test` domain: a sandbox never knows a real address. */
  email: string;
  /** For sandboxes with an interactive sign-in page (the Salesforce authorize endpoint). */
  password: string;
  /** `admin` administers the CRM account; `agent` works tickets. */
  role: 'admin' | 'agent';
  /** False for the agent the CRM has deactivated (suspended, deleted, disabled). */
  active: boolean;
}

export const seedPeople: readonly SeedPerson[] = [
  {
    key: 'admin',
    name: 'Ada Admin',
    email: 'ada.admin@acme.test',
    password: 'sandbox-ada-7Kq2',
    role: 'admin',
    active: true,
  },
  {
    key: 'agent',
    name: 'Alex Agent',
    email: 'alex.agent@acme.test',
    password: 'sandbox-alex-3Vm8',
    role: 'agent',
    active: true,
  },
  {
    key: 'otherAgent',
    name: 'Olga Other',
    email: 'olga.other@acme.test',
    password: 'sandbox-olga-9Xr4',
    role: 'agent',
    active: true,
  },
  {
    key: 'deactivatedAgent',
    name: 'Gus Gone',
    email: 'gus.gone@acme.test',
    password: 'sandbox-gus-5Tn1',
    role: 'agent',
    active: false,
  },
];

/** A seeded user as one sandbox created them. */
export interface SeededUser {
  /** The seed person, or another key for a CRM-specific user (Kustomer's API key user is `apiKeyUser`). */
  key: string;
  /** The CRM's id for the user, as its API shows it (as text). */
  id: string;
  name: string;
  email: string | undefined;
  /** The CRM's role name (`admin`, `agent`, `user`, `machine`). */
  role: string;
  active: boolean;
}

/** What a sandbox was seeded with: for tests, for the CLI to print, for QA to sign in with. */
export interface SandboxSeed {
  users: readonly SeededUser[];
  /** Named credentials (`apiToken`, `oauthClientSecret`, `apiKey`…), documented per sandbox. */
  credentials: Readonly<Record<string, string>>;
}
