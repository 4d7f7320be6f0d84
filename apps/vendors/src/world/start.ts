import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { systemClock, type AgentCard, type Category, type Clock } from '@steward/protocol';
import { MIGRATIONS as IDENTITY_MIGRATIONS, ReplayStore, type SigningKey } from '@steward/identity';
import { openStore, type Store } from '@steward/store';
import { VENDOR_IDS, VENDOR_PROFILES, type VendorId } from '../catalogue/index.ts';
import type { VendorProfile } from '../catalogue/types.ts';
import { VendorsError } from '../errors.ts';
import { ATTACK_IDS, type AttackId } from '../hostile/attacks.ts';
import { HostileVendor, hostileRoutes, sybilProfiles } from '../hostile/hostile-vendor.ts';
import { REGISTRY_FACTS, UNDISCLOSED_OWNER_FACT } from '../registry/facts.ts';
import { buildRegistryApp, DemoRegistry } from '../registry/registry.ts';
import { VendorAgent, type BrokerJwksSource } from '../vendor/agent.ts';
import { buildVendorCard } from '../vendor/card.ts';
import { buildVendorApp, createVendorRuntime, type VendorRuntime } from '../vendor/server.ts';
import { loadOrCreateKey } from './keys.ts';

/** The fixed ports `steward start` uses: the registry on 8801, vendors on 8802–8807. */
export const DEFAULT_BASE_PORT = 8801;

/** One running vendor, as the world reports it. */
export interface RunningVendor {
  id: string;
  name: string;
  origin: string;
  cardUrl: string;
  category: Category;
  /** The signed card it serves. */
  card: AgentCard;
  /** The vendor's business logic (tests reach into it; a broker never does). */
  agent: VendorAgent;
  close(): Promise<void>;
}

/** How to start one vendor. */
export interface StartVendorOptions {
  profile: VendorProfile;
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  /** Where keys (and the replay database) persist; in memory when absent. */
  dataDir?: string;
  key?: SigningKey;
  brokerId: string;
  brokerJwks: BrokerJwksSource;
  /** Make this vendor hostile with one THREATS.md attack. */
  attack?: AttackId;
  clock?: Clock;
  credentials?: () => readonly string[];
  requireHttpSignatures?: boolean;
}

function openReplay(dataDir: string | undefined, id: string): { store: Store; replay: ReplayStore } {
  const store = openStore(dataDir === undefined ? ':memory:' : join(dataDir, 'replay', `${id}.db`), { migrations: { identity: IDENTITY_MIGRATIONS } });
  return { store, replay: new ReplayStore(store) };
}

async function listen(app: FastifyInstance, host: string, port: number, what: string): Promise<string> {
  try {
    await app.listen({ host, port });
  } catch (cause) {
    throw new VendorsError('ERR_WORLD_LISTEN_FAILED', `${what} cannot listen on \`${host}:${port}\``, { cause, details: { host, port } });
  }
  const address = app.server.address() as AddressInfo;
  return `http://${host.includes(':') ? `[${host}]` : host}:${address.port}`;
}

/**
 * Starts one vendor on its own port: its key (persisted under `dataDir`), its replay store, its
 * signed card and its A2A server. With `attack`, the vendor is the hostile one.
 */
export async function startVendor(options: StartVendorOptions): Promise<RunningVendor> {
  const host = options.host ?? '127.0.0.1';
  if (options.attack !== undefined && !ATTACK_IDS.includes(options.attack)) {
    throw new VendorsError('ERR_WORLD_ATTACK_UNKNOWN', `attack \`${String(options.attack)}\` is not one the hostile vendor knows`, { details: { attack: String(options.attack) } });
  }
  const key = options.key ?? loadOrCreateKey(options.dataDir, options.profile.id);
  const { store, replay } = openReplay(options.dataDir, options.profile.id);
  const slot: { runtime?: VendorRuntime } = {};
  const attack = options.attack;
  const app = buildVendorApp({
    runtime: () => slot.runtime,
    ...(options.credentials ? { credentials: options.credentials } : {}),
    ...(options.requireHttpSignatures !== undefined ? { requireHttpSignatures: options.requireHttpSignatures } : {}),
    ...(attack !== undefined ? { extraRoutes: hostileRoutes(() => slot.runtime?.agent) } : {}),
  });
  let origin: string;
  try {
    origin = await listen(app, host, options.port ?? 0, options.profile.name);
  } catch (error) {
    store.close();
    throw error;
  }
  const agentOptions = {
    profile: options.profile,
    key,
    origin,
    brokerId: options.brokerId,
    brokerJwks: options.brokerJwks,
    replay,
    ...(options.clock ? { clock: options.clock } : {}),
  };
  const agent = attack !== undefined ? new HostileVendor({ ...agentOptions, attack }) : new VendorAgent(agentOptions);
  const card = buildVendorCard(options.profile, origin, key, agent.cardOverrides());
  slot.runtime = createVendorRuntime(agent, card);
  return {
    id: options.profile.id,
    name: card.name,
    origin,
    cardUrl: `${origin}/.well-known/agent-card.json`,
    category: options.profile.category,
    card,
    agent,
    close: async () => {
      await app.close();
      store.close();
    },
  };
}

/** How to start the demo world. */
export interface VendorWorldOptions {
  host?: string;
  /** The registry listens on `basePort`, vendors on the next ports; 0 picks free ports. Default 8801. */
  basePort?: number;
  /** Where keys and replay databases persist (mode 0600 key files); in memory when absent. */
  dataDir?: string;
  brokerJwks: BrokerJwksSource;
  brokerId: string;
  /** Turns Bargain Hub hostile with this attack. */
  attack?: AttackId;
  /** Which vendors to start; default all six. */
  vendors?: readonly VendorId[];
  clock?: Clock;
  requireHttpSignatures?: boolean;
}

/** A running demo world. */
export interface VendorWorld {
  vendors: { id: string; name: string; origin: string; cardUrl: string; category: Category }[];
  registry: { origin: string; jwks: { keys: unknown[] }; name: string };
  /** Full handles of the running vendors, by id (tests only). */
  running: ReadonlyMap<string, RunningVendor>;
  close(): Promise<void>;
}

/**
 * Starts the demo vendor world: the Open Commerce Registry and six vendor agents, each a real
 * HTTP server on its own port with its own keys, plus Bargain Hub's sybil siblings when the
 * attack is `sybil`.
 */
export async function startVendorWorld(options: VendorWorldOptions): Promise<VendorWorld> {
  const host = options.host ?? '127.0.0.1';
  const basePort = options.basePort ?? DEFAULT_BASE_PORT;
  if (!Number.isInteger(basePort) || basePort < 0 || basePort > 65_000) {
    throw new VendorsError('ERR_WORLD_CONFIG_INVALID', `basePort \`${basePort}\` must be 0 or a port up to 65000`);
  }
  const portFor = (i: number) => (basePort === 0 ? 0 : basePort + i);
  const clock = options.clock ?? systemClock;
  const registry = new DemoRegistry(loadOrCreateKey(options.dataDir, 'registry'), clock);
  const registryApp = buildRegistryApp(registry);
  registry.origin = await listen(registryApp, host, portFor(0), 'the registry');
  const running = new Map<string, RunningVendor>();
  const closeAll = async () => {
    for (const v of running.values()) await v.close();
    await registryApp.close();
  };
  try {
    const profiles: VendorProfile[] = (options.vendors ?? VENDOR_IDS).map((id) => VENDOR_PROFILES[id]);
    if (options.attack === 'sybil') profiles.push(...sybilProfiles());
    let i = 1;
    for (const profile of profiles) {
      const vendor = await startVendor({
        profile,
        host,
        port: portFor(i++),
        ...(options.dataDir !== undefined ? { dataDir: options.dataDir } : {}),
        brokerId: options.brokerId,
        brokerJwks: options.brokerJwks,
        ...(options.attack !== undefined && profile.id.startsWith('bargain-hub') ? { attack: options.attack } : {}),
        clock,
        credentials: () => {
          const c = registry.issue(profile.id);
          return c === undefined ? [] : [c];
        },
        ...(options.requireHttpSignatures !== undefined ? { requireHttpSignatures: options.requireHttpSignatures } : {}),
      });
      running.set(profile.id, vendor);
      const hostileOwner = options.attack === 'undisclosed-affiliation' && profile.id === 'bargain-hub';
      const facts = hostileOwner ? UNDISCLOSED_OWNER_FACT : (REGISTRY_FACTS[profile.id] ?? REGISTRY_FACTS['bargain-hub'] ?? { owners: [], verificationLevel: 'basic' as const });
      registry.register({
        vendorId: profile.id,
        name: profile.name,
        origin: vendor.origin,
        cardUrl: vendor.cardUrl,
        jkt: vendor.agent.key.kid,
        legalEntity: profile.legalEntity,
        owners: facts.owners,
        payoutId: profile.payout.payoutId,
        categories: [profile.category],
        verificationLevel: facts.verificationLevel,
      });
    }
  } catch (error) {
    await closeAll();
    throw error;
  }
  return {
    vendors: [...running.values()].map((v) => ({ id: v.id, name: v.name, origin: v.origin, cardUrl: v.cardUrl, category: v.category })),
    registry: { origin: registry.origin, jwks: registry.jwks, name: 'Open Commerce Registry' },
    running,
    close: closeAll,
  };
}
