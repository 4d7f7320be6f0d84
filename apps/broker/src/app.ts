import fastifyRateLimit from '@fastify/rate-limit';
import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import Fastify, { type FastifyInstance, type FastifyPluginAsync } from 'fastify';
import { jsonSchemaTransform, serializerCompiler, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { BrokerConfig } from './config.ts';
import { ServerError } from './errors.ts';
import { isLoopback } from './config.ts';
import { LOOPBACK_HOSTS, addAuthGuard } from './plugins/auth.ts';
import { registerProblemHandlers } from './plugins/problem.ts';
import { STEWARD_VERSION } from './version.ts';

/** What {@link buildApp} needs; everything with I/O is passed in, so tests can build an app freely. */
export interface BuildAppOptions {
  config: Pick<BrokerConfig, 'corsOrigins' | 'bodyLimit'> & Partial<Pick<BrokerConfig, 'rateLimitPerMinute' | 'host'>>;
  token: string;
  /** Feature plugins of the person-facing API, registered under `/api` behind the token guard. */
  apiFeatures?: readonly FastifyPluginAsync[];
  /** Plugins outside the token guard (health, well-known documents, the web app). */
  publicFeatures?: readonly FastifyPluginAsync[];
  /** Called when the app closes (e.g. to close the database). */
  onClose?: () => void | Promise<void>;
  logger?: boolean | { level: string };
  /** TLS certificate and key (PEM); required when the API listens off loopback. */
  https?: { cert: Buffer; key: Buffer };
}

/**
 * Builds the broker's HTTP app without listening, so tests call `app.inject()` and `main.ts`
 * calls `listen()`.
 */
export async function buildApp(options: BuildAppOptions): Promise<FastifyInstance> {
  const app = Fastify({
    ...(options.https ? { https: options.https } : {}),
    logger: options.logger ?? false,
    bodyLimit: options.config.bodyLimit,
    // fastify's JSON parser refuses __proto__ and constructor.prototype keys (THREATS #31)
    onProtoPoisoning: 'error',
    onConstructorPoisoning: 'error',
    return503OnClosing: true,
  }).withTypeProvider<ZodTypeProvider>();
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  registerProblemHandlers(app);

  app.addHook('onSend', async (_request, reply) => {
    reply.header('x-content-type-options', 'nosniff');
    reply.header('referrer-policy', 'no-referrer');
    reply.header('x-frame-options', 'DENY');
  });

  // The OpenAPI document of every route declared after this point, at /docs/json; browsable at /docs.
  await app.register(fastifySwagger, {
    openapi: {
      info: { title: 'Steward broker API', version: STEWARD_VERSION, description: 'The person-facing API (docs/api.md). Send `Authorization: Bearer <token>` to every /api route.' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearer: [] }],
    },
    transform: jsonSchemaTransform,
  });
  await app.register(fastifySwaggerUi, { routePrefix: '/docs' });

  app.get(
    '/healthz',
    { schema: { response: { 200: z.strictObject({ status: z.literal('ok'), version: z.string() }) } } },
    async () => ({ status: 'ok' as const, version: STEWARD_VERSION }),
  );

  for (const feature of options.publicFeatures ?? []) await app.register(feature);

  await app.register(
    async (api) => {
      // Per-client limit, checked before the token so guessing tokens is limited too.
      await api.register(fastifyRateLimit, {
        global: false,
        max: options.config.rateLimitPerMinute ?? 600,
        timeWindow: 60_000,
        keyGenerator: (request) => request.ip,
        errorResponseBuilder: (_request, context) =>
          new ServerError('ERR_RATE_LIMITED', `more than ${context.max} requests a minute; retry in ${Math.ceil(context.ttl / 1000)} s`, {
            details: { limitPerMinute: context.max, retryAfterSeconds: Math.ceil(context.ttl / 1000) },
          }),
      });
      api.addHook('onRequest', api.rateLimit());
      addAuthGuard(api, {
        token: options.token,
        allowedOrigins: options.config.corsOrigins,
        ...(options.config.host !== undefined && isLoopback(options.config.host) ? { allowedHosts: [...LOOPBACK_HOSTS, options.config.host] } : {}),
      });
      api.withTypeProvider<ZodTypeProvider>().get(
        '/version',
        { schema: { response: { 200: z.strictObject({ name: z.literal('steward'), version: z.string(), node: z.string() }) } } },
        async () => ({ name: 'steward' as const, version: STEWARD_VERSION, node: process.version }),
      );
      for (const feature of options.apiFeatures ?? []) await api.register(feature);
    },
    { prefix: '/api' },
  );

  if (options.onClose) {
    const onClose = options.onClose;
    app.addHook('onClose', async () => {
      await onClose();
    });
  }
  return app;
}
