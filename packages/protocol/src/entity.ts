import { z } from 'zod';

/** A reference to a legal entity, by the strongest identifiers known. */
export const EntityRef = z.strictObject({
  name: z.string().min(1).max(200),
  /** Steward's own entity id in the affiliation graph, when known. */
  entityId: z
    .string()
    .regex(/^[a-z0-9][a-z0-9._-]{0,127}$/)
    .optional(),
  /** ISO 17442 Legal Entity Identifier. */
  lei: z
    .string()
    .regex(/^[A-Z0-9]{18}[0-9]{2}$/, 'must be a 20-character LEI')
    .optional(),
  /** Wikidata item id, e.g. `Q3884`. */
  wikidata: z
    .string()
    .regex(/^Q[1-9][0-9]*$/)
    .optional(),
  domain: z
    .string()
    .regex(/^(?=.{1,253}$)([a-z0-9-]{1,63}\.)*[a-z0-9-]{1,63}$/i)
    .optional(),
});
export type EntityRef = z.infer<typeof EntityRef>;

/** Kinds of edge in the affiliation graph. */
export const Relation = z.enum(['owns', 'controls', 'brand_of', 'operates', 'paid_partner', 'affiliate_fee']);
export type Relation = z.infer<typeof Relation>;
