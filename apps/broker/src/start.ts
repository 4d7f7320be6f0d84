import { createAgent, llmConfigFromEnv, type Agent } from '@steward/agent';
import { readFileSync } from 'node:fs';
import type { FastifyInstance, FastifyPluginAsync } from 'fastify';
import { ServerError } from './errors.ts';
import { brokerToolsFor } from './agent-tools.ts';
import { chatFeature } from './features/chat.ts';
import { buildApp } from './app.ts';
import { isLoopback, loadConfig, type BrokerConfig } from './config.ts';
import { LOOPBACK_HOSTS } from './plugins/auth.ts';
import { startDemoWorld, type DemoWorld } from './demo.ts';
import { approvalsFeature } from './features/approvals.ts';
import { auditFeature } from './features/audit.ts';
import { keysFeature } from './features/keys.ts';
import { ordersFeature } from './features/orders.ts';
import { policiesFeature } from './features/policies.ts';
import { profileFeature } from './features/profile.ts';
import { provenanceFeature } from './features/provenance.ts';
import { spendingFeature } from './features/spending.ts';
import { vendorsFeature } from './features/vendors.ts';
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
  agent: Agent;
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
  /** Per-vendor message allowance per minute (THREATS #33); benchmarks raise it. Default the engine's (120). */
  vendorMessagesPerMinute?: number;
  /** Extra feature plugins (the web app, chat). */
  apiFeatures?: readonly FastifyPluginAsync[];
  publicFeatures?: readonly FastifyPluginAsync[];
  /** Serve the web app (bundled in memory at start). Default true. */
  web?: boolean;
}

function readTls(tls: { certFile: string; keyFile: string }): { cert: Buffer; key: Buffer } {
  try {
    return { cert: readFileSync(tls.certFile), key: readFileSync(tls.keyFile) };
  } catch (cause) {
    throw new ServerError('ERR_CONFIG_INVALID', `cannot read the TLS certificate or key (\`${tls.certFile}\`, \`${tls.keyFile}\`)`, { cause });
  }
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
    ...(options.vendorMessagesPerMinute === undefined ? {} : { vendorMessagesPerMinute: options.vendorMessagesPerMinute }),
  });
  let world: DemoWorld | undefined;
  let app: FastifyInstance;
  let agent: Agent | undefined;
  let webFeatures: FastifyPluginAsync[] = [];
  try {
    if (demo) {
      world = await startDemoWorld(steward, {
        basePort: options.demoBasePort ?? Number(env.STEWARD_DEMO_PORT ?? 8801),
        dataDir: config.dataDir,
        ...(options.attack ? { attack: options.attack } : {}),
      });
    }
    // The agent: a language model when one is configured (probed now, so a wrong endpoint says so at
    // start), otherwise the offline rules mode.
    const llm = llmConfigFromEnv(env);
    agent = createAgent({
      mode: llm ? 'model' : 'offline-rules',
      tools: brokerToolsFor(steward),
      store: steward.store,
      clock: steward.clock,
      timeZone: env.STEWARD_TIME_ZONE ?? steward.policies.active().policy.timezone,
      ...(llm ? { llm } : {}),
      onViolation: (v) => {
        steward.audit.appendDurably({ type: 'agent.violation', at: new Date(steward.clock.now()).toISOString(), actor: 'agent', ...(v.taskId ? { taskId: v.taskId } : {}), summary: v.summary.slice(0, 1000), data: { kind: v.kind, tool: v.tool ?? null, conversationId: v.conversationId } });
      },
    });
    if (llm) await agent.probe();
    const agentMode = () => ({ mode: agent!.mode, ...(llm ? { model: llm.model } : {}) });
    const web = options.web ?? env.STEWARD_WEB !== '0';
    webFeatures = web ? [(await import('@steward/web')).webAppFeature()] : [];
    app = await buildApp({
      config,
      token: token.token,
      apiFeatures: [
        statusFeature(steward, agentMode),
        tasksFeature(steward.engine),
        approvalsFeature(steward.engine),
        ordersFeature(steward.orders),
        eventsFeature(steward.hub),
        chatFeature(agent, steward.hub),
        auditFeature(steward),
        policiesFeature(steward),
        vendorsFeature(steward),
        provenanceFeature(steward),
        spendingFeature(steward),
        profileFeature(steward),
        keysFeature(steward),
        ...(options.apiFeatures ?? []),
      ],
      publicFeatures: [wellKnownFeature(steward, isLoopback(config.host) ? { allowedHosts: [...LOOPBACK_HOSTS, config.host] } : {}), ...webFeatures, ...(options.publicFeatures ?? [])],
      onClose: async () => {
        await world?.close();
        steward.close();
      },
      logger: env.STEWARD_LOG_LEVEL ? { level: env.STEWARD_LOG_LEVEL } : false,
      ...(config.tls ? { https: readTls(config.tls) } : {}),
    });
  } catch (error) {
    await world?.close();
    steward.close();
    throw error;
  }
  // Re-check enrolled vendors for drift (card, keys, owners, payout) every few minutes.
  const refreshSeconds = Number(env.STEWARD_VENDOR_REFRESH_SECONDS ?? 600);
  if (Number.isFinite(refreshSeconds) && refreshSeconds > 0) {
    const timer = setInterval(() => {
      steward.refreshVendors().then(
        (changes) => {
          for (const c of changes) if ('error' in c) app.log.warn({ origin: c.origin }, `vendor refresh failed: ${c.error}`);
        },
        (error: unknown) => app.log.error({ err: error }, 'vendor refresh failed'),
      );
    }, refreshSeconds * 1000);
    timer.unref();
    app.addHook('onClose', async () => clearInterval(timer));
  }
  const address = await app.listen({ host: config.host, port: config.port });
  const url = address.replace('[::1]', 'localhost');
  out.write(`Steward ${STEWARD_VERSION} broker listening on ${url}\n`);
  if (webFeatures.length > 0) out.write(`web app: open ${url}/ in your browser and sign in with the API token below\n`);
  out.write(`database: ${config.dbPath}\n`);
  if (world) {
    out.write(`demo vendor world: ${world.vendors.length} vendors enrolled, registry ${world.registry.name} at ${world.registry.origin}\n`);
  }
  if (token.created) {
    out.write(`Your API token (shown once; also saved in ${token.file}, mode 0600):\n  ${token.token}\n`);
  } else {
    out.write(`API token: in ${token.file} (cat it to see it)\n`);
  }
  out.write(`agent: ${agent.mode === 'model' ? `language model ${env.STEWARD_LLM_MODEL ?? ''} at ${env.STEWARD_LLM_BASE_URL ?? ''}` : 'offline rules mode (no language model configured)'}\n`);
  return { app, steward, agent: agent, config, url, token: token.token, ...(world ? { demo: world } : {}), close: () => app.close() };
}
