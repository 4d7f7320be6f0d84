/**
 * Interop with @a2a-js/sdk (issue 7), both ways over real HTTP on 127.0.0.1:
 *
 * 1. The SDK's own client reads a demo vendor's Agent Card (v0.3, translated by the SDK's
 *    resolver), and its signature is checked by @steward/identity's `verifyCard` and by the SDK's own
 *    `verifyAgentCardSignature` where the SDK's canonical form can cover the card.
 * 2. A vendor written here directly on the SDK's server classes (DefaultRequestHandler +
 *    JsonRpcTransportHandler in a bare fastify app, card signed by the SDK's own
 *    `generateAgentCardSignature`), speaking docs/wire-protocol.md with identity's `signMessage`, is
 *    enrolled like any vendor, and the broker negotiates with it: quote → order → receipt.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import {
  Role,
  generateAgentCardSignature,
  verifyAgentCardSignature,
  type AgentCard as SdkAgentCard,
  type Part,
} from '@a2a-js/sdk';
import { DefaultAgentCardResolver } from '@a2a-js/sdk/client';
import {
  AgentEvent,
  DefaultRequestHandler,
  InMemoryTaskStore,
  JsonRpcTransportHandler,
  ServerCallContext,
  UnauthenticatedUser,
  type AgentExecutor,
  type ExecutionEventBus,
  type RequestContext,
} from '@a2a-js/sdk/server';
import { verifyLog } from '@steward/audit';
import { startBroker, type RunningBroker } from '@steward/broker-server';
import {
  buildJwks,
  generateSigningKey,
  importVerificationKey,
  publishedJwk,
  resolverOf,
  signMessage,
  tokenHash,
  verifyCard,
  verifyMessage,
  ReplayStore,
  MIGRATIONS as IDENTITY_MIGRATIONS,
  type SigningKey,
} from '@steward/identity';
import { COMMERCE_EXTENSION_URI, parseJson, type AgentCard } from '@steward/protocol';
import { openStore } from '@steward/store';
import { VENDOR_PROFILES, startVendor, type RunningVendor } from '@steward/vendors';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const quiet = new Writable({ write: (_c, _e, cb) => cb() });
const NO_REVOCATION = { isKeyRevoked: () => false, isOriginRevoked: () => false };

let dir: string;
let broker: RunningBroker;
let demoVendor: RunningVendor;
let sdkVendor: SdkVendor;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'steward-interop-'));
  broker = await startBroker({ STEWARD_DATA_DIR: dir, STEWARD_PORT: '0', STEWARD_ALLOW_PRIVATE_VENDORS: '1' }, quiet, { demo: false, web: false, collectionWindowMs: 5000 });
  const brokerJwks = () => buildJwks(broker.steward.keys.published());
  demoVendor = await startVendor({ profile: VENDOR_PROFILES['green-valley'], port: 0, brokerId: broker.steward.brokerId, brokerJwks });
  sdkVendor = await startSdkVendor(broker.steward.brokerId, brokerJwks().keys);
}, 60_000);

afterAll(async () => {
  await sdkVendor?.close();
  await demoVendor?.close();
  await broker?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('the @a2a-js/sdk client reads a demo vendor card', () => {
  it('resolves the signed v0.3 card to its JSON-RPC endpoint, and identity verifies the signature over it', async () => {
    const resolver = new DefaultAgentCardResolver({ legacyCompat: { enabled: true } });
    const card = await resolver.resolve(demoVendor.origin);
    expect(card.name).toBe(demoVendor.name);
    expect(card.supportedInterfaces[0]).toMatchObject({ url: `${demoVendor.origin}/a2a`, protocolBinding: 'JSONRPC', protocolVersion: '0.3.0' });
    expect(card.signatures).toHaveLength(1);

    // The bytes as served, checked by Steward with the key pinned for that origin.
    const served = (await (await fetch(`${demoVendor.origin}/.well-known/agent-card.json`)).json()) as AgentCard;
    const pinned = resolverOf([importVerificationKey(publishedJwk(demoVendor.agent.key), demoVendor.origin)]);
    const verified = verifyCard(served, { servedFrom: demoVendor.origin, resolveKey: pinned, revocation: NO_REVOCATION });
    expect(verified.form).toBe('spec');
    expect(verified.commerce?.origin).toBe(demoVendor.origin);
  });

  it("the SDK's verifier checks cards signed in its canonical form; demo cards are signed over the spec form, which it cannot check", async () => {
    const served = (await (await fetch(`${demoVendor.origin}/.well-known/agent-card.json`)).json()) as AgentCard;
    const verify = verifyAgentCardSignature(async () => demoVendor.agent.key.publicKey);
    // The SDK canonicalises a card after a round trip through its v1.0 proto type, which drops the
    // v0.3 fields (url, preferredTransport, protocolVersion) that the spec-form signature covers.
    await expect(verify(served as unknown as SdkAgentCard)).rejects.toThrow(/no valid signatures/i);
    // The same card signed by the same vendor key in the SDK's form passes the SDK's verifier, and
    // Steward's, which reports the fields that form leaves uncovered.
    const { signatures: _dropped, ...unsigned } = served;
    const resigned = (await generateAgentCardSignature(demoVendor.agent.key.privateKey, { alg: 'EdDSA', kid: demoVendor.agent.key.kid, typ: 'JOSE' })(
      unsigned as unknown as SdkAgentCard,
    )) as unknown as AgentCard;
    await expect(verify(resigned as unknown as SdkAgentCard)).resolves.toBeUndefined();
    const pinned = resolverOf([importVerificationKey(publishedJwk(demoVendor.agent.key), demoVendor.origin)]);
    const steward = verifyCard(resigned, { servedFrom: demoVendor.origin, resolveKey: pinned, revocation: NO_REVOCATION });
    expect(steward.form).toBe('sdk');
    expect(steward.uncovered).toEqual(expect.arrayContaining(['url']));
    // A tampered card fails both.
    const tampered = { ...resigned, name: 'Green Va11ey' };
    await expect(verify(tampered as unknown as SdkAgentCard)).rejects.toThrow();
    expect(() => verifyCard(tampered, { servedFrom: demoVendor.origin, resolveKey: pinned, revocation: NO_REVOCATION })).toThrow(expect.objectContaining({ code: 'ERR_JWS_SIGNATURE_INVALID' }));
  });
});

describe('the broker and a vendor built on the SDK server classes', () => {
  it("enrols it from its SDK-signed card and negotiates: quote → order → receipt", async () => {
    // Steward's verifier accepts the SDK's signature form and names what it leaves uncovered.
    const served = (await (await fetch(`${sdkVendor.origin}/.well-known/agent-card.json`)).json()) as AgentCard;
    const verified = verifyCard(served, {
      servedFrom: sdkVendor.origin,
      resolveKey: resolverOf([importVerificationKey(publishedJwk(sdkVendor.key), sdkVendor.origin)]),
      revocation: NO_REVOCATION,
    });
    expect(verified.form).toBe('sdk');
    // The SDK verifies its own signature over the card as served.
    expect(await verifyAgentCardSignature(async () => sdkVendor.key.publicKey)(served as unknown as SdkAgentCard)).toBeUndefined();

    const { steward } = broker;
    const record = await steward.enrolVendor(sdkVendor.origin);
    expect(record.origin).toBe(sdkVendor.origin);
    steward.profile.set('name', 'Ada Example', 'primary');
    steward.profile.set('address', '12 Analytical Way, Springfield, 01101', 'home');

    const api = async <T>(method: string, path: string, body?: unknown): Promise<{ status: number; json: T }> => {
      const res = await fetch(`${broker.url}${path}`, {
        method,
        headers: { authorization: `Bearer ${broker.token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      return { status: res.status, json: (await res.json()) as T };
    };
    const created = await api<{ taskId: string }>('POST', '/api/tasks', {
      category: 'general',
      summary: 'a desk lamp',
      items: [{ description: 'desk lamp', quantity: 1 }],
      budget: { amountMinor: 5000, currency: 'USD' },
      constraints: {},
    });
    expect(created.status).toBe(201);
    const taskId = created.json.taskId;

    const quotes = await api<{ offers: Array<{ offerId: string; offerHash: string; vendor: { origin: string }; total: { amountMinor: number } }> }>('POST', `/api/tasks/${taskId}/quotes`);
    expect(quotes.status).toBe(200);
    expect(quotes.json.offers).toHaveLength(1);
    const offer = quotes.json.offers[0]!;
    expect(offer.vendor.origin).toBe(sdkVendor.origin);
    expect(offer.total.amountMinor).toBe(2499 + 500);
    expect(sdkVendor.seen).toEqual(['rfq']);

    await api('POST', `/api/tasks/${taskId}/recommend`, { offerId: offer.offerId });
    let outcome = (await api<{ status: string; orderId?: string; approval?: { approvalId: string }; reasons?: string[] }>('POST', `/api/tasks/${taskId}/order`, { offerId: offer.offerId })).json;
    // A vendor enrolled from its card alone (no registry) is unverified: the default policy asks.
    if (outcome.status === 'needs_approval') {
      outcome = (await api<typeof outcome>('POST', `/api/approvals/${outcome.approval!.approvalId}`, { answer: 'approve' })).json;
    }
    expect(outcome.status, JSON.stringify(outcome)).toBe('ordered');
    expect(sdkVendor.seen).toEqual(['rfq', 'order']);

    const order = steward.store.db.prepare('SELECT status, offer_hash, jws, receipt_jws FROM broker_orders WHERE order_id = ?').get(outcome.orderId) as {
      status: string;
      offer_hash: string;
      jws: string;
      receipt_jws: string;
    };
    expect(order.status).toBe('accepted');
    expect(order.offer_hash).toBe(offer.offerHash);
    // The receipt the SDK vendor signed binds the exact order the broker signed.
    const receipt = JSON.parse(Buffer.from(order.receipt_jws.split('.')[1]!, 'base64url').toString('utf8')) as { orderHash: string; iss: string };
    expect(receipt.orderHash).toBe(tokenHash(order.jws));
    expect(receipt.iss).toBe(sdkVendor.origin);
    steward.audit.flush();
    expect(verifyLog(steward.store).ok).toBe(true);
  }, 60_000);
});

// ---------- a vendor on the SDK's own server classes ----------

interface SdkVendor {
  origin: string;
  key: SigningKey;
  /** The Steward message types it received, in order. */
  seen: string[];
  close(): Promise<void>;
}

function dataPart(value: unknown): Part {
  return { content: { $case: 'data', value }, metadata: undefined, filename: '', mediaType: 'application/json' };
}

/** One-item shop: verifies the broker's signed RFQ or order and answers with a signed offer or receipt. */
class LampShop implements AgentExecutor {
  readonly offers = new Map<string, { token: string; total: number }>();
  readonly replay = new ReplayStore(openStore(':memory:', { migrations: { identity: IDENTITY_MIGRATIONS } }));

  constructor(
    readonly vendor: SdkVendor,
    readonly brokerId: string,
    readonly brokerKeys: readonly unknown[],
  ) {}

  async execute(context: RequestContext, bus: ExecutionEventBus): Promise<void> {
    const parts = context.userMessage.parts;
    const content = parts.length === 1 ? parts[0]?.content : undefined;
    const data = content?.$case === 'data' ? (content.value as { steward?: string; jws?: string }) : {};
    this.vendor.seen.push(String(data.steward));
    bus.publish(
      AgentEvent.message({
        messageId: randomUUID(),
        contextId: context.contextId,
        taskId: '',
        role: Role.ROLE_AGENT,
        parts: [dataPart(this.answer(data))],
        metadata: undefined,
        extensions: [],
        referenceTaskIds: [],
      }),
    );
    bus.finished();
  }

  async cancelTask(): Promise<void> {
    // every exchange finishes inside execute()
  }

  answer(data: { steward?: string; jws?: string }): Record<string, string> {
    const { origin, key } = this.vendor;
    const opts = { audience: origin, resolveKey: resolverOf(this.brokerKeys.map((k) => importVerificationKey(k, this.brokerId))), replay: this.replay, revocation: NO_REVOCATION };
    const usd = (amountMinor: number) => ({ amountMinor, currency: 'USD' });
    if (data.steward === 'rfq' && data.jws) {
      const { payload: rfq } = verifyMessage(data.jws, 'rfq', opts);
      const now = Math.floor(Date.now() / 1000);
      const start = new Date((now + 2 * 86_400) * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
      const end = new Date((now + 2 * 86_400 + 4 * 3600) * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
      const { token, payload } = signMessage(
        'offer',
        {
          type: 'offer',
          offerId: `lamp-${randomUUID().slice(0, 8)}`,
          rfqId: rfq.rfqId,
          vendor: origin,
          round: 0,
          items: [{ sku: 'LAMP-1', name: 'Desk lamp', quantity: 1, unitPrice: usd(2499), lineTotal: usd(2499), requestIndex: 0, condition: 'new' }],
          fees: [{ kind: 'delivery', label: 'Delivery', amount: usd(500) }],
          total: usd(2999),
          billingPeriod: 'one_off',
          expiresAt: now + 900,
          termsHash: tokenHash('terms'),
          sponsored: false,
          delivery: { start, end },
          payee: { payoutId: 'acct:lamp-shop' },
        },
        { key, iss: origin, aud: rfq.iss },
      );
      this.offers.set(payload.offerId, { token, total: payload.total.amountMinor });
      return { steward: 'offer', jws: token };
    }
    if (data.steward === 'order' && data.jws) {
      const { payload: order, hash } = verifyMessage(data.jws, 'order', opts);
      const offer = this.offers.get(order.offerId);
      if (!offer || order.offerHash !== tokenHash(offer.token)) return { steward: 'refusal', reason: `unknown_offer: no offer \`${order.offerId}\`` };
      if (order.total.amountMinor !== offer.total) return { steward: 'refusal', reason: 'order_mismatch: the total differs from the offer' };
      this.offers.delete(order.offerId);
      const receipt = signMessage(
        'receipt',
        { type: 'receipt', receiptId: `lamp-r-${randomUUID().slice(0, 8)}`, orderId: order.orderId, orderHash: hash, status: 'accepted', total: order.total },
        { key, iss: origin, aud: order.iss },
      );
      return { steward: 'receipt', jws: receipt.token };
    }
    return { steward: 'refusal', reason: 'bad_request: send one DataPart { steward, jws }' };
  }
}

/** Starts the SDK vendor: a bare fastify app around the SDK's DefaultRequestHandler and JsonRpcTransportHandler. */
async function startSdkVendor(brokerId: string, brokerKeys: readonly unknown[]): Promise<SdkVendor> {
  const key = generateSigningKey();
  const app: FastifyInstance = Fastify({ logger: false, bodyLimit: 256 * 1024 });
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_req, body, done) => {
    try {
      done(null, parseJson(body as string, { maxBytes: 256 * 1024, maxDepth: 24 }));
    } catch (error) {
      done(error as Error, undefined);
    }
  });
  const slot: { card?: SdkAgentCard; v0?: AgentCard; transport?: JsonRpcTransportHandler } = {};
  app.get('/.well-known/agent-card.json', async () => slot.v0);
  app.get('/.well-known/jwks.json', async () => buildJwks([key]));
  // The terms its offers sign (termsHash = SHA-256 of these bytes, docs/wire-protocol.md).
  app.get('/terms', async (_req, reply) => reply.type('text/plain; charset=utf-8').send('terms'));
  app.post('/a2a', async (req, reply) => {
    const body = req.body;
    if (typeof body !== 'object' || body === null || Array.isArray(body)) return reply.send({ jsonrpc: '2.0', id: null, error: { code: -32600, message: 'invalid request' } });
    const result = await slot.transport!.handle(body as Record<string, unknown>, new ServerCallContext({ user: new UnauthenticatedUser() }));
    return reply.type('application/json').send(result);
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const origin = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
  const vendor: SdkVendor = { origin, key, seen: [], close: () => app.close() };

  // The card the broker fetches: v0.3 JSON (docs/wire-protocol.md) with the commerce extension,
  // signed by the SDK's own signer over its canonical form.
  const unsigned: AgentCard = {
    protocolVersion: '0.3.0',
    name: 'Lamp Shop (SDK)',
    description: 'A one-item shop built directly on the @a2a-js/sdk server classes',
    url: `${origin}/a2a`,
    preferredTransport: 'JSONRPC',
    provider: { organization: 'Lamp Shop Ltd', url: origin },
    version: '1.0.0',
    capabilities: {
      streaming: false,
      pushNotifications: false,
      extensions: [
        {
          uri: COMMERCE_EXTENSION_URI,
          description: 'Steward commerce',
          required: true,
          params: {
            legalEntity: { name: 'Lamp Shop Ltd' },
            origin,
            owners: [],
            affiliations: [],
            payout: { payoutId: 'acct:lamp-shop', holder: 'Lamp Shop Ltd' },
            categories: ['general'],
          },
        },
      ],
    },
    defaultInputModes: ['application/json'],
    defaultOutputModes: ['application/json'],
    skills: [{ id: 'lamp-quote', name: 'Quote a desk lamp', description: 'Signed offers for desk lamps', tags: ['general'] }],
  };
  const sign = generateAgentCardSignature(key.privateKey, { alg: 'EdDSA', kid: key.kid, typ: 'JOSE' });
  slot.v0 = (await sign(unsigned as unknown as SdkAgentCard)) as unknown as AgentCard;
  slot.card = {
    name: unsigned.name,
    description: unsigned.description,
    supportedInterfaces: [{ url: `${origin}/a2a`, protocolBinding: 'JSONRPC', tenant: '', protocolVersion: '1.0' }],
    provider: undefined,
    version: '1.0.0',
    capabilities: { streaming: false, pushNotifications: false, extensions: [] },
    securitySchemes: {},
    securityRequirements: [],
    defaultInputModes: ['application/json'],
    defaultOutputModes: ['application/json'],
    skills: [],
    signatures: [],
  };
  slot.transport = new JsonRpcTransportHandler(new DefaultRequestHandler(slot.card, new InMemoryTaskStore(), new LampShop(vendor, brokerId, brokerKeys)));
  return vendor;
}
