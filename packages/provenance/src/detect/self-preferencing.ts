import type { Flag } from '@steward/protocol';
import { flag, type DetectionContext } from './context.ts';

/** The numbers behind a self-preferencing judgement. */
export interface SelfPreferencingStats {
  rounds: number;
  affiliatedPicks: number;
  /** Picks of affiliated vendors expected if the agent picked uniformly among the offers seen. */
  expectedPicks: number;
  pickShare: number;
  offerShare: number;
  z: number;
}

/**
 * Compares the share of affiliated picks with the share of affiliated offers seen, over the
 * history the caller passes: a one-sided z-test against picking uniformly among offers
 * (Poisson-binomial variance), flagged above `selfPreferencingZ` with at least
 * `minSelfPreferencingSample` rounds and an excess share of at least `selfPreferencingMargin`.
 */
export function measureSelfPreferencing(ctx: DetectionContext): SelfPreferencingStats {
  const history = ctx.input.history ?? [];
  let rounds = 0;
  let affiliatedPicks = 0;
  let expected = 0;
  let variance = 0;
  for (const round of history) {
    const date = round.asOf ?? ctx.input.asOf;
    const offered = [...new Set(round.offeredVendors)];
    if (offered.length === 0 || !offered.includes(round.pickedVendor)) continue;
    const affiliated = offered.filter((v) => ctx.affiliation(v, date) !== null).length;
    const p = affiliated / offered.length;
    rounds++;
    expected += p;
    variance += p * (1 - p);
    if (ctx.affiliation(round.pickedVendor, date) !== null) affiliatedPicks++;
  }
  const z = variance > 0 ? (affiliatedPicks - expected) / Math.sqrt(variance) : 0;
  return {
    rounds,
    affiliatedPicks,
    expectedPicks: expected,
    pickShare: rounds === 0 ? 0 : affiliatedPicks / rounds,
    offerShare: rounds === 0 ? 0 : expected / rounds,
    z,
  };
}

/** Flags an agent that picks vendors affiliated with its own side more often than chance explains. */
export function detectSelfPreferencing(ctx: DetectionContext): Flag[] {
  const s = measureSelfPreferencing(ctx);
  const { minSelfPreferencingSample, selfPreferencingZ, selfPreferencingMargin } = ctx.options;
  if (
    s.rounds < minSelfPreferencingSample ||
    s.z < selfPreferencingZ ||
    s.pickShare - s.offerShare < selfPreferencingMargin
  )
    return [];
  const pct = (x: number): string => `${Math.round(x * 100)}%`;
  const evidence = new Map<string, ReturnType<DetectionContext['evidence']>>();
  for (const round of ctx.input.history ?? []) {
    const aff = ctx.affiliation(round.pickedVendor, round.asOf ?? ctx.input.asOf);
    if (aff && !evidence.has(round.pickedVendor) && evidence.size < 8)
      evidence.set(round.pickedVendor, ctx.evidence(aff.edges));
  }
  return [
    flag({
      kind: 'self_preferencing',
      severity: 'warning',
      summary: `your agent picked affiliated vendors in ${pct(s.pickShare)} of ${s.rounds} negotiations, while they made ${pct(s.offerShare)} of the offers it saw`,
      // One-sided normal tail as a rough strength of the evidence, capped below certainty.
      confidence: Math.min(0.99, 1 - 0.5 * Math.exp(-0.717 * s.z - 0.416 * s.z * s.z)),
      evidence: [...evidence.values()].flat().slice(0, 64),
      notes: [
        `affiliated picks: ${s.affiliatedPicks}, expected by chance: ${s.expectedPicks.toFixed(1)}, z = ${s.z.toFixed(2)}`,
        ...[...evidence.keys()].map((v) => `affiliated vendor picked: ${v}`),
      ],
    }),
  ];
}
