import type { FastifyInstance, FastifyPluginAsync } from 'fastify';
import { buildApp } from './app.ts';
import { loadConfig, type BrokerConfig } from './config.ts';
import { startDemoWorld, type DemoWorld } from './demo.ts';
import { approvalsFeature } from './features/approvals.ts';
import { eventsFeature } from './features/events.ts';
import { statusFeature } from './features/status.ts';
import { tasksFeature } from './features/tasks.ts';
import { wellKnownFeature } from './features/well-known.ts';
import { Steward } from './steward.ts';
import { ensureToken } from './token.ts';
import { STEWARD_VERSION } from './version.ts';

/** A running broker. */
export interface RunningBroker {
  app: FastifyInstance;
  steward: Steward;
  config: BrokerConfig;
  url: string;
  token: string;
  demo?: DemoWorld;
  close(): Promise<void>;
}

/** How to start. */
export interface StartOptions {
  /** Start the demo vendor world and enrol it (the README's main job). Default: `STEWARD_DEMO` is not `0`. */
  demo?: boolean;
  /** First port of the demo world (registry, then vendors). Default 8801; 0 picks free ports. */
  demoBasePort?: number;
  /** Turn the demo's Bargain Hub hostile with one THREATS.md attack. */
  attack?: string;
  /** Offer collection window in ms. Default 2000. */
  collectionWindowMs?: number;
  /** Extra feature plugins (the web app, chat). */
  apiFeatures?: readonly FastifyPluginAsync[];
  publicFeatures?: readonly FastifyPluginAsync[];
  /** Which agent mode answers the chat, for `/api/status`. */
  agentMode?: () => { mode: 'offline-rules' | 'model'; model?: string };
}

/** Starts the broker from the environment and prints how to reach it. */
export async function startBroker(
  env: NodeJS.ProcessEnv = process.env,
  out: NodeJS.WritableStream = process.stdout,
  options: StartOptions = {},
): Promise<RunningBroker> {
  const config = loadConfig(env);
  const token = ensureToken(config.tokenFile);
  const demo = options.demo ?? env.STEWARD_DEMO !== '0';
  const steward = new Steward({
    config,
    env,
    allowPrivateVendors: demo || env.STEWARD_ALLOW_PRIVATE_VENDORS === '1',
    ...(options.collectionWindowMs === undefined ? {} : { collectionWindowMs: options.collectionWindowMs }),
  });
  let world: DemoWorld | undefined;
  let app: FastifyInstance;
  try {
    if (demo) {
      world = await startDemoWorld(steward, {
        basePort: options.demoBasePort ?? Number(env.STEWARD_DEMO_PORT ?? 8801),
        dataDir: config.dataDir,
        ...(options.attack ? { attack: options.attack } : {}),
      });
    }
    const agentMode = options.agentMode ?? (() => ({ mode: 'offline-rules' as const }));
    app = await buildApp({
      config,
      token: token.token,
      apiFeatures: [
        statusFeature(steward, agentMode),
        tasksFeature(steward.engine),
        approvalsFeature(steward.engine),
        eventsFeature(steward.hub),
        ...(options.apiFeatures ?? []),
      ],
      publicFeatures: [wellKnownFeature(steward), ...(options.publicFeatures ?? [])],
      onClose: async () => {
        await world?.close();
        steward.close();
      },
      logger: env.STEWARD_LOG_LEVEL ? { level: env.STEWARD_LOG_LEVEL } : false,
    });
  } catch (error) {
    await world?.close();
    steward.close();
    throw error;
  }
  const address = await app.listen({ host: config.host, port: config.port });
  const url = address.replace('[::1]', 'localhost');
  out.write(`Steward ${STEWARD_VERSION} broker listening on ${url}\n`);
  out.write(`database: ${config.dbPath}\n`);
  if (world) {
    out.write(`demo vendor world: ${world.vendors.length} vendors enrolled, registry ${world.registry.name} at ${world.registry.origin}\n`);
  }
  if (token.created) {
    out.write(`Your API token (shown once; also saved in ${token.file}, mode 0600):\n  ${token.token}\n`);
  } else {
    out.write(`API token: in ${token.file} (cat it to see it)\n`);
  }
  return { app, steward, config, url, token: token.token, ...(world ? { demo: world } : {}), close: () => app.close() };
}
