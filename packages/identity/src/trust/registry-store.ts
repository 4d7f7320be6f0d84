import { systemClock, type Clock } from '@steward/protocol';
import type { Store } from '@steward/store';
import { IdentityError } from '../errors.ts';
import { importVerificationKey, type KeyResolver, type PublicJwk, type VerificationKey } from '../keys/key-pair.ts';

/** A registry the person trusts. */
export interface RegistryRecord {
  id: string;
  name: string;
  keys: PublicJwk[];
  addedAt: string;
}

/**
 * Registries the person chose to trust, with their pinned keys. Only keys here ever verify a
 * vendor credential.
 */
export class RegistryStore {
  readonly #store: Store;
  readonly #clock: Clock;
  readonly #objects = new Map<string, VerificationKey>();

  constructor(store: Store, options: { clock?: Clock } = {}) {
    this.#store = store;
    this.#clock = options.clock ?? systemClock;
  }

  /** Trusts registry `id` (its origin) with these public keys; replaces its keys when already trusted. */
  trust(id: string, name: string, jwks: readonly unknown[]): RegistryRecord {
    const keys = jwks.map((j) => importVerificationKey(j, id));
    if (keys.length === 0) throw new IdentityError('ERR_KEY_INVALID', `registry \`${id}\` needs at least one key`);
    this.#store.durably(() => {
      this.#store.db
        .prepare('INSERT INTO identity_registries (id, name, added_at) VALUES (?, ?, ?) ON CONFLICT (id) DO UPDATE SET name = excluded.name')
        .run(id, name, new Date(this.#clock.now()).toISOString());
      this.#store.db.prepare('DELETE FROM identity_registry_keys WHERE registry_id = ?').run(id);
      const insert = this.#store.db.prepare('INSERT INTO identity_registry_keys (kid, registry_id, jwk) VALUES (?, ?, ?)');
      for (const k of keys) insert.run(k.kid, id, JSON.stringify(k.publicJwk));
    });
    this.#objects.clear();
    return this.get(id);
  }

  /** Stops trusting a registry. */
  remove(id: string): void {
    this.#store.durably(() => this.#store.db.prepare('DELETE FROM identity_registries WHERE id = ?').run(id));
    this.#objects.clear();
  }

  /** One registry. */
  get(id: string): RegistryRecord {
    const row = this.#store.db.prepare<[string], { id: string; name: string; added_at: string }>('SELECT id, name, added_at FROM identity_registries WHERE id = ?').get(id);
    if (!row) throw new IdentityError('ERR_CREDENTIAL_ISSUER_UNTRUSTED', `registry \`${id}\` is not trusted`, { details: { registry: id } });
    const keys = this.#store.db.prepare<[string], { jwk: string }>('SELECT jwk FROM identity_registry_keys WHERE registry_id = ?').all(id);
    return { id: row.id, name: row.name, addedAt: row.added_at, keys: keys.map((k) => JSON.parse(k.jwk) as PublicJwk) };
  }

  /** Every trusted registry. */
  list(): RegistryRecord[] {
    return this.#store.db
      .prepare<[], { id: string }>('SELECT id FROM identity_registries ORDER BY id')
      .all()
      .map((r) => this.get(r.id));
  }

  /** Resolves registry keys by `kid` (owner = registry id), reading the store each time. */
  readonly resolveKey: KeyResolver = (kid) => {
    const row = this.#store.db.prepare<[string], { registry_id: string; jwk: string }>('SELECT registry_id, jwk FROM identity_registry_keys WHERE kid = ?').get(kid);
    if (!row) return undefined;
    const cacheKey = `${row.registry_id}|${row.jwk}`;
    let vk = this.#objects.get(cacheKey);
    if (!vk) {
      vk = importVerificationKey(JSON.parse(row.jwk), row.registry_id);
      this.#objects.set(cacheKey, vk);
    }
    return vk;
  };
}
