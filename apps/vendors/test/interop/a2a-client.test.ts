import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Role, type Message } from '@a2a-js/sdk';
import { ClientFactory, ClientFactoryOptions, DefaultAgentCardResolver, JsonRpcTransportFactory } from '@a2a-js/sdk/client';
import { startVendor, VENDOR_PROFILES, type RunningVendor } from '../../src/index.ts';
import { BASKET, createBroker, daysFromNow, rfqBody, type TestBroker } from '../helpers.ts';

let broker: TestBroker;
let vendor: RunningVendor;

beforeAll(async () => {
  broker = createBroker();
  vendor = await startVendor({ profile: VENDOR_PROFILES['green-valley'], brokerId: broker.id, brokerJwks: broker.jwks });
});

afterAll(async () => {
  await vendor.close();
  broker.close();
});

function userMessage(value: unknown): Message {
  return {
    messageId: randomUUID(),
    contextId: '',
    taskId: '',
    role: Role.ROLE_USER,
    parts: [{ content: { $case: 'data', value }, metadata: undefined, filename: '', mediaType: 'application/json' }],
    metadata: undefined,
    extensions: [],
    referenceTaskIds: [],
  };
}

describe('@a2a-js/sdk client interop', () => {
  it('reads a demo vendor card and sends it a message/send with a signed rfq', async () => {
    const factory = new ClientFactory(
      ClientFactoryOptions.createFrom(ClientFactoryOptions.default, {
        transports: [new JsonRpcTransportFactory({ legacyCompat: { enabled: true } })],
        cardResolver: new DefaultAgentCardResolver({ legacyCompat: { enabled: true } }),
      }),
    );
    const client = await factory.createFromUrl(vendor.origin);
    const card = await client.getAgentCard();
    expect(card.name).toBe('Green Valley Co-op');
    expect(card.supportedInterfaces[0]?.url).toBe(`${vendor.origin}/a2a`);
    expect(client.protocolVersion).toBe('0.3');

    const rfq = broker.sign('rfq', rfqBody('groceries', BASKET, { deliveryDay: daysFromNow(2) }), vendor.origin);
    const result = await client.sendMessage({ tenant: '', message: userMessage({ steward: 'rfq', jws: rfq }), configuration: undefined, metadata: undefined });
    expect('status' in result).toBe(false);
    const reply = result as Message;
    expect(reply.role).toBe(Role.ROLE_AGENT);
    expect(reply.parts).toHaveLength(1);
    const content = reply.parts[0]?.content;
    expect(content?.$case).toBe('data');
    const data = (content as { value: { steward: string; jws: string } }).value;
    expect(data.steward).toBe('offer');
    const { payload } = await broker.verifyFrom(vendor.origin, 'offer', data.jws);
    expect(payload.vendor).toBe(vendor.origin);
  });

  it('talks A2A v1.0 with the SDK transport the broker uses (SendMessage)', async () => {
    const url = `${vendor.origin}/a2a`;
    const card = { supportedInterfaces: [{ url, protocolBinding: 'JSONRPC', tenant: '', protocolVersion: '1.0' }] } as unknown as Parameters<JsonRpcTransportFactory['create']>[1];
    const transport = await new JsonRpcTransportFactory().create(url, card);
    const rfq = broker.sign('rfq', rfqBody('groceries', BASKET, { deliveryDay: daysFromNow(2) }), vendor.origin);
    const result = (await transport.sendMessage({ tenant: '', message: userMessage({ steward: 'rfq', jws: rfq }), configuration: undefined, metadata: undefined })) as Message;
    const content = result.parts[0]?.content;
    expect(content?.$case).toBe('data');
    const data = (content as { value: { steward: string; jws: string } }).value;
    expect(data.steward).toBe('offer');
    expect((await broker.verifyFrom(vendor.origin, 'offer', data.jws)).payload.vendor).toBe(vendor.origin);
  });

  it('answers the A2A v1.0 JSON-RPC method (SendMessage) too', async () => {
    const rfq = broker.sign('rfq', rfqBody('groceries', BASKET, { deliveryDay: daysFromNow(2) }), vendor.origin);
    const res = await broker.sendRaw(vendor.origin, {
      jsonrpc: '2.0',
      id: 1,
      method: 'SendMessage',
      params: { message: { messageId: randomUUID(), role: 'ROLE_USER', parts: [{ data: { steward: 'rfq', jws: rfq } }] } },
    });
    const body = (await res.json()) as { result: { message: { role: string; parts: { data: { steward: string } }[] } } };
    expect(body.result.message.role).toBe('ROLE_AGENT');
    expect(body.result.message.parts[0]?.data.steward).toBe('offer');
  });
});
