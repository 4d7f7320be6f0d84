import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { AffiliationFacts, DEMO_AFFILIATIONS_PATH, loadDemoAffiliations, loadDemoManifest, REGISTRY_FACTS, VENDOR_PROFILES } from '../src/index.ts';
import { BRIGHTSHELF_MEDIA } from '../src/catalogue/grocers.ts';

describe('demo provenance data', () => {
  const facts = loadDemoAffiliations();

  it('has the shared seed’s shape', () => {
    // An excerpt of the shared affiliation seed (its first entity, edge and paid placement, verbatim).
    const seed = {
      about: 'Public ownership facts for a first affiliation-graph seed.',
      entities: [{ id: 'amazon', name: 'Amazon.com, Inc.', wikidata: 'Q3884', lei: 'ZXTILKJKG63JELOEG630', domains: ['amazon.com'] }],
      edges: [
        {
          child: 'whole-foods',
          parent: 'amazon',
          relation: 'owns',
          stake: 1.0,
          validFrom: '2017-08-28',
          source: 'acquisition announced 2017-06-16 (~$13.7B incl. debt), FTC cleared 2017-08-23, closing announced for 2017-08-28',
          sourceUrl: 'https://www.foxbusiness.com/markets/2017/06/16/whole-foods-to-be-acquired-by-amazon-in-137-billion-deal.html',
        },
      ],
      paidPlacement: [
        { entity: 'instacart', kind: 'sponsored_products', source: "brands bid per click for 'sponsored products' placement in search and browse results", sourceUrl: 'https://docs.instacart.com/ads/api/ads/sponsored_products/' },
      ],
    };
    expect(AffiliationFacts.safeParse(seed).success).toBe(true);
    expect(AffiliationFacts.safeParse(JSON.parse(readFileSync(DEMO_AFFILIATIONS_PATH, 'utf8'))).success).toBe(true);
    expect(Object.keys(facts).sort()).toEqual(['about', 'edges', 'entities', 'paidPlacement']);
  });

  it('every edge names known entities and is sourced as a demo registry attestation', () => {
    const ids = new Set(facts.entities.map((e) => e.id));
    for (const e of [...facts.edges, ...facts.paidPlacement.map((p) => ({ child: p.entity, parent: p.entity, source: p.source }))]) {
      expect(ids.has(e.child) && ids.has(e.parent)).toBe(true);
      expect(e.source).toMatch(/demo registry attestation/);
    }
  });

  it('agrees with the registry and the cards: Orbit owns QuickBasket, MegaMart pays BrightShelf', () => {
    const qb = facts.edges.find((e) => e.child === VENDOR_PROFILES.quickbasket.legalEntity.entityId);
    expect(qb).toMatchObject({ parent: REGISTRY_FACTS.quickbasket!.owners[0]!.entity.entityId, relation: 'owns', stake: 1 });
    const mm = facts.edges.find((e) => e.child === VENDOR_PROFILES.megamart.legalEntity.entityId);
    expect(mm).toMatchObject({ parent: BRIGHTSHELF_MEDIA.entityId, relation: 'paid_partner' });
    expect(facts.paidPlacement.map((p) => p.entity)).toEqual(['megamart']);
    for (const p of Object.values(VENDOR_PROFILES)) expect(facts.entities.some((e) => e.id === p.legalEntity.entityId)).toBe(true);
  });
});

describe('the demo agent manifest', () => {
  it('is Orbit Assistant, made and operated by Orbit Retail Group on a Lumen Models model, declaring nothing', () => {
    const m = loadDemoManifest();
    expect(m.agent.name).toBe('Orbit Assistant');
    expect(m.maker.entityId).toBe('orbit-retail-group');
    expect(m.operator.entityId).toBe('orbit-retail-group');
    expect(m.modelProvider.name).toBe('Lumen Models Ltd');
    expect(m.declaredAffiliations).toEqual([]);
  });
});
