import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { EnrolledVendor } from '@steward/broker';
import { generateSigningKey } from '@steward/identity';
import { afterEach, describe, expect, it } from 'vitest';
import { vendorFetch } from '../src/transport.ts';

let server: Server | undefined;
afterEach(async () => {
  if (server) await new Promise((r) => server!.close(r));
  server = undefined;
});

/** A vendor answering every request with `status` and a small body. */
async function vendorAnswering(status: number): Promise<EnrolledVendor> {
  server = createServer((_req, res) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(status === 204 ? undefined : '{}');
  });
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { origin } as EnrolledVendor;
}

describe('vendorFetch answers a hostile status with a refusal, never an uncaught exception (broker crash)', () => {
  const key = generateSigningKey();
  for (const status of [204, 999]) {
    it(`status ${status} is refused with ERR_REQUEST_INVALID`, async () => {
      const vendor = await vendorAnswering(status);
      const f = vendorFetch(vendor, { signingKey: () => key, allowPrivate: true, timeoutMs: 2000 });
      const error = await f(`${vendor.origin}/a2a`, { method: 'POST', body: '{}' }).then(
        () => undefined,
        (e: unknown) => e as { code?: string },
      );
      expect(error?.code).toBe('ERR_REQUEST_INVALID');
    });
  }
});
