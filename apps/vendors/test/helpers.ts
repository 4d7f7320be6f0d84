import { randomUUID } from 'node:crypto';
import { openStore, type Store } from '@steward/store';
import {
  MIGRATIONS as IDENTITY_MIGRATIONS,
  ReplayStore,
  buildJwks,
  generateSigningKey,
  importVerificationKey,
  signMessage,
  tokenHash,
  verifyMessage,
  type MessageBody,
  type SigningKey,
  type VerificationKey,
} from '@steward/identity';
import type { Clock, Rfq, SignedOffer } from '@steward/protocol';

/** A stand-in broker: its own key, signs requests, sends A2A `message/send`, verifies vendor answers. */
export interface TestBroker {
  id: string;
  key: SigningKey;
  jwks: { keys: unknown[] };
  store: Store;
  replay: ReplayStore;
  sign<T extends 'rfq' | 'counterOffer' | 'order' | 'paymentToken'>(type: T, body: MessageBody<T>, aud: string, options?: { key?: SigningKey; clock?: Clock }): string;
  send(origin: string, steward: string, jws: string): Promise<ReplyPart[]>;
  sendRaw(origin: string, body: unknown): Promise<Response>;
  verifyFrom<T extends 'offer' | 'receipt'>(origin: string, type: T, token: string): Promise<ReturnType<typeof verifyMessage<T>>>;
  close(): void;
}

/** A reply DataPart as the broker receives it. */
export interface ReplyPart {
  steward: string;
  jws?: string;
  reason?: string;
  [k: string]: unknown;
}

export const BROKER_ID = 'https://broker.test';

export function createBroker(): TestBroker {
  const key = generateSigningKey();
  const store = openStore(':memory:', { migrations: { identity: IDENTITY_MIGRATIONS } });
  const replay = new ReplayStore(store);
  const vendorKeys = new Map<string, Map<string, VerificationKey>>();
  const broker: TestBroker = {
    id: BROKER_ID,
    key,
    jwks: buildJwks([key]),
    store,
    replay,
    sign: (type, body, aud, options = {}) =>
      signMessage(type, body, { key: options.key ?? key, iss: BROKER_ID, aud, ...(options.clock ? { clock: options.clock } : {}) }).token,
    async send(origin, steward, jws) {
      const res = await broker.sendRaw(origin, {
        jsonrpc: '2.0',
        id: randomUUID(),
        method: 'message/send',
        params: { message: { kind: 'message', messageId: randomUUID(), role: 'user', parts: [{ kind: 'data', data: { steward, jws } }] } },
      });
      const body = (await res.json()) as { result?: { parts?: { kind: string; data: ReplyPart }[] }; error?: unknown };
      if (!body.result?.parts) throw new Error(`no result: ${JSON.stringify(body.error)}`);
      return body.result.parts.map((p) => p.data);
    },
    async sendRaw(origin, body) {
      return fetch(`${origin}/a2a`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: typeof body === 'string' ? body : JSON.stringify(body) });
    },
    async verifyFrom(origin, type, token) {
      let keys = vendorKeys.get(origin);
      if (!keys) {
        const jwks = (await (await fetch(`${origin}/.well-known/jwks.json`)).json()) as { keys: unknown[] };
        keys = new Map(jwks.keys.map((j) => importVerificationKey(j, origin)).map((k) => [k.kid, k]));
        vendorKeys.set(origin, keys);
      }
      const k = keys;
      return verifyMessage(token, type, { audience: BROKER_ID, resolveKey: (kid) => k.get(kid), replay, revocation: { isKeyRevoked: () => false, isOriginRevoked: () => false } });
    },
    close: () => store.close(),
  };
  return broker;
}

let rfqCounter = 0;

/** An RFQ body for a category. */
export function rfqBody(category: Rfq['category'], items: Rfq['items'], constraints: Rfq['constraints'] = {}, nowMs = Date.now()): MessageBody<'rfq'> {
  return {
    type: 'rfq',
    rfqId: `rfq-${++rfqCounter}-${randomUUID().slice(0, 8)}`,
    category,
    currency: 'USD',
    items,
    constraints,
    respondBy: Math.floor(nowMs / 1000) + 60,
  };
}

/** A date `days` from now, as `YYYY-MM-DD`. */
export function daysFromNow(days: number, nowMs = Date.now()): string {
  return new Date(nowMs + days * 86_400_000).toISOString().slice(0, 10);
}

export const BASKET: Rfq['items'] = [
  { description: 'whole milk', quantity: 2 },
  { description: 'a dozen eggs', quantity: 1 },
  { description: 'sourdough bread', quantity: 1 },
  { description: 'bananas', quantity: 3 },
  { description: 'chicken breast', quantity: 2 },
  { description: 'ground coffee', quantity: 1 },
];

/** An order body that copies `offer` field by field and binds it to the offer's token, as a broker would. */
export function orderBody(offer: SignedOffer, token: string, overrides: Partial<MessageBody<'order'>> = {}): MessageBody<'order'> {
  return {
    type: 'order',
    orderId: `ord-${Math.random().toString(36).slice(2, 10)}`,
    offerId: offer.offerId,
    offerHash: tokenHash(token),
    vendor: offer.vendor,
    items: offer.items,
    fees: offer.fees,
    total: offer.total,
    billingPeriod: offer.billingPeriod,
    termsHash: offer.termsHash,
    payee: offer.payee,
    delivery: offer.delivery,
    disclosed: { name: 'Emma Example', email: 'emma@example.org', address: '12 Elm Street, Springfield' },
    policyVersion: 'policy-v1',
    ...overrides,
  };
}
