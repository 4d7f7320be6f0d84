import { readFileSync, statSync } from 'node:fs';
import { parseJson, systemClock, type Clock } from '@steward/protocol';
import type { Store } from '@steward/store';
import { ProvenanceError } from '../errors.ts';
import { saveFacts, type SaveResult } from '../graph/store.ts';
import { factsFromFile } from './facts-file.ts';
import { factsFromGleif } from './gleif.ts';
import { storeLookup } from './lookup.ts';
import { factsFromWikidata } from './wikidata.ts';

/** Formats {@link importFile} reads. */
export type ImportFormat = 'steward' | 'gleif' | 'wikidata';

/** Options for {@link importFile}. */
export interface ImportOptions {
  /** Force a format instead of detecting it. */
  format?: ImportFormat;
  onProgress?: (done: number, total: number) => void;
  clock?: Clock;
  /** Largest file read, in bytes. Default 512 MiB. */
  maxBytes?: number;
}

/** What an import wrote. */
export interface ImportResult extends SaveResult {
  format: ImportFormat;
  skipped: number;
}

/** Tells the format of a parsed file: Steward facts, GLEIF relationship records or Wikidata items. */
export function detectImportFormat(value: unknown): ImportFormat {
  const o = value as Record<string, unknown> | null;
  if (o !== null && typeof o === 'object' && !Array.isArray(o)) {
    if (Array.isArray(o.entities) && Array.isArray(o.edges)) return 'steward';
    if (Array.isArray(o.data)) return 'gleif';
    if (o.entities !== null && typeof o.entities === 'object' && !Array.isArray(o.entities))
      return 'wikidata';
  }
  throw new ProvenanceError(
    'ERR_PROVENANCE_IMPORT_FORMAT_UNKNOWN',
    'file is neither steward facts (`entities` + `edges`), gleif (`data`) nor wikidata (`entities` map)',
  );
}

/**
 * Imports a file of facts into the store in one transaction: the shipped seed format, GLEIF
 * Level 2 relationship records or Wikidata items (see docs/provenance.md for the fields read).
 * Re-importing the same file changes nothing.
 */
export function importFile(store: Store, path: string, options: ImportOptions = {}): ImportResult {
  const maxBytes = options.maxBytes ?? 512 * 1024 * 1024;
  let text: string;
  try {
    if (statSync(path).size > maxBytes) throw new Error(`larger than ${maxBytes} bytes`);
    text = readFileSync(path, 'utf8');
  } catch (cause) {
    throw new ProvenanceError(
      'ERR_PROVENANCE_IMPORT_INVALID',
      `cannot read \`${path}\`: ${(cause as Error).message}`,
      { cause, details: { path } },
    );
  }
  let value: unknown;
  try {
    value = parseJson(text, { maxBytes, maxDepth: 16 });
  } catch (cause) {
    throw new ProvenanceError(
      'ERR_PROVENANCE_IMPORT_INVALID',
      `\`${path}\` is not safe json: ${(cause as Error).message}`,
      { cause, details: { path } },
    );
  }
  return importValue(store, value, options);
}

/** Same as {@link importFile} for an already parsed value. */
export function importValue(store: Store, value: unknown, options: ImportOptions = {}): ImportResult {
  const format = options.format ?? detectImportFormat(value);
  const retrievedAt = new Date((options.clock ?? systemClock).now()).toISOString();
  const facts =
    format === 'steward'
      ? {
          ...factsFromFile(
            value,
            (id) => store.db.prepare('SELECT 1 FROM provenance_entities WHERE id = ?').get(id) !== undefined,
          ),
          skipped: 0,
        }
      : format === 'gleif'
        ? factsFromGleif(value, storeLookup(store), retrievedAt)
        : factsFromWikidata(value, storeLookup(store), retrievedAt);
  const saved = saveFacts(store, facts, {
    ...(options.onProgress ? { onProgress: options.onProgress } : {}),
    ...(options.clock ? { clock: options.clock } : {}),
  });
  return { ...saved, format, skipped: facts.skipped };
}
