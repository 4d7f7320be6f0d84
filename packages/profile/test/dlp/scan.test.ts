import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { findLeaks, type SecretValue } from '../../src/index.ts';
import { ALICE, fillAlice, harness, SHOP, tablePolicy, type Harness } from '../helpers.ts';

let h: Harness | undefined;
afterEach(() => {
  h?.close();
  h = undefined;
});

const SECRETS: SecretValue[] = [
  { dataClass: 'name', label: 'primary', value: ALICE.name },
  { dataClass: 'email', label: 'primary', value: ALICE.email },
  { dataClass: 'phone', label: 'primary', value: ALICE.phone },
  { dataClass: 'address', label: 'home', value: ALICE.home },
  { dataClass: 'address', label: 'work', value: ALICE.work },
  { dataClass: 'birth_date', label: 'primary', value: ALICE.birth },
  { dataClass: 'payment', label: 'visa', value: ALICE.card },
  { dataClass: 'health', label: 'dietary', value: ALICE.dietary },
  { dataClass: 'identity_document', label: 'passport', value: ALICE.passport },
];

const leaks = (message: unknown, allowed: string[] = []) => findLeaks(message, SECRETS, allowed).map((f) => `${f.dataClass}/${f.label}`);

describe('findLeaks: the phone number', () => {
  it.each([
    ['plain in a gift message', { giftMessage: 'Happy birthday! Call me on 415-555-0134 when it arrives' }],
    ['with the country code', { note: 'reach me at +1 415 555 0134' }],
    ['digits only', { note: 'ring 14155550134' }],
    ['dotted', { note: 'tel 415.555.0134' }],
    ['spelled out', { giftMessage: 'my number is four one five five five five zero one three four' }],
    ['fullwidth digits', { giftMessage: 'call ４１５５５５０１３４' }],
    ['Arabic-Indic and Devanagari digits', { giftMessage: 'call ٤١٥٥٥٥ ०१३४' }],
    ['zero-width characters between digits', { giftMessage: 'call 415\u200b555\u200b0134' }],
    ['split over two fields', { line1: 'call 415 555', line2: '0134 please' }],
    ['as a number', { ref: 4155550134 }],
    ['in a key', { extra: { '4155550134': true } }],
    ['base64-encoded', { blob: Buffer.from('phone: 415-555-0134').toString('base64') }],
    ['percent-encoded', { url: 'https://cb.example/?p=%2B1%20415%20555%200134' }],
    ['hex-encoded', { ref: Buffer.from('tel 4155550134').toString('hex') }],
    ['written backwards', { giftMessage: 'secret code 4310-555-514' }],
    ['in a Map', { extra: new Map([['note', 'call 415 555 0134']]) }],
    ['behind toJSON', { extra: { toJSON: () => ({ p: '415 555 0134' }) } }],
  ])('is caught %s', (_, message) => {
    expect(leaks(message)).toContain('phone/primary');
  });
});

describe('findLeaks: the email address', () => {
  it.each([
    ['as stored', { note: 'Alice.Martin+shop@gmail.com' }],
    ['upper case, no plus tag', { note: 'write to ALICE.MARTIN@GMAIL.COM' }],
    ['without Gmail dots, another tag', { note: 'alicemartin+promo@gmail.com' }],
    ['googlemail', { note: 'alice.martin@googlemail.com' }],
    ['"at" and "dot"', { giftMessage: 'email alice.martin at gmail dot com' }],
    ['bracketed', { giftMessage: 'alice (dot) martin [at] gmail (dot) com' }],
    ['spaced around @', { giftMessage: 'alice.martin @ gmail.com' }],
    ['split over two fields', { user: 'alice.martin', domain: 'gmail.com' }],
    ['HTML entities', { html: 'alice.martin&#64;gmail.com' }],
  ])('is caught %s', (_, message) => {
    expect(leaks(message)).toContain('email/primary');
  });
});

describe('findLeaks: addresses, names, dates, cards, documents', () => {
  it('catches the home address split over two fields', () => {
    expect(leaks({ giftMessage: 'Leave it at 12 Rue des', giftMessage2: 'Lilas, thanks!' })).toEqual(['address/home']);
  });

  it('catches the work address abbreviated and in another case', () => {
    expect(leaks({ note: 'deliver to 221b BAKER ST please' })).toEqual(['address/work']);
  });

  it('catches the street line whatever its case, accents or ß, but not the postcode and city alone', () => {
    const secrets: SecretValue[] = [{ dataClass: 'address', label: 'home', value: 'Königstraße 5, 10115 Berlin' }];
    for (const text of ['KÖNIGSTRASSE 5', 'Konigstraße 5 Berlin', 'königstrasse   5, 10115']) {
      expect(findLeaks({ a: text }, secrets).map((f) => f.dataClass)).toEqual(['address']);
    }
    expect(findLeaks({ a: 'we deliver to 10115 Berlin', b: 'Königstraße 7' }, secrets)).toEqual([]);
  });

  it('catches the full name, also surname first', () => {
    expect(leaks({ note: 'for alice martin' })).toEqual(['name/primary']);
    expect(leaks({ note: 'MARTIN, Alice' })).toEqual(['name/primary']);
  });

  it.each(['born 1990-04-17', '17/04/1990', '04/17/1990', '17.04.90', 'April 17, 1990', '17th of April 1990', '19900417'])('catches the birth date written as %s', (text) => {
    expect(leaks({ note: text })).toEqual(['birth_date/primary']);
  });

  it('catches the card number with any spacing, the passport number and dietary needs', () => {
    expect(leaks({ pay: '4111-1111-1111-1111' })).toEqual(['payment/visa']);
    expect(leaks({ note: 'passport x-123-4567' })).toEqual(['identity_document/passport']);
    expect(leaks({ note: 'she has a Peanut Allergy' })).toEqual(['health/dietary']);
  });

  it('reports the paths of every string a split value spans, never the value', () => {
    const [finding] = findLeaks({ a: { b: 'call 415 555' }, c: ['0134'] }, SECRETS);
    expect(finding).toEqual({ dataClass: 'phone', label: 'primary', method: 'digits', paths: ['$.a.b', '$.c[0]'] });
  });
});

describe('findLeaks: benign text passes', () => {
  it('lets an order with order numbers, prices, dates, quantities and SKUs through', () => {
    const order = {
      type: 'order',
      orderId: 'ord-4155-5501',
      offerId: 'off-20261128-0134',
      items: [
        { sku: 'MILK-1L', name: 'Organic milk 1 L', quantity: 4, unitPrice: { amountMinor: 155, currency: 'USD' }, lineTotal: { amountMinor: 620, currency: 'USD' } },
        { sku: 'BREAD-415', name: 'Sourdough 415 g', quantity: 1, unitPrice: { amountMinor: 555, currency: 'USD' }, lineTotal: { amountMinor: 555, currency: 'USD' } },
      ],
      total: { amountMinor: 4999, currency: 'USD' },
      delivery: { start: '2026-11-28T09:00:00Z', end: '2026-11-28T11:00:00Z' },
      note: 'Deliver Saturday 28/11/2026 between 9 and 11, price $41.55, order #55501, tracking 1Z999AA10123456784, expires 1990 seconds after 17:04',
      giftMessage: 'Happy birthday Martin! From Alice, with love. Martin Street Bakery, 12 rolls.',
    };
    expect(leaks(order)).toEqual([]);
  });

  it('lets the values the decision allowed through, and still catches the others', () => {
    const msg = { disclosed: { name: ALICE.name, phone: ALICE.phone, address: ALICE.home }, giftMessage: 'from alice.martin@gmail.com' };
    expect(leaks(msg, [ALICE.name, ALICE.phone, ALICE.home])).toEqual(['email/primary']);
  });

  it('property: a message of random numbers, prices and dates that do not contain the phone passes', () => {
    const benign = fc.array(
      fc.oneof(
        fc.integer({ min: 0, max: 999_999 }).map((n) => `order #${n}`),
        fc.integer({ min: 0, max: 99_999 }).map((n) => `$${(n / 100).toFixed(2)}`),
        fc.date({ min: new Date('2000-01-01'), max: new Date('2030-12-31'), noInvalidDate: true }).map((d) => d.toISOString().slice(0, 10)),
        fc.constantFrom('milk', 'bread x2', 'qty 3', 'SKU-88'),
      ),
      { maxLength: 12 },
    );
    fc.assert(
      fc.property(benign, (parts) => {
        const text = parts.join(' | ');
        fc.pre(!text.replace(/\D/g, '').includes('5550134') && !text.replace(/\D/g, '').includes('19900417'));
        expect(leaks({ note: text, parts })).toEqual([]);
      }),
      { numRuns: 200 },
    );
  });

  it('property: the phone number is caught however its digits are separated', () => {
    const sep = fc.constantFrom('', ' ', '-', '.', ' - ', '(', ') ', '/', '\u200b');
    fc.assert(
      fc.property(fc.array(sep, { minLength: 10, maxLength: 10 }), fc.boolean(), (seps, withCc) => {
        const digits = '4155550134';
        let s = withCc ? '+1 ' : '';
        for (let i = 0; i < digits.length; i++) s += digits[i]! + (i < digits.length - 1 ? seps[i]! : '');
        expect(leaks({ giftMessage: `call me: ${s} thanks` })).toContain('phone/primary');
      }),
      { numRuns: 200 },
    );
  });
});

describe('findLeaks: hostile input', () => {
  it('reads long text without an address in linear time and still finds a value at its end', () => {
    const long = `${'a.'.repeat(150_000)} ${'1 '.repeat(50_000)} @@@@ ${'x'.repeat(100_000)}`;
    expect(leaks({ note: long })).toEqual([]);
    expect(leaks({ note: `${long} alice.martin@gmail.com` })).toContain('email/primary');
  });
});

describe('Profile.scanOutbound', () => {
  it('blocks a message carrying a value outside the decision, audited as disclosure.blocked', async () => {
    h = harness({ decide: tablePolicy({ name: { order: 'allow' }, email: { order: 'allow' } }, { relayEmail: true }) });
    fillAlice(h.profile);
    const r = await h.profile.disclose({ vendor: SHOP, purpose: 'order', taskId: 'task-1', fields: ['name', 'email'] });
    const order = { disclosed: r.disclosed, giftMessage: 'Text me on (415) 555 0134 when you are outside' };
    let error: unknown;
    try {
      h.profile.scanOutbound(order, r.allowedValues, { vendor: SHOP.origin, taskId: 'task-1', messageType: 'order' });
    } catch (e) {
      error = e;
    }
    expect(error).toMatchObject({ code: 'ERR_PROFILE_DLP_BLOCKED', details: { dataClasses: ['phone'], paths: ['$.giftMessage'] } });
    expect((error as Error).message).not.toContain('555');
    const blocked = h.events.at(-1)!;
    expect(blocked).toMatchObject({ type: 'disclosure.blocked', vendor: SHOP.origin, taskId: 'task-1', decision: 'deny', data: { stage: 'dlp', code: 'ERR_PROFILE_DLP_BLOCKED' } });
    expect(JSON.stringify(blocked)).not.toContain('555');
    // The relayed email and the name were allowed: the same order without the phone passes.
    expect(h.profile.scanOutbound({ disclosed: r.disclosed, giftMessage: 'Enjoy!' }, r.allowedValues, { vendor: SHOP.origin })).toMatchObject({ ok: true });
    expect(h.profile.scanOutbound({ disclosed: r.disclosed }, r.disclosed, { vendor: SHOP.origin })).toMatchObject({ ok: true });
    expect(() => h!.profile.scanOutbound({ disclosed: r.disclosed, p: ALICE.phone }, r.disclosed, { vendor: SHOP.origin })).toThrow(expect.objectContaining({ code: 'ERR_PROFILE_DLP_BLOCKED' }));
    // The real email is not what was allowed (the relay was), so it is blocked.
    expect(() => h!.profile.scanOutbound({ disclosed: { ...r.disclosed, email: ALICE.email } }, r.allowedValues, { vendor: SHOP.origin })).toThrow(
      expect.objectContaining({ code: 'ERR_PROFILE_DLP_BLOCKED' }),
    );
  });

  it('refuses, and audits, a message too deep to screen (ERR_PROFILE_DLP_UNSCANNABLE)', () => {
    h = harness();
    fillAlice(h.profile);
    let deep: unknown = 'x';
    for (let i = 0; i < 100; i++) deep = { d: deep };
    expect(() => h!.profile.scanOutbound(deep, [], { vendor: SHOP.origin })).toThrow(expect.objectContaining({ code: 'ERR_PROFILE_DLP_UNSCANNABLE' }));
    expect(h.events.at(-1)).toMatchObject({ type: 'disclosure.blocked', data: { stage: 'dlp', code: 'ERR_PROFILE_DLP_UNSCANNABLE' } });
  });
});
