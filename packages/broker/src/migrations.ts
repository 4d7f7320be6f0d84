import type { Migration } from '@steward/store';

/** The broker's tables: tasks, offers received, approvals and orders. */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'create-broker-tables',
    up: `
      CREATE TABLE broker_tasks (
        task_id TEXT PRIMARY KEY,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('open','quoting','quoted','awaiting_approval','ordering','ordered','denied','failed','cancelled')),
        spec_json TEXT NOT NULL,
        conversation_id TEXT,
        flags_json TEXT NOT NULL DEFAULT '[]',
        rounds INTEGER NOT NULL DEFAULT 0,
        tool_calls INTEGER NOT NULL DEFAULT 0,
        vendors_contacted INTEGER NOT NULL DEFAULT 0,
        status_reason TEXT
      ) STRICT;
      CREATE TABLE broker_offers (
        seq INTEGER PRIMARY KEY,
        task_id TEXT NOT NULL REFERENCES broker_tasks(task_id),
        offer_id TEXT NOT NULL,
        vendor TEXT NOT NULL,
        round INTEGER NOT NULL,
        jws TEXT NOT NULL,
        offer_hash TEXT NOT NULL UNIQUE,
        handle TEXT NOT NULL UNIQUE,
        payload_json TEXT NOT NULL,
        screened_json TEXT NOT NULL,
        flags_json TEXT NOT NULL,
        received_at TEXT NOT NULL,
        expires_at INTEGER NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('open','superseded','ordered')),
        UNIQUE (vendor, offer_id)
      ) STRICT;
      CREATE INDEX broker_offers_task ON broker_offers(task_id);
      CREATE TABLE broker_approvals (
        approval_id TEXT PRIMARY KEY,
        task_id TEXT,
        kind TEXT NOT NULL,
        subject_hash TEXT NOT NULL,
        subject_json TEXT NOT NULL,
        approval_json TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('pending','approved','denied','expired','consumed')),
        created_at TEXT NOT NULL,
        expires_at INTEGER NOT NULL,
        decided_at TEXT
      ) STRICT;
      CREATE INDEX broker_approvals_status ON broker_approvals(status, expires_at);
      CREATE TABLE broker_orders (
        order_id TEXT PRIMARY KEY,
        task_id TEXT NOT NULL REFERENCES broker_tasks(task_id),
        offer_hash TEXT NOT NULL UNIQUE REFERENCES broker_offers(offer_hash),
        vendor TEXT NOT NULL,
        jws TEXT NOT NULL,
        order_hash TEXT NOT NULL,
        approval_id TEXT REFERENCES broker_approvals(approval_id),
        reservation_id TEXT,
        status TEXT NOT NULL CHECK (status IN ('signed','accepted','rejected','failed')),
        receipt_jws TEXT,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        status_reason TEXT
      ) STRICT;
    `,
  },
  {
    version: 2,
    name: 'create-broker-meta',
    up: 'CREATE TABLE broker_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) STRICT',
  },
  {
    // Every vendor lookup asks whether the vendor is new (any accepted order) and every decision counts
    // today's orders: without these, each scanned the whole order table, so quotes slowed as orders grew.
    version: 3,
    name: 'index-broker-orders',
    up: `
      CREATE INDEX broker_orders_vendor_status ON broker_orders(vendor, status);
      CREATE INDEX broker_orders_created ON broker_orders(created_at, status);
    `,
  },
  {
    // THREATS #36: the terms text an order was placed under, by the SHA-256 the signed offer names.
    version: 4,
    name: 'create-broker-terms',
    up: `
      CREATE TABLE broker_terms (
        terms_hash TEXT PRIMARY KEY,
        vendor TEXT NOT NULL,
        text TEXT NOT NULL,
        fetched_at TEXT NOT NULL
      ) STRICT;
    `,
  },
  {
    // THREATS #18: every order checks what the other orders of its task already spent.
    version: 5,
    name: 'index-broker-orders-task',
    up: 'CREATE INDEX broker_orders_task ON broker_orders(task_id, status)',
  },
  {
    // An order whose outcome was unknown, settled by the person: what they answered and when (their
    // note goes only to the audit event's erasable payload). Added columns, so the status CHECK is
    // unchanged: taken → `accepted`, not taken → `failed`. A partial index lists the unsettled ones.
    version: 6,
    name: 'broker-orders-settlement',
    up: `
      ALTER TABLE broker_orders ADD COLUMN settlement TEXT CHECK (settlement IN ('taken','not_taken'));
      ALTER TABLE broker_orders ADD COLUMN settled_by TEXT CHECK (settled_by IN ('person'));
      ALTER TABLE broker_orders ADD COLUMN settled_at TEXT;
      CREATE INDEX broker_orders_unsettled ON broker_orders(created_at, order_id) WHERE status = 'signed' AND settlement IS NULL;
    `,
  },
];
