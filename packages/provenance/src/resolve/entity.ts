import type { EntityRef } from '@steward/protocol';
import type { AffiliationGraph } from '../graph/snapshot.ts';
import type { VendorDescriptor } from '../detect/types.ts';
import { registrableDomain } from './domain.ts';

/** How an entity was matched. Display names are never a basis. */
export type MatchBasis =
  | 'entity-id'
  | 'credential-lei'
  | 'credential-wikidata'
  | 'credential-entity'
  | 'credential-domain'
  | 'lei'
  | 'wikidata'
  | 'domain';

/** One entity a party was matched to, and on what ground. */
export interface EntityMatch {
  entityId: string;
  basis: MatchBasis;
  /** How much the match itself is worth, 0..1. */
  confidence: number;
}

const BASIS_CONFIDENCE: Readonly<Record<MatchBasis, number>> = {
  'entity-id': 1,
  'credential-lei': 0.99,
  'credential-wikidata': 0.97,
  // The registry attested the legal entity's own id and domain: as good as the registry.
  'credential-entity': 0.95,
  'credential-domain': 0.95,
  lei: 0.9,
  wikidata: 0.85,
  domain: 0.9,
};

function match(entityId: string | undefined, basis: MatchBasis, out: EntityMatch[]): void {
  if (entityId !== undefined && !out.some((m) => m.entityId === entityId)) {
    out.push({ entityId, basis, confidence: BASIS_CONFIDENCE[basis] });
  }
}

/**
 * Resolves a reference chosen by a trusted party (the person's configuration, the agent maker's
 * manifest, a declared owner) by entity id, LEI, Wikidata id or domain — never by name.
 */
export function resolveEntityRef(graph: AffiliationGraph, ref: EntityRef): EntityMatch[] {
  const out: EntityMatch[] = [];
  if (ref.entityId !== undefined && graph.entity(ref.entityId)) match(ref.entityId, 'entity-id', out);
  if (ref.lei !== undefined) match(graph.byLei(ref.lei), 'lei', out);
  if (ref.wikidata !== undefined) match(graph.byWikidata(ref.wikidata), 'wikidata', out);
  if (ref.domain !== undefined) {
    const d = registrableDomain(ref.domain.toLowerCase()) ?? ref.domain.toLowerCase();
    match(graph.byDomain(d), 'domain', out);
  }
  return out;
}

/**
 * Resolves a vendor to graph entities: by the registry credential's verified LEI or Wikidata id,
 * then by the LEI or Wikidata id its signed card declares, then by the registrable domain of its
 * enrolled (card-bound) origin. Never by display name, and never by an entity id the vendor chose.
 */
export function resolveVendor(graph: AffiliationGraph, vendor: VendorDescriptor): EntityMatch[] {
  const out: EntityMatch[] = [];
  const cred = vendor.credential?.legalEntity;
  if (cred?.lei !== undefined) match(graph.byLei(cred.lei), 'credential-lei', out);
  if (cred?.wikidata !== undefined) match(graph.byWikidata(cred.wikidata), 'credential-wikidata', out);
  if (cred?.entityId !== undefined && graph.entity(cred.entityId)) match(cred.entityId, 'credential-entity', out);
  if (cred?.domain !== undefined) {
    const attested = registrableDomain(`https://${cred.domain}`);
    if (attested !== undefined) match(graph.byDomain(attested), 'credential-domain', out);
  }
  const card = vendor.legalEntity;
  if (card?.lei !== undefined) match(graph.byLei(card.lei), 'lei', out);
  if (card?.wikidata !== undefined) match(graph.byWikidata(card.wikidata), 'wikidata', out);
  const domain = registrableDomain(vendor.origin);
  if (domain !== undefined) match(graph.byDomain(domain), 'domain', out);
  return out;
}
