import { openStore } from '@steward/store';
import type { FastifyInstance } from 'fastify';
import { buildApp } from './app.ts';
import { loadConfig, type BrokerConfig } from './config.ts';
import { ensureToken } from './token.ts';
import { STEWARD_VERSION } from './version.ts';

/** A running broker. */
export interface RunningBroker {
  app: FastifyInstance;
  config: BrokerConfig;
  url: string;
  token: string;
  close(): Promise<void>;
}

/** Starts the broker from the environment and prints how to reach it. */
export async function startBroker(env: NodeJS.ProcessEnv = process.env, out: NodeJS.WritableStream = process.stdout): Promise<RunningBroker> {
  const config = loadConfig(env);
  const token = ensureToken(config.tokenFile);
  const store = openStore(config.dbPath, { migrations: {} });
  let app: FastifyInstance;
  try {
    app = await buildApp({
      config,
      token: token.token,
      onClose: () => store.close(),
      logger: env.STEWARD_LOG_LEVEL ? { level: env.STEWARD_LOG_LEVEL } : false,
    });
  } catch (error) {
    store.close();
    throw error;
  }
  const address = await app.listen({ host: config.host, port: config.port });
  const url = address.replace('[::1]', 'localhost');
  out.write(`Steward ${STEWARD_VERSION} broker listening on ${url}\n`);
  out.write(`database: ${config.dbPath}\n`);
  if (token.created) {
    out.write(`Your API token (shown once; also saved in ${token.file}, mode 0600):\n  ${token.token}\n`);
  } else {
    out.write(`API token: in ${token.file} (cat it to see it)\n`);
  }
  return { app, config, url, token: token.token, close: () => app.close() };
}
