import type { ProfileValue } from '@steward/profile';
import { DataClass } from '@steward/protocol';
import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { ServerError } from '../errors.ts';
import type { Steward } from '../steward.ts';

/** Classes never shown even in part: a fragment of them is already too much. */
const FULLY_MASKED: ReadonlySet<DataClass> = new Set(['health', 'identity_document', 'birth_date', 'payment']);
const DOTS = '\u2022\u2022\u2022';

/** A value as the screen shows it: enough to recognise it, not enough to read it over a shoulder. */
export function maskValue(dataClass: DataClass, value: string): string {
  if (FULLY_MASKED.has(dataClass) || value.length <= 4) return DOTS;
  if (dataClass === 'email') {
    const at = value.lastIndexOf('@');
    if (at > 0) return `${value.slice(0, 1)}${DOTS}@${value.slice(at + 1)}`;
  }
  const chars = [...value];
  return `${chars[0]!}${DOTS}${chars.slice(-2).join('')}`;
}

/** The list's response schema: anything beyond these fields (a full value) is stripped before it is sent. */
const MaskedList = z.object({
  values: z.array(z.object({ id: z.string(), dataClass: DataClass, label: z.string(), masked: z.string(), updatedAt: z.string() })),
});

const view = (v: ProfileValue) => ({ id: v.valueId, dataClass: v.dataClass, label: v.label, masked: maskValue(v.dataClass, v.value), updatedAt: v.updatedAt });

/**
 * My data: the profile's values (masked; the full value never leaves through the API), set and
 * delete them, see which vendor knows what (from the disclosure ledger) and record an erasure request.
 * @see docs/profile.md
 */
export function profileFeature(steward: Steward): FastifyPluginAsync {
  return async (base) => {
    const api = base.withTypeProvider<ZodTypeProvider>();
    const profile = steward.profile;

    api.get('/profile', { schema: { response: { 200: MaskedList }, tags: ['profile'], summary: 'your data, masked' } }, async () => ({ values: profile.list().map(view) }));

    api.put(
      '/profile',
      {
        schema: {
          // An empty label (a form left blank) means the class's `primary` value.
          body: z.strictObject({ dataClass: DataClass, label: z.string().trim().max(64).optional(), value: z.string().min(1).max(2000) }),
          tags: ['profile'],
          summary: 'add or replace a value',
        },
      },
      async (request) => {
        const ref = profile.set(request.body.dataClass, request.body.value, request.body.label || 'primary');
        return { id: ref.valueId, dataClass: ref.dataClass, label: ref.label };
      },
    );

    api.delete(
      '/profile/:id',
      { schema: { params: z.strictObject({ id: z.string().regex(/^pv-[0-9a-f]{8,64}$/, 'must be a value id') }), tags: ['profile'], summary: 'delete a value' } },
      async (request) => {
        const found = profile.list().find((v) => v.valueId === request.params.id);
        if (!found) throw new ServerError('ERR_NOT_FOUND', `no profile value \`${request.params.id}\``, { details: { id: request.params.id } });
        const ref = profile.remove(found.dataClass, found.label);
        return { id: ref.valueId, deleted: true };
      },
    );

    api.get('/profile/who-knows', { schema: { tags: ['profile'], summary: 'which vendor received which of your data' } }, async () => ({
      vendors: profile.whoKnows().map((k) => {
        const records = profile.disclosures(k.vendor);
        return {
          vendor: k.vendor,
          firstAt: k.firstAt,
          lastAt: k.lastAt,
          erasureRequests: k.erasureRequests,
          fields: k.fields.map((f) => {
            const last = records.filter((r) => r.dataClass === f.dataClass && r.label === f.label).at(-1);
            return {
              dataClass: f.dataClass,
              label: f.label,
              form: f.form,
              purposes: f.purposes,
              times: f.times,
              current: f.current,
              at: f.lastAt,
              taskId: last?.taskId ?? f.taskIds.at(-1) ?? null,
              decision: last?.effect ?? null,
              policyVersion: last?.policyVersion ?? f.policyVersions.at(-1) ?? null,
            };
          }),
        };
      }),
    }));

    api.post(
      '/profile/erasure',
      { schema: { body: z.strictObject({ vendor: z.string().min(1).max(256), dataClasses: z.array(DataClass).min(1).max(20).optional() }), tags: ['profile'], summary: 'record a request that a vendor erase your data' } },
      async (request, reply) => reply.code(201).send(profile.requestErasure(request.body.vendor, request.body.dataClasses)),
    );
  };
}
