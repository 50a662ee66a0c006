import type { InteractionEventType } from './events.js';
import type { CrmUser } from './users.js';

/**
 * Who performs each CRM write, and who owns the record: the whole rule, in one pure function.
 *
 * Owner, for the events that open a record (chat started, voicemail, abandoned call):
 *   1. the interaction's agent, identified and mapped to an active CRM user;
 *   2. else, when the default user is enabled, the default user — the connection's own CRM
 *      identity (an admin, the API key's user, the application user);
 *   3. else a random active agent from the CRM's assignable users (the legacy behaviour).
 *   An abandoned call opens a record only when abandoned-call tickets are enabled.
 * When an agent is assigned later, ownership moves to that agent (if they map to an active user).
 * Notes written when an interaction ends leave the owner unchanged.
 *
 * Performer (whose credentials make the write):
 *   - "always use the admin user" (a capability a plugin may declare, then a setting): the
 *     connection user performs every write, the owner stays whoever rule 1–3 picked;
 *   - else, when the plugin can write as the owner (Zendesk token mode, Dynamics impersonation)
 *     and the owner is a person, the owner performs it;
 *   - else the connection user performs it.
 */

/** How the interaction's platform agent maps to the CRM. */
export type AgentMatch =
  | { status: 'none' }
  | { status: 'identified'; user: CrmUser }
  | { status: 'unmapped'; emails: readonly string[] }
  | { status: 'deactivated'; user: CrmUser };
export type AgentStatus = AgentMatch['status'];

/** Why the owner is who it is. */
export type OwnerReason = 'identified-agent' | 'default-user' | 'random-agent' | 'owner-unchanged';
/** Why the performer is who it is. */
export type PerformerReason = 'owner' | 'always-admin' | 'connection-user';
/** Why no write happens. */
export type SkipReason =
  | 'abandoned-call-tickets-disabled'
  | 'agent-unmapped'
  | 'agent-deactivated'
  | 'no-agent';

export interface ActorResolutionInput {
  eventType: InteractionEventType;
  agent: AgentMatch;
  /** The identity the plugin's credentials act as; it is the default user when that option is on. */
  connectionUser: CrmUser;
  /** Setting: attribute unattributable writes to the default user rather than a random agent. */
  defaultUserEnabled: boolean;
  /** Setting: open a ticket for abandoned calls. */
  abandonedCallTickets: boolean;
  /** Setting and capability: the connection user performs every write while agents keep ownership. */
  alwaysUseAdmin: boolean;
  /** Capability: this connection can make a write as the owning agent. */
  performsAsAgent: boolean;
  /** Active assignable agents for the legacy random rule; omit until the decision asks for them. */
  agentPool?: readonly CrmUser[] | undefined;
  /** A number in [0, 1); injectable so tests are deterministic. */
  random: () => number;
}

export type ActorDecision =
  | {
      action: 'write';
      performer: CrmUser;
      /** The record's owner; `undefined` when this write does not change ownership (notes). */
      owner: CrmUser | undefined;
      reason: OwnerReason;
      performerReason: PerformerReason;
      agentStatus: AgentStatus;
    }
  | { action: 'skip'; reason: SkipReason; agentStatus: AgentStatus }
  /** The legacy random rule applies: call again with `agentPool` (lets callers fetch it only when needed). */
  | { action: 'needs-agent-pool' }
  /** The legacy random rule applies but no active agent exists to choose from. */
  | { action: 'no-assignable-agent'; agentStatus: AgentStatus };

const opensRecord = new Set<InteractionEventType>(['chat.started', 'voicemail.received', 'call.abandoned']);

export function resolveActor(input: ActorResolutionInput): ActorDecision {
  const { agent } = input;
  const agentStatus = agent.status;

  if (input.eventType === 'call.abandoned' && !input.abandonedCallTickets) {
    return { action: 'skip', reason: 'abandoned-call-tickets-disabled', agentStatus };
  }

  if (input.eventType === 'interaction.ended') {
    const agentUser = agent.status === 'identified' ? agent.user : undefined;
    return write(input, agentUser, undefined, 'owner-unchanged');
  }

  if (agent.status === 'identified') {
    return write(input, agent.user, agent.user, 'identified-agent');
  }

  if (!opensRecord.has(input.eventType)) {
    // An assignment to an agent we cannot map leaves the current owner in place.
    const reason: SkipReason =
      agent.status === 'deactivated'
        ? 'agent-deactivated'
        : agent.status === 'unmapped'
          ? 'agent-unmapped'
          : 'no-agent';
    return { action: 'skip', reason, agentStatus };
  }

  if (input.defaultUserEnabled) {
    return write(input, undefined, input.connectionUser, 'default-user');
  }

  if (input.agentPool === undefined) return { action: 'needs-agent-pool' };
  const randomAgent = pickActive(input.agentPool, input.random);
  if (randomAgent === undefined) return { action: 'no-assignable-agent', agentStatus };
  return write(input, randomAgent, randomAgent, 'random-agent');
}

/**
 * A uniformly random active user. The pool the connector passes holds active users only, so one
 * draw is the answer, in constant time even with 50,000 agents; only when the draw lands on an
 * inactive user is the pool filtered, and drawn from again (a fresh draw: reusing the first would
 * favour the active users that follow inactive ones).
 */
function pickActive(pool: readonly CrmUser[], random: () => number): CrmUser | undefined {
  const draw = (users: readonly CrmUser[]) =>
    users[Math.min(users.length - 1, Math.floor(random() * users.length))];
  if (pool.length === 0) return undefined;
  const first = draw(pool);
  if (first?.active === true) return first;
  const active = pool.filter((user) => user.active);
  return active.length === 0 ? undefined : draw(active);
}

/** Picks the performer for a write whose owner is settled; `person` is the agent who could perform it. */
function write(
  input: ActorResolutionInput,
  person: CrmUser | undefined,
  owner: CrmUser | undefined,
  reason: OwnerReason,
): ActorDecision {
  const agentStatus = input.agent.status;
  if (input.alwaysUseAdmin) {
    return {
      action: 'write',
      performer: input.connectionUser,
      owner,
      reason,
      performerReason: 'always-admin',
      agentStatus,
    };
  }
  if (input.performsAsAgent && person !== undefined) {
    return { action: 'write', performer: person, owner, reason, performerReason: 'owner', agentStatus };
  }
  return {
    action: 'write',
    performer: input.connectionUser,
    owner,
    reason,
    performerReason: 'connection-user',
    agentStatus,
  };
}
