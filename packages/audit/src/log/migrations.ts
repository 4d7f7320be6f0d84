import type { Migration } from '@steward/store';

/**
 * The audit package's tables. `audit_leaves` holds the canonical event bytes (the leaf data) and
 * copies of a few fields for filtering; `audit_nodes` every complete subtree hash (level 0 = leaf
 * hashes); `audit_state` the tree size, root and frontier so a restart needs no rescan;
 * `audit_payloads` the erasable personal payloads and their salts; `audit_checkpoints` every
 * signed checkpoint; `audit_search` a contentless FTS5 index over summaries and reasons, filled
 * behind the appends up to the watermark in `audit_search_state`.
 */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'create-audit-log',
    up: `
CREATE TABLE audit_leaves (
  idx INTEGER PRIMARY KEY,
  event BLOB NOT NULL,
  type TEXT NOT NULL,
  at_ms INTEGER NOT NULL,
  vendor TEXT,
  task_id TEXT,
  decision TEXT
) STRICT;
CREATE INDEX audit_leaves_type ON audit_leaves (type, idx);
CREATE INDEX audit_leaves_vendor ON audit_leaves (vendor, idx) WHERE vendor IS NOT NULL;
CREATE INDEX audit_leaves_task ON audit_leaves (task_id, idx) WHERE task_id IS NOT NULL;
CREATE INDEX audit_leaves_at ON audit_leaves (at_ms, idx);
CREATE TABLE audit_flags (
  flag TEXT NOT NULL,
  idx INTEGER NOT NULL,
  PRIMARY KEY (flag, idx)
) STRICT, WITHOUT ROWID;
CREATE TABLE audit_nodes (
  level INTEGER NOT NULL,
  idx INTEGER NOT NULL,
  hash BLOB NOT NULL,
  PRIMARY KEY (level, idx)
) STRICT, WITHOUT ROWID;
CREATE TABLE audit_state (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  origin TEXT NOT NULL,
  size INTEGER NOT NULL,
  root BLOB NOT NULL,
  frontier BLOB NOT NULL
) STRICT;
CREATE TABLE audit_payloads (
  idx INTEGER PRIMARY KEY,
  salt BLOB,
  payload TEXT,
  erased_at TEXT
) STRICT;
CREATE TABLE audit_checkpoints (
  size INTEGER PRIMARY KEY,
  root BLOB NOT NULL,
  note TEXT NOT NULL,
  key_name TEXT NOT NULL,
  verifier_key TEXT NOT NULL,
  signed_at TEXT NOT NULL
) STRICT;
CREATE VIRTUAL TABLE audit_search USING fts5 (summary, reasons, content = '', tokenize = 'unicode61');
`,
  },
  {
    version: 2,
    name: 'search-index-watermark',
    // The search index is filled in bulk behind the appends (and always caught up before a text
    // query) instead of inside every group commit. `indexed` counts the leaves [0, indexed) that
    // are in `audit_search`; logs written before this migration were indexed at append time.
    up: `
CREATE TABLE audit_search_state (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  indexed INTEGER NOT NULL
) STRICT;
INSERT INTO audit_search_state (id, indexed) SELECT 1, coalesce(max(idx) + 1, 0) FROM audit_leaves;
`,
  },
];
