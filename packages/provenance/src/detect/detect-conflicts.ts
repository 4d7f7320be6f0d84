import type { Flag } from '@steward/protocol';
import type { AffiliationGraph } from '../graph/snapshot.ts';
import { detectAffiliatedCounterparty } from './affiliated-counterparty.ts';
import { detectConfusableName } from './confusable-name.ts';
import { DetectionContext } from './context.ts';
import { detectPaidPlacement } from './paid-placement.ts';
import { detectUndisclosedAffiliation } from './undisclosed-affiliation.ts';
import { detectSelfPreferencing } from './self-preferencing.ts';
import { detectStaleProvenance } from './stale-provenance.ts';
import { detectSteering } from './steering.ts';
import { detectSybil } from './sybil.ts';
import type { DetectionInput, DetectionOptions } from './types.ts';

/**
 * Runs every conflict-of-interest detector over one negotiation and returns their flags, each
 * with its evidence path. Pure: reads the in-memory graph snapshot and the input only.
 * @see ../../../docs/provenance.md
 */
export function detectConflicts(
  graph: AffiliationGraph,
  input: DetectionInput,
  options: DetectionOptions = {},
): Flag[] {
  const ctx = new DetectionContext(graph, input, options);
  return [
    ...detectAffiliatedCounterparty(ctx),
    ...detectUndisclosedAffiliation(ctx),
    ...detectPaidPlacement(ctx),
    ...detectSteering(ctx),
    ...detectSelfPreferencing(ctx),
    ...detectSybil(ctx),
    ...detectConfusableName(ctx),
    ...detectStaleProvenance(ctx),
  ];
}
