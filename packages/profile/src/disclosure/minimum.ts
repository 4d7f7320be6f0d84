import type { DataClass, Purpose } from '@steward/protocol';

/**
 * The profile's own floor, applied before any policy is asked: the purposes for which each class
 * may leave at all. A policy can narrow this, never widen it. `payment` is absent everywhere
 * because card data never leaves as a value: orders carry a scoped payment token instead.
 * @see /work/shared/THREATS.md #11 (personal data beyond need)
 */
export const DISCLOSURE_MINIMUM: Readonly<Record<DataClass, readonly Purpose[]>> = {
  name: ['order', 'delivery', 'booking', 'account', 'support'],
  email: ['order', 'delivery', 'booking', 'account', 'support', 'marketing'],
  phone: ['order', 'delivery', 'booking', 'support'],
  // The address only at order time and only for delivery.
  address: ['delivery'],
  payment: [],
  // Never for a "discount" or marketing: an age or birthday perk is not worth the birth date.
  birth_date: ['booking', 'account'],
  health: ['order', 'delivery', 'booking'],
  location: ['delivery', 'booking'],
  identity_document: ['booking'],
  preferences: ['quote', 'order', 'delivery', 'booking', 'support'],
};

/** Why the floor refuses a class for a purpose, in words a person understands; undefined if it does not. */
export function minimumRefusal(dataClass: DataClass, purpose: Purpose): string | undefined {
  if (DISCLOSURE_MINIMUM[dataClass].includes(purpose)) return undefined;
  if (dataClass === 'payment') return 'card data never leaves Steward; an order carries a single-use payment token instead';
  const allowed = DISCLOSURE_MINIMUM[dataClass];
  return `\`${dataClass}\` is never shared for \`${purpose}\`${allowed.length > 0 ? ` (only for ${allowed.join(', ')})` : ''}`;
}
