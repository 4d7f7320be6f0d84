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
  {
    // A committed entry the person confirms the vendor never took becomes `voided` (never `released`,
    // which means the order failed before it could be taken). SQLite cannot alter a CHECK constraint,
    // so the table is rebuilt with its rows, in the migration's own transaction.
    version: 3,
    name: 'policy-ledger-voided-state',
    up: `CREATE TABLE policy_ledger_v3 (
  reservation_id TEXT PRIMARY KEY,
  state TEXT NOT NULL CHECK (state IN ('reserved', 'committed', 'released', 'voided')),
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
INSERT INTO policy_ledger_v3 (reservation_id, state, amount_minor, currency, category, vendor, action, at, expires_at, policy_version, budgets, created_at, settled_at, note)
  SELECT reservation_id, state, amount_minor, currency, category, vendor, action, at, expires_at, policy_version, budgets, created_at, settled_at, note FROM policy_ledger;
DROP TABLE policy_ledger;
ALTER TABLE policy_ledger_v3 RENAME TO policy_ledger;
CREATE INDEX policy_ledger_window ON policy_ledger (currency, at);`,
  },
];
