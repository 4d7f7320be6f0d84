import type { Migration } from '@steward/store';

/**
 * The provenance package's tables: entities, their domains, sourced dated edges and paid-placement
 * facts. Owner name for `openStore(..., { migrations: { provenance: MIGRATIONS } })`.
 */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'create-affiliation-graph',
    up: `
CREATE TABLE provenance_entities (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  aliases TEXT NOT NULL DEFAULT '[]',
  lei TEXT UNIQUE,
  wikidata TEXT UNIQUE,
  updated_at TEXT NOT NULL
) STRICT;
CREATE TABLE provenance_domains (
  domain TEXT PRIMARY KEY,
  entity_id TEXT NOT NULL REFERENCES provenance_entities(id) ON DELETE CASCADE
) STRICT;
CREATE INDEX provenance_domains_entity ON provenance_domains(entity_id);
CREATE TABLE provenance_edges (
  id INTEGER PRIMARY KEY,
  child TEXT NOT NULL REFERENCES provenance_entities(id),
  parent TEXT NOT NULL REFERENCES provenance_entities(id),
  relation TEXT NOT NULL CHECK (relation IN ('owns','controls','brand_of','operates','paid_partner','affiliate_fee')),
  stake REAL CHECK (stake IS NULL OR (stake >= 0 AND stake <= 1)),
  valid_from TEXT,
  valid_to TEXT,
  origin TEXT NOT NULL CHECK (origin IN ('seed','registry','declared','local')),
  source TEXT NOT NULL,
  source_url TEXT,
  retrieved_at TEXT,
  licence TEXT,
  confidence REAL NOT NULL CHECK (confidence >= 0 AND confidence <= 1),
  CHECK (child <> parent)
) STRICT;
CREATE UNIQUE INDEX provenance_edges_fact ON provenance_edges(child, parent, relation, origin, source, ifnull(valid_from, ''));
CREATE INDEX provenance_edges_parent ON provenance_edges(parent);
CREATE TABLE provenance_paid_placements (
  id INTEGER PRIMARY KEY,
  entity_id TEXT NOT NULL REFERENCES provenance_entities(id),
  kind TEXT NOT NULL,
  origin TEXT NOT NULL CHECK (origin IN ('seed','registry','declared','local')),
  source TEXT NOT NULL,
  source_url TEXT,
  retrieved_at TEXT,
  licence TEXT,
  UNIQUE (entity_id, kind, origin, source)
) STRICT;
`,
  },
];
