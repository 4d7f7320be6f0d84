import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { FactOrigin, HttpUrl, IsoDateTime, parseStrict } from '@steward/protocol';
import { ProvenanceError } from '../errors.ts';
import { EdgeRecord, EntityId, EntityRecord, type GraphFacts } from '../graph/types.ts';

/** Licences a shipped seed may carry: public-domain dedications only. */
export const SEED_LICENCES: ReadonlySet<string> = new Set(['CC0-1.0', 'PDDL-1.0']);

const FileEdge = EdgeRecord.extend({ origin: FactOrigin.optional() }).strict();
const FilePlacement = z.strictObject({
  entity: EntityId,
  kind: z.string().min(1).max(64),
  source: z.string().min(1).max(1000),
  sourceUrl: HttpUrl.optional(),
  retrievedAt: IsoDateTime.optional(),
  licence: z.string().min(1).max(64).optional(),
});

/**
 * Steward's own facts format (the shipped seed uses it): `about`, optional file-wide `origin`
 * (default `seed`), `licence` (default `CC0-1.0`) and `retrievedAt`, then `entities`, `edges` and
 * `paidPlacement`. Facts inherit the file-wide values they do not set.
 */
export const FactsFile = z.strictObject({
  about: z.string().min(1).max(4000),
  origin: FactOrigin.optional(),
  licence: z.string().min(1).max(64).optional(),
  retrievedAt: IsoDateTime.optional(),
  entities: z.array(EntityRecord).max(2_000_000),
  edges: z.array(FileEdge).max(5_000_000),
  paidPlacement: z.array(FilePlacement).max(1_000_000).optional(),
});
export type FactsFile = z.infer<typeof FactsFile>;

/**
 * Turns a parsed facts file into graph facts; edges may name entities the file defines or that
 * `knownEntity` says exist already. A file of origin `seed` must carry only
 * public-domain-compatible licences (`ERR_PROVENANCE_LICENCE_REFUSED`), so nothing else ships.
 */
export function factsFromFile(
  value: unknown,
  knownEntity: (id: string) => boolean = () => false,
): GraphFacts {
  let file: FactsFile;
  try {
    file = parseStrict(FactsFile, value, 'facts file');
  } catch (cause) {
    throw new ProvenanceError('ERR_PROVENANCE_IMPORT_INVALID', (cause as Error).message, {
      cause,
      details: { format: 'steward' },
    });
  }
  const origin = file.origin ?? 'seed';
  const licence = file.licence ?? 'CC0-1.0';
  const check = (l: string, what: string): void => {
    if (origin === 'seed' && !SEED_LICENCES.has(l)) {
      throw new ProvenanceError(
        'ERR_PROVENANCE_LICENCE_REFUSED',
        `seed fact ${what} is under \`${l}\`, not a public-domain licence`,
        {
          details: { licence: l, fact: what },
        },
      );
    }
  };
  check(licence, 'file');
  const ids = new Set(file.entities.map((e) => e.id));
  const edges = file.edges.map((e, i) => {
    const l = e.licence ?? licence;
    check(l, `edges.${i}`);
    for (const id of [e.child, e.parent]) {
      if (!ids.has(id) && !knownEntity(id))
        throw new ProvenanceError(
          'ERR_PROVENANCE_ENTITY_UNKNOWN',
          `edges.${i} names entity \`${id}\` that the file does not define`,
          { details: { entityId: id, index: i } },
        );
    }
    if (e.child === e.parent)
      throw new ProvenanceError('ERR_PROVENANCE_EDGE_INVALID', `edges.${i} links \`${e.child}\` to itself`, {
        details: { index: i },
      });
    if (e.validFrom && e.validTo && e.validTo < e.validFrom) {
      throw new ProvenanceError('ERR_PROVENANCE_EDGE_INVALID', `edges.${i} ends before it starts`, {
        details: { index: i },
      });
    }
    const retrievedAt = e.retrievedAt ?? file.retrievedAt;
    return {
      ...e,
      origin: e.origin ?? origin,
      licence: l,
      ...(retrievedAt === undefined ? {} : { retrievedAt }),
    };
  });
  const paidPlacements = (file.paidPlacement ?? []).map((p, i) => {
    const l = p.licence ?? licence;
    check(l, `paidPlacement.${i}`);
    if (!ids.has(p.entity) && !knownEntity(p.entity))
      throw new ProvenanceError(
        'ERR_PROVENANCE_ENTITY_UNKNOWN',
        `paidPlacement.${i} names entity \`${p.entity}\` that the file does not define`,
        { details: { entityId: p.entity, index: i } },
      );
    const retrievedAt = p.retrievedAt ?? file.retrievedAt;
    return { ...p, origin, licence: l, ...(retrievedAt === undefined ? {} : { retrievedAt }) };
  });
  return { entities: file.entities, edges, paidPlacements };
}

/** The path of the seed that ships with Steward (public CC0 facts). */
export const SEED_PATH = new URL('../../seed/affiliations.json', import.meta.url).pathname;

/** Reads the shipped seed as graph facts. */
export function loadSeedFacts(): GraphFacts {
  return factsFromFile(JSON.parse(readFileSync(SEED_PATH, 'utf8')));
}
