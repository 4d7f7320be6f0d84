/**
 * What one vendor exchange costs: verifying the broker's signed RFQ, pricing it and signing the
 * offer, in process and over loopback HTTP through the A2A SDK. Baseline: signing one offer alone.
 * Goal: a vendor answers an RFQ over HTTP in well under 10 ms median on this machine.
 */
import { randomUUID } from 'node:crypto';
import { signMessage } from '@steward/identity';
import { measure, measureAsync, note, report } from '../../../test/bench/kit.ts';
import { startVendor, VENDOR_PROFILES } from '../src/index.ts';
import { BASKET, createBroker, daysFromNow, rfqBody } from '../test/helpers.ts';

const broker = createBroker();
const vendor = await startVendor({ profile: VENDOR_PROFILES['green-valley'], brokerId: broker.id, brokerJwks: broker.jwks });
const o = vendor.origin;
const tokens = (n: number) => Array.from({ length: n }, () => broker.sign('rfq', rfqBody('groceries', BASKET, { deliveryDay: daysFromNow(2) }), o));

const [first] = await vendor.agent.handle({ steward: 'rfq', jws: tokens(1)[0]! });
const sample = (await broker.verifyFrom(o, 'offer', first!.jws!)).payload;
const { iss: _i, aud: _a, iat: _t, exp: _e, jti: _j, ...body } = sample;
const baseline = measure('sign one offer (baseline)', () => signMessage('offer', body, { key: vendor.agent.key, iss: o, aud: broker.id }), 3000);

const inProcess = tokens(2200);
let i = 0;
const handle = await measureAsync('rfq → offer, in process (verify, price, sign)', () => vendor.agent.handle({ steward: 'rfq', jws: inProcess[i++]! }), 2000);

const overHttp = tokens(700);
let j = 0;
const http = await measureAsync(
  'rfq → offer over HTTP (fastify + @a2a-js/sdk JSON-RPC)',
  () =>
    fetch(`${o}/a2a`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        jsonrpc: '2.0',
        id: randomUUID(),
        method: 'message/send',
        params: { message: { kind: 'message', messageId: randomUUID(), role: 'user', parts: [{ kind: 'data', data: { steward: 'rfq', jws: overHttp[j++]! } }] } },
      }),
    }).then((r) => r.json()),
  600,
  100,
);

report('one vendor exchange', baseline, [handle, http]);
note(`goal: HTTP rfq → offer median under 10 ms: ${http.medianUs < 10_000 ? 'met' : 'not met'} (${(http.medianUs / 1000).toFixed(2)} ms)`);
await vendor.close();
broker.close();
