export { buildProgram, runCli } from './program.ts';
export { loadContext } from './context.ts';
export type { CliContext } from './context.ts';
export type { RegisterCommands } from './commands/registry.ts';
export { CLI_ERROR_STATUS, CliError } from './errors.ts';
export type { CliErrorCode } from './errors.ts';
