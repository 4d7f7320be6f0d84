import type { RequestedItem } from '@steward/protocol';
import type { CatalogueItem } from '../catalogue/types.ts';

/** Lowercase words and spaces only, so matching ignores punctuation and case. */
function normalise(text: string): string {
  return ` ${text.toLowerCase().replace(/[^a-z0-9]+/g, ' ').trim()} `;
}

/**
 * The catalogue item that answers a requested item: an exact SKU first, else the item whose
 * keywords cover the most of the description (longest phrases win; ties go to the lower price,
 * then the SKU, so the choice is deterministic). Undefined when nothing matches.
 */
export function matchItem(request: RequestedItem, catalogue: readonly CatalogueItem[]): CatalogueItem | undefined {
  if (request.sku !== undefined) {
    const exact = catalogue.find((c) => c.sku === request.sku);
    if (exact) return exact;
  }
  const text = normalise(request.description);
  let best: { item: CatalogueItem; score: number } | undefined;
  for (const item of catalogue) {
    let score = 0;
    for (const k of item.keywords) if (text.includes(normalise(k))) score += k.length;
    if (score === 0) continue;
    if (
      !best ||
      score > best.score ||
      (score === best.score && (item.priceMinor < best.item.priceMinor || (item.priceMinor === best.item.priceMinor && item.sku < best.item.sku)))
    ) {
      best = { item, score };
    }
  }
  return best?.item;
}
