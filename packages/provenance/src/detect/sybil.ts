import type { Flag } from '@steward/protocol';
import type { GraphEdge } from '../graph/types.ts';
import { flag, pathConfidence, type DetectionContext } from './context.ts';

/**
 * Flags offers presented as rivals that come from one party: distinct vendor origins sharing a
 * key thumbprint, a payout identity (the vendor's or an offer's payee) or an ultimate owner as of
 * the offer dates. One flag per member of a cluster, each naming every link.
 */
export function detectSybil(ctx: DetectionContext): Flag[] {
  const origins = [...new Set(ctx.input.offers.map((o) => o.vendor))];
  if (origins.length < 2) return [];
  const parent = new Map(origins.map((o) => [o, o]));
  const find = (x: string): string => {
    let r = x;
    while (parent.get(r) !== r) r = parent.get(r)!;
    parent.set(x, r);
    return r;
  };
  const links: { a: string; b: string; why: string; edges: GraphEdge[]; confidence: number }[] = [];
  const link = (a: string, b: string, why: string, edges: GraphEdge[], confidence: number): void => {
    links.push({ a, b, why, edges, confidence });
    parent.set(find(a), find(b));
  };
  const dates = new Map<string, string>();
  for (const o of ctx.input.offers) if (!dates.has(o.vendor)) dates.set(o.vendor, ctx.dateOf(o.iat));
  const byKey = new Map<string, string>();
  const byPayout = new Map<string, string>();
  const byOwner = new Map<string, { origin: string; path: GraphEdge[]; c: number }>();
  const payouts = new Map<string, Set<string>>();
  for (const o of ctx.input.offers) {
    const set = payouts.get(o.vendor) ?? new Set<string>();
    const v = ctx.vendor(o.vendor);
    if (v.payoutId) set.add(v.payoutId);
    if (o.payee) set.add(o.payee.payoutId);
    payouts.set(o.vendor, set);
  }
  for (const origin of origins) {
    const v = ctx.vendor(origin);
    if (v.keyThumbprint) {
      const other = byKey.get(v.keyThumbprint);
      if (other !== undefined)
        link(other, origin, `${other} and ${origin} sign with the same key (${v.keyThumbprint})`, [], 0.99);
      else byKey.set(v.keyThumbprint, origin);
    }
    for (const p of payouts.get(origin) ?? []) {
      const other = byPayout.get(p);
      if (other !== undefined && other !== origin)
        link(other, origin, `${other} and ${origin} are paid to the same payout identity (${p})`, [], 0.95);
      else byPayout.set(p, origin);
    }
    const view = ctx.view(origin, dates.get(origin) ?? ctx.input.asOf);
    if (!view.resolved) continue;
    const conf = Math.max(...view.matches.map((m) => m.confidence));
    for (const u of view.ultimate) {
      const path = view.factReach.get(u) ?? [];
      const other = byOwner.get(u);
      if (other !== undefined && other.origin !== origin) {
        link(
          other.origin,
          origin,
          `${other.origin} and ${origin} have the same ultimate owner: ${ctx.nameOf(u)}`,
          [...other.path, ...path],
          Math.min(other.c, pathConfidence(conf, path)),
        );
      } else byOwner.set(u, { origin, path, c: pathConfidence(conf, path) });
    }
  }
  const clusters = new Map<string, string[]>();
  for (const o of origins) {
    const r = find(o);
    clusters.set(r, [...(clusters.get(r) ?? []), o]);
  }
  const flags: Flag[] = [];
  for (const members of clusters.values()) {
    if (members.length < 2) continue;
    const inside = links.filter((l) => members.includes(l.a));
    const offers = ctx.input.offers.filter((o) => members.includes(o.vendor)).map((o) => o.offerId);
    // Every member carries the flag (THREATS #27): a policy that asks on sybil competition must
    // ask whichever of the cluster's offers is picked, not only the first member's.
    for (const member of members) {
      flags.push(
        flag({
          kind: 'sybil_competition',
          severity: 'warning',
          summary: `${members.length} vendors presented as rivals are one party: ${members.map((m) => ctx.vendor(m).displayName).join(', ')}`,
          confidence: Math.max(...inside.map((l) => l.confidence)),
          vendor: member,
          evidence: ctx.evidence(inside.flatMap((l) => l.edges)),
          notes: [...inside.map((l) => l.why), `offers: ${offers.join(', ')}`],
          related: members.filter((m) => m !== member),
        }),
      );
    }
  }
  return flags;
}
