import type { FastifyPluginAsync } from 'fastify';
import type { Steward } from '../steward.ts';

const iso = (s: number | null): string | undefined => (s === null ? undefined : new Date(s * 1000).toISOString());

/** `GET /api/keys`: the broker's and the person's public keys with their state (never a private key). */
export function keysFeature(steward: Steward): FastifyPluginAsync {
  return async (api) => {
    api.get('/keys', { schema: { tags: ['keys'], summary: 'your public keys' } }, async () => ({
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
