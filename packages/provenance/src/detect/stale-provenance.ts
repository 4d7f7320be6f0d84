import type { Flag } from '@steward/protocol';
import type { GraphEdge } from '../graph/types.ts';
import { vendorDates } from './affiliated-counterparty.ts';
import { flag, type DetectionContext } from './context.ts';

const DAY_MS = 86_400_000;

/**
 * Flags a vendor that resolves to no known entity (nothing it says about itself can be checked),
 * and a vendor whose ownership facts were retrieved longer ago than `staleAfterDays` (or at an
 * unknown time), so the person knows how old the evidence is.
 */
export function detectStaleProvenance(ctx: DetectionContext): Flag[] {
  const flags: Flag[] = [];
  const limitMs = ctx.options.staleAfterDays * DAY_MS;
  for (const [origin, date] of vendorDates(ctx)) {
    const view = ctx.view(origin, date);
    if (!view.resolved) {
      flags.push(
        flag({
          kind: 'stale_provenance',
          severity: 'info',
          summary: `${view.vendor.displayName} (${origin}) matches no known legal entity: who owns it cannot be checked`,
          confidence: 1,
          vendor: origin,
          evidence: [],
          notes: [
            `no entity holds the domain ${view.domain ?? '(none: IP address or local host)'}${view.vendor.legalEntity?.lei ? ` or LEI ${view.vendor.legalEntity.lei}` : ''}${view.vendor.credential ? '' : ', and no registry credential was presented'}`,
          ],
        }),
      );
      continue;
    }
    const old: GraphEdge[] = [];
    const seen = new Set<GraphEdge>();
    const consider = (e: GraphEdge): void => {
      if (seen.has(e) || e.origin === 'declared') return;
      seen.add(e);
      const at = e.retrievedAt === undefined ? Number.NaN : Date.parse(e.retrievedAt);
      if (Number.isNaN(at) || ctx.input.nowMs - at > limitMs) old.push(e);
    };
    for (const path of view.factReach.values()) path.forEach(consider);
    for (const { edge } of view.moneyTies) consider(edge);
    if (old.length === 0) continue;
    const oldest = old.map((e) => e.retrievedAt ?? 'unknown').sort()[0]!;
    flags.push(
      flag({
        kind: 'stale_provenance',
        severity: 'info',
        summary: `${old.length} ownership fact${old.length > 1 ? 's' : ''} about ${view.vendor.displayName} ${old.length > 1 ? 'are' : 'is'} older than ${ctx.options.staleAfterDays} days (oldest retrieved ${oldest})`,
        confidence: 1,
        vendor: origin,
        evidence: ctx.evidence(old),
        notes: ctx.resolutionNotes(view),
      }),
    );
  }
  return flags;
}
