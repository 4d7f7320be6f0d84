import { Command } from 'commander';
import { isStewardError } from '@steward/protocol';
import { loadContext, type CliContext } from './context.ts';
import { registry } from './commands/registry.ts';

/**
 * Builds the `steward` program. Each command group lives in `src/commands/<group>.ts` and exports
 * `register(program, ctx)`; `commands/registry.ts` lists them.
 */
export function buildProgram(ctx: CliContext = loadContext()): Command {
  const program = new Command('steward')
    .description('Steward: a trust broker for personal AI agents')
    .showHelpAfterError()
    .configureOutput({ outputError: (text, write) => write(text) });
  for (const register of registry) register(program, ctx);
  return program;
}

/** Runs the CLI, printing coded errors as `error ERR_CODE: message` with exit code 1. */
export async function runCli(argv: string[], ctx?: CliContext): Promise<number> {
  const program = buildProgram(ctx);
  program.exitOverride();
  try {
    await program.parseAsync(argv, { from: 'user' });
    return process.exitCode === undefined ? 0 : Number(process.exitCode);
  } catch (error) {
    if (isStewardError(error)) {
      process.stderr.write(`error ${error.code}: ${error.message}\n`);
      return 1;
    }
    const code = (error as { code?: unknown }).code;
    if (typeof code === 'string' && code.startsWith('commander.')) {
      return code === 'commander.helpDisplayed' || code === 'commander.version' || code === 'commander.help' ? 0 : 2;
    }
    process.stderr.write(`error: ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  }
}
