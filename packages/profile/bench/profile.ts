/**
 * Profile benchmarks: outbound DLP on a typical order and on long free text, against a naive
 * exact-substring scan measured in the same run; and the cost of one policy-gated disclosure
 * (4 fields, ledger rows, audit events, real SQLite file) against a plain value read.
 * Goals: DLP on a typical order under 1 ms median; a 4-field disclosure under 5 ms median.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Decision } from '@steward/protocol';
import { openStore } from '@steward/store';
import { findLeaks, MIGRATIONS, openProfile, type SecretValue } from '../src/index.ts';
import { measure, measureAsync, note, report } from '../../../test/bench/kit.ts';

const secrets: SecretValue[] = [
  { dataClass: 'name', label: 'primary', value: 'Alice Martin' },
  { dataClass: 'email', label: 'primary', value: 'Alice.Martin+shop@gmail.com' },
  { dataClass: 'phone', label: 'primary', value: '+1 (415) 555-0134' },
  { dataClass: 'address', label: 'home', value: '12 Rue des Lilas, 75011 Paris' },
  { dataClass: 'address', label: 'work', value: '221B Baker Street, London NW1 6XE' },
  { dataClass: 'birth_date', label: 'primary', value: '1990-04-17' },
  { dataClass: 'payment', label: 'visa', value: '4111 1111 1111 1111 exp 12/29' },
  { dataClass: 'health', label: 'dietary', value: 'coeliac, peanut allergy' },
  { dataClass: 'identity_document', label: 'passport', value: 'X1234567' },
];

const order = {
  type: 'order',
  orderId: 'ord-4155-5501',
  offerId: 'off-20261128-0134',
  vendor: 'https://shop.example',
  items: Array.from({ length: 12 }, (_, i) => ({
    sku: `SKU-${1000 + i}`,
    name: `Organic item number ${i} 500 g`,
    quantity: (i % 3) + 1,
    unitPrice: { amountMinor: 199 + i * 10, currency: 'USD' },
    lineTotal: { amountMinor: (199 + i * 10) * ((i % 3) + 1), currency: 'USD' },
  })),
  total: { amountMinor: 4999, currency: 'USD' },
  delivery: { start: '2026-11-28T09:00:00Z', end: '2026-11-28T11:00:00Z' },
  disclosed: { name: 'Alice Martin', address: '12 Rue des Lilas, 75011 Paris', email: 'relay-0123456789abcdef0123@relay.steward.invalid' },
  giftMessage: 'Happy birthday! Enjoy the cake, see you on Saturday 28/11 at 9.',
  policyVersion: 'v12',
};
const allowed = Object.values(order.disclosed);
const longText = { note: Array.from({ length: 600 }, (_, i) => `Line ${i}: order #${100000 + i} costs $${(i * 1.37).toFixed(2)} on 2026-11-${(i % 28) + 1}.`).join(' ') };

// Baseline: the naive exact-substring scan a DLP without normalisation would do.
const naive = (message: unknown): boolean => {
  const text = JSON.stringify(message).toLowerCase();
  return secrets.some((s) => !allowed.includes(s.value) && text.includes(s.value.toLowerCase()));
};

const baseline = measure('naive exact scan, order', () => naive(order), 5000);
const dlpOrder = measure('findLeaks, order (~2 KB, 9 values)', () => findLeaks(order, secrets, allowed), 3000);
const dlpLong = measure(`findLeaks, free text (${Math.round(JSON.stringify(longText).length / 1024)} KB)`, () => findLeaks(longText, secrets), 100, 10);
report('outbound DLP', baseline, [dlpOrder, dlpLong]);
note(`goal: DLP on a typical order < 1000 µs median: ${dlpOrder.medianUs < 1000 ? 'met' : 'NOT met'} (${dlpOrder.medianUs.toFixed(0)} µs)`);

const dir = mkdtempSync(join(tmpdir(), 'steward-profile-bench-'));
const store = openStore(join(dir, 'steward.db'), { migrations: { profile: MIGRATIONS } });
const allow: Decision = {
  effect: 'allow',
  determiningRules: ['bench'],
  reasons: [{ ruleId: 'bench', effect: 'allow', message: 'bench' }],
  obligations: { redact: [], relay: ['email'] },
  remedies: [],
  errors: [],
  policyVersion: 'v1',
  decidedAt: '2026-11-26T10:00:00Z',
};
let events = 0;
const profile = openProfile(store, { dataKey: new Uint8Array(randomBytes(32)), decide: () => allow, audit: () => void events++ });
for (const s of secrets) profile.set(s.dataClass, s.value, s.label);
const read = measure('read one value (decrypt)', () => profile.get('phone'), 5000);
const disclose = await measureAsync(
  'disclose 4 fields (ledger + audit)',
  () => profile.disclose({ vendor: { origin: 'https://shop.example', verified: true }, purpose: 'order', fields: ['name', 'email', 'phone', { dataClass: 'address', label: 'home', purpose: 'delivery' }] }),
  500,
  50,
);
report('profile operations', read, [disclose]);
note(`goal: a 4-field disclosure < 5000 µs median: ${disclose.medianUs < 5000 ? 'met' : 'NOT met'} (${disclose.medianUs.toFixed(0)} µs); ${events} audit events emitted`);
store.close();
rmSync(dir, { recursive: true, force: true });
