import type { DeclaredAffiliation, Flag } from '@steward/protocol';
import type { GraphEdge } from '../graph/types.ts';
import { resolveEntityRef } from '../resolve/entity.ts';
import { vendorDates } from './affiliated-counterparty.ts';
import { flag, pathConfidence, type DetectionContext } from './context.ts';

const plain = (s: string): string => s.normalize('NFKC').toLowerCase().replace(/\s+/g, ' ').trim();

/**
 * Flags a vendor whose signed disclosure (card owners and affiliations) omits a direct owner, an
 * ultimate owner or a money tie that the graph or a registry credential records, as of the date
 * of its first offer. Facts the vendor itself declared never count as the truth it is checked against.
 */
export function detectUndisclosedAffiliation(ctx: DetectionContext): Flag[] {
  const flags: Flag[] = [];
  for (const [origin, date] of vendorDates(ctx)) {
    const view = ctx.view(origin, date);
    if (!view.resolved) continue;
    const declared = [...view.vendor.declaredOwners, ...view.vendor.declaredAffiliations];
    const ids = new Set<string>();
    const names = new Set<string>();
    for (const d of declared) {
      for (const m of resolveEntityRef(ctx.graph, d.entity)) ids.add(m.entityId);
      names.add(plain(d.entity.name));
    }
    const disclosed = (id: string): boolean => {
      if (ids.has(id)) return true;
      const e = ctx.graph.entity(id);
      return e !== undefined && [e.name, ...(e.aliases ?? [])].some((n) => names.has(plain(n)));
    };
    const roots = new Set(view.roots);
    // Required: every direct owner, every ultimate owner, and every money tie of the vendor itself.
    const required = new Map<string, GraphEdge[]>();
    for (const [id, path] of view.factReach) {
      if (roots.has(id)) continue;
      if (path.length === 1 || view.ultimate.has(id)) required.set(id, path);
    }
    for (const { edge, path } of view.moneyTies) {
      if (path.length === 0 && edge.origin !== 'declared' && !roots.has(edge.parent))
        required.set(edge.parent, [edge]);
    }
    const missing = [...required].filter(([id]) => !disclosed(id));
    if (missing.length === 0) continue;
    const edges = dedupe(missing.flatMap(([, p]) => p));
    const who = missing.map(([id]) => ctx.nameOf(id)).join(', ');
    flags.push(
      flag({
        kind: 'undisclosed_affiliation',
        severity: 'warning',
        summary: `${view.vendor.displayName} does not disclose ${who} in its signed card (as of ${date})`,
        confidence: Math.min(
          ...missing.map(([, p]) => pathConfidence(Math.max(...view.matches.map((m) => m.confidence)), p)),
        ),
        vendor: origin,
        evidence: ctx.evidence(edges),
        notes: [
          ...ctx.resolutionNotes(view),
          `declared: ${declared.length === 0 ? 'nothing' : declared.map(describe).join('; ')}`,
        ],
      }),
    );
  }
  return flags;
}

function describe(d: DeclaredAffiliation): string {
  return `${d.relation} ${d.entity.name}`;
}

function dedupe(edges: GraphEdge[]): GraphEdge[] {
  const seen = new Set<GraphEdge>();
  return edges.filter((e) => (seen.has(e) ? false : (seen.add(e), true)));
}
