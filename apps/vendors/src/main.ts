/**
 * Runs the demo vendor world standalone and prints its URLs:
 *   pnpm tsx apps/vendors/src/main.ts
 * Environment: `STEWARD_BROKER_ID` (default `http://127.0.0.1:8787`), `STEWARD_BROKER_JWKS_URL`
 * (default `<broker id>/.well-known/jwks.json`, re-read at most once a minute),
 * `STEWARD_VENDORS_BASE_PORT` (default 8801; 0 picks free ports), `STEWARD_VENDORS_DATA` (default
 * `./data/vendors`), `STEWARD_VENDORS_ATTACK` (turns Bargain Hub hostile), `STEWARD_REQUIRE_HTTP_SIGNATURES=1`.
 */
import { resolve } from 'node:path';
import { isStewardError } from '@steward/protocol';
import { ATTACK_IDS, type AttackId } from './hostile/attacks.ts';
import type { JwksLike } from './vendor/agent.ts';
import { startVendorWorld, DEFAULT_BASE_PORT } from './world/start.ts';

const MAX_JWKS_BYTES = 64 * 1024;

/** The broker's JWKS from its URL, cached for a minute; no keys (everything refused) when unreachable. */
function brokerJwksFrom(url: string): () => Promise<JwksLike> {
  let cached: { at: number; jwks: JwksLike } | undefined;
  return async () => {
    if (cached && Date.now() - cached.at < 60_000) return cached.jwks;
    try {
      const res = await fetch(url, { redirect: 'error', signal: AbortSignal.timeout(3000) });
      const text = await res.text();
      if (!res.ok || text.length > MAX_JWKS_BYTES) throw new Error(`status ${res.status}`);
      const body = JSON.parse(text) as { keys?: unknown };
      cached = { at: Date.now(), jwks: { keys: Array.isArray(body.keys) ? (body.keys as unknown[]).slice(0, 10) : [] } };
    } catch (error) {
      console.error(`cannot read the broker's keys from ${url}: ${error instanceof Error ? error.message : String(error)}`);
      cached = { at: Date.now(), jwks: { keys: [] } };
    }
    return cached.jwks;
  };
}

async function main(): Promise<void> {
  const brokerId = process.env.STEWARD_BROKER_ID ?? 'http://127.0.0.1:8787';
  const attackName = process.env.STEWARD_VENDORS_ATTACK;
  if (attackName !== undefined && !ATTACK_IDS.includes(attackName as AttackId)) {
    console.error(`unknown attack \`${attackName}\`; one of: ${ATTACK_IDS.join(', ')}`);
    process.exit(1);
  }
  const world = await startVendorWorld({
    basePort: Number(process.env.STEWARD_VENDORS_BASE_PORT ?? DEFAULT_BASE_PORT),
    dataDir: resolve(process.env.STEWARD_VENDORS_DATA ?? 'data/vendors'),
    brokerId,
    brokerJwks: brokerJwksFrom(process.env.STEWARD_BROKER_JWKS_URL ?? `${brokerId}/.well-known/jwks.json`),
    ...(attackName !== undefined ? { attack: attackName as AttackId } : {}),
    requireHttpSignatures: process.env.STEWARD_REQUIRE_HTTP_SIGNATURES === '1',
  });
  console.log(`${world.registry.name}: ${world.registry.origin} (credentials at /credentials/<vendor-id>)`);
  for (const v of world.vendors) console.log(`${v.name.padEnd(20)} ${v.category.padEnd(11)} ${v.cardUrl}`);
  if (attackName !== undefined) console.log(`Bargain Hub is hostile: ${attackName}`);
  const stop = () => {
    void world.close().then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((error: unknown) => {
  console.error(isStewardError(error) ? `error ${error.code}: ${error.message}` : error);
  process.exit(1);
});
