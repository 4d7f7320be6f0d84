import type { Fee } from '@steward/protocol';
import type { CatalogueItem, VendorProfile, Window } from './types.ts';

const usd = (amountMinor: number) => ({ amountMinor, currency: 'USD' });

const item = (sku: string, name: string, unit: string, priceMinor: number, floorMinor: number, keywords: string[]): CatalogueItem => ({
  sku,
  name,
  unit,
  priceMinor,
  floorMinor,
  keywords,
});

const CATALOGUE: CatalogueItem[] = [
  item('TS-TABLE', 'Table booking', 'per table', 0, 0, ['table', 'booking', 'reservation', 'dinner', 'lunch', 'book']),
  item('TS-GIORNO', 'Menu del giorno (3 courses)', 'per person', 3800, 3400, ['menu del giorno', 'set menu', 'three course', '3 course']),
  item('TS-TASTING', "Chef's tasting menu (6 courses)", 'per person', 6800, 6200, ['tasting menu', 'tasting', 'chef']),
  item('TS-TASTING-VEG', 'Vegetarian tasting menu (6 courses)', 'per person', 6200, 5600, ['vegetarian tasting', 'vegetarian', 'veggie']),
  item('TS-WINE-PAIR', 'Wine pairing for the tasting menu', 'per person', 3900, 3500, ['wine pairing', 'wine']),
  item('TS-SUNDAY', 'Sunday family lunch', 'per person', 4500, 4000, ['sunday lunch', 'family lunch']),
  item('TS-KIDS', "Children's menu", 'per child', 1600, 1600, ['kids', 'children', 'child']),
  item('TS-ANTIPASTI', 'Antipasti platter for the table', 'per platter', 2400, 2200, ['antipasti', 'starter', 'platter']),
  item('TS-TRUFFLE', 'Fresh truffle supplement', 'per dish', 1800, 1800, ['truffle']),
  item('TS-GF', 'Gluten-free pasta', 'per dish', 300, 300, ['gluten free', 'gluten-free']),
  item('TS-PROSECCO', 'Bottle of Prosecco on arrival', 'per bottle', 4200, 3800, ['prosecco', 'bubbly', 'sparkling']),
  item('TS-CAKE', 'Celebration cake (serves 6)', 'each', 3200, 3000, ['cake', 'birthday', 'celebration', 'anniversary']),
  item('TS-APERITIVO', 'Aperitivo (two drinks and cicchetti)', 'per person', 2200, 2000, ['aperitivo', 'drinks']),
  item('TS-LIMONCELLO', 'Limoncello tasting', 'per person', 1400, 1200, ['limoncello', 'digestif']),
  item('TS-CORKAGE', 'Corkage', 'per bottle', 2500, 2000, ['corkage', 'own wine']),
  item('TS-PRIVATE', 'Private room hire (up to 12 guests)', 'per evening', 15000, 12000, ['private room', 'private dining']),
  item('TS-PASTA-CLASS', 'Pasta-making workshop (Saturday 11:00)', 'per person', 7500, 6800, ['pasta class', 'workshop', 'cooking class']),
  item('TS-VOUCHER-50', 'Gift voucher, $50', 'each', 5000, 5000, ['voucher', 'gift card']),
];

const OPEN_HOUR_UTC = 12;
const LAST_SEATING_HOUR_UTC = 22;
const MAX_PARTY = 12;

function reservationWindow(reservationAt: string | undefined, partySize: number | undefined, nowMs: number): Window | { refuse: string } {
  if (reservationAt === undefined) return { refuse: 'a booking needs `reservationAt`' };
  if (partySize === undefined) return { refuse: 'a booking needs `partySize`' };
  if (partySize > MAX_PARTY) return { refuse: `parties above ${MAX_PARTY} need the private room; call the restaurant` };
  const at = Date.parse(reservationAt);
  if (at <= nowMs) return { refuse: 'the requested time has passed' };
  const d = new Date(at);
  if (d.getUTCDay() === 1) return { refuse: 'the restaurant is closed on Mondays' };
  const hour = d.getUTCHours() + d.getUTCMinutes() / 60;
  if (hour < OPEN_HOUR_UTC || hour > LAST_SEATING_HOUR_UTC) return { refuse: 'seatings are from 12:00 to 22:00' };
  return { start: d.toISOString(), end: new Date(at + 2 * 3_600_000).toISOString() };
}

/** Trattoria Sole: a restaurant taking table bookings with a per-guest deposit. */
export const TRATTORIA_SOLE: VendorProfile = {
  id: 'trattoria-sole',
  name: 'Trattoria Sole',
  description: 'Neighbourhood Italian trattoria: handmade pasta, wood-fired mains, bookings for 1 to 12 guests.',
  category: 'restaurant',
  legalEntity: { name: 'Sole Hospitality LLC', entityId: 'trattoria-sole', domain: 'trattoriasole.example' },
  disclosedOwners: [],
  affiliations: [],
  payout: { payoutId: 'ocr:payout:ts-9b1e02', holder: 'Sole Hospitality LLC' },
  terms: [
    'Trattoria Sole booking terms.',
    'A deposit of $15 per guest secures the table and is deducted from the bill.',
    'Cancel up to 24 hours before the booking for a full refund of the deposit; later cancellations and no-shows forfeit it.',
    'Tables are held for 15 minutes after the booking time.',
  ].join('\n'),
  catalogue: CATALOGUE,
  fees: ({ constraints }): Fee[] => [{ kind: 'deposit', label: 'Deposit, deducted from the bill', amount: usd(1500 * (constraints.partySize ?? 1)) }],
  maxRounds: 1,
  requiredData: ['name'],
  skills: [
    {
      id: 'table-booking',
      name: 'Table bookings',
      description: 'Books a table (party size and time) with optional set menus; a per-guest deposit holds it. Bookings need a name.',
      tags: ['restaurant', 'booking', 'italian'],
      examples: ['table for 2 on Friday at 19:30'],
    },
  ],
  defaultItem: (items) => items.find((i) => i.sku === 'TS-TABLE'),
  windowFor: (c, now) => reservationWindow(c.reservationAt, c.partySize, now),
};
