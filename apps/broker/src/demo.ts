import { join } from 'node:path';
import { fetchJsonGuarded, buildJwks } from '@steward/identity';
import { isStewardError } from '@steward/protocol';
import type { RunningVendor } from '@steward/vendors';
import type { Steward } from './steward.ts';

/** What the demo world started. */
export interface DemoWorld {
  vendors: Array<{ id: string; name: string; origin: string; category: string }>;
  registry: { origin: string; name: string };
  /** The running vendors' handles, by id (tests only: attack tests read what the hostile vendor saw). */
  running: ReadonlyMap<string, RunningVendor>;
  close(): Promise<void>;
}

/**
 * Starts the demo vendor world next to the broker and introduces it the way a person would: trust
 * its registry, enrol each vendor from its origin with the credential the registry issued, add the
 * registry's ownership attestations to the graph, and use the demo agent's provenance manifest.
 */
export async function startDemoWorld(steward: Steward, options: { basePort: number; dataDir: string; attack?: string }): Promise<DemoWorld> {
  const vendorsModule = await import('@steward/vendors');
  const world = await vendorsModule.startVendorWorld({
    basePort: options.basePort,
    dataDir: join(options.dataDir, 'vendors'),
    brokerId: steward.brokerId,
    brokerJwks: () => buildJwks(steward.keys.published()),
    ...(options.attack ? { attack: options.attack as never } : {}),
  });
  try {
    // The demo registry keeps its key across restarts but may come back on another origin (free
    // ports): forget its earlier origin first, so one key is never trusted under two identities.
    for (const r of steward.registries.list()) {
      if (r.name === world.registry.name && r.id !== world.registry.origin) steward.registries.remove(r.id);
    }
    steward.trustRegistry(world.registry.origin, world.registry.name, world.registry.jwks.keys);
    // The registry attested these facts; they are not the shipped public seed.
    steward.addFacts({ origin: 'registry', ...vendorsModule.loadDemoAffiliations() });
    steward.useManifest(vendorsModule.loadDemoManifest(), options.dataDir);
    seedDemoProfile(steward);
    for (const vendor of world.vendors) {
      const doc = (await fetchJsonGuarded(`${vendor.origin}${vendorsModule.CREDENTIAL_PATH}`, { allowPrivate: true })) as { credentials?: unknown };
      const credential = Array.isArray(doc.credentials) && typeof doc.credentials[0] === 'string' ? doc.credentials[0] : undefined;
      try {
        await steward.enrolVendor(vendor.origin, credential ? { credential } : {});
      } catch (error) {
        // A vendor whose card or keys do not verify is not enrolled (THREATS #24, the hostile
        // `origin-mismatch` vendor); the rest of the world still starts, and the refusal is logged.
        if (!isStewardError(error)) throw error;
        steward.audit.appendDurably({
          type: 'message.rejected',
          at: new Date(steward.clock.now()).toISOString(),
          actor: 'broker',
          vendor: vendor.origin,
          summary: `${vendor.name} not enrolled: ${error.message}`.slice(0, 1000),
          data: { code: error.code },
        });
      }
    }
  } catch (error) {
    await world.close();
    throw error;
  }
  return {
    vendors: world.vendors.map((v) => ({ id: v.id, name: v.name, origin: v.origin, category: v.category })),
    registry: { origin: world.registry.origin, name: world.registry.name },
    running: world.running,
    close: () => world.close(),
  };
}

/** A fictional person for the demo, written only into an empty profile (never over real data). */
export const DEMO_PROFILE = [
  ['name', 'Ada Example', 'primary'],
  ['email', 'ada@example.org', 'primary'],
  ['phone', '+1 555 0100 123', 'primary'],
  ['address', '12 Analytical Way, Springfield, 01101', 'home'],
  ['birth_date', '1990-12-10', 'primary'],
  ['health', 'vegetarian; peanut allergy', 'primary'],
  ['payment', 'demo card ending 4242 (fictional)', 'primary'],
] as const;

function seedDemoProfile(steward: Steward): void {
  if (steward.profile.list().length > 0) return;
  for (const [dataClass, value, label] of DEMO_PROFILE) steward.profile.set(dataClass, value, label);
}
