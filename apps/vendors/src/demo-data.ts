import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { AgentManifest, HttpUrl, IsoDate, parseJson, parseStrict, Relation } from '@steward/protocol';

const DATA_DIR = new URL('../data/', import.meta.url);

/** Path of the demo world's affiliation facts (same shape as the shared affiliation seed). */
export const DEMO_AFFILIATIONS_PATH = new URL('demo-affiliations.json', DATA_DIR).pathname;
/** Path of the demo personal agent's provenance manifest. */
export const DEMO_MANIFEST_PATH = new URL('orbit-assistant-manifest.json', DATA_DIR).pathname;

/** The affiliation seed's JSON shape: entities, dated sourced edges, disclosed paid placement. */
export const AffiliationFacts = z.strictObject({
  about: z.string().max(2000),
  entities: z
    .array(
      z.strictObject({
        id: z.string().regex(/^[a-z0-9][a-z0-9._-]{0,127}$/),
        name: z.string().min(1).max(200),
        wikidata: z.string().regex(/^Q[1-9][0-9]*$/).optional(),
        lei: z.string().regex(/^[A-Z0-9]{18}[0-9]{2}$/).optional(),
        domains: z.array(z.string().max(253)).max(20),
      }),
    )
    .max(1000),
  edges: z
    .array(
      z.strictObject({
        child: z.string().max(128),
        parent: z.string().max(128),
        relation: Relation,
        stake: z.number().min(0).max(1).optional(),
        validFrom: IsoDate.optional(),
        validTo: IsoDate.optional(),
        source: z.string().min(1).max(1000),
        sourceUrl: HttpUrl.optional(),
      }),
    )
    .max(5000),
  paidPlacement: z
    .array(z.strictObject({ entity: z.string().max(128), kind: z.string().max(64), source: z.string().min(1).max(1000), sourceUrl: HttpUrl.optional() }))
    .max(1000),
});
/** The affiliation facts of the demo world. */
export type AffiliationFacts = z.infer<typeof AffiliationFacts>;

/** Loads the demo world's provenance facts (Orbit Retail Group → QuickBasket, MegaMart → its ad partner, …). */
export function loadDemoAffiliations(): AffiliationFacts {
  return parseStrict(AffiliationFacts, parseJson(readFileSync(DEMO_AFFILIATIONS_PATH, 'utf8')), 'demo affiliations');
}

/** Loads the demo personal agent's manifest: Orbit Assistant, made and run by Orbit Retail Group on Lumen Models. */
export function loadDemoManifest(): AgentManifest {
  return parseStrict(AgentManifest, parseJson(readFileSync(DEMO_MANIFEST_PATH, 'utf8')), 'demo agent manifest');
}
