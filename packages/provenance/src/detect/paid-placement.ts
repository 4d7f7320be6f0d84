import type { Flag } from '@steward/protocol';
import { vendorDates } from './affiliated-counterparty.ts';
import { flag, type DetectionContext } from './context.ts';

/**
 * Flags every offer labelled sponsored (the label is never stripped), and every vendor that the
 * graph records as selling paid placement (sponsored listings) itself.
 */
export function detectPaidPlacement(ctx: DetectionContext): Flag[] {
  const flags: Flag[] = [];
  for (const offer of ctx.input.offers) {
    if (!offer.sponsored) continue;
    flags.push(
      flag({
        kind: 'paid_placement',
        severity: 'warning',
        summary: `offer ${offer.offerId} from ${ctx.vendor(offer.vendor).displayName} is a paid placement (labelled sponsored by the vendor)`,
        confidence: 1,
        vendor: offer.vendor,
        offerId: offer.offerId,
        evidence: [],
        notes: ['the vendor signed `sponsored: true` in this offer'],
      }),
    );
  }
  for (const [origin, date] of vendorDates(ctx)) {
    const view = ctx.view(origin, date);
    // Only the vendor's own entity: a parent selling ads elsewhere does not make this shop's listings paid.
    for (const id of view.resolved ? view.roots : []) {
      const facts = ctx.graph.paidPlacementsOf(id);
      if (facts.length === 0) continue;
      flags.push(
        flag({
          kind: 'paid_placement',
          severity: 'info',
          summary: `${view.vendor.displayName} sells paid placement: its listings may be sponsored`,
          confidence: 0.9,
          vendor: origin,
          evidence: [],
          notes: [
            ...ctx.resolutionNotes(view),
            ...facts.map(
              (f) =>
                `${ctx.nameOf(id)}: ${f.kind} — ${f.source}${f.sourceUrl ? ` (${f.sourceUrl})` : ''} [${f.origin}${f.retrievedAt ? `, retrieved ${f.retrievedAt}` : ''}]`,
            ),
          ],
        }),
      );
    }
  }
  return flags;
}
