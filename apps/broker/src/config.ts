import { isIP } from 'node:net';
import { join, resolve } from 'node:path';
import { ServerError } from './errors.ts';

/** The broker's configuration, from environment variables (see README, "Configuration"). */
export interface BrokerConfig {
  /** Address the person-facing API listens on (`STEWARD_HOST`, default `127.0.0.1`). */
  host: string;
  /** Port of the person-facing API and web app (`STEWARD_PORT`, default `8787`; `0` picks a free one). */
  port: number;
  /** Directory for the database, token and key files (`STEWARD_DATA_DIR`, default `./data`). */
  dataDir: string;
  /** SQLite database file (`STEWARD_DB`, default `<dataDir>/steward.db`). */
  dbPath: string;
  /** Bearer token file, mode 0600 (`STEWARD_TOKEN_FILE`, default `<dataDir>/token`). */
  tokenFile: string;
  /** TLS certificate and key (`STEWARD_TLS_CERT`, `STEWARD_TLS_KEY`); required off loopback. */
  tls?: { certFile: string; keyFile: string };
  /** Origins allowed to call the API from a browser besides the broker's own (`STEWARD_CORS_ORIGINS`, comma-separated). */
  corsOrigins: string[];
  /** Largest request body accepted, in bytes (`STEWARD_BODY_LIMIT`, default 262144). */
  bodyLimit: number;
  /** Requests per minute per client on the person-facing API (`STEWARD_RATE_LIMIT`, default 600). */
  rateLimitPerMinute: number;
}

function intVar(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new ServerError('ERR_CONFIG_INVALID', `\`${name}\` must be a whole number from ${min} to ${max}, got \`${raw}\``, {
      details: { variable: name },
    });
  }
  return n;
}

/** True for 127.0.0.0/8, ::1 and `localhost`. */
export function isLoopback(host: string): boolean {
  if (host === 'localhost') return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  return host === '::1' || host === '[::1]';
}

/**
 * Reads the configuration and refuses unsafe combinations: the person-facing API on a non-loopback
 * address without TLS would send the bearer token in clear text.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): BrokerConfig {
  const dataDir = resolve(env.STEWARD_DATA_DIR ?? './data');
  const host = env.STEWARD_HOST ?? '127.0.0.1';
  const certFile = env.STEWARD_TLS_CERT;
  const keyFile = env.STEWARD_TLS_KEY;
  if ((certFile === undefined) !== (keyFile === undefined)) {
    throw new ServerError('ERR_CONFIG_INVALID', 'set both `STEWARD_TLS_CERT` and `STEWARD_TLS_KEY`, or neither');
  }
  const tls = certFile && keyFile ? { certFile: resolve(certFile), keyFile: resolve(keyFile) } : undefined;
  if (!isLoopback(host) && !tls) {
    throw new ServerError(
      'ERR_CONFIG_UNSAFE',
      `refusing to serve the person-facing API on \`${host}\` without TLS: the bearer token would cross the network in clear text; set \`STEWARD_TLS_CERT\` and \`STEWARD_TLS_KEY\`, or keep \`STEWARD_HOST=127.0.0.1\``,
      { details: { host } },
    );
  }
  const corsOrigins = (env.STEWARD_CORS_ORIGINS ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  for (const origin of corsOrigins) {
    let ok = false;
    try {
      ok = new URL(origin).origin === origin;
    } catch {
      ok = false;
    }
    if (!ok || origin === '*') {
      throw new ServerError('ERR_CONFIG_INVALID', `\`STEWARD_CORS_ORIGINS\` entry \`${origin}\` is not an exact origin such as \`https://app.example\``);
    }
  }
  return {
    host,
    port: intVar(env, 'STEWARD_PORT', 8787, 0, 65535),
    dataDir,
    dbPath: resolve(env.STEWARD_DB ?? join(dataDir, 'steward.db')),
    tokenFile: resolve(env.STEWARD_TOKEN_FILE ?? join(dataDir, 'token')),
    ...(tls ? { tls } : {}),
    corsOrigins,
    bodyLimit: intVar(env, 'STEWARD_BODY_LIMIT', 256 * 1024, 1024, 16 * 1024 * 1024),
    rateLimitPerMinute: intVar(env, 'STEWARD_RATE_LIMIT', 600, 1, 1_000_000),
  };
}
