import { randomUUID } from 'node:crypto';
import type {
  DynamicsSandbox,
  KustomerSandbox,
  SalesforceSandbox,
  ZendeskSandbox,
} from '@crm-connect/sandbox';
import type { RunningSandboxCrm } from '@crm-connect/sandbox-crms';
import { benchAgentEmail, benchAgentName } from './bench-agents.js';

/**
 * Adds the bench agents 0 … count-1 to a running sandbox as active CRM users, each a copy of the
 * seeded agent (Alex Agent: same role, rights and group) under their own id, name and email, so
 * the plugin finds and writes as them exactly as it does with Alex. Written into the store
 * directly, as the seed itself is, the same way in all four sandboxes (only Zendesk's has an API
 * to create agents with). Returns how many were added.
 */
export function seedAgents(running: RunningSandboxCrm, count: number): number {
  const alexId = running.sandbox.seed.users.find((user) => user.key === 'agent')?.id;
  if (alexId === undefined) throw new Error(`The ${running.displayName} sandbox seeds no agent to copy`);
  const agents = Array.from({ length: count }, (_, index) => ({
    email: benchAgentEmail(index),
    ...benchAgentName(index),
  }));
  // `running.sandbox` is typed for what all sandboxes share; its id says which one it is.
  switch (running.id) {
    case 'zendesk': {
      const { store } = running.sandbox as ZendeskSandbox;
      const alex = required(store.users.get(Number(alexId)), running);
      for (const { email, first, last } of agents)
        store.users.insert({ ...alex, id: store.nextId.user(), name: `${first} ${last}`, email });
      return count;
    }
    case 'salesforce': {
      const { store } = running.sandbox as SalesforceSandbox;
      const alex = required(store.users.get(alexId), running);
      for (const { email, first, last } of agents) {
        const id = store.nextId('User');
        store.users.insert({
          ...alex,
          id,
          Id: id,
          Username: email,
          Email: email,
          Name: `${first} ${last}`,
          FirstName: first,
          LastName: last,
        });
      }
      return count;
    }
    case 'dynamics': {
      const { store } = running.sandbox as DynamicsSandbox;
      const alex = required(store.systemUsers.get(alexId), running);
      for (const { email, first, last } of agents) {
        const id = randomUUID();
        store.systemUsers.insert({
          ...alex,
          id,
          systemuserid: id,
          fullname: `${first} ${last}`,
          firstname: first,
          lastname: last,
          internalemailaddress: email,
          azureactivedirectoryobjectid: randomUUID(),
        });
      }
      return count;
    }
    case 'kustomer': {
      const { store } = running.sandbox as KustomerSandbox;
      const alex = required(store.users.get(alexId), running);
      for (const [index, { email, first, last }] of agents.entries()) {
        // A 24-hex id, as Kustomer's, on a prefix of the bench's own.
        const id = `bec4a9e0a9e0${index.toString(16).padStart(12, '0')}`;
        store.users.insert({ ...alex, id, name: `${first} ${last}`, email });
      }
      return count;
    }
  }
}

function required<TRecord>(record: TRecord | undefined, running: RunningSandboxCrm): TRecord {
  if (record === undefined) throw new Error(`The ${running.displayName} store has no seeded agent`);
  return record;
}
