import { chmodSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadOrCreateKey, startVendorWorld } from '../../src/index.ts';
import { createBroker } from '../helpers.ts';

const dirs: string[] = [];
const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'steward-vendors-'));
  dirs.push(d);
  return d;
};
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('vendor keys', () => {
  it('are created once with mode 0600 and stay the same across restarts', async () => {
    const dir = tempDir();
    const broker = createBroker();
    const first = await startVendorWorld({ basePort: 0, dataDir: dir, brokerId: broker.id, brokerJwks: broker.jwks, vendors: ['green-valley', 'quickbasket'] });
    const kids = [...first.running.values()].map((v) => v.agent.key.kid);
    const registryJwks = first.registry.jwks;
    await first.close();
    for (const f of readdirSync(join(dir, 'keys'))) expect(statSync(join(dir, 'keys', f)).mode & 0o777).toBe(0o600);
    const second = await startVendorWorld({ basePort: 0, dataDir: dir, brokerId: broker.id, brokerJwks: broker.jwks, vendors: ['green-valley', 'quickbasket'] });
    expect([...second.running.values()].map((v) => v.agent.key.kid)).toEqual(kids);
    expect(second.registry.jwks).toEqual(registryJwks);
    await second.close();
    broker.close();
  });

  it('refuses a key file others can read', () => {
    const dir = tempDir();
    loadOrCreateKey(dir, 'megamart');
    chmodSync(join(dir, 'keys', 'megamart.jwk.json'), 0o644);
    expect(() => loadOrCreateKey(dir, 'megamart')).toThrow(expect.objectContaining({ code: 'ERR_WORLD_KEYFILE_INSECURE' }));
  });

  it('refuses a key file that holds no private key', () => {
    const dir = tempDir();
    loadOrCreateKey(dir, 'skytrail');
    writeFileSync(join(dir, 'keys', 'skytrail.jwk.json'), '{"kty":"OKP","crv":"Ed25519","x":"AAAA"}', { mode: 0o600 });
    expect(() => loadOrCreateKey(dir, 'skytrail')).toThrow(expect.objectContaining({ code: 'ERR_WORLD_KEYFILE_INVALID' }));
  });

  it('refuses a bad base port and a busy port', async () => {
    const broker = createBroker();
    await expect(startVendorWorld({ basePort: 70_000, brokerId: broker.id, brokerJwks: broker.jwks })).rejects.toMatchObject({ code: 'ERR_WORLD_CONFIG_INVALID' });
    const world = await startVendorWorld({ basePort: 0, brokerId: broker.id, brokerJwks: broker.jwks, vendors: ['green-valley'] });
    const busy = Number(new URL(world.registry.origin).port);
    await expect(startVendorWorld({ basePort: busy, brokerId: broker.id, brokerJwks: broker.jwks, vendors: ['green-valley'] })).rejects.toMatchObject({ code: 'ERR_WORLD_LISTEN_FAILED' });
    await world.close();
    broker.close();
  });
});
