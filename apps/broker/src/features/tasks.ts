import type { BrokerEngine } from '@steward/broker';
import { Money, TaskSpec } from '@steward/protocol';
import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';

const TaskParams = z.strictObject({ taskId: z.string().regex(/^task_[A-Za-z0-9_-]{1,64}$/) });
const OfferRef = z.strictObject({ offerId: z.string().regex(/^of_[A-Za-z0-9_-]{1,64}$/) });

/**
 * Tasks and their negotiation, for the person and their agent: create a task, ask for quotes,
 * counter, recommend and order. Every step goes through the broker engine's checks.
 */
export function tasksFeature(engine: BrokerEngine): FastifyPluginAsync {
  return async (base) => {
    const api = base.withTypeProvider<ZodTypeProvider>();
    api.post('/tasks', { schema: { body: TaskSpec, tags: ['tasks'], summary: 'delegate a task' } }, async (request, reply) => {
      const { taskId } = engine.createTask(request.body);
      return reply.code(201).send(engine.task(taskId));
    });
    api.get('/tasks/:taskId', { schema: { params: TaskParams, tags: ['tasks'] } }, async (request) => ({
      ...engine.task(request.params.taskId),
      offers: engine.offers(request.params.taskId),
    }));
    api.post('/tasks/:taskId/quotes', { schema: { params: TaskParams, tags: ['tasks'], summary: 'ask enrolled vendors for signed quotes' } }, async (request) => ({
      offers: await engine.requestQuotes(request.params.taskId),
    }));
    api.post(
      '/tasks/:taskId/counter',
      { schema: { params: TaskParams, body: OfferRef.extend({ askTotal: Money }).strict(), tags: ['tasks'] } },
      async (request) => engine.counterOffer(request.params.taskId, request.body.offerId, request.body.askTotal),
    );
    api.post(
      '/tasks/:taskId/recommend',
      { schema: { params: TaskParams, body: OfferRef.extend({ reasons: z.array(z.string().max(200)).max(5).optional() }).strict(), tags: ['tasks'] } },
      async (request) => engine.recommend(request.params.taskId, request.body.offerId, request.body.reasons ?? []),
    );
    api.get(
      '/terms/:termsHash',
      {
        schema: {
          params: z.strictObject({ termsHash: z.string().regex(/^[A-Za-z0-9_-]{43}$/) }),
          tags: ['tasks'],
          summary: 'the terms text an order was placed under, by the SHA-256 its signed offer names (THREATS #36)',
        },
      },
      async (request) => engine.terms(request.params.termsHash),
    );
    api.post('/tasks/:taskId/order', { schema: { params: TaskParams, body: OfferRef, tags: ['tasks'], summary: 'place an order (the policy decides)' } }, async (request) =>
      engine.placeOrder(request.params.taskId, request.body.offerId),
    );
  };
}
