import type { KeyResolver, VerificationKey } from '../keys/key-pair.ts';

/** A resolver over a fixed set of keys (e.g. the keys shown to the person during `vendors add`). */
export function resolverOf(keys: readonly VerificationKey[]): KeyResolver {
  const byKid = new Map(keys.map((k) => [k.kid, k]));
  return (kid) => byKid.get(kid);
}

/** Tries resolvers in order; the first that knows the `kid` wins. */
export function firstOf(...resolvers: readonly KeyResolver[]): KeyResolver {
  return (kid) => {
    for (const r of resolvers) {
      const k = r(kid);
      if (k) return k;
    }
    return undefined;
  };
}
