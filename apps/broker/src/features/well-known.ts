import { buildBrokerCard, buildHttpSigDirectory, buildJwks, HTTP_SIG_DIRECTORY_MEDIA_TYPE, HTTP_SIG_DIRECTORY_PATH } from '@steward/identity';
import type { FastifyPluginAsync } from 'fastify';
import { ServerError } from '../errors.ts';
import type { Steward } from '../steward.ts';
import { STEWARD_VERSION } from '../version.ts';

/**
 * The broker's public documents: its JWKS (the broker's and the person's public keys), the RFC 9421
 * key directory, and its own signed Agent Card. No token: vendors read them.
 */
export function wellKnownFeature(steward: Steward, options: { allowedHosts?: readonly string[] } = {}): FastifyPluginAsync {
  return async (app) => {
    app.get('/.well-known/jwks.json', async (_request, reply) => {
      reply.header('cache-control', 'max-age=300');
      return buildJwks(steward.keys.published());
    });
    app.get(HTTP_SIG_DIRECTORY_PATH, async (_request, reply) => {
      reply.header('cache-control', 'max-age=300').type(HTTP_SIG_DIRECTORY_MEDIA_TYPE);
      return JSON.stringify(buildHttpSigDirectory(steward.keys.published('broker')));
    });
    app.get('/.well-known/agent-card.json', async (request) => {
      // The card names the origin it was asked for; a loopback broker signs it only for loopback
      // names, so a DNS-rebinding page cannot obtain a broker-signed card for its own origin.
      if (options.allowedHosts && !options.allowedHosts.includes(request.hostname)) {
        throw new ServerError('ERR_CSRF_REJECTED', `requests for host \`${request.hostname.slice(0, 100)}\` are not answered here`, {
          details: { host: request.hostname.slice(0, 100) },
        });
      }
      return buildBrokerCard(
        { origin: `${request.protocol}://${request.host}`, name: 'Steward broker', description: 'A trust broker acting for one person', version: STEWARD_VERSION },
        steward.keys.signingKey('broker'),
      );
    });
  };
}
