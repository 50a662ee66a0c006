export {
  CliError,
  type CliErrorCode,
  DeadlineError,
  SandboxNotInstalledError,
  TenantsFileError,
  UsageError,
  WorkerExitedError,
} from './cli-error.js';
export { type DemoPassResult, type DemoRow, runDemoPass } from './demo/demo-runner.js';
export { type ExitCode, exitCodes } from './exit-codes.js';
export { createFileTokenStore } from './file-token-store.js';
export type { CliIo } from './io.js';
export { crmIds } from './plugins.js';
export { commands, groupHelp, mainHelp, run } from './run.js';
export { secretEnvName, tenantSecretEnvName } from './settings-input.js';
export { cliVersion } from './version.js';
