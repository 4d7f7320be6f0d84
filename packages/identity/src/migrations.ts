import { createHash } from 'node:crypto';
import type { Migration } from '@steward/store';

/** The replay store's key: SHA-256 of `scope LF id`, first 16 bytes (small rows, one b-tree). */
export function replayKey(scope: string, id: string): Buffer {
  return createHash('sha256').update(`${scope}\n${id}`, 'utf8').digest().subarray(0, 16);
}

/**
 * The identity package's tables: the broker's encrypted keys, the replay store, the revocation
 * deny-list, enrolled vendors with their pinned keys, and recorded vendor changes (drift).
 */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'create-identity-tables',
    up: `
CREATE TABLE identity_keystore_meta (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  kdf TEXT NOT NULL,
  salt BLOB NOT NULL,
  check_iv BLOB NOT NULL,
  check_ct BLOB NOT NULL,
  created_at TEXT NOT NULL
) STRICT;
CREATE TABLE identity_keys (
  kid TEXT PRIMARY KEY,
  purpose TEXT NOT NULL,
  alg TEXT NOT NULL,
  public_jwk TEXT NOT NULL,
  private_iv BLOB NOT NULL,
  private_ct BLOB NOT NULL,
  created_at INTEGER NOT NULL,
  not_before INTEGER NOT NULL,
  retires_at INTEGER,
  revoked_at INTEGER
) STRICT;
CREATE INDEX identity_keys_purpose ON identity_keys (purpose, not_before);
CREATE TABLE identity_replay (
  scope TEXT NOT NULL,
  id TEXT NOT NULL,
  expires_at INTEGER NOT NULL,
  PRIMARY KEY (scope, id)
) STRICT, WITHOUT ROWID;
CREATE INDEX identity_replay_expiry ON identity_replay (expires_at);
CREATE TABLE identity_revocations (
  kind TEXT NOT NULL CHECK (kind IN ('key', 'origin')),
  value TEXT NOT NULL,
  reason TEXT NOT NULL,
  revoked_at TEXT NOT NULL,
  PRIMARY KEY (kind, value)
) STRICT, WITHOUT ROWID;
CREATE TABLE identity_vendors (
  origin TEXT PRIMARY KEY,
  display_name TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('active', 'suspended', 'revoked')),
  verification_level TEXT NOT NULL,
  registry TEXT,
  card_hash TEXT NOT NULL,
  card_form TEXT NOT NULL,
  card_json TEXT NOT NULL,
  owners_json TEXT NOT NULL,
  credential TEXT,
  enrolled_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
) STRICT;
CREATE TABLE identity_vendor_keys (
  kid TEXT PRIMARY KEY,
  origin TEXT NOT NULL REFERENCES identity_vendors (origin) ON DELETE CASCADE,
  jwk TEXT NOT NULL,
  added_at TEXT NOT NULL
) STRICT;
CREATE INDEX identity_vendor_keys_origin ON identity_vendor_keys (origin);
CREATE TABLE identity_vendor_changes (
  id INTEGER PRIMARY KEY,
  origin TEXT NOT NULL REFERENCES identity_vendors (origin) ON DELETE CASCADE,
  observed_at TEXT NOT NULL,
  kinds TEXT NOT NULL,
  observed_json TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('pending', 'confirmed', 'superseded'))
) STRICT;
CREATE INDEX identity_vendor_changes_origin ON identity_vendor_changes (origin, status);
`,
  },
  {
    version: 2,
    name: 'create-identity-registries',
    up: `
CREATE TABLE identity_registries (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  added_at TEXT NOT NULL
) STRICT;
CREATE TABLE identity_registry_keys (
  kid TEXT PRIMARY KEY,
  registry_id TEXT NOT NULL REFERENCES identity_registries (id) ON DELETE CASCADE,
  jwk TEXT NOT NULL
) STRICT;
`,
  },
  {
    version: 3,
    name: 'replay-hashed-keys',
    // One WITHOUT ROWID b-tree keyed by a 16-byte hash, no expiry index: half the pages written per
    // verification. Existing entries are carried over, so no replay window opens at upgrade.
    up: (db) => {
      db.exec('CREATE TABLE identity_replay_v2 (k BLOB PRIMARY KEY, expires_at INTEGER NOT NULL) STRICT, WITHOUT ROWID');
      const insert = db.prepare('INSERT OR IGNORE INTO identity_replay_v2 (k, expires_at) VALUES (?, ?)');
      const rows = db.prepare('SELECT scope, id, expires_at FROM identity_replay').all() as { scope: string; id: string; expires_at: number }[];
      for (const row of rows) {
        insert.run(replayKey(row.scope, row.id), row.expires_at);
      }
      db.exec('DROP TABLE identity_replay');
    },
  },
];
