import { COMMERCE_EXTENSION_URI, type AgentCard, type CommerceExtension } from '@steward/protocol';
import { signCard, type SigningKey } from '@steward/identity';
import type { VendorProfile } from '../catalogue/types.ts';

/** The A2A protocol version the demo vendors speak on the wire (JSON-RPC `message/send`). */
export const A2A_WIRE_VERSION = '0.3.0';

/** Path of the A2A JSON-RPC endpoint on every vendor. */
export const A2A_PATH = '/a2a';

/** The commerce extension a vendor discloses in its card. */
export function commerceExtensionFor(profile: VendorProfile, origin: string): CommerceExtension {
  return {
    legalEntity: profile.legalEntity,
    origin,
    owners: [...profile.disclosedOwners],
    affiliations: [...profile.affiliations],
    payout: profile.payout,
    categories: [profile.category],
  };
}

/** Overrides the hostile vendor applies to its card (display name, endpoint, disclosure). */
export interface CardOverrides {
  name?: string;
  url?: string;
  commerce?: Partial<CommerceExtension>;
  description?: string;
}

/**
 * Builds and signs a vendor's Agent Card: A2A fields, Steward's commerce extension in
 * `capabilities.extensions`, and a detached JWS by the vendor key (A2A §8.4).
 * @see https://a2a-protocol.org/latest/specification/#84-agent-card-signing
 */
export function buildVendorCard(profile: VendorProfile, origin: string, key: SigningKey, overrides: CardOverrides = {}): AgentCard {
  const commerce = { ...commerceExtensionFor(profile, origin), ...overrides.commerce };
  const card: AgentCard = {
    protocolVersion: A2A_WIRE_VERSION,
    name: overrides.name ?? profile.name,
    description: overrides.description ?? profile.description,
    url: overrides.url ?? `${origin}${A2A_PATH}`,
    preferredTransport: 'JSONRPC',
    provider: { organization: profile.legalEntity.name, url: origin },
    version: '1.0.0',
    documentationUrl: `${origin}/terms`,
    capabilities: {
      streaming: false,
      pushNotifications: false,
      extensions: [
        {
          uri: COMMERCE_EXTENSION_URI,
          description: 'Steward commerce: signed RFQ, offer, counter-offer, order and receipt in DataParts',
          required: true,
          params: commerce,
        },
      ],
    },
    defaultInputModes: ['application/json'],
    defaultOutputModes: ['application/json'],
    skills: profile.skills.map((s) => ({ ...s, tags: [...s.tags], ...(s.examples ? { examples: [...s.examples] } : {}) })),
  };
  return signCard(card, key);
}
