import { z } from 'zod';
import { EntityRef, Relation } from './entity.ts';
import { Category, HttpUrl, Origin } from './primitives.ts';

/** The URI of Steward's commerce extension inside an A2A Agent Card. */
export const COMMERCE_EXTENSION_URI = 'https://steward.dev/a2a/ext/commerce/v1';

/**
 * One detached JWS over the canonical card (A2A §8.4.2): `protected` is the base64url header,
 * `signature` the base64url signature; `header` carries unprotected parameters.
 */
export const AgentCardSignature = z.strictObject({
  protected: z.string().min(1).max(4096).regex(/^[A-Za-z0-9_-]+$/),
  signature: z.string().min(1).max(1024).regex(/^[A-Za-z0-9_-]+$/),
  header: z.record(z.string().max(64), z.json()).optional(),
});
export type AgentCardSignature = z.infer<typeof AgentCardSignature>;

const AgentExtension = z.strictObject({
  uri: HttpUrl,
  description: z.string().max(1000).optional(),
  required: z.boolean().optional(),
  params: z.record(z.string().max(64), z.json()).optional(),
});

const AgentSkill = z.strictObject({
  id: z.string().min(1).max(128),
  name: z.string().min(1).max(200),
  description: z.string().max(2000),
  tags: z.array(z.string().max(64)).max(50),
  examples: z.array(z.string().max(500)).max(20).optional(),
  inputModes: z.array(z.string().max(100)).max(20).optional(),
  outputModes: z.array(z.string().max(100)).max(20).optional(),
  security: z.array(z.record(z.string(), z.array(z.string()))).max(20).optional(),
});

const AgentInterface = z.strictObject({
  url: HttpUrl,
  transport: z.string().max(64),
});

/**
 * The A2A Agent Card fields Steward reads, plus the standard ones it passes over. Unknown
 * top-level keys are rejected: the card is signed, so anything Steward cannot read is refused
 * rather than silently carried.
 * @see https://a2a-protocol.org/latest/specification/#5-agent-discovery-the-agent-card
 */
export const AgentCard = z.strictObject({
  protocolVersion: z.string().max(32).optional(),
  name: z.string().min(1).max(200),
  description: z.string().max(2000),
  url: HttpUrl,
  preferredTransport: z.string().max(64).optional(),
  additionalInterfaces: z.array(AgentInterface).max(10).optional(),
  iconUrl: HttpUrl.optional(),
  provider: z.strictObject({ organization: z.string().min(1).max(200), url: HttpUrl }).optional(),
  version: z.string().min(1).max(64),
  documentationUrl: HttpUrl.optional(),
  capabilities: z.strictObject({
    streaming: z.boolean().optional(),
    pushNotifications: z.boolean().optional(),
    stateTransitionHistory: z.boolean().optional(),
    extensions: z.array(AgentExtension).max(20).optional(),
  }),
  securitySchemes: z.record(z.string().max(64), z.json()).optional(),
  security: z.array(z.record(z.string(), z.array(z.string()))).max(20).optional(),
  defaultInputModes: z.array(z.string().max(100)).max(20),
  defaultOutputModes: z.array(z.string().max(100)).max(20),
  skills: z.array(AgentSkill).max(100),
  supportsAuthenticatedExtendedCard: z.boolean().optional(),
  signatures: z.array(AgentCardSignature).max(8).optional(),
});
export type AgentCard = z.infer<typeof AgentCard>;

/** A declared affiliation of a vendor (not ownership): paid partnerships and affiliate fees. */
export const DeclaredAffiliation = z.strictObject({
  entity: EntityRef,
  relation: Relation,
  /** Share held, 0..1, for ownership relations. */
  stake: z.number().min(0).max(1).optional(),
});
export type DeclaredAffiliation = z.infer<typeof DeclaredAffiliation>;

/**
 * Steward's commerce extension (`capabilities.extensions[].params` where `uri` is
 * {@link COMMERCE_EXTENSION_URI}): who the vendor legally is, who owns it, where money goes,
 * and what it sells. Signed as part of the card, so it is the vendor's own disclosure.
 */
export const CommerceExtension = z.strictObject({
  legalEntity: EntityRef,
  /** The origin that must serve this card (card ↔ origin binding). */
  origin: Origin,
  /** Every owner and affiliation the vendor discloses; an omission is checked against the graph. */
  owners: z.array(DeclaredAffiliation).max(50),
  affiliations: z.array(DeclaredAffiliation).max(50),
  payout: z.strictObject({
    /** A stable payout identity, e.g. a hashed account reference registered with the registry. */
    payoutId: z.string().regex(/^[A-Za-z0-9._:-]{4,128}$/),
    holder: z.string().min(1).max(200),
  }),
  categories: z.array(Category).min(1).max(4),
});
export type CommerceExtension = z.infer<typeof CommerceExtension>;
