import type { Migration } from '@steward/store';

/**
 * The policy package's tables: the spend ledger and the applied policy versions. Open the store
 * with `{ migrations: { policy: MIGRATIONS } }`.
 */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'create-policy-ledger',
    up: `CREATE TABLE policy_ledger (
  reservation_id TEXT PRIMARY KEY,
  state TEXT NOT NULL CHECK (state IN ('reserved', 'committed', 'released')),
  amount_minor INTEGER NOT NULL CHECK (amount_minor >= 0),
  currency TEXT NOT NULL,
  category TEXT,
  vendor TEXT NOT NULL,
  action TEXT NOT NULL,
  at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  policy_version TEXT NOT NULL,
  budgets TEXT NOT NULL,
  created_at TEXT NOT NULL,
  settled_at TEXT,
  note TEXT
) STRICT;
CREATE INDEX policy_ledger_window ON policy_ledger (currency, at);`,
  },
  {
    version: 2,
    name: 'create-policy-versions',
    up: `CREATE TABLE policy_versions (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  version TEXT NOT NULL,
  name TEXT NOT NULL,
  file TEXT NOT NULL,
  source TEXT NOT NULL,
  message TEXT NOT NULL,
  kind TEXT NOT NULL CHECK (kind IN ('apply', 'rollback')),
  restored_seq INTEGER,
  shadow INTEGER NOT NULL CHECK (shadow IN (0, 1)),
  applied_at TEXT NOT NULL
) STRICT;
CREATE INDEX policy_versions_version ON policy_versions (version);`,
  },
];
