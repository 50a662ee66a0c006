import type { CrmId } from '@crm-connect/sandbox-crms';
import { measuredEvents } from './bench-events.js';
import type { CallsResult } from './calls.js';
import type { CostOptions, CostResult } from './cost.js';
import type { Machine } from './machine.js';
import type { MemoryOptions, MemoryResult } from './memory.js';
import { minimumCalls } from './minimum-calls.js';
import type { RateOptions, RateResult } from './rate.js';
import type { TokensResult } from './tokens.js';

/** One CRM's figures. */
export interface CrmResults {
  id: CrmId;
  displayName: string;
  cost: CostResult;
  calls: CallsResult;
  tokens: TokensResult;
  rate: RateResult;
  memory: MemoryResult;
}

/** What `pnpm bench` writes to apps/bench/results.json. */
export interface BenchResults {
  startedAt: string;
  seconds: number;
  machine: Machine;
  options: { cost: CostOptions; tokenWrites: number; rate: RateOptions; memory: MemoryOptions };
  crms: CrmResults[];
  targets: TargetCheck[];
}

/** The targets. */
export const targets = {
  costRatio: 1.1,
  tokenRequestsPerCredential: 1,
  rateShare: 0.95,
  rateRefused: 0,
  memoryGrowthMb: 50,
} as const;

export interface TargetCheck {
  crm: CrmId;
  figure: 'cost' | 'calls' | 'tokens' | 'rate' | 'memory';
  /** What was compared, e.g. "ratio 1.32 ≤ 1.10". */
  detail: string;
  met: boolean;
}

export function checkTargets(crm: Omit<CrmResults, 'displayName'>): TargetCheck[] {
  const checks: TargetCheck[] = [];
  const check = (figure: TargetCheck['figure'], met: boolean, detail: string) =>
    checks.push({ crm: crm.id, figure, met, detail });
  check(
    'cost',
    crm.cost.ratioMedian <= targets.costRatio,
    `median ratio ${crm.cost.ratioMedian.toFixed(2)}, target ≤ ${targets.costRatio.toFixed(2)}`,
  );
  for (const event of measuredEvents) {
    const minimum = minimumCalls[crm.id].calls[event];
    const { calls } = crm.calls[event];
    check('calls', calls <= minimum, `${event}: ${calls} calls, minimum ${minimum}`);
  }
  if (crm.tokens.applicable) {
    check(
      'tokens',
      crm.tokens.tokenRequests <= targets.tokenRequestsPerCredential && crm.tokens.failed === 0,
      `${crm.tokens.tokenRequests} token requests for ${crm.tokens.writes} writes (${crm.tokens.failed} failed), target ${targets.tokenRequestsPerCredential}`,
    );
  }
  check(
    'rate',
    crm.rate.share >= targets.rateShare && crm.rate.refused === targets.rateRefused,
    `${(crm.rate.share * 100).toFixed(1)} % of the budget used, ${crm.rate.refused} refused; target ≥ ${targets.rateShare * 100} %, 0 refused`,
  );
  check(
    'memory',
    crm.memory.rssGrowthMb < targets.memoryGrowthMb &&
      crm.memory.heapGrowthMb < targets.memoryGrowthMb &&
      crm.memory.failed === 0,
    `RSS +${crm.memory.rssGrowthMb.toFixed(1)} MB, heap +${crm.memory.heapGrowthMb.toFixed(1)} MB (${crm.memory.failed} failed); target < ${targets.memoryGrowthMb} MB`,
  );
  return checks;
}
