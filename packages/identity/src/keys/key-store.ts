import { createCipheriv, createDecipheriv, hkdfSync, randomBytes, scryptSync } from 'node:crypto';
import { systemClock, type Clock } from '@steward/protocol';
import type { Store } from '@steward/store';
import { IdentityError } from '../errors.ts';
import { emitAudit, type AuditActor, type AuditSink } from '../internal/audit.ts';
import { exportPrivateJwk, generateSigningKey, importSigningKey, importVerificationKey, type KeyResolver, type PublicJwk, type SigningAlg, type SigningKey, type VerificationKey } from './key-pair.ts';
import { readKeyFile } from './key-file.ts';

/** What a broker key is for: `broker` signs messages and checkpoints, `user` signs orders and mandates. */
export type KeyPurpose = 'broker' | 'user';

/** Where the key-encryption key comes from: a passphrase (scrypt) or a 0600 key file (HKDF). */
export type KeyStoreSecret = { passphrase: string } | { keyFile: string };

/** Public facts about a stored key. */
export interface KeyRecord {
  kid: string;
  purpose: KeyPurpose;
  alg: SigningAlg;
  publicJwk: PublicJwk;
  /** Epoch seconds. */
  createdAt: number;
  /** The key signs from this instant (epoch seconds); published before it. */
  notBefore: number;
  /** The key stops verifying and is unpublished at this instant (epoch seconds), when set. */
  retiresAt: number | null;
  revokedAt: number | null;
  /** `pending` (published, not yet signing), `active`, `retiring` (verifies, no longer signs), `retired`, `revoked`. */
  state: 'pending' | 'active' | 'retiring' | 'retired' | 'revoked';
}

/** Options of {@link KeyStore.open}. */
export interface KeyStoreOptions {
  clock?: Clock;
  audit?: AuditSink;
}

/** How to rotate. */
export interface RotateOptions {
  /** Seconds the new key is published before it signs. Default 0. */
  publishAheadSeconds?: number;
  /** Seconds the old key keeps verifying after the new one starts signing. Default 24 h. */
  overlapSeconds?: number;
  alg?: SigningAlg;
}

const SCRYPT = { N: 2 ** 15, r: 8, p: 1, maxmem: 64 * 1024 * 1024 };
const CHECK_TEXT = 'steward-keystore-v1';

interface MetaRow {
  kdf: string;
  salt: Buffer;
  check_iv: Buffer;
  check_ct: Buffer;
}
interface KeyRow {
  kid: string;
  purpose: string;
  alg: string;
  public_jwk: string;
  private_iv: Buffer;
  private_ct: Buffer;
  created_at: number;
  not_before: number;
  retires_at: number | null;
  revoked_at: number | null;
}

function deriveKek(secret: KeyStoreSecret, salt: Buffer): { kek: Buffer; kdf: string } {
  if ('passphrase' in secret) {
    if (secret.passphrase.length < 8) throw new IdentityError('ERR_KEYSTORE_SECRET_MISSING', 'key store passphrase must have at least 8 characters');
    return { kek: scryptSync(secret.passphrase.normalize('NFKC'), salt, 32, SCRYPT), kdf: 'scrypt-n32768-r8-p1' };
  }
  const ikm = readKeyFile(secret.keyFile);
  return { kek: Buffer.from(hkdfSync('sha256', ikm, salt, 'steward key store v1', 32)), kdf: 'hkdf-sha256-keyfile' };
}

function seal(kek: Buffer, plaintext: Buffer, aad: string): { iv: Buffer; ct: Buffer } {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', kek, iv);
  cipher.setAAD(Buffer.from(aad, 'utf8'));
  const ct = Buffer.concat([cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
  return { iv, ct };
}

function open(kek: Buffer, iv: Buffer, sealed: Buffer, aad: string): Buffer {
  const decipher = createDecipheriv('aes-256-gcm', kek, iv);
  decipher.setAAD(Buffer.from(aad, 'utf8'));
  decipher.setAuthTag(sealed.subarray(sealed.length - 16));
  return Buffer.concat([decipher.update(sealed.subarray(0, sealed.length - 16)), decipher.final()]);
}

/**
 * The broker's own keys in SQLite, private keys encrypted at rest with AES-256-GCM under a key
 * derived from a passphrase (scrypt) or a 0600 key file (HKDF); each key's `kid` and purpose are
 * bound in as associated data. Rotation publishes the new key before the old one retires.
 */
export class KeyStore {
  readonly #store: Store;
  readonly #kek: Buffer;
  readonly #clock: Clock;
  readonly #audit: AuditSink | undefined;
  readonly #cache = new Map<string, SigningKey>();

  private constructor(store: Store, kek: Buffer, options: KeyStoreOptions) {
    this.#store = store;
    this.#kek = kek;
    this.#clock = options.clock ?? systemClock;
    this.#audit = options.audit;
  }

  /** True when the database already holds a key store. */
  static exists(store: Store): boolean {
    return store.statement('SELECT 1 FROM identity_keystore_meta WHERE id = 1').get() !== undefined;
  }

  /**
   * Opens the key store, creating it (salt and check value) on first use. A wrong passphrase or
   * key file fails with `ERR_KEYSTORE_WRONG_SECRET` before any key is touched.
   */
  static open(store: Store, secret: KeyStoreSecret, options: KeyStoreOptions = {}): KeyStore {
    const meta = store.statement<[], MetaRow>('SELECT kdf, salt, check_iv, check_ct FROM identity_keystore_meta WHERE id = 1').get();
    if (!meta) {
      const salt = randomBytes(16);
      const { kek, kdf } = deriveKek(secret, salt);
      const check = seal(kek, Buffer.from(CHECK_TEXT), 'check');
      store.durably(() =>
        store
          .statement('INSERT INTO identity_keystore_meta (id, kdf, salt, check_iv, check_ct, created_at) VALUES (1, ?, ?, ?, ?, ?)')
          .run(kdf, salt, check.iv, check.ct, new Date((options.clock ?? systemClock).now()).toISOString()),
      );
      return new KeyStore(store, kek, options);
    }
    const expectedKdf = 'passphrase' in secret ? 'scrypt' : 'hkdf';
    if (!meta.kdf.startsWith(expectedKdf)) {
      throw new IdentityError('ERR_KEYSTORE_WRONG_SECRET', `key store was created with a ${meta.kdf.startsWith('scrypt') ? 'passphrase' : 'key file'}, not a ${'passphrase' in secret ? 'passphrase' : 'key file'}`);
    }
    const { kek } = deriveKek(secret, meta.salt);
    try {
      if (open(kek, meta.check_iv, meta.check_ct, 'check').toString() !== CHECK_TEXT) throw new Error('check value differs');
    } catch (cause) {
      throw new IdentityError('ERR_KEYSTORE_WRONG_SECRET', 'key store secret is wrong (passphrase or key file)', { cause });
    }
    return new KeyStore(store, kek, options);
  }

  #now(): number {
    return Math.floor(this.#clock.now() / 1000);
  }

  #record(row: KeyRow): KeyRecord {
    const now = this.#now();
    const state: KeyRecord['state'] =
      row.revoked_at !== null ? 'revoked' : row.retires_at !== null && row.retires_at <= now ? 'retired' : row.not_before > now ? 'pending' : row.retires_at !== null ? 'retiring' : 'active';
    return {
      kid: row.kid,
      purpose: row.purpose as KeyPurpose,
      alg: row.alg as SigningAlg,
      publicJwk: JSON.parse(row.public_jwk) as PublicJwk,
      createdAt: row.created_at,
      notBefore: row.not_before,
      retiresAt: row.retires_at,
      revokedAt: row.revoked_at,
      state,
    };
  }

  #insert(key: SigningKey, purpose: KeyPurpose, notBefore: number): void {
    const sealed = seal(this.#kek, Buffer.from(JSON.stringify(exportPrivateJwk(key))), `${key.kid}|${purpose}`);
    this.#store
      .statement('INSERT INTO identity_keys (kid, purpose, alg, public_jwk, private_iv, private_ct, created_at, not_before) VALUES (?, ?, ?, ?, ?, ?, ?, ?)')
      .run(key.kid, purpose, key.alg, JSON.stringify(key.publicJwk), sealed.iv, sealed.ct, this.#now(), notBefore);
  }

  /** Creates a key for `purpose` that signs at once. Emits `key.created`. */
  create(purpose: KeyPurpose, alg: SigningAlg = 'EdDSA', actor: AuditActor = 'person'): KeyRecord {
    const key = generateSigningKey(alg);
    this.#store.durably(() => this.#insert(key, purpose, this.#now()));
    this.#cache.set(key.kid, key);
    emitAudit(this.#audit, this.#clock, { type: 'key.created', actor, summary: `${purpose} key ${key.kid} created`, data: { kid: key.kid, purpose, alg } });
    return this.get(key.kid);
  }

  /**
   * Rotates `purpose`: a new key is published now and signs from `now + publishAheadSeconds`;
   * every current key keeps verifying until `overlapSeconds` after that. Emits `key.rotated`.
   */
  rotate(purpose: KeyPurpose, options: RotateOptions = {}, actor: AuditActor = 'person'): KeyRecord {
    const ahead = options.publishAheadSeconds ?? 0;
    const overlap = options.overlapSeconds ?? 86_400;
    if (ahead < 0 || overlap < 0) throw new IdentityError('ERR_KEY_INVALID', 'rotation windows must not be negative');
    const key = generateSigningKey(options.alg ?? 'EdDSA');
    const startsAt = this.#now() + ahead;
    const retired: string[] = [];
    this.#store.durably(() => {
      for (const r of this.list(purpose)) {
        if (r.state === 'active' || r.state === 'pending') {
          this.#store.statement('UPDATE identity_keys SET retires_at = ? WHERE kid = ?').run(startsAt + overlap, r.kid);
          retired.push(r.kid);
        }
      }
      this.#insert(key, purpose, startsAt);
    });
    this.#cache.set(key.kid, key);
    emitAudit(this.#audit, this.#clock, {
      type: 'key.rotated',
      actor,
      summary: `${purpose} key rotated to ${key.kid}`,
      data: { kid: key.kid, purpose, previous: retired, signsFrom: startsAt, previousRetireAt: startsAt + overlap },
    });
    return this.get(key.kid);
  }

  /** Marks a key revoked here (it stops signing and is unpublished); the deny-list is separate. */
  markRevoked(kid: string): void {
    const changes = this.#store.durably(() => this.#store.statement('UPDATE identity_keys SET revoked_at = ? WHERE kid = ? AND revoked_at IS NULL').run(this.#now(), kid).changes);
    if (changes === 0) this.get(kid);
    this.#cache.delete(kid);
  }

  /** One key's public facts. */
  get(kid: string): KeyRecord {
    const row = this.#store.statement<[string], KeyRow>('SELECT * FROM identity_keys WHERE kid = ?').get(kid);
    if (!row) throw new IdentityError('ERR_KEY_NOT_FOUND', `key \`${kid}\` is not in the key store`, { details: { kid } });
    return this.#record(row);
  }

  /** Every key (of a purpose), oldest first. */
  list(purpose?: KeyPurpose): KeyRecord[] {
    const rows =
      purpose === undefined
        ? this.#store.statement<[], KeyRow>('SELECT * FROM identity_keys ORDER BY not_before, created_at, rowid').all()
        : this.#store.statement<[string], KeyRow>('SELECT * FROM identity_keys WHERE purpose = ? ORDER BY not_before, created_at, rowid').all(purpose);
    return rows.map((r) => this.#record(r));
  }

  /** Keys that verify now (pending, active, retiring): what the JWKS publishes. */
  published(purpose?: KeyPurpose): KeyRecord[] {
    return this.list(purpose).filter((r) => r.state === 'pending' || r.state === 'active' || r.state === 'retiring');
  }

  /** The key that signs for `purpose` now: the newest active one (whose `notBefore` has passed). Decrypted once, then cached. */
  signingKey(purpose: KeyPurpose): SigningKey {
    // INVARIANT: a key that is retiring never signs while an active one exists.
    const all = this.list(purpose);
    const newest = all.filter((r) => r.state === 'active').at(-1) ?? all.filter((r) => r.state === 'retiring').at(-1);
    if (!newest) throw new IdentityError('ERR_KEY_NOT_FOUND', `no ${purpose} key signs now; run \`steward keys init\``, { details: { purpose } });
    return this.#decrypt(newest.kid, purpose);
  }

  #decrypt(kid: string, purpose: KeyPurpose): SigningKey {
    const cached = this.#cache.get(kid);
    if (cached) return cached;
    const row = this.#store.statement<[string], KeyRow>('SELECT * FROM identity_keys WHERE kid = ?').get(kid);
    if (!row) throw new IdentityError('ERR_KEY_NOT_FOUND', `key \`${kid}\` is not in the key store`, { details: { kid } });
    let key: SigningKey;
    try {
      key = importSigningKey(JSON.parse(open(this.#kek, row.private_iv, row.private_ct, `${kid}|${purpose}`).toString('utf8')));
    } catch (cause) {
      throw new IdentityError('ERR_KEYSTORE_DECRYPT_FAILED', `key \`${kid}\` cannot be decrypted (tampered or wrong secret)`, { cause, details: { kid } });
    }
    if (key.kid !== kid) throw new IdentityError('ERR_KEYSTORE_DECRYPT_FAILED', `key \`${kid}\` decrypts to another key`, { details: { kid } });
    this.#cache.set(kid, key);
    return key;
  }

  /** The published keys as verification keys owned by `owner` (the broker's origin). */
  verificationKeys(owner: string, purpose?: KeyPurpose): VerificationKey[] {
    return this.published(purpose).map((r) => importVerificationKey(r.publicJwk, owner));
  }

  /** A resolver over the published keys; re-reads the store on every call so rotation and revocation apply at once. */
  resolver(owner: string, purpose?: KeyPurpose): KeyResolver {
    const objects = new Map<string, VerificationKey>();
    return (kid) => {
      const r = this.published(purpose).find((k) => k.kid === kid);
      if (!r) return undefined;
      let vk = objects.get(kid);
      if (!vk) {
        vk = importVerificationKey(r.publicJwk, owner);
        objects.set(kid, vk);
      }
      return vk;
    };
  }
}
