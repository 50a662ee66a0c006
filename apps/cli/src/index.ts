export { UsageError } from './cli-error.js';
export { type DemoPassResult, type DemoRow, runDemoPass } from './demo/demo-runner.js';
export { type ExitCode, exitCodes } from './exit-codes.js';
export { createFileTokenStore } from './file-token-store.js';
export type { CliIo } from './io.js';
export { commands, mainHelp, run } from './run.js';
export { secretEnvName } from './settings-input.js';
