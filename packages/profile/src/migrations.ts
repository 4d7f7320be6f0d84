import type { Migration } from '@steward/store';

/**
 * The profile package's tables. Personal values live only in `profile_values.ciphertext`
 * (AES-256-GCM); every other table holds origins, classes, labels, keyed hashes and times.
 */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'create-profile-tables',
    up: `
CREATE TABLE profile_meta (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL
) STRICT;

CREATE TABLE profile_values (
  value_id TEXT PRIMARY KEY,
  data_class TEXT NOT NULL,
  label TEXT NOT NULL,
  nonce BLOB NOT NULL,
  ciphertext BLOB NOT NULL,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  UNIQUE (data_class, label)
) STRICT;

CREATE TABLE profile_relays (
  address TEXT PRIMARY KEY,
  vendor TEXT NOT NULL UNIQUE,
  created_at TEXT NOT NULL
) STRICT;

CREATE TABLE profile_disclosures (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  disclosure_id TEXT NOT NULL,
  vendor TEXT NOT NULL,
  data_class TEXT NOT NULL,
  label TEXT NOT NULL,
  purpose TEXT NOT NULL,
  task_id TEXT,
  effect TEXT NOT NULL CHECK (effect IN ('allow', 'approved')),
  approval_id TEXT,
  policy_version TEXT NOT NULL,
  rules TEXT NOT NULL,
  field_hash TEXT NOT NULL,
  form TEXT NOT NULL CHECK (form IN ('value', 'relay', 'payment_token')),
  disclosed_at TEXT NOT NULL
) STRICT;
CREATE INDEX profile_disclosures_vendor ON profile_disclosures (vendor, seq);

CREATE TABLE profile_payment_tokens (
  token_id TEXT PRIMARY KEY,
  order_id TEXT NOT NULL,
  vendor TEXT NOT NULL,
  payee TEXT NOT NULL,
  max_amount_minor INTEGER NOT NULL,
  currency TEXT NOT NULL,
  expires_at INTEGER NOT NULL,
  payment_label TEXT NOT NULL,
  issued_at TEXT NOT NULL
) STRICT;

CREATE TABLE profile_erasure_requests (
  request_id TEXT PRIMARY KEY,
  vendor TEXT NOT NULL,
  data_classes TEXT NOT NULL,
  requested_at TEXT NOT NULL
) STRICT;
CREATE INDEX profile_erasure_vendor ON profile_erasure_requests (vendor);
`,
  },
];
