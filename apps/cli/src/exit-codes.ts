/** Exit codes, documented in the README: scripts can tell "fix your input" from "try later". */
export const exitCodes = {
  /** Everything worked (credentials valid, demo records all present). */
  ok: 0,
  /** The CRM refused the credentials or a permission, or the demo missed an expected record. */
  failed: 1,
  /** The command line or the settings are wrong: fix them and run again. */
  usage: 2,
  /** The CRM could not be reached or limited us: try again later. */
  unavailable: 3,
} as const;
export type ExitCode = (typeof exitCodes)[keyof typeof exitCodes];
