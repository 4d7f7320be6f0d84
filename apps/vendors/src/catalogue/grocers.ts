import type { Fee } from '@steward/protocol';
import { grocerCatalogue } from './grocery-base.ts';
import type { VendorProfile } from './types.ts';
import { deliverySlot } from './windows.ts';

const usd = (amountMinor: number) => ({ amountMinor, currency: 'USD' });

const ORBIT_RETAIL_GROUP = { name: 'Orbit Retail Group Inc.', entityId: 'orbit-retail-group', domain: 'orbitretail.example' };

const groceryRequired = ['name', 'address'] as const;

const grocerySkills = (store: string) => [
  {
    id: 'grocery-quote',
    name: 'Grocery quotes and delivery',
    description: `Quotes a grocery basket from ${store}'s catalogue with delivery, answers counter-offers, and takes signed orders. Orders need the name and delivery address.`,
    tags: ['groceries', 'delivery', 'quote'],
    examples: ['milk, eggs, bread and bananas delivered Saturday'],
  },
];

/**
 * QuickBasket: a convenient grocery delivery service, secretly owned by Orbit Retail Group (the
 * maker of the demo personal agent). Its card discloses no owner; the registry knows better.
 */
export const QUICKBASKET: VendorProfile = {
  id: 'quickbasket',
  name: 'QuickBasket',
  description: 'Groceries delivered in a two-hour window, seven days a week.',
  category: 'groceries',
  legalEntity: { name: 'QuickBasket Delivery LLC', entityId: 'quickbasket', domain: 'quickbasket.example' },
  disclosedOwners: [],
  affiliations: [],
  payout: { payoutId: 'ocr:payout:qb-7f3a91', holder: 'QuickBasket Delivery LLC' },
  terms: [
    'QuickBasket terms of sale (v2026-09).',
    'Prices include all item costs; the delivery fee and service fee are shown on the quote.',
    'Delivery in the two-hour window on the quote. Missing or damaged items are refunded to the original payment within 5 business days.',
    'Perishables may be substituted with an item of equal or greater value at no extra cost unless you decline substitutions.',
    'No subscription is created by an order.',
  ].join('\n'),
  catalogue: grocerCatalogue({ skuPrefix: 'QB', markupBps: 10_600, floorBps: 9_000 }),
  fees: ({ listSubtotalMinor }): Fee[] => [
    { kind: 'delivery', label: 'Delivery (2-hour window)', amount: usd(listSubtotalMinor >= 3500 ? 399 : 599) },
    { kind: 'service', label: 'Service fee', amount: usd(Math.min(399, Math.max(199, Math.round(listSubtotalMinor * 0.05)))) },
  ],
  maxRounds: 3,
  requiredData: groceryRequired,
  skills: grocerySkills('QuickBasket'),
  windowFor: (c, now) => deliverySlot(c, now, 16, 2),
};

/** Green Valley Co-op: a member-owned grocery co-op; discloses no owners, no paid placement. */
export const GREEN_VALLEY: VendorProfile = {
  id: 'green-valley',
  name: 'Green Valley Co-op',
  description: 'A member-owned grocery co-op. Local produce, fair prices, delivery on weekdays and Saturdays.',
  category: 'groceries',
  legalEntity: { name: 'Green Valley Cooperative Grocery', entityId: 'green-valley-coop', domain: 'greenvalley.example' },
  disclosedOwners: [],
  affiliations: [],
  payout: { payoutId: 'ocr:payout:gv-20c4e8', holder: 'Green Valley Cooperative Grocery' },
  terms: [
    'Green Valley Co-op terms of sale.',
    'Member-owned cooperative; no owner outside its members. We take no paid placements.',
    'Delivery is free on baskets of $60 or more, otherwise $4.99. No service fee.',
    'Returns: anything unsatisfactory is refunded, no questions asked, within 7 days.',
    'No subscription is created by an order.',
  ].join('\n'),
  catalogue: grocerCatalogue({ skuPrefix: 'GV', markupBps: 10_000, floorBps: 9_300, rename: { 'EGGS-12-L': 'Pasture-raised eggs (local farm)' } }),
  fees: ({ listSubtotalMinor }): Fee[] => (listSubtotalMinor >= 6000 ? [] : [{ kind: 'delivery', label: 'Delivery', amount: usd(499) }]),
  maxRounds: 2,
  requiredData: groceryRequired,
  skills: grocerySkills('Green Valley Co-op'),
  windowFor: (c, now) => deliverySlot(c, now, 14, 3),
};

/** MegaMart's ad partner, which pays for "featured" placement of partner brands. */
export const BRIGHTSHELF_MEDIA = { name: 'BrightShelf Media Inc.', entityId: 'brightshelf-media', domain: 'brightshelf.example' };

/**
 * MegaMart: a grocery chain. Some items are paid placements (disclosed `sponsored: true`), and
 * its card declares its ad partner as a `paid_partner` affiliation.
 */
export const MEGAMART: VendorProfile = {
  id: 'megamart',
  name: 'MegaMart',
  description: 'Everyday low prices on thousands of groceries and household goods, delivered.',
  category: 'groceries',
  legalEntity: { name: 'MegaMart Stores Inc.', entityId: 'megamart', domain: 'megamart.example' },
  disclosedOwners: [],
  affiliations: [{ entity: BRIGHTSHELF_MEDIA, relation: 'paid_partner' }],
  payout: { payoutId: 'ocr:payout:mm-55d019', holder: 'MegaMart Stores Inc.' },
  terms: [
    'MegaMart online grocery terms.',
    'Items marked featured are paid placements by brand partners through BrightShelf Media.',
    'A $2.99 service fee applies to every order; delivery is $6.99, or $3.99 on orders over $50.',
    'Returns within 30 days with the receipt.',
    'No subscription is created by an order.',
  ].join('\n'),
  catalogue: grocerCatalogue({
    skuPrefix: 'MM',
    markupBps: 9_800,
    floorBps: 8_800,
    rename: { 'COFFEE-GRD': 'Summit Peak coffee, medium roast (featured)', 'CEREAL-GRN': 'Crunchy Sun granola (featured)', 'OJ-52': 'SunGrove orange juice (featured)' },
    sponsored: { 'COFFEE-GRD': 2_500, 'CEREAL-GRN': 1_800, 'OJ-52': 1_200 },
  }),
  fees: ({ listSubtotalMinor }): Fee[] => [
    { kind: 'delivery', label: 'Delivery', amount: usd(listSubtotalMinor > 5000 ? 399 : 699) },
    { kind: 'service', label: 'Service fee', amount: usd(299) },
  ],
  maxRounds: 3,
  requiredData: groceryRequired,
  skills: grocerySkills('MegaMart'),
  windowFor: (c, now) => deliverySlot(c, now, 18, 4),
};

export { ORBIT_RETAIL_GROUP };

/**
 * Bargain Hub: a discount grocer that looks cheapest. It is the demo's hostile vendor: with an
 * `attack` set, it performs one THREATS.md attack (see `src/hostile/`); without one it behaves.
 */
export const BARGAIN_HUB: VendorProfile = {
  id: 'bargain-hub',
  name: 'Bargain Hub',
  description: 'Rock-bottom grocery prices, delivered.',
  category: 'groceries',
  legalEntity: { name: 'Bargain Hub Trading Ltd', entityId: 'bargain-hub', domain: 'bargainhub.example' },
  disclosedOwners: [],
  affiliations: [],
  payout: { payoutId: 'ocr:payout:bh-0d6f3c', holder: 'Bargain Hub Trading Ltd' },
  terms: [
    'Bargain Hub terms of sale.',
    'All sales final. Delivery $5.99.',
    'No subscription is created by an order.',
  ].join('\n'),
  catalogue: grocerCatalogue({ skuPrefix: 'BH', markupBps: 9_200, floorBps: 9_000 }),
  fees: (): Fee[] => [{ kind: 'delivery', label: 'Delivery', amount: usd(599) }],
  maxRounds: 3,
  requiredData: groceryRequired,
  skills: grocerySkills('Bargain Hub'),
  windowFor: (c, now) => deliverySlot(c, now, 12, 6),
};
