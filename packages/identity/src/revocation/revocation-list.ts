import { systemClock, type Clock } from '@steward/protocol';
import type { Store } from '@steward/store';
import { IdentityError } from '../errors.ts';
import { emitAudit, type AuditActor, type AuditSink } from '../internal/audit.ts';
import type { RevocationCheck } from './revocation-check.ts';

/** One deny-list entry. */
export interface Revocation {
  kind: 'key' | 'origin';
  value: string;
  reason: string;
  revokedAt: string;
}

/** Options of a {@link RevocationList}. */
export interface RevocationListOptions {
  audit?: AuditSink;
  clock?: Clock;
}

interface Row {
  kind: 'key' | 'origin';
  value: string;
  reason: string;
  revoked_at: string;
}

/**
 * The person's deny-list of key thumbprints and origins, in SQLite. Every check reads the
 * database (a primary-key lookup), so a revocation by any process takes effect at once over
 * every cache. Revoking is an audited event.
 */
export class RevocationList implements RevocationCheck {
  readonly #store: Store;
  readonly #audit: AuditSink | undefined;
  readonly #clock: Clock;
  readonly #has;
  readonly #insert;

  constructor(store: Store, options: RevocationListOptions = {}) {
    this.#store = store;
    this.#audit = options.audit;
    this.#clock = options.clock ?? systemClock;
    this.#has = store.db.prepare<[string, string], number>('SELECT 1 FROM identity_revocations WHERE kind = ? AND value = ?').pluck();
    this.#insert = store.db.prepare<[string, string, string, string]>(
      'INSERT INTO identity_revocations (kind, value, reason, revoked_at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING',
    );
  }

  #check(kind: 'key' | 'origin', value: string): boolean {
    try {
      return this.#has.get(kind, value) !== undefined;
    } catch (cause) {
      // INVARIANT: a deny-list that cannot be read denies.
      throw new IdentityError('ERR_REVOCATION_UNAVAILABLE', 'revocation list is unavailable; refusing', { cause });
    }
  }

  /** True when the key thumbprint is revoked. */
  isKeyRevoked(kid: string): boolean {
    return this.#check('key', kid);
  }

  /** True when the origin (vendor or registry) is revoked. */
  isOriginRevoked(origin: string): boolean {
    return this.#check('origin', origin);
  }

  /** Revokes a key thumbprint; idempotent. Emits `key.revoked`. */
  revokeKey(kid: string, reason: string, actor: AuditActor = 'person'): void {
    this.#add('key', kid, reason, actor);
  }

  /** Revokes an origin; idempotent. Emits `vendor.revoked`. */
  revokeOrigin(origin: string, reason: string, actor: AuditActor = 'person'): void {
    this.#add('origin', origin, reason, actor);
  }

  #add(kind: 'key' | 'origin', value: string, reason: string, actor: AuditActor): void {
    const at = new Date(this.#clock.now()).toISOString();
    const changed = this.#store.durably(() => this.#insert.run(kind, value, reason.slice(0, 500), at).changes);
    if (changed === 0) return;
    emitAudit(this.#audit, this.#clock, {
      type: kind === 'key' ? 'key.revoked' : 'vendor.revoked',
      actor,
      ...(kind === 'origin' ? { vendor: value } : {}),
      summary: kind === 'key' ? `key ${value} revoked: ${reason}` : `vendor ${value} revoked: ${reason}`,
      data: { kind, value, reason: reason.slice(0, 500) },
    });
  }

  /** Every entry, newest first. */
  list(): Revocation[] {
    const rows = this.#store.db.prepare<[], Row>('SELECT kind, value, reason, revoked_at FROM identity_revocations ORDER BY revoked_at DESC').all();
    return rows.map((r) => ({ kind: r.kind, value: r.value, reason: r.reason, revokedAt: r.revoked_at }));
  }
}
