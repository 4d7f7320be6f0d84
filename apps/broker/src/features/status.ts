import type { FastifyPluginAsync } from 'fastify';
import type { Steward } from '../steward.ts';

/** `GET /api/status`: who the broker is, which agent mode answers, the log's state, what waits. */
export function statusFeature(steward: Steward, agentMode: () => { mode: 'offline-rules' | 'model'; model?: string }): FastifyPluginAsync {
  return async (api) => {
    api.get('/status', async () => {
      const checkpoint = steward.audit.latestCheckpoint();
      return {
        brokerId: steward.brokerId,
        ...agentMode(),
        agent: { manifest: steward.manifest, disclosure: steward.agentDisclosure() },
        checkpoint: checkpoint ? { size: checkpoint.size, rootHash: checkpoint.root, signedAt: checkpoint.signedAt } : null,
        logSize: steward.audit.size,
        pendingApprovals: steward.engine.approvals.pending().length,
        unsettledOrders: steward.orders.unsettled().length,
        policyVersion: steward.policies.active().entry.version,
      };
    });
  };
}
