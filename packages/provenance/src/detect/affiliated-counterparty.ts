import type { Flag } from '@steward/protocol';
import { flag, type DetectionContext } from './context.ts';

/**
 * Flags each vendor that is the agent's maker, operator or model provider, shares an owner with
 * one of them, or is tied to one by money (paid partner, affiliate fee), as of the date of its
 * first offer. Evidence: the edges from the vendor and from the agent party up to the shared entity.
 */
export function detectAffiliatedCounterparty(ctx: DetectionContext): Flag[] {
  const flags: Flag[] = [];
  for (const [origin, date] of vendorDates(ctx)) {
    const aff = ctx.affiliation(origin, date);
    if (!aff) continue;
    const view = ctx.view(origin, date);
    const party = ctx.partyWords(aff.party);
    const partyName = ctx.nameOf(ctx.agentRootOf(aff.party));
    const via = ctx.nameOf(aff.via);
    const text =
      aff.kind === 'same_entity'
        ? `${view.vendor.displayName} is ${via}, your agent's ${party}`
        : aff.kind === 'money_tie'
          ? `${view.vendor.displayName} and your agent's ${party} ${partyName} are tied by money through ${via}`
          : aff.via === ctx.agentRootOf(aff.party)
            ? `${view.vendor.displayName} is owned by ${via}, your agent's ${party}`
            : `${view.vendor.displayName} and your agent's ${party} ${partyName} share an owner: ${via}`;
    flags.push(
      flag({
        kind: 'affiliated_counterparty',
        severity: 'warning',
        summary: `${text} (as of ${date})`,
        confidence: aff.confidence,
        vendor: origin,
        evidence: ctx.evidence(aff.edges),
        notes: ctx.resolutionNotes(view),
      }),
    );
  }
  return flags;
}

/** Each vendor with an offer, at the date of its first offer; vendors without offers at `asOf`. */
export function vendorDates(ctx: DetectionContext): Map<string, string> {
  const out = new Map<string, string>();
  for (const o of ctx.input.offers) if (!out.has(o.vendor)) out.set(o.vendor, ctx.dateOf(o.iat));
  for (const v of ctx.input.vendors) if (!out.has(v.origin)) out.set(v.origin, ctx.input.asOf);
  return out;
}
