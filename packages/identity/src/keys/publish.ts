import type { AgentCard } from '@steward/protocol';
import { signCard } from '../card/sign.ts';
import { publishedJwk, type PublicJwk, type SigningAlg, type SigningKey } from './key-pair.ts';

/** A JSON Web Key Set. */
export interface Jwks {
  keys: PublicJwk[];
}

/** Where the RFC 9421 key directory is served (Web Bot Auth). */
export const HTTP_SIG_DIRECTORY_PATH = '/.well-known/http-message-signatures-directory';
/** The directory's media type. */
export const HTTP_SIG_DIRECTORY_MEDIA_TYPE = 'application/http-message-signatures-directory+json';

type Publishable = { kid: string; alg: SigningAlg; publicJwk: PublicJwk };

/**
 * The broker's JWKS: every published key (pending, active and retiring), each with its
 * thumbprint `kid`, `alg` and `use: sig`.
 * @see https://www.rfc-editor.org/rfc/rfc7517#section-5
 */
export function buildJwks(keys: readonly Publishable[]): Jwks {
  return { keys: keys.map(publishedJwk) };
}

/**
 * The HTTP message signatures directory: a JWKS of the keys that sign the broker's outbound
 * requests, served with {@link HTTP_SIG_DIRECTORY_MEDIA_TYPE}. `keyid` in a signature is the
 * JWK thumbprint of one of these keys.
 * @see https://datatracker.ietf.org/doc/draft-meunier-http-message-signatures-directory/
 */
export function buildHttpSigDirectory(keys: readonly Publishable[]): Jwks {
  // Only Ed25519 keys sign HTTP requests under the Web Bot Auth profile.
  return { keys: keys.filter((k) => k.alg === 'EdDSA').map(publishedJwk) };
}

/** What the broker says about itself in its own card. */
export interface BrokerCardInput {
  /** The broker's origin, e.g. `https://broker.example`. */
  origin: string;
  name: string;
  description: string;
  version: string;
}

/** The broker's own Agent Card, signed with its `broker` key (spec canonical form). */
export function buildBrokerCard(input: BrokerCardInput, key: SigningKey): AgentCard {
  const card: AgentCard = {
    protocolVersion: '0.3.0',
    name: input.name,
    description: input.description,
    url: `${input.origin}/a2a`,
    preferredTransport: 'JSONRPC',
    version: input.version,
    capabilities: { streaming: false, pushNotifications: false },
    defaultInputModes: ['application/json'],
    defaultOutputModes: ['application/json'],
    skills: [{ id: 'broker', name: 'Trust broker', description: 'Requests quotes and places orders on behalf of one person', tags: ['commerce'] }],
  };
  return signCard(card, key);
}
