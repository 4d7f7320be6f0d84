import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Steward } from '../steward.ts';

/** Public JWK members only: a private member (`d`) is stripped by the response schema even if one slipped in. */
const PublicJwk = z.object({ kty: z.string(), crv: z.string().optional(), x: z.string().optional(), y: z.string().optional(), alg: z.string().optional(), use: z.string().optional(), kid: z.string().optional() });
const KeyList = z.object({
  keys: z.array(
    z.object({
      kid: z.string(),
      purpose: z.enum(['broker', 'user']),
      alg: z.string(),
      status: z.enum(['pending', 'active', 'retiring', 'retired', 'revoked']),
      createdAt: z.string().optional(),
      notBefore: z.string().optional(),
      notAfter: z.string().optional(),
      revokedAt: z.string().optional(),
      publicJwk: PublicJwk,
    }),
  ),
});

const iso = (s: number | null): string | undefined => (s === null ? undefined : new Date(s * 1000).toISOString());

/** `GET /api/keys`: the broker's and the person's public keys with their state (never a private key). */
export function keysFeature(steward: Steward): FastifyPluginAsync {
  return async (base) => {
    const api = base.withTypeProvider<ZodTypeProvider>();
    api.get('/keys', { schema: { response: { 200: KeyList }, tags: ['keys'], summary: 'your public keys' } }, async () => ({
      keys: steward.keys.list().map((k) => ({
        kid: k.kid,
        purpose: k.purpose,
        alg: k.alg,
        status: k.state,
        createdAt: iso(k.createdAt),
        notBefore: iso(k.notBefore),
        ...(k.retiresAt === null ? {} : { notAfter: iso(k.retiresAt) }),
        ...(k.revokedAt === null ? {} : { revokedAt: iso(k.revokedAt) }),
        publicJwk: k.publicJwk,
      })),
    }));
  };
}
