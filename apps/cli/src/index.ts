export { buildProgram, runCli } from './program.ts';
export { loadContext } from './context.ts';
export type { CliContext } from './context.ts';
export type { RegisterCommands } from './commands/registry.ts';
