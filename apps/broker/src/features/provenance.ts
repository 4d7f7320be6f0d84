import { describeEntity, resolveEntityRef, resolveVendor, type AffiliationGraph, type VendorDescriptor } from '@steward/provenance';
import { VendorCredential, type EntityRef, type EvidenceEdge } from '@steward/protocol';
import type { VendorRecord } from '@steward/identity';
import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Steward } from '../steward.ts';

/** A graph for the screen: entities and sourced, dated edges (`from` <relation> `to`, e.g. parent owns child). */
interface GraphView {
  nodes: { id: string; name: string }[];
  edges: { from: string; to: string; relation: string; source: string; sourceUrl?: string; validFrom?: string; validTo?: string; origin: string; stake?: number }[];
}

/** Collects the ownership and money ties around some entities as of a date, each edge once. */
function graphAround(graph: AffiliationGraph, roots: readonly string[], asOf: string): GraphView {
  const nodes = new Map<string, string>();
  const edges = new Map<string, GraphView['edges'][number]>();
  const add = (e: EvidenceEdge): void => {
    nodes.set(e.parent, e.parentName ?? e.parent);
    nodes.set(e.child, e.childName ?? e.child);
    const key = `${e.parent}\u0000${e.relation}\u0000${e.child}\u0000${e.source}`;
    if (edges.has(key) || edges.size >= 500) return;
    edges.set(key, {
      from: e.parent,
      to: e.child,
      relation: e.relation,
      source: e.source,
      ...(e.sourceUrl === undefined ? {} : { sourceUrl: e.sourceUrl }),
      ...(e.validFrom === undefined ? {} : { validFrom: e.validFrom }),
      ...(e.validTo === undefined ? {} : { validTo: e.validTo }),
      ...(e.stake === undefined ? {} : { stake: e.stake }),
      origin: e.origin,
    });
  };
  for (const id of roots) {
    const report = describeEntity(graph, id, asOf);
    nodes.set(id, report.entity.name);
    for (const owner of report.owners) for (const e of owner.path) add(e);
    for (const e of report.owns) add(e);
    for (const e of report.moneyTies) add(e);
  }
  return { nodes: [...nodes].map(([id, name]) => ({ id, name })), edges: [...edges.values()] };
}

/** The claims of the credential verified at enrolment (stored with the vendor). */
function credentialOf(record: VendorRecord): VendorDescriptor['credential'] {
  const payload = record.credential?.split('.')[1];
  if (!payload) return undefined;
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
  } catch {
    return undefined;
  }
  const parsed = VendorCredential.safeParse(json);
  if (!parsed.success) return undefined;
  const c = parsed.data;
  return { issuer: c.iss, legalEntity: c.legalEntity, owners: c.owners, verificationLevel: c.verificationLevel, issuedAt: new Date(c.iat * 1000).toISOString() };
}

function descriptorOf(v: VendorRecord): VendorDescriptor {
  const ext = v.card.capabilities.extensions?.find((e) => e.uri.includes('/a2a/ext/commerce/'))?.params as
    | { payout?: { payoutId?: string }; legalEntity?: EntityRef }
    | undefined;
  const credential = credentialOf(v);
  return {
    origin: v.origin,
    displayName: v.displayName,
    keyThumbprint: v.keys[0]?.kid ?? '',
    payoutId: ext?.payout?.payoutId ?? '',
    ...(ext?.legalEntity ? { legalEntity: ext.legalEntity } : {}),
    declaredOwners: v.owners,
    declaredAffiliations: v.affiliations,
    ...(credential ? { credential } : {}),
  };
}

/**
 * Where things come from: the person's agent (its manifest, the plain-language disclosure and the
 * graph around its maker) and any vendor (the entity it resolves to, who owns it, with sources).
 * @see docs/provenance.md
 */
export function provenanceFeature(steward: Steward): FastifyPluginAsync {
  return async (base) => {
    const api = base.withTypeProvider<ZodTypeProvider>();
    const today = (): string => new Date(steward.clock.now()).toISOString().slice(0, 10);

    api.get('/provenance/agent', { schema: { tags: ['provenance'], summary: 'where your agent comes from' } }, async () => {
      const graph = steward.graph();
      const m = steward.manifest;
      const refs: EntityRef[] = [m.maker, m.operator, m.modelProvider, ...m.declaredAffiliations.map((a) => a.entity)];
      const roots = [...new Set(refs.flatMap((r) => resolveEntityRef(graph, r).map((x) => x.entityId)))];
      const makerMatch = resolveEntityRef(graph, m.maker)[0];
      return {
        manifest: m,
        disclosure: steward.agentDisclosure(),
        asOf: today(),
        ...(makerMatch ? { maker: { id: makerMatch.entityId, name: graph.entity(makerMatch.entityId)?.name ?? makerMatch.entityId, basis: makerMatch.basis } } : {}),
        graph: graphAround(graph, roots, today()),
      };
    });

    api.get(
      '/provenance/vendor',
      { schema: { querystring: z.strictObject({ origin: z.string().min(1).max(256) }), tags: ['provenance'], summary: 'who a vendor is and who owns it, with sources' } },
      async (request) => {
        const record = steward.vendors.get(request.query.origin);
        const graph = steward.graph();
        const asOf = today();
        const matches = resolveVendor(graph, descriptorOf(record));
        const first = matches[0];
        const report = first ? describeEntity(graph, first.entityId, asOf) : undefined;
        return {
          vendor: { origin: record.origin, displayName: record.displayName, status: record.status, verificationLevel: record.verificationLevel, registry: record.registry, declaredOwners: record.owners, declaredAffiliations: record.affiliations },
          asOf,
          matches,
          ...(report ? { entity: { id: report.entity.id, name: report.entity.name } } : {}),
          paths: report ? report.owners.map((o) => ({ owner: { id: o.id, name: o.name }, path: o.path })) : [],
          ultimate: report?.ultimate ?? [],
          paidPlacements: report?.paidPlacements ?? [],
          graph: graphAround(graph, matches.map((x) => x.entityId), asOf),
        };
      },
    );
  };
}
