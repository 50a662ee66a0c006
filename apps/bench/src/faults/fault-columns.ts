import type { InjectedFault } from '@crm-connect/sandbox';
import type { CrmId, RunningSandboxCrm, SandboxCrmOptions } from '@crm-connect/sandbox-crms';
import { injectPeriodically, type UntargetedFault } from './periodic-faults.js';
import type { DeliveryPattern } from './platform-replay.js';

/**
 * The columns of the matrix: what the sandbox does wrong while the interactions are replayed.
 * A column either injects a fault into about one request in N of every API route all through
 * the run, or changes the CRM at set points of the run (tokens expired, a grant revoked, an agent
 * deactivated), as happens in production, not once at the start. The token columns do both on the
 * token endpoint: access tokens expire all through the run, and the token requests that follow
 * meet the fault. The last two columns are delivery patterns instead: how the platform
 * redelivers (an opening event after its assignment, an ending twice) to workers that share
 * nothing with the others.
 */

export type ColumnId =
  | 'rate-limit'
  | 'unavailable'
  | 'server-error'
  | 'timeout'
  | 'dripping-answer'
  | 'dropped-after-commit'
  | 'expired-token'
  | 'token-rate-limit'
  | 'token-unavailable'
  | 'token-dropped'
  | 'revoked-refresh-token'
  | 'deactivated-agent'
  | 'late-opening'
  | 'redelivered-end';

/** HTTP settings every cell's connectors use: retries scaled down, a short per-attempt timeout. */
export const cellHttp = { retry: { initialDelayMs: 5, maxDelayMs: 50 }, timeoutMs: 1_000 } as const;

/** The column's faults, started on one CRM. */
export interface ColumnRun {
  /** Called as each interaction starts, with the share of the run started so far (0 to 1). */
  progress(share: number): void;
  /** Faults (or changes) applied so far. */
  applied(): number;
  stop(): void;
}

export interface FaultColumn {
  id: ColumnId;
  /** The table's name for it. */
  title: string;
  /** What it injects, and at what rate. */
  description: string;
  /** Why this column does not apply to a CRM; `undefined` when it does. */
  notApplicable(crm: CrmId): string | undefined;
  /** How the CRM must be set up for it. */
  crmOptions?: SandboxCrmOptions | undefined;
  /** Error codes of events that cannot succeed under this column's fault: the platform must get them, typed. */
  cannotSucceed(crm: CrmId): readonly string[];
  /** Deliveries the platform adds under this column (to fresh workers, late, twice). Default: none. */
  delivery?: DeliveryPattern | undefined;
  /**
   * Share of the run's interactions (`--interactions`) this column replays. Default 1. The
   * delivery patterns replay half: each fresh worker costs a new connection (a token, TLS), and
   * half of 2,000 still sends a few hundred deliveries to fresh workers. The dripping answer
   * replays half too: each drip holds its request for a whole timeout, and half of 2,000 still
   * drips about a hundred answers per CRM.
   */
  interactionShare?: number | undefined;
  start(crm: RunningSandboxCrm, random: () => number): ColumnRun;
}

/** Faults aim at the CRM's API; token endpoints are the token columns' business. */
const apiRoute = (route: string) => !route.startsWith('oauth.');

function periodic(fault: UntargetedFault, oneIn: number) {
  return (crm: RunningSandboxCrm, random: () => number): ColumnRun => {
    const faults = injectPeriodically({
      faults: crm.sandbox.faults,
      log: crm.sandbox.log,
      fault,
      oneIn,
      eligible: apiRoute,
      random,
    });
    return { progress() {}, applied: faults.applied, stop: faults.stop };
  };
}

/** Runs `change` once the run has started each of the `at` shares of its interactions. */
function milestones(at: readonly number[], change: (crm: RunningSandboxCrm) => void) {
  return (crm: RunningSandboxCrm): ColumnRun => {
    let done = 0;
    return {
      progress(share) {
        while (done < at.length && share >= (at[done] ?? 1)) {
          change(crm);
          done += 1;
        }
      },
      applied: () => done,
      stop() {},
    };
  };
}

/** Where the token columns expire every access token: the plugins must ask for new ones. */
const tokenExpiries = [1, 2, 3, 4, 5, 6, 7].map((eighth) => eighth / 8);
/** Token requests in a row that get the fault, at the start of the run and after each expiry. */
const tokenFaultsInARow = 3;

/**
 * The token endpoint misbehaves when it matters: the first token requests of the run, and those
 * right after every access token was expired (at 1/8, 2/8 … 7/8 of the run), get the fault,
 * `tokenFaultsInARow` of them each time. Tokens are cached, so faults spread over the run would
 * mostly miss them.
 */
function tokenEndpoint(fault: UntargetedFault) {
  return (crm: RunningSandboxCrm): ColumnRun => {
    const armed: InjectedFault[] = [];
    const arm = () => {
      for (const route of crm.tokenRoutes)
        armed.push(crm.sandbox.faults.inject({ ...fault, route, times: tokenFaultsInARow }));
    };
    arm();
    const expiries = milestones(tokenExpiries, (expiring) => {
      expiring.expireAccessTokens();
      arm();
    })(crm);
    return {
      progress: expiries.progress,
      applied: () => armed.reduce((sum, injected) => sum + injected.applied(), 0),
      stop() {
        for (const injected of armed) injected.cancel();
      },
    };
  };
}

/** Kustomer's API key is the only CRM credential without a token endpoint. */
const withTokenEndpoint = (crm: CrmId) =>
  crm === 'kustomer' ? 'n/a: a Kustomer API key is sent as is; there is no token endpoint' : undefined;

/** Interval of the dripping answer's bytes: 20 of them fit in the connector's timeout, so no idle timer fires. */
const dripByteIntervalMs = cellHttp.timeoutMs / 20;

/** Nothing injected into the sandbox: the column is a delivery pattern. */
const quiet = (): ColumnRun => ({ progress() {}, applied: () => 0, stop() {} });

const always = () => undefined;
const nothing = () => [];

export const faultColumns: readonly FaultColumn[] = [
  {
    id: 'rate-limit',
    title: '429 + Retry-After',
    description:
      "The CRM's rate-limit answer with Retry-After 0.02 s, on about 1 request in 20 of every API route. Salesforce's limit answer is 403 REQUEST_LIMIT_EXCEEDED (a used-up daily allocation, no Retry-After): not retryable, so it surfaces as typed errors.",
    notApplicable: always,
    cannotSucceed: (crm) => (crm === 'salesforce' ? ['rate_limited'] : []),
    start: periodic({ kind: 'rate-limit', retryAfterSeconds: 0.02 }, 20),
  },
  {
    id: 'unavailable',
    title: '503',
    description:
      "503 in the CRM's error shape, on about 1 request in 12 of every API route; nothing processed.",
    notApplicable: always,
    cannotSucceed: nothing,
    start: periodic({ kind: 'server-error', status: 503 }, 12),
  },
  {
    id: 'server-error',
    title: '500',
    description:
      "500 in the CRM's error shape, on about 1 request in 12 of every API route; nothing processed.",
    notApplicable: always,
    cannotSucceed: nothing,
    start: periodic({ kind: 'server-error', status: 500 }, 12),
  },
  {
    id: 'timeout',
    title: 'timeout',
    description: `The request is held ${cellHttp.timeoutMs + 300} ms, beyond the connector's ${cellHttp.timeoutMs} ms timeout, then processed (the write still happens), on about 1 request in 40 of every API route.`,
    notApplicable: always,
    cannotSucceed: nothing,
    start: periodic({ kind: 'slow', delayMs: cellHttp.timeoutMs + 300 }, 40),
  },
  {
    id: 'dripping-answer',
    title: 'dripping answer',
    description: `The request is processed (the write happens), then answered with its status and headers at once and its body one byte every ${dripByteIntervalMs} ms, on about 1 request in 40 of every API route: the connection never goes idle, so only the connector's ${cellHttp.timeoutMs} ms deadline per attempt ends the wait, with a retryable transport error. Replays half the interactions.`,
    notApplicable: always,
    cannotSucceed: nothing,
    interactionShare: 0.5,
    start: periodic({ kind: 'drip', byteIntervalMs: dripByteIntervalMs }, 40),
  },
  {
    id: 'dropped-after-commit',
    title: 'dropped after commit',
    description:
      'The request is processed (a write is committed), then the connection is destroyed without an answer, on about 1 request in 12 of every API route.',
    notApplicable: always,
    cannotSucceed: nothing,
    start: periodic({ kind: 'drop', when: 'after-handling' }, 12),
  },
  {
    id: 'expired-token',
    title: 'expired access token',
    description:
      'Every access token the sandbox issued stops working at 1/6, 2/6 … 5/6 of the run (Zendesk in OAuth client-credentials mode, Salesforce sessions, Dynamics tokens): the plugin must get a new one.',
    notApplicable: (crm) =>
      crm === 'kustomer' ? 'n/a: a Kustomer API key is sent as is; it does not expire' : undefined,
    // Zendesk in OAuth client-credentials mode: its API token does not expire.
    crmOptions: { oauth: true },
    cannotSucceed: nothing,
    start: milestones([1 / 6, 2 / 6, 3 / 6, 4 / 6, 5 / 6], (crm) => crm.expireAccessTokens()),
  },
  {
    id: 'token-rate-limit',
    title: 'token endpoint 429',
    description: `The token endpoint's rate-limit answer (429, Retry-After 0.02 s; nothing processed) to the first ${tokenFaultsInARow} token requests of the run and to the first ${tokenFaultsInARow} after each time every access token is expired (at 1/8, 2/8 … 7/8 of the run): Zendesk's OAuth client credentials, Salesforce's refresh-token grant (an OAuth error, rate_limit_exceeded, not the REST API's 403), Dynamics' client credentials (msal).`,
    notApplicable: withTokenEndpoint,
    crmOptions: { oauth: true },
    cannotSucceed: nothing,
    start: tokenEndpoint({ kind: 'rate-limit', retryAfterSeconds: 0.02 }),
  },
  {
    id: 'token-unavailable',
    title: 'token endpoint 503',
    description: `The token endpoint answers 503 (the CRM's error, as its token endpoint words it), nothing processed, to the first ${tokenFaultsInARow} token requests of the run and to the first ${tokenFaultsInARow} after each time every access token is expired (at 1/8, 2/8 … 7/8 of the run): Zendesk's OAuth client credentials, Salesforce's refresh-token grant, Dynamics' client credentials (msal).`,
    notApplicable: withTokenEndpoint,
    crmOptions: { oauth: true },
    cannotSucceed: nothing,
    start: tokenEndpoint({ kind: 'server-error', status: 503 }),
  },
  {
    id: 'token-dropped',
    title: 'token endpoint dropped',
    description: `The token endpoint issues the token, then destroys the connection without an answer, for the first ${tokenFaultsInARow} token requests of the run and the first ${tokenFaultsInARow} after each time every access token is expired (at 1/8, 2/8 … 7/8 of the run).`,
    notApplicable: withTokenEndpoint,
    crmOptions: { oauth: true },
    cannotSucceed: nothing,
    start: tokenEndpoint({ kind: 'drop', when: 'after-handling' }),
  },
  {
    id: 'revoked-refresh-token',
    title: 'revoked refresh token',
    description:
      "At 1/3 of the run the first linked Salesforce admin's OAuth grant is revoked (refresh token and access tokens): writes must fail over to the second linked admin.",
    notApplicable: (crm) =>
      ({
        zendesk: 'n/a: no refresh token (an API token, or OAuth client credentials)',
        salesforce: undefined,
        dynamics: 'n/a: no refresh token (OAuth client credentials)',
        kustomer: 'n/a: no refresh token (an API key)',
      })[crm],
    cannotSucceed: nothing,
    start: milestones([1 / 3], (crm) => crm.sandbox.revokeCredential('tokens:ada.admin@acme.test')),
  },
  {
    id: 'deactivated-agent',
    title: 'agent deactivated',
    description:
      'At 1/3 of the run the agent Olga is deactivated in the CRM (suspended, disabled, deleted): records meant for her go to the default user; reassigning to her cannot succeed and must surface a typed error.',
    notApplicable: always,
    cannotSucceed: () => ['owner_rejected'],
    start: milestones([1 / 3], (crm) => crm.sandbox.deactivateUser('olga.other@acme.test')),
  },
  {
    id: 'late-opening',
    title: 'late opening event',
    description:
      'For about half of the interactions assigned to an agent after they opened (chats assigned later, voicemails called back), the opening event (chat.started, voicemail.received) is delivered again after the assignment, to a fresh worker: a connector sharing nothing with the others (empty caches, its own empty record-link store). It must find the record, neither create a second one nor take it from the agent. Injected: the late deliveries.',
    notApplicable: always,
    cannotSucceed: nothing,
    delivery: { lateOpening: 0.5, endAgain: 0, endAgainFresh: 0 },
    interactionShare: 0.5,
    start: quiet,
  },
  {
    id: 'redelivered-end',
    title: 'redelivered end',
    description:
      'Half of the acknowledged interaction.ended events are delivered again, half of those to the worker that acknowledged them, half to a fresh worker (empty caches, its own empty record-link store); and about 1 note request in 5 is processed, then its connection destroyed without an answer. The note must be on the record once. Injected: the extra deliveries and the lost answers.',
    notApplicable: always,
    cannotSucceed: nothing,
    delivery: { lateOpening: 0, endAgain: 0.5, endAgainFresh: 0.5 },
    interactionShare: 0.5,
    start: (crm, random) => {
      const faults = injectPeriodically({
        faults: crm.sandbox.faults,
        log: crm.sandbox.log,
        fault: { kind: 'drop', when: 'after-handling' },
        oneIn: 5,
        eligible: (route) => crm.noteRoutes.includes(route),
        random,
      });
      return { progress() {}, applied: faults.applied, stop: faults.stop };
    },
  },
];
