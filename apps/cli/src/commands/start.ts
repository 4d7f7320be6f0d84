import type { Command } from 'commander';
import type { CliContext } from '../context.ts';

/** `steward start`: runs the broker (and, as they land, the web app and the demo vendor world). */
export function register(program: Command, ctx: CliContext): void {
  program
    .command('start')
    .description('start the broker on 127.0.0.1 with the embedded SQLite database, and print the URL and token')
    .action(async () => {
      const { startBroker } = await import('@steward/broker-server');
      const env = { ...process.env, STEWARD_DATA_DIR: process.env.STEWARD_DATA_DIR ?? ctx.dataDir };
      const running = await startBroker(env);
      await new Promise<void>((resolve) => {
        const stop = (signal: string) => {
          process.stdout.write(`\n${signal}: closing…\n`);
          running.close().then(resolve, (error: unknown) => {
            process.stderr.write(`error while closing: ${String(error)}\n`);
            resolve();
          });
        };
        process.once('SIGINT', () => stop('SIGINT'));
        process.once('SIGTERM', () => stop('SIGTERM'));
      });
    });
}
