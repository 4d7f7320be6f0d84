import type { OrderSettlements } from '@steward/broker';
import { Money } from '@steward/protocol';
import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';

const OrderParams = z.strictObject({ orderId: z.string().regex(/^order_[A-Za-z0-9_-]{1,64}$/) });
const Vendor = z.strictObject({ origin: z.string(), displayName: z.string() });

/** An order whose outcome is unknown, as the person sees it (structured fields only). */
const UnsettledOrderView = z.strictObject({
  orderId: z.string(),
  taskId: z.string(),
  taskSummary: z.string(),
  vendor: Vendor,
  total: Money,
  reservationId: z.string(),
  reason: z.string(),
  signedAt: z.string(),
});

const SettledOrderView = z.strictObject({
  orderId: z.string(),
  taskId: z.string(),
  vendor: Vendor,
  total: Money,
  reservationId: z.string(),
  outcome: z.enum(['taken', 'not_taken']),
  status: z.enum(['accepted', 'failed']),
  reservationState: z.enum(['committed', 'voided']),
  settledBy: z.literal('person'),
  settledAt: z.string(),
});

/** `POST /api/orders/:orderId/settle`: what the person says happened, and an optional note of their own. */
const SettleBody = z.strictObject({
  outcome: z.enum(['taken', 'not_taken']),
  /** Kept as an erasable payload of the audit event, never in the event itself. */
  note: z.string().trim().max(500).optional(),
});

/**
 * Orders whose outcome is unknown (the vendor never answered): the person lists them and settles
 * each as taken or not taken. Only the person's authenticated channel reaches these routes; the
 * agent has no tool for them.
 * @see docs/api.md
 */
export function ordersFeature(orders: OrderSettlements): FastifyPluginAsync {
  return async (base) => {
    const api = base.withTypeProvider<ZodTypeProvider>();
    api.get(
      '/orders',
      {
        schema: {
          querystring: z.strictObject({ status: z.enum(['unsettled']).default('unsettled') }),
          response: { 200: z.strictObject({ orders: z.array(UnsettledOrderView) }) },
          tags: ['orders'],
          summary: 'orders whose outcome is unknown, waiting for you to settle them',
        },
      },
      async () => ({ orders: orders.unsettled() }),
    );
    api.post(
      '/orders/:orderId/settle',
      {
        schema: {
          params: OrderParams,
          body: SettleBody,
          response: { 200: SettledOrderView },
          tags: ['orders'],
          summary: 'settle an order whose outcome is unknown: the vendor took it, or it did not',
        },
      },
      async (request) =>
        orders.settle(request.params.orderId, request.body.outcome, request.body.note === undefined ? {} : { note: request.body.note }),
    );
  };
}
