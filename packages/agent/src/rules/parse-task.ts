import { z } from 'zod';
import { Category, Money, RequestedItem, RfqConstraints, TaskSpec, parseStrict } from '@steward/protocol';
import { matchKeyword } from '../internal/fuzzy.ts';
import { addDays, isoDate, zonedIsoDateTime, zonedParts, type CivilDate } from '../internal/zoned-time.ts';
import { NUMBER_WORD, findAmount, wordsToNumber } from './amount.ts';
import { endOfWeek, findDates, findTime, type DateOrder } from './dates.ts';

/** What the offline parser needs to know besides the text. */
export interface ParseContext {
  /** Milliseconds since the epoch: "tomorrow" is counted from here. */
  now: number;
  /** The person's IANA time zone, e.g. `America/New_York`. */
  timeZone: string;
  /** Currency of bare amounts ("under 80"). Default `USD`. */
  defaultCurrency?: string;
  /** How to read `12/11`. Default month first. */
  dateOrder?: DateOrder;
}

/** A fact the parser still needs before the task is complete. */
export const MissingField = z.enum(['items', 'date', 'time', 'partySize', 'area', 'from', 'to', 'departDate']);
export type MissingField = z.infer<typeof MissingField>;

/** A task understood in part, kept with the question so the next turn can complete it. */
export const PartialTask = z.strictObject({
  category: Category,
  summary: z.string().max(300),
  items: z.array(RequestedItem).max(100),
  budget: Money.optional(),
  constraints: RfqConstraints,
  /** Restaurant day and time, kept apart until both are known. */
  date: z.iso.date().optional(),
  time: z.strictObject({ hour: z.number().int().min(0).max(23), minute: z.number().int().min(0).max(59) }).optional(),
  missing: z.array(MissingField).max(8),
});
export type PartialTask = z.infer<typeof PartialTask>;

/** What the offline parser made of the person's words. */
export type ParseResult =
  | { kind: 'task'; task: TaskSpec }
  | { kind: 'question'; question: string; missing: MissingField[]; partial: PartialTask }
  | { kind: 'unknown'; help: string };

/** The answer for text the parser cannot read: what it can do, with examples. */
export const OFFLINE_HELP =
  "I'm running without a language model, so I understand a few kinds of requests. Try one of these:\n" +
  '- "buy groceries for this week under $80: milk, eggs, 2 loaves of bread, bananas"\n' +
  '- "book a table for 4 at 7pm tomorrow near downtown"\n' +
  '- "flights from Boston to Denver Dec 12-15 under $600"\n' +
  '- "buy a phone charger under $25"';

const QUESTIONS: Readonly<Record<MissingField, string>> = {
  items: 'What should I get? List the items, e.g. "milk, eggs, 2 loaves of bread".',
  date: 'Which day?',
  time: 'What time?',
  partySize: 'For how many people?',
  area: 'Where: which area or restaurant?',
  from: 'Flying from where?',
  to: 'Flying to where?',
  departDate: 'Which dates? For example "Dec 12-15".',
};

// Long keywords tolerate typos (see matchKeyword); these are the words the parser corrects.
const KEYWORDS = [
  'groceries', 'grocery', 'supermarket', 'restaurant', 'restaurants', 'reservation', 'reservations',
  'tomorrow', 'tonight', 'saturday', 'thursday', 'wednesday', 'tuesday', 'sunday', 'monday', 'friday',
  'january', 'february', 'september', 'october', 'november', 'december', 'flights', 'flight',
  'purchase', 'breakfast', 'delivered', 'delivery', 'travelling', 'traveling', 'passengers', 'charger',
] as const;

const ALIASES: Readonly<Record<string, string>> = {
  tmrw: 'tomorrow', tmr: 'tomorrow', tmrow: 'tomorrow', '2morrow': 'tomorrow', tomorow: 'tomorrow', tonite: 'tonight',
  resto: 'restaurant', grocerys: 'groceries', flite: 'flight', flites: 'flights', ppl: 'people', pax: 'people',
};

/** Lower-cases and corrects typos in key words, keeping every other word as written. */
export function normalizeText(text: string): string {
  return text
    .normalize('NFKC')
    .toLowerCase()
    .replace(/[’‘]/g, "'")
    .replace(/[a-z0-9]+/g, (w) => ALIASES[w] ?? (/^[a-z]{5,}$/.test(w) ? matchKeyword(w, KEYWORDS) ?? w : w));
}

const GROCERY_RE = /\b(groceries|grocery|supermarket|food shopping)\b/;
const RESTAURANT_RE = /\b(restaurant|restaurants|reservation|reservations|book a table|table for|reserve a table|dinner|lunch|brunch|breakfast)\b/;
const TRAVEL_RE = /\b(flights?|fly|flying|plane tickets?|airfare|air tickets?)\b/;
const BUY_RE = /\b(buy|purchase|order|get me|get|find me|i need|need|shop for|pick up)\b/;

const GROCERY_WORDS = new Set([
  'milk', 'eggs', 'egg', 'bread', 'bananas', 'banana', 'apples', 'apple', 'butter', 'cheese', 'yogurt',
  'yoghurt', 'rice', 'pasta', 'flour', 'sugar', 'coffee', 'tea', 'tomatoes', 'onions', 'potatoes', 'chicken',
  'oranges', 'lettuce', 'carrots', 'cereal', 'juice', 'water',
]);

const UNITS: Readonly<Record<string, string>> = {
  loaf: 'loaf', loaves: 'loaf', bottle: 'bottle', bottles: 'bottle', can: 'can', cans: 'can', carton: 'carton',
  cartons: 'carton', pack: 'pack', packs: 'pack', bag: 'bag', bags: 'bag', box: 'box', boxes: 'box', jar: 'jar',
  jars: 'jar', bunch: 'bunch', bunches: 'bunch', dozen: 'dozen', lb: 'lb', lbs: 'lb', kg: 'kg', gallon: 'gallon',
  gallons: 'gallon', liter: 'liter', liters: 'liter', litre: 'liter', litres: 'liter', pound: 'lb', pounds: 'lb',
};

const PLACE_STOP = new Set([
  'from', 'to', 'on', 'in', 'at', 'for', 'under', 'below', 'max', 'by', 'with', 'next', 'this', 'tomorrow', 'today',
  'tonight', 'and', 'leaving', 'returning', 'departing', 'round', 'one-way', 'trip', 'flights', 'flight', 'budget',
  'around', 'near', 'please', 'dec', 'december', 'jan', 'january', 'feb', 'february', 'mar', 'march', 'apr',
  'april', 'may', 'jun', 'june', 'jul', 'july', 'aug', 'august', 'sep', 'sept', 'september', 'oct', 'october',
  'nov', 'november', 'less', 'up', 'no', 'than', 'people', 'return', 'back', 'tickets', 'ticket', 'cheap',
  'cheapest', 'fly', 'flying', 'go', 'travel', 'book', 'get', 'buy', 'evening', 'morning', 'afternoon', 'night',
  'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday', 'weekend', 'pm', 'am',
]);

function titleCase(s: string): string {
  return s.replace(/(^|[\s-])([a-z])/g, (_m, sep: string, c: string) => sep + c.toUpperCase());
}

/** The place as the person wrote it when they capitalised it ("NYC"), else title case. */
function casedPlace(place: string, original: string): string {
  const i = original.toLowerCase().indexOf(place);
  const written = i >= 0 ? original.slice(i, i + place.length) : place;
  return written === written.toLowerCase() ? titleCase(written) : written;
}

/** Words after `index` up to a stop word, digit or punctuation: a place name. */
function placeAfter(text: string, index: number): string | undefined {
  const words: string[] = [];
  for (const m of text.slice(index).matchAll(/[a-z][a-z.'-]*|[^\sa-z]/g)) {
    const w = m[0];
    if (!/^[a-z]/.test(w) || PLACE_STOP.has(w) || words.length >= 4) break;
    words.push(w);
  }
  const place = words.join(' ').replace(/[.'-]+$/, '');
  return place.length > 0 ? place.slice(0, 100) : undefined;
}

function findPlace(text: string, words: RegExp): string | undefined {
  const global = new RegExp(words.source, 'g');
  for (const m of text.matchAll(global)) {
    const place = placeAfter(text, m.index + m[0].length);
    if (place) return place;
  }
  return undefined;
}

function countWord(w: string): number | undefined {
  if (/^\d+$/.test(w)) return Number(w);
  return wordsToNumber(w);
}

const COUNT = String.raw`(\d{1,3}|${NUMBER_WORD})`;

function findPartySize(text: string): number | undefined {
  const patterns = [
    new RegExp(String.raw`\b(?:table|reservation|booking|party)\s+(?:for|of)\s+${COUNT}\b`),
    new RegExp(String.raw`\b${COUNT}\s+(?:people|persons|person|guests|adults|of us|pax|diners)\b`),
    new RegExp(String.raw`\bfor\s+${COUNT}\b(?!\s*(?:pm|am|:|o'?clock|nights?|days?|weeks?|\/|-|\$|dollars|bucks|euros|pounds))`),
  ];
  for (const re of patterns) {
    const m = re.exec(text);
    if (m) {
      const n = countWord(m[1]!);
      if (n !== undefined && n >= 1 && n <= 50) return n;
    }
  }
  return undefined;
}

function findTravellers(text: string): number | undefined {
  const m =
    new RegExp(String.raw`\b${COUNT}\s+(?:people|persons|passengers|adults|travellers|travelers|tickets|of us)\b`).exec(text) ??
    new RegExp(String.raw`\bfor\s+${COUNT}\b(?!\s*(?:pm|am|:|nights?|days?|\/|-|\$))`).exec(text);
  if (!m) return undefined;
  const n = countWord(m[1]!);
  return n !== undefined && n >= 1 && n <= 20 ? n : undefined;
}

/** Reads a list like "milk, eggs, 2 loaves of bread and bananas" into requested items. */
export function parseItems(list: string): RequestedItem[] {
  const items: RequestedItem[] = [];
  for (const raw of list.split(/,|;|\n|\band\b|\+|&/)) {
    let piece = raw
      .trim()
      .replace(/^(?:-|\*|•)\s*/, '')
      .replace(/^(?:some|a few|a couple of|also|plus)\s+/, '')
      .replace(/[.!?]+$/, '')
      .trim();
    if (piece === '') continue;
    let quantity = 1;
    let unit: string | undefined;
    const q = new RegExp(String.raw`^(\d{1,4}|${NUMBER_WORD}|a|an)\s+(.*)$`).exec(piece);
    if (q) {
      const n = countWord(q[1]!);
      if (n !== undefined && n >= 1 && n <= 1000) {
        quantity = n;
        piece = q[2]!;
      }
    }
    const u = /^([a-z]+)\s+of\s+(.+)$/.exec(piece) ?? /^(dozen)\s+(.+)$/.exec(piece);
    if (u && UNITS[u[1]!]) {
      unit = UNITS[u[1]!];
      piece = u[2]!;
    }
    const description = piece.replace(/\s+/g, ' ').trim().slice(0, 200);
    if (description === '' || /^\d+$/.test(description)) continue;
    items.push(unit ? { description, quantity, unit } : { description, quantity });
    if (items.length === 100) break;
  }
  return items;
}

function today(ctx: ParseContext): CivilDate {
  return zonedParts(ctx.now, ctx.timeZone);
}

/** Removes an amount and the budget word before it, so it does not end up in an item name. */
function withoutAmount(text: string, ctx: ParseContext): string {
  const a = findAmount(text, ctx.defaultCurrency ?? 'USD');
  if (!a) return text;
  const before = text.slice(0, a.index).replace(/\b(?:for\s+)?(?:under|below|max(?:imum)?|at most|up to|less than|no more than|budget(?: of| is)?|within|for)\s*$/, '');
  return `${before} ${text.slice(a.index + a.length)}`;
}

function detectCategory(t: string): Category | undefined {
  if (GROCERY_RE.test(t)) return 'groceries';
  if (TRAVEL_RE.test(t) && /\b(from|to)\b/.test(t)) return 'travel';
  if (RESTAURANT_RE.test(t)) return 'restaurant';
  if (TRAVEL_RE.test(t)) return 'travel';
  if (BUY_RE.test(t)) return 'general';
  return undefined;
}

function emptyPartial(category: Category, summary: string): PartialTask {
  return { category, summary: summary.slice(0, 300), items: [], constraints: {}, missing: [] };
}

/** Fills in from `t` (normalised text) every field of `p`'s category that `t` states. */
function absorb(p: PartialTask, t: string, original: string, ctx: ParseContext, answering: boolean): void {
  const day0 = today(ctx);
  const dates = findDates(t, day0, ctx.dateOrder);
  const amount = findAmount(t, ctx.defaultCurrency ?? 'USD');
  if (amount) p.budget = amount.money;
  switch (p.category) {
    case 'groceries':
    case 'general': {
      const first = dates[0];
      if (first) {
        if (first.deadline) p.constraints.deliverBy = isoDate(first.date);
        else p.constraints.deliveryDay = isoDate(first.date);
      } else if (/\b(for |by )?(this|the) week\b/.test(t)) {
        p.constraints.deliverBy = isoDate(endOfWeek(day0));
      } else if (/\bnext week\b/.test(t)) {
        p.constraints.deliverBy = isoDate(addDays(endOfWeek(day0), 7));
      }
      const items = extractItems(p.category, t, ctx, answering);
      if (items.length > 0) p.items = items;
      break;
    }
    case 'restaurant': {
      const first = dates[0];
      if (first) p.date = isoDate(first.date);
      const time = findTime(t);
      // "tonight" fixes the day, not the hour: without a time, the time is still asked
      if (time) p.time = { hour: time.hour, minute: time.minute };
      const size = findPartySize(t) ?? (answering && p.missing.includes('partySize') ? bareCount(t) : undefined);
      if (size !== undefined) p.constraints.partySize = size;
      const area = findPlace(t, /\b(?:near|around|in|close to|by)\s+(?!\d)/) ?? findPlace(t, /\bat\s+(?=[a-z])(?!(?:noon|midday|midnight)\b)/);
      if (area) p.constraints.area = area;
      else if (answering && p.missing.includes('area') && !time && !first && size === undefined) {
        const bare = placeAfter(t.replace(/^\s*(?:the\s+)?/, ''), 0);
        if (bare) p.constraints.area = bare;
      }
      break;
    }
    case 'travel': {
      const from = findPlace(t, /\bfrom\s+/);
      const to = findPlace(t, /\bto\s+/);
      if (from) p.constraints.from = from;
      if (to) p.constraints.to = to;
      if (!from) {
        // "Boston to Denver" without "from"
        const lead = t.replace(/^.*?\b(?:flights?|fly|flying|airfare|plane tickets?)\b\s*/, '');
        const m = /^([a-z][a-z .'-]{1,40}?)\s+to\s+/.exec(lead);
        const origin = m ? placeAfter(lead, 0) : undefined;
        if (m && origin) {
          p.constraints.from = origin;
          const dest = placeAfter(lead, m[0].length);
          if (dest) p.constraints.to = dest;
        } else if (answering && !to) {
          const bare = placeAfter(t.trim(), 0);
          if (bare && p.missing.includes('from')) p.constraints.from = bare;
          else if (bare && p.missing.includes('to')) p.constraints.to = bare;
        }
      }
      const [d1, d2] = dates;
      if (d1) p.constraints.departDate = isoDate(d1.date);
      if (d2) p.constraints.returnDate = isoDate(d2.date);
      const n = findTravellers(t);
      if (n !== undefined) p.constraints.travellers = n;
      break;
    }
  }
}

function casePlaces(p: PartialTask, original: string): void {
  for (const key of ['area', 'from', 'to'] as const) {
    const v = p.constraints[key];
    if (v !== undefined && v === v.toLowerCase()) p.constraints[key] = casedPlace(v, original.normalize('NFKC'));
  }
}

function bareCount(t: string): number | undefined {
  const m = new RegExp(String.raw`^\s*(?:just\s+|we are\s+|we're\s+)?${COUNT}\s*(?:people|persons|guests|of us)?\s*[.!]?\s*$`).exec(t);
  if (!m) return undefined;
  const n = countWord(m[1]!);
  return n !== undefined && n >= 1 && n <= 50 ? n : undefined;
}

function extractItems(category: Category, t: string, ctx: ParseContext, answering: boolean): RequestedItem[] {
  const colon = t.indexOf(':');
  let list: string | undefined;
  if (colon >= 0) list = t.slice(colon + 1);
  else if (answering) list = t;
  else if (category === 'groceries') {
    const m = /\b(?:groceries|grocery|supermarket)\b[^,]*?\b(?:including|with|like|:)\s+(.+)$/.exec(t);
    list = m?.[1] ?? (GROCERY_RE.test(t) ? undefined : new RegExp(String.raw`${BUY_RE.source}\s+(.+)$`).exec(t)?.[2]);
  } else {
    const m = new RegExp(String.raw`${BUY_RE.source}\s+(.+)$`).exec(t);
    list = m?.[2];
  }
  if (list === undefined) return [];
  list = withoutAmount(list, ctx)
    .replace(/\b(?:delivered|delivery|by|before|for)\b.*$/, '')
    .replace(/\b(?:this|next)\s+(?:week|weekend|monday|tuesday|wednesday|thursday|friday|saturday|sunday)\b.*$/, '')
    .replace(/\b(?:tomorrow|today|tonight|asap|please)\b.*$/, '');
  return parseItems(list).filter((i) => !/^(groceries|grocery|supermarket|stuff|things|something)$/.test(i.description));
}

function missingFor(p: PartialTask): MissingField[] {
  const missing: MissingField[] = [];
  switch (p.category) {
    case 'groceries':
    case 'general':
      if (p.items.length === 0) missing.push('items');
      break;
    case 'restaurant':
      if (p.constraints.partySize === undefined) missing.push('partySize');
      if (!p.date) missing.push('date');
      if (!p.time) missing.push('time');
      if (!p.constraints.area) missing.push('area');
      break;
    case 'travel':
      if (!p.constraints.from) missing.push('from');
      if (!p.constraints.to) missing.push('to');
      if (!p.constraints.departDate) missing.push('departDate');
      break;
  }
  return missing;
}

function finish(p: PartialTask, ctx: ParseContext): ParseResult {
  p.missing = missingFor(p);
  if (p.missing.length > 0) {
    const question =
      p.category === 'general' && p.missing[0] === 'items'
        ? 'What should I buy?'
        : p.missing.map((f) => QUESTIONS[f]).join(' ');
    return { kind: 'question', question, missing: [...p.missing], partial: p };
  }
  const constraints = { ...p.constraints };
  if (p.category === 'restaurant' && p.date && p.time) {
    const [y, m, d] = p.date.split('-').map(Number) as [number, number, number];
    constraints.reservationAt = zonedIsoDateTime({ year: y, month: m, day: d }, p.time.hour, p.time.minute, ctx.timeZone);
  }
  if (p.category === 'travel' && constraints.travellers === undefined) constraints.travellers = 1;
  const task = parseStrict(
    TaskSpec,
    {
      category: p.category,
      summary: p.summary.trim() === '' ? p.category : p.summary.trim().slice(0, 300),
      items: p.category === 'groceries' || p.category === 'general' ? p.items : [],
      ...(p.budget ? { budget: p.budget } : {}),
      constraints,
    },
    'task',
  );
  return { kind: 'task', task };
}

/**
 * Reads a request in the person's words into a {@link TaskSpec}, or a clarifying question that carries
 * the partial task, or help with examples. Deterministic: same text, clock and zone, same answer.
 */
export function parseRequest(text: string, ctx: ParseContext): ParseResult {
  const t = normalizeText(text).trim();
  let category = detectCategory(t);
  if (category === 'general') {
    const items = extractItems('general', t, ctx, false);
    if (items.length > 1 && items.every((i) => GROCERY_WORDS.has(i.description))) category = 'groceries';
  }
  if (!category) return { kind: 'unknown', help: OFFLINE_HELP };
  const p = emptyPartial(category, text.trim());
  absorb(p, t, text, ctx, false);
  casePlaces(p, text);
  return finish(p, ctx);
}

/**
 * Completes a partial task with the person's answer to a clarifying question ("tomorrow", "4",
 * "near the station", "milk, eggs"). A fresh request in the answer starts over instead.
 */
export function continueRequest(partial: PartialTask, text: string, ctx: ParseContext): ParseResult {
  const t = normalizeText(text).trim();
  const fresh = detectCategory(t);
  if (fresh && fresh !== 'general' && fresh !== partial.category) return parseRequest(text, ctx);
  const p = parseStrict(PartialTask, structuredClone(partial), 'partial task');
  p.summary = `${p.summary} (${text.trim()})`.slice(0, 300);
  absorb(p, t, text, ctx, true);
  casePlaces(p, text);
  return finish(p, ctx);
}
