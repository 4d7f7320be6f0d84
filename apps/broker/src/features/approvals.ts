import type { BrokerEngine } from '@steward/broker';
import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';

const ApprovalParams = z.strictObject({ approvalId: z.string().regex(/^ap_[A-Za-z0-9_-]{1,64}$/) });

/**
 * Approvals: the person sees what the broker rendered from structured fields and answers for that
 * exact cart. Only the person's authenticated channel reaches these routes (THREATS #10).
 */
export function approvalsFeature(engine: BrokerEngine): FastifyPluginAsync {
  return async (base) => {
    const api = base.withTypeProvider<ZodTypeProvider>();
    api.get('/approvals', { schema: { tags: ['approvals'], summary: 'approvals waiting for you' } }, async () => {
      engine.expireApprovals();
      return { approvals: engine.approvals.pending() };
    });
    api.get('/approvals/:approvalId', { schema: { params: ApprovalParams, tags: ['approvals'] } }, async (request, reply) => {
      const approval = engine.approvals.get(request.params.approvalId);
      if (!approval) return reply.callNotFound();
      return approval;
    });
    api.post(
      '/approvals/:approvalId',
      { schema: { params: ApprovalParams, body: z.strictObject({ answer: z.enum(['approve', 'deny']) }), tags: ['approvals'], summary: 'approve or decline' } },
      async (request) => {
        engine.expireApprovals();
        return engine.answerApproval(request.params.approvalId, request.body.answer);
      },
    );
  };
}
