import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { COMMERCE_EXTENSION_URI, FixedClock, type AgentCard } from '@steward/protocol';
import { openStore, type Store } from '@steward/store';
import { MIGRATIONS } from '../src/migrations.ts';
import type { MessageBody } from '../src/message/sign.ts';
import type { RevocationCheck } from '../src/revocation/revocation-check.ts';

/** 2026-11-26T00:00:00Z */
export const T0 = 1_795_651_200;

export const VENDOR = 'https://shop.example';
export const BROKER = 'https://broker.example';

export function clockAt(seconds = T0): FixedClock {
  return new FixedClock(seconds * 1000);
}

/** A temp dir and a migrated store in it; `cleanup` closes and removes both. */
export function tempStore(): { dir: string; path: string; store: Store; reopen: () => Store; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'steward-identity-'));
  const path = join(dir, 'steward.db');
  let store = openStore(path, { migrations: { identity: MIGRATIONS } });
  return {
    dir,
    path,
    get store() {
      return store;
    },
    reopen() {
      store.close();
      store = openStore(path, { migrations: { identity: MIGRATIONS } });
      return store;
    },
    cleanup() {
      store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export const noRevocation: RevocationCheck = { isKeyRevoked: () => false, isOriginRevoked: () => false };

export function offerBody(overrides: Record<string, unknown> = {}): MessageBody<'offer'> {
  return {
    type: 'offer',
    offerId: 'offer-1',
    rfqId: 'rfq-1',
    vendor: VENDOR,
    round: 0,
    items: [
      { sku: 'APL-1', name: 'Apples', quantity: 2, unitPrice: { amountMinor: 150, currency: 'USD' }, lineTotal: { amountMinor: 300, currency: 'USD' }, condition: 'new' },
    ],
    fees: [{ kind: 'delivery', label: 'Delivery', amount: { amountMinor: 499, currency: 'USD' } }],
    total: { amountMinor: 799, currency: 'USD' },
    billingPeriod: 'one_off',
    expiresAt: T0 + 3600,
    termsHash: 'A'.repeat(43),
    sponsored: false,
    delivery: null,
    payee: { payoutId: 'payout-shop-1' },
    ...overrides,
  };
}

export function vendorCard(origin = VENDOR, overrides: Partial<AgentCard> = {}): AgentCard {
  return {
    protocolVersion: '0.3.0',
    name: 'Example Shop',
    description: 'Groceries delivered',
    url: `${origin}/a2a`,
    version: '1.0.0',
    capabilities: {
      streaming: false,
      extensions: [
        {
          uri: COMMERCE_EXTENSION_URI,
          params: {
            legalEntity: { name: 'Example Shop Ltd' },
            origin,
            owners: [{ entity: { name: 'Parent Holdings', entityId: 'parent-holdings' }, relation: 'owns', stake: 1 }],
            affiliations: [],
            payout: { payoutId: 'payout-shop-1', holder: 'Example Shop Ltd' },
            categories: ['groceries'],
          },
        },
      ],
    },
    defaultInputModes: ['application/json'],
    defaultOutputModes: ['application/json'],
    skills: [{ id: 'quote', name: 'Quote', description: 'Answers requests for quotes', tags: ['groceries'] }],
    ...overrides,
  };
}
