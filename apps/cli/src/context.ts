import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

/** Where the CLI finds Steward's files. Mirrors the broker's configuration variables. */
export interface CliContext {
  /** The SQLite database file (`STEWARD_DB`, default `./data/steward.db`). */
  dbPath: string;
  /** The data directory holding the token and key file (`STEWARD_DATA_DIR`, default `./data`). */
  dataDir: string;
  /** Where the person's own checkpoint memory lives (`STEWARD_HOME`, default `~/.steward`). */
  homeDir: string;
  /** The broker's person-facing API (`STEWARD_URL`, default `http://127.0.0.1:8787`). */
  brokerUrl: string;
}

/** Reads the CLI's configuration from the environment. */
export function loadContext(env: NodeJS.ProcessEnv = process.env): CliContext {
  const dataDir = resolve(env.STEWARD_DATA_DIR ?? './data');
  return {
    dataDir,
    dbPath: resolve(env.STEWARD_DB ?? join(dataDir, 'steward.db')),
    homeDir: resolve(env.STEWARD_HOME ?? join(homedir(), '.steward')),
    brokerUrl: env.STEWARD_URL ?? 'http://127.0.0.1:8787',
  };
}
