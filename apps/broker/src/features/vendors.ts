import { parseOrigin, type VendorObservation, type VendorRecord } from '@steward/identity';
import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { ServerError } from '../errors.ts';
import type { Steward } from '../steward.ts';

const Origin = z.string().min(1).max(256);
/** A vendor credential (compact JWS) the registry issued, when the person has one. */
const Credential = z.string().regex(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/, 'must be a compact JWS').max(16_384);
const CardHash = z.string().regex(/^[A-Za-z0-9_-]{43}$/, 'must be the card hash the preview showed');

const categoriesOf = (v: VendorRecord): string[] => {
  const ext = v.card.capabilities.extensions?.find((e) => e.uri.includes('/a2a/ext/commerce/'))?.params as { categories?: unknown } | undefined;
  return Array.isArray(ext?.categories) ? ext.categories.filter((c): c is string => typeof c === 'string') : [];
};

/** What the person reviews before enrolling: verified facts, and the vendor's own words marked as such. */
function previewOf(o: VendorObservation, steward: Steward) {
  const origin = o.card.key.owner;
  const enrolled = steward.vendors.has(origin) ? steward.vendors.get(origin) : undefined;
  return {
    origin,
    cardHash: o.card.hash,
    cardForm: o.card.form,
    keyThumbprints: o.keys.map((k) => k.kid),
    signingKey: o.card.key.kid,
    commerce: o.card.commerce ?? null,
    credential: o.credential
      ? { issuer: o.credential.claims.iss, verificationLevel: o.credential.claims.verificationLevel, legalEntity: o.credential.claims.legalEntity, owners: o.credential.claims.owners }
      : null,
    verified: o.credential !== undefined,
    enrolled: enrolled ? { status: enrolled.status, sameCard: enrolled.cardHash === o.card.hash } : null,
    // The vendor's self-description: shown as quoted text, never as Steward's words.
    untrustedVendorText: { name: o.card.card.name.slice(0, 200), description: (o.card.card.description ?? '').slice(0, 1000) },
  };
}

/**
 * Vendors: the enrolled list with status, keys, card form and pending drift; enrol by origin
 * (preview, then confirm the previewed card); revoke at once (deny-list and record, audited).
 */
export function vendorsFeature(steward: Steward): FastifyPluginAsync {
  return async (base) => {
    const api = base.withTypeProvider<ZodTypeProvider>();

    const normalise = (raw: string): string => {
      try {
        return parseOrigin(raw);
      } catch (error) {
        throw new ServerError('ERR_REQUEST_INVALID', `\`${raw.slice(0, 100)}\` is not a vendor origin such as \`https://shop.example\``, { cause: error, details: { origin: raw.slice(0, 256) } });
      }
    };

    api.get('/vendors', { schema: { tags: ['vendors'], summary: 'enrolled vendors' } }, async () => ({
      vendors: steward.vendors.list().map((v) => {
        const pending = steward.vendors.pendingChange(v.origin);
        return {
          origin: v.origin,
          displayName: v.displayName,
          status: v.status,
          categories: categoriesOf(v),
          keyThumbprints: v.keys.map((k) => k.kid),
          verified: v.verificationLevel !== 'pinned',
          ...(v.verificationLevel === 'pinned' ? {} : { verificationLevel: v.verificationLevel }),
          ...(v.registry ? { registry: v.registry } : {}),
          cardForm: v.cardForm,
          cardHash: v.cardHash,
          enrolledAt: v.enrolledAt,
          updatedAt: v.updatedAt,
          ...(pending ? { drift: { kinds: pending.kinds, observedAt: pending.observedAt } } : {}),
        };
      }),
      revoked: steward.revocation.list().filter((r) => r.kind === 'origin').map((r) => ({ origin: r.value, reason: r.reason, revokedAt: r.revokedAt })),
    }));

    api.post(
      '/vendors',
      { schema: { body: z.strictObject({ origin: Origin, credential: Credential.optional() }), tags: ['vendors'], summary: 'fetch and verify a vendor for review (does not enrol)' } },
      async (request) => {
        const origin = normalise(request.body.origin);
        const observation = await steward.discoverVendor(origin, request.body.credential ? { credential: request.body.credential } : {});
        return previewOf(observation, steward);
      },
    );

    api.post(
      '/vendors/confirm',
      {
        schema: {
          body: z.strictObject({ origin: Origin, credential: Credential.optional(), cardHash: CardHash.optional() }),
          tags: ['vendors'],
          summary: 'enrol the vendor (the card must still be the one previewed when cardHash is given)',
        },
      },
      async (request, reply) => {
        const origin = normalise(request.body.origin);
        const observation = await steward.discoverVendor(origin, request.body.credential ? { credential: request.body.credential } : {});
        if (request.body.cardHash !== undefined && request.body.cardHash !== observation.card.hash) {
          throw new ServerError('ERR_VENDOR_PREVIEW_STALE', `the card at \`${origin}\` changed since you reviewed it; review it again`, {
            details: { origin, previewed: request.body.cardHash, now: observation.card.hash },
          });
        }
        const existed = steward.vendors.has(observation.card.key.owner);
        const record = steward.enrolObserved(observation);
        return reply.code(existed ? 200 : 201).send({ origin: record.origin, displayName: record.displayName, status: record.status, cardHash: record.cardHash, enrolledAt: record.enrolledAt });
      },
    );

    api.post(
      '/vendors/revoke',
      { schema: { body: z.strictObject({ origin: Origin, reason: z.string().trim().min(1).max(500).optional() }), tags: ['vendors'], summary: 'revoke a vendor at once' } },
      async (request) => {
        const origin = normalise(request.body.origin);
        const reason = request.body.reason ?? 'revoked by the person';
        steward.vendors.revoke(origin, reason, 'person');
        return { origin, status: 'revoked' as const, reason };
      },
    );
  };
}
