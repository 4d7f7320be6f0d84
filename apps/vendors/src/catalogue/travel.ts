import { createHash } from 'node:crypto';
import type { Fee, RfqConstraints } from '@steward/protocol';
import type { CatalogueItem, VendorProfile, Window } from './types.ts';

const usd = (amountMinor: number) => ({ amountMinor, currency: 'USD' });

/** Airports SkyTrail sells, with coordinates for a great-circle distance. */
const AIRPORTS: Readonly<Record<string, { city: string; lat: number; lon: number }>> = {
  SFO: { city: 'San Francisco', lat: 37.62, lon: -122.38 },
  LAX: { city: 'Los Angeles', lat: 33.94, lon: -118.41 },
  SEA: { city: 'Seattle', lat: 47.45, lon: -122.31 },
  DEN: { city: 'Denver', lat: 39.86, lon: -104.67 },
  ORD: { city: 'Chicago', lat: 41.98, lon: -87.9 },
  AUS: { city: 'Austin', lat: 30.19, lon: -97.67 },
  JFK: { city: 'New York', lat: 40.64, lon: -73.78 },
  BOS: { city: 'Boston', lat: 42.36, lon: -71.01 },
  MIA: { city: 'Miami', lat: 25.8, lon: -80.29 },
  LHR: { city: 'London', lat: 51.47, lon: -0.45 },
  CDG: { city: 'Paris', lat: 49.01, lon: 2.55 },
  LIS: { city: 'Lisbon', lat: 38.77, lon: -9.13 },
};

/** Resolves `SFO`, `sfo` or a city name to an airport code. */
function airportCode(place: string | undefined): string | undefined {
  if (place === undefined) return undefined;
  const p = place.trim().toLowerCase();
  for (const [code, a] of Object.entries(AIRPORTS)) if (code.toLowerCase() === p || a.city.toLowerCase() === p) return code;
  return undefined;
}

function miles(a: { lat: number; lon: number }, b: { lat: number; lon: number }): number {
  const rad = Math.PI / 180;
  const h = Math.sin(((b.lat - a.lat) * rad) / 2) ** 2 + Math.cos(a.lat * rad) * Math.cos(b.lat * rad) * Math.sin(((b.lon - a.lon) * rad) / 2) ** 2;
  return 3958.8 * 2 * Math.asin(Math.sqrt(h));
}

/** A deterministic 0..1 number from a string (no Math.random: quotes must be repeatable). */
function seeded(text: string): number {
  return createHash('sha256').update(text).digest().readUInt32BE(0) / 0xffffffff;
}

interface Route {
  from: string;
  to: string;
  miles: number;
  departDate: string;
  returnDate: string | undefined;
}

function routeOf(c: RfqConstraints): Route | { refuse: string } {
  const from = airportCode(c.from);
  const to = airportCode(c.to);
  if (from === undefined || to === undefined) return { refuse: `SkyTrail sells flights between ${Object.keys(AIRPORTS).join(', ')}` };
  if (from === to) return { refuse: 'origin and destination are the same' };
  if (c.departDate === undefined) return { refuse: 'a fare quote needs `departDate`' };
  if (c.returnDate !== undefined && c.returnDate < c.departDate) return { refuse: '`returnDate` is before `departDate`' };
  const a = AIRPORTS[from];
  const b = AIRPORTS[to];
  if (!a || !b) return { refuse: 'unknown airport' };
  return { from, to, miles: miles(a, b), departDate: c.departDate, returnDate: c.returnDate };
}

const FARE_CLASSES = [
  { code: 'BASIC', name: 'Basic Economy', factor: 0.85, keywords: ['basic economy', 'basic', 'cheapest'] },
  { code: 'ECON', name: 'Economy', factor: 1, keywords: ['economy', 'flight', 'fare', 'ticket', 'coach'] },
  { code: 'FLEX', name: 'Economy Flex (refundable)', factor: 1.35, keywords: ['flex', 'refundable', 'flexible'] },
  { code: 'PREM', name: 'Premium Economy', factor: 1.8, keywords: ['premium economy', 'premium'] },
  { code: 'BUS', name: 'Business', factor: 3.2, keywords: ['business', 'business class'] },
] as const;

const ADD_ONS: CatalogueItem[] = [
  { sku: 'ST-BAG', name: 'Checked bag (23 kg), each way', unit: 'per traveller', priceMinor: 3500, floorMinor: 3500, keywords: ['checked bag', 'bag', 'luggage', 'suitcase'] },
  { sku: 'ST-SEAT', name: 'Seat selection', unit: 'per traveller', priceMinor: 1800, floorMinor: 1500, keywords: ['seat selection', 'seat', 'window seat', 'aisle seat'] },
  { sku: 'ST-LEGROOM', name: 'Extra-legroom seat', unit: 'per traveller', priceMinor: 4900, floorMinor: 4200, keywords: ['legroom', 'extra legroom'] },
  { sku: 'ST-PRIORITY', name: 'Priority boarding', unit: 'per traveller', priceMinor: 1500, floorMinor: 1200, keywords: ['priority boarding', 'priority'] },
  { sku: 'ST-INSURE', name: 'Travel insurance (trip cancellation)', unit: 'per traveller', priceMinor: 3900, floorMinor: 3500, keywords: ['insurance', 'travel insurance'] },
  { sku: 'ST-LOUNGE', name: 'Airport lounge pass', unit: 'per traveller', priceMinor: 4500, floorMinor: 4000, keywords: ['lounge'] },
  { sku: 'ST-WIFI', name: 'In-flight wi-fi', unit: 'per flight', priceMinor: 1200, floorMinor: 1000, keywords: ['wifi', 'wi-fi', 'internet'] },
  { sku: 'ST-MEAL', name: 'Hot meal', unit: 'per flight', priceMinor: 1500, floorMinor: 1500, keywords: ['meal', 'food'] },
  { sku: 'ST-CARBON', name: 'Carbon offset', unit: 'per traveller', priceMinor: 600, floorMinor: 600, keywords: ['carbon', 'offset'] },
  { sku: 'ST-TRANSFER', name: 'Airport transfer at destination', unit: 'per booking', priceMinor: 4500, floorMinor: 3900, keywords: ['transfer', 'taxi', 'shuttle'] },
  { sku: 'ST-PET', name: 'Small pet in cabin', unit: 'per pet', priceMinor: 12500, floorMinor: 12500, keywords: ['pet', 'dog', 'cat'] },
];

/** The fares for one route and dates: five classes priced by distance, day and season (seeded, repeatable). */
export function faresFor(c: RfqConstraints): CatalogueItem[] | { refuse: string } {
  const r = routeOf(c);
  if ('refuse' in r) return r;
  const depart = new Date(`${r.departDate}T00:00:00Z`);
  const weekend = [0, 5].includes(depart.getUTCDay()) ? 1.15 : 1;
  const jitter = 0.9 + 0.2 * seeded(`${r.from}-${r.to}-${r.departDate}-${r.returnDate ?? ''}`);
  const oneWay = (4900 + r.miles * 11) * weekend * jitter;
  const trip = r.returnDate === undefined ? oneWay : oneWay * 1.9;
  const label = `${r.from}→${r.to}${r.returnDate === undefined ? ' one way' : ' return'}`;
  const fares = FARE_CLASSES.map((f) => {
    const price = Math.round((trip * f.factor) / 100) * 100 - 1;
    return {
      sku: `ST-${f.code}-${r.from}${r.to}`,
      name: `${f.name} fare, ${label}`,
      unit: 'per traveller',
      priceMinor: price,
      floorMinor: Math.ceil(price * 0.94),
      keywords: [...f.keywords],
    };
  });
  return [...fares, ...ADD_ONS];
}

function tripWindow(c: RfqConstraints): Window | { refuse: string } {
  const r = routeOf(c);
  if ('refuse' in r) return r;
  const departHour = 7 + Math.floor(seeded(`${r.from}${r.to}${r.departDate}`) * 12);
  const blockMs = (0.75 + r.miles / 480) * 3_600_000;
  const start = Date.parse(`${r.departDate}T00:00:00Z`) + departHour * 3_600_000;
  const end = r.returnDate === undefined ? start + blockMs : Date.parse(`${r.returnDate}T00:00:00Z`) + (departHour + 2) * 3_600_000 + blockMs;
  return { start: new Date(start).toISOString(), end: new Date(Math.round(end / 60_000) * 60_000).toISOString() };
}

/** SkyTrail Travel: an online travel seller quoting fares and add-ons per route. */
export const SKYTRAIL: VendorProfile = {
  id: 'skytrail',
  name: 'SkyTrail Travel',
  description: 'Flights between major US and European airports, with fares in five classes and honest add-ons.',
  category: 'travel',
  legalEntity: { name: 'SkyTrail Travel Inc.', entityId: 'skytrail-travel', domain: 'skytrail.example' },
  disclosedOwners: [{ entity: { name: 'Horizon Travel Group plc', entityId: 'horizon-travel-group', domain: 'horizontravel.example' }, relation: 'owns', stake: 1 }],
  affiliations: [],
  payout: { payoutId: 'ocr:payout:st-c81a77', holder: 'SkyTrail Travel Inc.' },
  terms: [
    'SkyTrail Travel conditions of carriage and sale.',
    'Fares include taxes and carrier-imposed fees as itemised on the quote; the booking fee is non-refundable.',
    'Basic Economy and Economy fares are non-refundable; Economy Flex may be cancelled up to 24 hours before departure for a full refund.',
    'Names on the booking must match the travellers\' identity documents.',
  ].join('\n'),
  catalogue: [],
  itemsFor: faresFor,
  fees: ({ listSubtotalMinor, constraints }): Fee[] => {
    const travellers = constraints.travellers ?? 1;
    const legs = constraints.returnDate === undefined ? 1 : 2;
    return [
      { kind: 'tax', label: 'Taxes and government fees', amount: usd(Math.round(listSubtotalMinor * 0.075) + 1080 * travellers * legs) },
      { kind: 'booking', label: 'Booking fee', amount: usd(999) },
    ];
  },
  maxRounds: 2,
  requiredData: ['name', 'email'],
  skills: [
    {
      id: 'fare-quote',
      name: 'Flight fares',
      description: 'Quotes fares for a route and dates (from, to, departDate, returnDate, travellers) with add-ons; books on a signed order. Bookings need traveller name and email.',
      tags: ['travel', 'flights'],
      examples: ['SFO to JFK, 2 travellers, 12–15 December'],
    },
  ],
  // Nothing matched ("get me to New York"): quote the standard economy fare.
  defaultItem: (items) => items.find((i) => i.sku.startsWith('ST-ECON-')),
  // A fare is per traveller: quote one for each, whatever quantity the request named.
  quantityFor: (item, requested, c) => (/^ST-(BASIC|ECON|FLEX|PREM|BUS)-/.test(item.sku) ? (c.travellers ?? requested) : requested),
  windowFor: (c) => tripWindow(c),
};
