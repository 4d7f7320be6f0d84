import type { Store } from '@steward/store';

/** Finds entities an import should reuse instead of creating, by LEI or Wikidata id. */
export interface IdLookup {
  byLei(lei: string): string | undefined;
  byWikidata(qid: string): string | undefined;
  byDomain(domain: string): string | undefined;
}

/** An {@link IdLookup} over the entities already in the store. */
export function storeLookup(store: Store): IdLookup {
  const lei = store.db.prepare<[string], { id: string }>('SELECT id FROM provenance_entities WHERE lei = ?');
  const wd = store.db.prepare<[string], { id: string }>(
    'SELECT id FROM provenance_entities WHERE wikidata = ?',
  );
  const dom = store.db.prepare<[string], { entity_id: string }>(
    'SELECT entity_id FROM provenance_domains WHERE domain = ?',
  );
  return {
    byLei: (x) => lei.get(x)?.id,
    byWikidata: (x) => wd.get(x)?.id,
    byDomain: (x) => dom.get(x)?.entity_id,
  };
}

/** An {@link IdLookup} that knows nothing (every identifier gets a new entity). */
export const EMPTY_LOOKUP: IdLookup = {
  byLei: () => undefined,
  byWikidata: () => undefined,
  byDomain: () => undefined,
};
