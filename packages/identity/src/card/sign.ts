import type { AgentCard } from '@steward/protocol';
import { signDetached } from '../jws/jws.ts';
import type { SigningKey } from '../keys/key-pair.ts';
import { canonicalCardSdk, canonicalCardSpec, type CardForm } from './canonical.ts';

/** How to sign a card. */
export interface SignCardOptions {
  /** Canonical form to sign over; default `spec` (the A2A specification's). */
  form?: CardForm;
}

/**
 * Signs an Agent Card: a detached JWS (`alg`, `kid` = thumbprint, `typ: JOSE`) over the RFC 8785
 * canonical card without `signatures`, appended to `signatures`.
 * @see https://a2a-protocol.org/latest/specification/#84-agent-card-signing
 */
export function signCard(card: AgentCard, key: SigningKey, options: SignCardOptions = {}): AgentCard {
  const canonical = options.form === 'sdk' ? canonicalCardSdk(card) : canonicalCardSpec(card);
  const jws = signDetached(canonical, key, { typ: 'JOSE' });
  return { ...card, signatures: [...(card.signatures ?? []), jws] };
}
