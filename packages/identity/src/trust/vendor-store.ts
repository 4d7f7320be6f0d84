import { systemClock, type AgentCard, type Clock, type DeclaredAffiliation, type VendorCredential } from '@steward/protocol';
import type { Store } from '@steward/store';
import { canonicalJson } from '../card/canonical.ts';
import type { VerifiedCard } from '../card/verify.ts';
import { IdentityError } from '../errors.ts';
import { emitAudit, type AuditActor, type AuditSink } from '../internal/audit.ts';
import { importVerificationKey, type KeyResolver, type PublicJwk, type VerificationKey } from '../keys/key-pair.ts';
import type { RevocationList } from '../revocation/revocation-list.ts';

/** A vendor's standing in the trust store. */
export type VendorStatus = 'active' | 'suspended' | 'revoked';
/** How the vendor's identity was established: a key pinned by the person, or a registry's level. */
export type VendorVerificationLevel = 'pinned' | VendorCredential['verificationLevel'];
/** What changed in a vendor since the person last confirmed it. */
export type DriftKind = 'card' | 'keys' | 'owners' | 'payout';

/** An enrolled vendor. */
export interface VendorRecord {
  origin: string;
  displayName: string;
  status: VendorStatus;
  verificationLevel: VendorVerificationLevel;
  /** The registry whose credential vouches for the vendor, if any. */
  registry: string | null;
  cardHash: string;
  cardForm: string;
  card: AgentCard;
  owners: DeclaredAffiliation[];
  affiliations: DeclaredAffiliation[];
  keys: (PublicJwk & { kid: string })[];
  credential: string | null;
  enrolledAt: string;
  updatedAt: string;
}

/** What the person saw and confirmed: a verified card, the origin's keys, and optionally a credential. */
export interface VendorObservation {
  card: VerifiedCard;
  /** Every key of the origin (the card's signing key among them). */
  keys: readonly VerificationKey[];
  credential?: { token: string; claims: VendorCredential };
}

/** A recorded change awaiting the person's confirmation. */
export interface VendorChange {
  id: number;
  origin: string;
  observedAt: string;
  kinds: DriftKind[];
  status: 'pending' | 'confirmed' | 'superseded';
}

/** The result of re-checking an enrolled vendor. */
export interface ObserveResult {
  changed: boolean;
  kinds: DriftKind[];
  changeId?: number;
  status: VendorStatus;
}

/** Options of a {@link VendorStore}. */
export interface VendorStoreOptions {
  revocation: RevocationList;
  audit?: AuditSink;
  clock?: Clock;
}

interface VendorRow {
  origin: string;
  display_name: string;
  status: VendorStatus;
  verification_level: VendorVerificationLevel;
  registry: string | null;
  card_hash: string;
  card_form: string;
  card_json: string;
  owners_json: string;
  credential: string | null;
  enrolled_at: string;
  updated_at: string;
}

interface Snapshot {
  cardHash: string;
  cardForm: string;
  card: AgentCard;
  owners: DeclaredAffiliation[];
  affiliations: DeclaredAffiliation[];
  payoutId: string | null;
  keys: (PublicJwk & { kid: string })[];
  credential: string | null;
  verificationLevel: VendorVerificationLevel;
  registry: string | null;
}

function snapshotOf(o: VendorObservation): Snapshot {
  const origin = o.card.card.url ? new URL(o.card.card.url).origin : '';
  for (const k of o.keys) {
    if (k.owner !== origin) throw new IdentityError('ERR_VENDOR_KEY_MISMATCH', `key \`${k.kid}\` belongs to \`${k.owner}\`, not \`${origin}\``, { details: { kid: k.kid } });
  }
  if (!o.keys.some((k) => k.kid === o.card.key.kid)) {
    throw new IdentityError('ERR_VENDOR_KEY_MISMATCH', `the card's signing key \`${o.card.key.kid}\` is not among the origin's keys`, { details: { kid: o.card.key.kid } });
  }
  const commerce = o.card.commerce;
  return {
    cardHash: o.card.hash,
    cardForm: o.card.form,
    card: o.card.card,
    owners: commerce?.owners ?? [],
    affiliations: commerce?.affiliations ?? [],
    payoutId: commerce?.payout.payoutId ?? null,
    keys: [...o.keys].sort((a, b) => (a.kid < b.kid ? -1 : 1)).map((k) => ({ ...k.publicJwk, kid: k.kid })),
    credential: o.credential?.token ?? null,
    verificationLevel: o.credential?.claims.verificationLevel ?? 'pinned',
    registry: o.credential?.claims.iss ?? null,
  };
}

function driftOf(before: Snapshot, after: Snapshot): DriftKind[] {
  const kinds: DriftKind[] = [];
  if (before.cardHash !== after.cardHash) kinds.push('card');
  if (before.keys.map((k) => k.kid).join() !== after.keys.map((k) => k.kid).join()) kinds.push('keys');
  if (canonicalJson({ o: before.owners, a: before.affiliations }) !== canonicalJson({ o: after.owners, a: after.affiliations })) kinds.push('owners');
  if (before.payoutId !== after.payoutId) kinds.push('payout');
  return kinds;
}

/**
 * Enrolled vendors with their pinned keys, card hash and declared owners, in SQLite. A change
 * of card, keys, owners or payout is recorded and suspends the vendor until the person confirms
 * it: a silent "rug pull" cannot pass. Key lookups read the store each time, so suspension and
 * revocation apply at once.
 */
export class VendorStore {
  readonly #store: Store;
  readonly #revocation: RevocationList;
  readonly #audit: AuditSink | undefined;
  readonly #clock: Clock;
  readonly #keyStmt;
  readonly #objects = new Map<string, VerificationKey>();

  constructor(store: Store, options: VendorStoreOptions) {
    this.#store = store;
    this.#revocation = options.revocation;
    this.#audit = options.audit;
    this.#clock = options.clock ?? systemClock;
    this.#keyStmt = store.statement<[string], { origin: string; jwk: string; status: VendorStatus }>(
      'SELECT k.origin AS origin, k.jwk AS jwk, v.status AS status FROM identity_vendor_keys k JOIN identity_vendors v ON v.origin = k.origin WHERE k.kid = ?',
    );
  }

  #now(): string {
    return new Date(this.#clock.now()).toISOString();
  }

  #row(origin: string): VendorRow | undefined {
    return this.#store.statement<[string], VendorRow>('SELECT * FROM identity_vendors WHERE origin = ?').get(origin);
  }

  #toRecord(row: VendorRow): VendorRecord {
    const keys = this.#store
      .statement<[string], { kid: string; jwk: string }>('SELECT kid, jwk FROM identity_vendor_keys WHERE origin = ? ORDER BY kid')
      .all(row.origin)
      .map((k) => ({ ...(JSON.parse(k.jwk) as PublicJwk), kid: k.kid }));
    const owners = JSON.parse(row.owners_json) as { owners: DeclaredAffiliation[]; affiliations: DeclaredAffiliation[] };
    return {
      origin: row.origin,
      displayName: row.display_name,
      status: row.status,
      ...(this.#credentialLapsed(row) ? { verificationLevel: 'pinned' as const, registry: null } : { verificationLevel: row.verification_level, registry: row.registry }),
      cardHash: row.card_hash,
      cardForm: row.card_form,
      card: JSON.parse(row.card_json) as AgentCard,
      owners: owners.owners,
      affiliations: owners.affiliations,
      keys,
      credential: row.credential,
      enrolledAt: row.enrolled_at,
      updatedAt: row.updated_at,
    };
  }

  /**
   * True when the stored registry credential no longer vouches: it expired, or its signing key or
   * its registry was revoked. The vendor then reads as `pinned` (its own keys still verify it) until
   * the person enrols it again with a valid credential: a stale "verified" must not keep earning trust.
   */
  #credentialLapsed(row: VendorRow): boolean {
    if (row.credential === null) return false;
    try {
      const [h, p] = row.credential.split('.');
      const header = JSON.parse(Buffer.from(h ?? '', 'base64url').toString('utf8')) as { kid?: unknown };
      const claims = JSON.parse(Buffer.from(p ?? '', 'base64url').toString('utf8')) as { exp?: unknown; iss?: unknown };
      if (typeof claims.exp !== 'number' || claims.exp * 1000 <= this.#clock.now()) return true;
      if (typeof header.kid !== 'string' || this.#revocation.isKeyRevoked(header.kid)) return true;
      return typeof claims.iss !== 'string' || this.#revocation.isOriginRevoked(claims.iss);
    } catch {
      return true; // unreadable: it vouches for nothing (fail closed)
    }
  }

  #snapshotOfRecord(r: VendorRecord): Snapshot {
    const commercePayout = (r.card.capabilities.extensions ?? []).map((e) => (e.params as { payout?: { payoutId?: string } } | undefined)?.payout?.payoutId).find((p) => typeof p === 'string');
    return {
      cardHash: r.cardHash,
      cardForm: r.cardForm,
      card: r.card,
      owners: r.owners,
      affiliations: r.affiliations,
      payoutId: commercePayout ?? null,
      keys: r.keys,
      credential: r.credential,
      verificationLevel: r.verificationLevel,
      registry: r.registry,
    };
  }

  #write(origin: string, s: Snapshot, status: VendorStatus): void {
    const now = this.#now();
    this.#store
      .statement(
        `UPDATE identity_vendors SET status = ?, verification_level = ?, registry = ?, card_hash = ?, card_form = ?, card_json = ?, owners_json = ?, credential = ?, display_name = ?, updated_at = ? WHERE origin = ?`,
      )
      .run(status, s.verificationLevel, s.registry, s.cardHash, s.cardForm, JSON.stringify(s.card), JSON.stringify({ owners: s.owners, affiliations: s.affiliations }), s.credential, s.card.name, now, origin);
    this.#store.statement('DELETE FROM identity_vendor_keys WHERE origin = ?').run(origin);
    const insert = this.#store.statement('INSERT INTO identity_vendor_keys (kid, origin, jwk, added_at) VALUES (?, ?, ?, ?)');
    for (const k of s.keys) {
      const { kid, ...jwk } = k;
      insert.run(kid, origin, JSON.stringify(jwk), now);
    }
    this.#objects.clear();
  }

  /**
   * Enrols a vendor the person confirmed: pins its keys, card hash and declared owners. The
   * origin must not be revoked or already enrolled. Emits `vendor.enrolled`.
   */
  enrol(observation: VendorObservation, actor: AuditActor = 'person'): VendorRecord {
    const s = snapshotOf(observation);
    const origin = new URL(s.card.url).origin;
    if (this.#revocation.isOriginRevoked(origin)) throw new IdentityError('ERR_ORIGIN_REVOKED', `\`${origin}\` is revoked`, { details: { origin } });
    for (const k of s.keys) {
      if (this.#revocation.isKeyRevoked(k.kid)) throw new IdentityError('ERR_KEY_REVOKED', `key \`${k.kid}\` is revoked`, { details: { kid: k.kid } });
      const other = this.#keyStmt.get(k.kid);
      if (other && other.origin !== origin) {
        throw new IdentityError('ERR_VENDOR_KEY_MISMATCH', `key \`${k.kid}\` is already pinned for \`${other.origin}\``, { details: { kid: k.kid, origin: other.origin } });
      }
    }
    if (this.#row(origin)) throw new IdentityError('ERR_VENDOR_ALREADY_ENROLLED', `\`${origin}\` is already enrolled`, { details: { origin } });
    const now = this.#now();
    this.#store.durably(() => {
      this.#store
        .statement(
          `INSERT INTO identity_vendors (origin, display_name, status, verification_level, registry, card_hash, card_form, card_json, owners_json, credential, enrolled_at, updated_at)
           VALUES (?, ?, 'active', ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(origin, s.card.name, s.verificationLevel, s.registry, s.cardHash, s.cardForm, JSON.stringify(s.card), JSON.stringify({ owners: s.owners, affiliations: s.affiliations }), s.credential, now, now);
      this.#write(origin, s, 'active');
    });
    emitAudit(this.#audit, this.#clock, {
      type: 'vendor.enrolled',
      actor,
      vendor: origin,
      summary: `vendor ${s.card.name} (${origin}) enrolled, key ${observation.card.key.kid}`,
      data: { origin, kids: s.keys.map((k) => k.kid), cardHash: s.cardHash, verificationLevel: s.verificationLevel, registry: s.registry },
    });
    return this.get(origin);
  }

  /**
   * Compares a fresh, verified observation with what the person confirmed. Any change of card,
   * keys, owners or payout is recorded and suspends the vendor (`vendor.changed`,
   * `vendor.suspended`) until {@link confirm}.
   */
  observe(origin: string, observation: VendorObservation): ObserveResult {
    if (this.#revocation.isOriginRevoked(origin)) throw new IdentityError('ERR_ORIGIN_REVOKED', `\`${origin}\` is revoked`, { details: { origin } });
    const record = this.get(origin);
    const after = snapshotOf(observation);
    if (new URL(after.card.url).origin !== origin) {
      throw new IdentityError('ERR_CARD_ORIGIN_MISMATCH', `observed card is for \`${new URL(after.card.url).origin}\`, not \`${origin}\``, { details: { origin } });
    }
    const kinds = driftOf(this.#snapshotOfRecord(record), after);
    if (kinds.length === 0) return { changed: false, kinds, status: record.status };
    const now = this.#now();
    const changeId = this.#store.durably(() => {
      this.#store.statement("UPDATE identity_vendor_changes SET status = 'superseded' WHERE origin = ? AND status = 'pending'").run(origin);
      const id = this.#store
        .statement("INSERT INTO identity_vendor_changes (origin, observed_at, kinds, observed_json, status) VALUES (?, ?, ?, ?, 'pending')")
        .run(origin, now, kinds.join(','), JSON.stringify(after)).lastInsertRowid;
      this.#store.statement("UPDATE identity_vendors SET status = 'suspended', updated_at = ? WHERE origin = ? AND status = 'active'").run(now, origin);
      return Number(id);
    });
    emitAudit(this.#audit, this.#clock, {
      type: 'vendor.changed',
      actor: 'broker',
      vendor: origin,
      summary: `vendor ${origin} changed its ${kinds.join(', ')}; needs the person's confirmation`,
      data: { origin, kinds, changeId, cardHash: after.cardHash, kids: after.keys.map((k) => k.kid) },
    });
    if (record.status === 'active') {
      emitAudit(this.#audit, this.#clock, { type: 'vendor.suspended', actor: 'broker', vendor: origin, summary: `vendor ${origin} suspended until the change is confirmed`, data: { origin, changeId } });
    }
    return { changed: true, kinds, changeId, status: 'suspended' };
  }

  /** The pending change of a vendor, if any. */
  pendingChange(origin: string): VendorChange | undefined {
    const row = this.#store
      .statement<[string], { id: number; origin: string; observed_at: string; kinds: string; status: VendorChange['status'] }>(
        "SELECT id, origin, observed_at, kinds, status FROM identity_vendor_changes WHERE origin = ? AND status = 'pending' ORDER BY id DESC LIMIT 1",
      )
      .get(origin);
    return row ? { id: row.id, origin: row.origin, observedAt: row.observed_at, kinds: row.kinds.split(',') as DriftKind[], status: row.status } : undefined;
  }

  /**
   * The person confirms a suspended vendor: its pending change (if any) becomes the pinned
   * state and the vendor is active again. Emits `vendor.confirmed`.
   */
  confirm(origin: string, actor: AuditActor = 'person'): VendorRecord {
    if (this.#revocation.isOriginRevoked(origin)) throw new IdentityError('ERR_ORIGIN_REVOKED', `\`${origin}\` is revoked`, { details: { origin } });
    const record = this.get(origin);
    const pending = this.#store
      .statement<[string], { id: number; observed_json: string }>("SELECT id, observed_json FROM identity_vendor_changes WHERE origin = ? AND status = 'pending' ORDER BY id DESC LIMIT 1")
      .get(origin);
    if (!pending && record.status === 'active') {
      throw new IdentityError('ERR_VENDOR_NO_PENDING_CHANGE', `\`${origin}\` has no change to confirm`, { details: { origin } });
    }
    this.#store.durably(() => {
      if (pending) {
        this.#write(origin, JSON.parse(pending.observed_json) as Snapshot, 'active');
        this.#store.statement("UPDATE identity_vendor_changes SET status = 'confirmed' WHERE id = ?").run(pending.id);
      } else {
        this.#store.statement("UPDATE identity_vendors SET status = 'active', updated_at = ? WHERE origin = ?").run(this.#now(), origin);
      }
    });
    emitAudit(this.#audit, this.#clock, {
      type: 'vendor.confirmed',
      actor,
      vendor: origin,
      summary: pending ? `vendor ${origin} change confirmed by the person` : `vendor ${origin} reactivated by the person`,
      data: { origin, ...(pending ? { changeId: pending.id } : {}) },
    });
    return this.get(origin);
  }

  /** Suspends a vendor (its keys stop verifying). Emits `vendor.suspended`. */
  suspend(origin: string, reason: string, actor: AuditActor = 'person'): void {
    this.get(origin);
    const changed = this.#store.durably(() => this.#store.statement("UPDATE identity_vendors SET status = 'suspended', updated_at = ? WHERE origin = ? AND status = 'active'").run(this.#now(), origin).changes);
    if (changed > 0) emitAudit(this.#audit, this.#clock, { type: 'vendor.suspended', actor, vendor: origin, summary: `vendor ${origin} suspended: ${reason}`, data: { origin, reason } });
  }

  /**
   * Revokes a vendor: its origin goes on the deny-list (every check refuses it at once) and the
   * record is marked revoked. Works for origins never enrolled too. Emits `vendor.revoked`.
   */
  revoke(origin: string, reason: string, actor: AuditActor = 'person'): void {
    this.#store.durably(() => {
      this.#store.statement("UPDATE identity_vendors SET status = 'revoked', updated_at = ? WHERE origin = ?").run(this.#now(), origin);
    });
    this.#revocation.revokeOrigin(origin, reason, actor);
  }

  /** One vendor. */
  get(origin: string): VendorRecord {
    const row = this.#row(origin);
    if (!row) throw new IdentityError('ERR_VENDOR_NOT_ENROLLED', `\`${origin}\` is not enrolled`, { details: { origin } });
    return this.#toRecord(row);
  }

  /** One vendor, or undefined when the origin is not enrolled (one read instead of `has` + `get`). */
  find(origin: string): VendorRecord | undefined {
    const row = this.#row(origin);
    return row ? this.#toRecord(row) : undefined;
  }

  /** True when the origin is enrolled (in any status). */
  has(origin: string): boolean {
    return this.#row(origin) !== undefined;
  }

  /** Every enrolled vendor, by origin. */
  list(): VendorRecord[] {
    return this.#store
      .statement<[], VendorRow>('SELECT * FROM identity_vendors ORDER BY origin')
      .all()
      .map((r) => this.#toRecord(r));
  }

  /**
   * Resolves a pinned vendor key by `kid` for message verification: only keys of active
   * vendors; a suspended vendor's key fails with `ERR_VENDOR_SUSPENDED`, a revoked one with
   * `ERR_ORIGIN_REVOKED`. Reads the store on every call; only the parsed KeyObject is cached.
   */
  readonly resolveKey: KeyResolver = (kid) => {
    const row = this.#keyStmt.get(kid);
    if (!row) return undefined;
    if (row.status === 'suspended') throw new IdentityError('ERR_VENDOR_SUSPENDED', `vendor \`${row.origin}\` is suspended until the person confirms its change`, { details: { origin: row.origin, kid } });
    if (row.status === 'revoked') throw new IdentityError('ERR_ORIGIN_REVOKED', `\`${row.origin}\` is revoked`, { details: { origin: row.origin } });
    const cacheKey = `${row.origin}|${kid}`;
    let vk = this.#objects.get(cacheKey);
    if (!vk) {
      vk = importVerificationKey(JSON.parse(row.jwk), row.origin);
      this.#objects.set(cacheKey, vk);
    }
    return vk;
  };

  /** The pinned keys of one vendor whatever its status (to check a re-fetched card against). */
  pinnedKeys(origin: string): VerificationKey[] {
    return this.get(origin).keys.map(({ kid: _kid, ...jwk }) => importVerificationKey(jwk, origin));
  }
}
