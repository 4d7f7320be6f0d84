import Fastify, { type FastifyInstance } from 'fastify';
import { systemClock, type Category, type Clock, type DeclaredAffiliation, type EntityRef, type VerificationLevel } from '@steward/protocol';
import { buildJwks, issueCredential, type SigningKey } from '@steward/identity';

/** Display name of the demo registry. */
export const REGISTRY_NAME = 'Open Commerce Registry';

/** A vendor the registry has checked. */
export interface RegistryEntry {
  vendorId: string;
  name: string;
  origin: string;
  cardUrl: string;
  /** Thumbprint of the vendor's signing key (`cnf.jkt` of its credential). */
  jkt: string;
  legalEntity: EntityRef;
  owners: DeclaredAffiliation[];
  payoutId: string;
  categories: Category[];
  verificationLevel: VerificationLevel;
}

/** The demo registry: holds its Ed25519 key and issues vendor credentials for the vendors it checked. */
export class DemoRegistry {
  readonly key: SigningKey;
  readonly #clock: Clock;
  readonly #entries = new Map<string, RegistryEntry>();
  #origin = '';

  constructor(key: SigningKey, clock: Clock = systemClock) {
    this.key = key;
    this.#clock = clock;
  }

  /** The registry's origin (its `iss`), set once its server listens. */
  get origin(): string {
    return this.#origin;
  }

  set origin(value: string) {
    this.#origin = value;
  }

  /** The registry's JWKS (what a person pins to trust it). */
  get jwks() {
    return buildJwks([this.key]);
  }

  /** Records (or replaces) a vendor the registry has checked. */
  register(entry: RegistryEntry): void {
    this.#entries.set(entry.vendorId, entry);
  }

  /** The public directory: every checked vendor with its origin, card and key thumbprint. */
  directory(): { vendorId: string; name: string; origin: string; cardUrl: string; jkt: string; categories: Category[]; verificationLevel: VerificationLevel }[] {
    return [...this.#entries.values()].map((e) => ({
      vendorId: e.vendorId,
      name: e.name,
      origin: e.origin,
      cardUrl: e.cardUrl,
      jkt: e.jkt,
      categories: e.categories,
      verificationLevel: e.verificationLevel,
    }));
  }

  /** Issues a fresh credential for a vendor (compact JWS, `typ` `steward-vendor-credential+jwt`); undefined if unknown. */
  issue(vendorId: string): string | undefined {
    const e = this.#entries.get(vendorId);
    if (!e) return undefined;
    return issueCredential(
      {
        sub: e.origin,
        cnf: { jkt: e.jkt },
        legalEntity: e.legalEntity,
        owners: e.owners,
        payoutId: e.payoutId,
        categories: e.categories,
        verificationLevel: e.verificationLevel,
      },
      { key: this.key, registry: this.#origin, clock: this.#clock },
    );
  }
}

/** The registry's HTTP server: JWKS, directory and credentials. */
export function buildRegistryApp(registry: DemoRegistry): FastifyInstance {
  const app = Fastify({ logger: false, bodyLimit: 1024 });
  app.get('/.well-known/jwks.json', async () => registry.jwks);
  app.get('/vendors', async () => ({ registry: REGISTRY_NAME, vendors: registry.directory() }));
  app.get<{ Params: { vendorId: string } }>('/credentials/:vendorId', async (req, reply) => {
    const id = req.params.vendorId;
    const credential = /^[a-z0-9-]{1,64}$/.test(id) ? registry.issue(id) : undefined;
    if (credential === undefined) {
      return reply
        .code(404)
        .type('application/problem+json; charset=utf-8')
        .send({ type: 'https://steward.dev/errors#err_registry_vendor_unknown', title: 'Not Found', status: 404, code: 'ERR_REGISTRY_VENDOR_UNKNOWN', detail: 'the registry has no such vendor' });
    }
    return { credential };
  });
  return app;
}
