#!/usr/bin/env node
/**
 * Starts the broker: reads the configuration, opens the database, makes sure a token exists,
 * listens, and closes everything on SIGINT/SIGTERM.
 */
import { isStewardError } from '@steward/protocol';
import { startBroker } from './start.ts';

try {
  const running = await startBroker();
  const shutdown = (signal: string) => {
    process.stdout.write(`\n${signal}: closing the broker…\n`);
    running
      .close()
      .then(() => process.exit(0))
      .catch((error: unknown) => {
        process.stderr.write(`error while closing: ${String(error)}\n`);
        process.exit(1);
      });
  };
  process.once('SIGINT', () => shutdown('SIGINT'));
  process.once('SIGTERM', () => shutdown('SIGTERM'));
} catch (error) {
  if (isStewardError(error)) {
    process.stderr.write(`steward: error ${error.code}: ${error.message}\n`);
  } else {
    process.stderr.write(`steward: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  }
  process.exit(1);
}
