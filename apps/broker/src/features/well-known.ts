import { buildBrokerCard, buildHttpSigDirectory, buildJwks, HTTP_SIG_DIRECTORY_MEDIA_TYPE, HTTP_SIG_DIRECTORY_PATH } from '@steward/identity';
import type { FastifyPluginAsync } from 'fastify';
import type { Steward } from '../steward.ts';
import { STEWARD_VERSION } from '../version.ts';

/**
 * The broker's public documents: its JWKS (the broker's and the person's public keys), the RFC 9421
 * key directory, and its own signed Agent Card. No token: vendors read them.
 */
export function wellKnownFeature(steward: Steward): FastifyPluginAsync {
  return async (app) => {
    app.get('/.well-known/jwks.json', async (_request, reply) => {
      reply.header('cache-control', 'max-age=300');
      return buildJwks(steward.keys.published());
    });
    app.get(HTTP_SIG_DIRECTORY_PATH, async (_request, reply) => {
      reply.header('cache-control', 'max-age=300').type(HTTP_SIG_DIRECTORY_MEDIA_TYPE);
      return JSON.stringify(buildHttpSigDirectory(steward.keys.published('broker')));
    });
    app.get('/.well-known/agent-card.json', async (request) =>
      buildBrokerCard(
        { origin: `${request.protocol}://${request.host}`, name: 'Steward broker', description: 'A trust broker acting for one person', version: STEWARD_VERSION },
        steward.keys.signingKey('broker'),
      ),
    );
  };
}
