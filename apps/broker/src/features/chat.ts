import { randomBytes } from 'node:crypto';
import type { Agent } from '@steward/agent';
import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { EventHub } from './events.ts';

const ConversationId = z.string().regex(/^conv_[A-Za-z0-9_-]{8,64}$/);

/**
 * Delegating by chat: `POST /api/chat` streams the agent's events as server-sent events while it
 * works through the broker's tools; `GET /api/conversations/:id` returns the stored conversation.
 */
export function chatFeature(agent: Agent, hub: EventHub): FastifyPluginAsync {
  return async (base) => {
    const api = base.withTypeProvider<ZodTypeProvider>();
    api.post(
      '/chat',
      { schema: { body: z.strictObject({ conversationId: ConversationId.optional(), text: z.string().min(1).max(2000) }), tags: ['chat'] } },
      async (request, reply) => {
        const conversationId = request.body.conversationId ?? `conv_${randomBytes(12).toString('base64url')}`;
        reply.hijack();
        const res = reply.raw;
        res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' });
        const send = (data: Record<string, unknown>) => res.write(`data: ${JSON.stringify(data)}\n\n`);
        send({ type: 'conversation', conversationId, mode: agent.mode });
        try {
          for await (const event of agent.handle(conversationId, request.body.text)) {
            send({ ...event, conversationId });
            hub.publish({ type: 'chat', conversationId, data: event });
          }
        } catch (error) {
          request.log.error({ err: error }, 'chat failed');
          const code = typeof (error as { code?: unknown }).code === 'string' ? (error as { code: string }).code : 'ERR_INTERNAL';
          send({ type: 'error', conversationId, code, mode: agent.mode, text: code === 'ERR_INTERNAL' ? 'something went wrong; the details are in the broker log' : (error as Error).message });
        }
        res.end();
      },
    );
    api.get('/conversations', { schema: { tags: ['chat'], summary: 'earlier conversations, newest first' } }, async () => ({ conversations: agent.conversations(50) }));
    api.get('/conversations/:conversationId', { schema: { params: z.strictObject({ conversationId: ConversationId }), tags: ['chat'] } }, async (request) => ({
      conversationId: request.params.conversationId,
      messages: agent.history(request.params.conversationId),
    }));
  };
}
