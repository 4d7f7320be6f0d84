import { createHash } from 'node:crypto';
import { canonicalJson } from '@steward/identity';
import type { DataClass, Money, OfferItem } from '@steward/protocol';

/** Exactly what an order approval covers: change any of it and the approval no longer applies. */
export interface OrderSubject {
  kind: 'order';
  offerHash: string;
  offerId: string;
  vendor: string;
  items: OfferItem[];
  total: Money;
  payeeId: string;
  dataToShare: DataClass[];
  policyVersion: string;
}

/** SHA-256 (base64url) over the RFC 8785 canonical subject. */
export function subjectHash(subject: OrderSubject): string {
  const sorted = { ...subject, dataToShare: [...subject.dataToShare].sort() };
  return createHash('sha256').update(canonicalJson(sorted)).digest('base64url');
}
