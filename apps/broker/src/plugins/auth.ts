import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ServerError } from '../errors.ts';
import { tokenMatches } from '../token.ts';

/** What the person-facing API checks on every request. */
export interface AuthOptions {
  token: string;
  /** Browser origins allowed besides the broker's own. */
  allowedOrigins: readonly string[];
  /**
   * Host names the API answers to. On a loopback broker these are the loopback names, so a page that
   * rebinds its own DNS name to 127.0.0.1 (DNS rebinding) is refused before anything else.
   */
  allowedHosts?: readonly string[];
}

/** The host names of a broker listening on loopback. */
export const LOOPBACK_HOSTS: readonly string[] = ['127.0.0.1', 'localhost', '::1', '[::1]'];

function ownOrigin(request: FastifyRequest): string {
  return `${request.protocol}://${request.host}`;
}

/**
 * Adds the person-facing API's guards to an encapsulated instance: a browser `Origin` must be the
 * broker's own or an allowed one (strict CORS, CSRF), then the bearer token must match. The token
 * travels only in the `Authorization` header, never in a cookie, so a foreign page cannot ride on it.
 */
export function addAuthGuard(api: FastifyInstance, options: AuthOptions): void {
  api.addHook('onRequest', async (request, reply) => {
    if (options.allowedHosts && !options.allowedHosts.includes(request.hostname)) {
      throw new ServerError('ERR_CSRF_REJECTED', `requests for host \`${request.hostname.slice(0, 100)}\` are not answered here`, {
        details: { host: request.hostname.slice(0, 100) },
      });
    }
    const origin = request.headers.origin;
    if (origin !== undefined && origin !== ownOrigin(request) && !options.allowedOrigins.includes(origin)) {
      throw new ServerError('ERR_CSRF_REJECTED', `requests from origin \`${origin}\` are not allowed`, { details: { origin } });
    }
    if (origin !== undefined && origin !== ownOrigin(request)) {
      reply.header('access-control-allow-origin', origin).header('vary', 'Origin');
    }
    const header = request.headers.authorization;
    if (header === undefined || header === '') {
      throw new ServerError('ERR_AUTH_MISSING', 'send the bearer token: `Authorization: Bearer <token>`');
    }
    const match = /^Bearer ([A-Za-z0-9_-]{1,256})$/.exec(header);
    if (!match || !tokenMatches(match[1]!, options.token)) {
      throw new ServerError('ERR_AUTH_INVALID', 'the bearer token is wrong; find it in the token file printed at start');
    }
  });
}
