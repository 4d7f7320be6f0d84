import { Origin } from '@steward/protocol';
import { hmacHex } from '../internal/crypto.ts';
import { isoNow, type VaultContext } from '../internal/context.ts';
import { ProfileError } from '../errors.ts';

/** The default domain of relay addresses; `.invalid` so that nothing is ever delivered by mistake. */
export const DEFAULT_RELAY_DOMAIN = 'relay.steward.invalid';

/** Checks and canonicalises a vendor origin. */
export function canonicalOrigin(origin: unknown): string {
  const r = Origin.safeParse(origin);
  if (!r.success || typeof origin !== 'string') {
    throw new ProfileError('ERR_PROFILE_REQUEST_INVALID', `vendor \`${String(origin)}\` is not a web origin such as \`https://shop.example\``, {
      details: { field: 'vendor.origin' },
    });
  }
  return new URL(origin).origin;
}

/**
 * The vendor's relay address: `relay-<20 hex>@<domain>`, a keyed HMAC of the origin, so it is the
 * same every time for one vendor, different across vendors, and unlinkable without the data key.
 */
export function relayAddressFor(ctx: VaultContext, vendorOrigin: string): string {
  const tag = hmacHex(ctx.keys.relay, ['relay', canonicalOrigin(vendorOrigin)]).slice(0, 20);
  return `relay-${tag}@${ctx.relayDomain}`;
}

/** Records the relay address so replies to it map back to the vendor; idempotent. */
export function recordRelay(ctx: VaultContext, vendorOrigin: string): string {
  const address = relayAddressFor(ctx, vendorOrigin);
  ctx.store.db
    .prepare('INSERT INTO profile_relays (address, vendor, created_at) VALUES (?, ?, ?) ON CONFLICT (address) DO NOTHING')
    .run(address, canonicalOrigin(vendorOrigin), isoNow(ctx));
  return address;
}

/** Who a relay address was given to, or undefined if it is not one of ours. */
export function lookupRelay(ctx: VaultContext, address: string): { vendor: string; createdAt: string } | undefined {
  const row = ctx.store.db
    .prepare('SELECT vendor, created_at FROM profile_relays WHERE address = ?')
    .get(address.trim().toLowerCase()) as { vendor: string; created_at: string } | undefined;
  return row ? { vendor: row.vendor, createdAt: row.created_at } : undefined;
}
