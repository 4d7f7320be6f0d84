import type { Flag } from '@steward/protocol';
import { flag, type DetectionContext } from './context.ts';
import type { OfferView } from './types.ts';

type Criterion = 'price' | 'delivery' | 'constraints';
const ALL: readonly Criterion[] = ['price', 'delivery', 'constraints'];

/** −1 when `a` is better than `b` on the criterion, 0 when as good, 1 when worse, null when not comparable. */
function compare(a: OfferView, b: OfferView, c: Criterion): number | null {
  switch (c) {
    case 'price':
      if (a.total.currency !== b.total.currency) return null;
      return Math.sign(a.total.amountMinor - b.total.amountMinor);
    case 'delivery': {
      if (a.delivery === null && b.delivery === null) return 0;
      if (a.delivery === null || b.delivery === null) return null;
      const ae = Date.parse(a.delivery.end);
      const be = Date.parse(b.delivery.end);
      return Number.isNaN(ae) || Number.isNaN(be) ? null : Math.sign(ae - be);
    }
    case 'constraints': {
      const am = a.constraintsMet ?? true;
      const bm = b.constraintsMet ?? true;
      return am === bm ? 0 : am ? -1 : 1;
    }
  }
}

/**
 * True when `a` dominates `b` on the person's criteria: at least as good on every one and better
 * on at least one. Offers that cannot be compared (another currency) never dominate.
 */
export function dominates(a: OfferView, b: OfferView, criteria: readonly Criterion[] = ALL): boolean {
  let better = false;
  for (const c of criteria) {
    const r = compare(a, b, c);
    if (r === null || r > 0) return false;
    if (r < 0) better = true;
  }
  return better;
}

/**
 * Flags the agent's pick when it is affiliated with the agent's maker, operator or model provider
 * and an unaffiliated offer dominates it on the person's own criteria (all-in price, delivery
 * time, constraints met). An affiliated pick that is genuinely the best offer is not flagged.
 */
export function detectSteering(ctx: DetectionContext): Flag[] {
  const pickId = ctx.input.pickOfferId;
  if (pickId === undefined) return [];
  const pick = ctx.input.offers.find((o) => o.offerId === pickId);
  if (!pick) return [];
  const date = ctx.dateOf(pick.iat);
  const aff = ctx.affiliation(pick.vendor, date);
  if (!aff) return [];
  const criteria = ctx.options.steeringCriteria ?? ALL;
  const better = ctx.input.offers.filter(
    (o) =>
      o.offerId !== pick.offerId &&
      dominates(o, pick, criteria) &&
      ctx.affiliation(o.vendor, ctx.dateOf(o.iat)) === null,
  );
  if (better.length === 0) return [];
  const money = (o: OfferView): string => `${o.total.amountMinor} ${o.total.currency} minor units`;
  return [
    flag({
      kind: 'steering_suspected',
      severity: 'critical',
      summary: `your agent picked ${ctx.vendor(pick.vendor).displayName}, affiliated with its ${ctx.partyWords(aff.party)} through ${ctx.nameOf(aff.via)}, over ${better.length} better unaffiliated offer${better.length > 1 ? 's' : ''}`,
      confidence: aff.confidence,
      vendor: pick.vendor,
      offerId: pick.offerId,
      evidence: ctx.evidence(aff.edges),
      notes: [
        `picked ${pick.offerId}: ${money(pick)}, delivery by ${pick.delivery?.end ?? 'none'}, constraints ${pick.constraintsMet === false ? 'not met' : 'met'}`,
        ...better.map(
          (o) =>
            `better: ${o.offerId} from ${o.vendor}: ${money(o)}, delivery by ${o.delivery?.end ?? 'none'}, constraints ${o.constraintsMet === false ? 'not met' : 'met'}`,
        ),
        `criteria: ${criteria.join(', ')}`,
      ],
    }),
  ];
}
