// Shows the actor rule on the four situations the default-user feature is about, first with the
// default user on, then off (the legacy random agent). Run: pnpm example
import { resolveActor } from '@crm-connect/core';

const admin = { id: 'admin-1', name: 'Ada Admin (default user)', active: true };
const alex = { id: 'agent-7', name: 'Alex Agent', active: true };
const pool = [
  { id: 'agent-3', name: 'Olga Other', active: true },
  { id: 'agent-4', name: 'Sam Support', active: true },
  { id: 'agent-9', name: 'Gus Gone', active: false },
];

const scenarios = [
  { what: 'chat started, no agent yet', eventType: 'chat.started', agent: { status: 'none' } },
  { what: 'voicemail before its callback', eventType: 'voicemail.received', agent: { status: 'none' } },
  { what: 'abandoned call (tickets on)', eventType: 'call.abandoned', agent: { status: 'none' } },
  {
    what: 'abandoned call (tickets off)',
    eventType: 'call.abandoned',
    agent: { status: 'none' },
    ticketsOff: true,
  },
  { what: 'chat with a known agent', eventType: 'chat.started', agent: { status: 'identified', user: alex } },
  {
    what: 'chat, agent deactivated in CRM',
    eventType: 'chat.started',
    agent: { status: 'deactivated', user: { ...alex, active: false } },
  },
  { what: 'agent assigned later', eventType: 'agent.assigned', agent: { status: 'identified', user: alex } },
];

let seed = 7;
const seededRandom = () => {
  seed = (seed * 16807) % 2147483647;
  return (seed - 1) / 2147483646;
};

for (const defaultUserEnabled of [true, false]) {
  console.log(`\nDefault user ${defaultUserEnabled ? 'ON' : 'OFF (legacy: random agent)'}`);
  const rows = scenarios.map((scenario) => {
    const input = {
      eventType: scenario.eventType,
      agent: scenario.agent,
      connectionUser: admin,
      defaultUserEnabled,
      abandonedCallTickets: !scenario.ticketsOff,
      alwaysUseAdmin: false,
      performsAsAgent: true,
      random: seededRandom,
    };
    let decision = resolveActor(input);
    if (decision.action === 'needs-agent-pool') decision = resolveActor({ ...input, agentPool: pool });
    return {
      interaction: scenario.what,
      owner: decision.action === 'write' ? (decision.owner?.name ?? '(unchanged)') : '—',
      performer: decision.action === 'write' ? decision.performer.name : '—',
      reason: decision.reason ?? decision.action,
    };
  });
  console.table(rows);
}
