import type { PlatformAgent } from '@crm-connect/core';

/**
 * The agents the "many agents" figure seeds in the CRM (as its users) and has a connector meet:
 * `agent-00000@acme.test` and on, on the seed's domain. The sandbox host seeds them by these
 * emails and the figure sends events naming them, so both sides read them from here.
 */

export function benchAgentEmail(index: number): string {
  return `agent-${String(index).padStart(5, '0')}@acme.test`;
}

export function benchAgentName(index: number): { first: string; last: string } {
  return { first: 'Agent', last: String(index).padStart(5, '0') };
}

/** The platform's view of the same agent. */
export function benchAgent(index: number): PlatformAgent {
  return { id: `bench-agent-${index}`, emails: [benchAgentEmail(index)] };
}
