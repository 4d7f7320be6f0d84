import type { Command } from 'commander';
import type { Money } from '@steward/protocol';
import { BrokerClient, resolveConnection } from '../chat/client.ts';
import { cleanText, formatMoney } from '../chat/render.ts';
import type { CliContext } from '../context.ts';

/** An order whose outcome is unknown, as `GET /api/orders?status=unsettled` lists it. */
interface UnsettledOrder {
  orderId: string;
  taskId: string;
  taskSummary: string;
  vendor: { origin: string; displayName: string };
  total: Money;
  reason: string;
  signedAt: string;
}

/** What `POST /api/orders/:orderId/settle` answers. */
interface SettledOrder {
  orderId: string;
  vendor: { origin: string; displayName: string };
  total: Money;
  outcome: 'taken' | 'not_taken';
  reservationState: 'committed' | 'voided';
}

function out(line = ''): void {
  process.stdout.write(`${line}\n`);
}

const client = (ctx: CliContext): BrokerClient => new BrokerClient(resolveConnection(ctx.brokerUrl, ctx.dataDir, process.env));

/**
 * `steward orders` and `steward orders settle <orderId> --taken | --not-taken`: orders whose outcome is
 * unknown (the vendor never answered), and settling them, through the running broker's API.
 * @see /docs/api.md
 */
export function register(program: Command, ctx: CliContext): void {
  const orders = program
    .command('orders')
    .description('orders whose outcome is unknown: their money counts against your budgets until you settle them')
    .option('--json', 'machine-readable output')
    .action(async (opts: { json?: boolean }) => {
      const { orders: list } = await client(ctx).json<{ orders: UnsettledOrder[] }>('GET', '/api/orders?status=unsettled');
      if (opts.json === true) {
        out(JSON.stringify(list, null, 2));
        return;
      }
      if (list.length === 0) {
        out('no orders waiting to be settled');
        return;
      }
      out(`${list.length} order${list.length === 1 ? '' : 's'} whose outcome is unknown:`);
      for (const o of list) {
        const vendor = cleanText(o.vendor.displayName, 100);
        const money = formatMoney(o.total);
        out('');
        out(`${cleanText(o.orderId, 100)}  ${money}  ${vendor}  signed ${cleanText(o.signedAt, 40)}  task: ${cleanText(o.taskSummary, 200)}`);
        out(`  We do not know whether ${vendor} took this order; its ${money} counts against your budget until you tell us.`);
        out(`  steward orders settle ${cleanText(o.orderId, 100)} --taken      (${vendor} took it: you were charged)`);
        out(`  steward orders settle ${cleanText(o.orderId, 100)} --not-taken  (${vendor} did not: ${money} stops counting)`);
      }
    });

  orders
    .command('settle')
    .description('say what happened to an order whose outcome is unknown')
    .argument('<orderId>', 'the order, as `steward orders` lists it (order_...)')
    .option('--taken', 'the vendor took the order (e.g. you were charged): its money stays counted')
    .option('--not-taken', 'the vendor did not take the order: its money stops counting against your budgets')
    .option('--note <text>', 'a note of your own, kept with the audit event (erasable)')
    .action(async (orderId: string, opts: { taken?: boolean; notTaken?: boolean; note?: string }) => {
      if (opts.taken === opts.notTaken) {
        // A usage error, as commander reports its own: nothing is sent to the broker.
        process.stderr.write('error: say what happened: exactly one of --taken or --not-taken\n');
        process.exitCode = 2;
        return;
      }
      const outcome = opts.taken === true ? 'taken' : 'not_taken';
      const settled = await client(ctx).json<SettledOrder>('POST', `/api/orders/${encodeURIComponent(orderId)}/settle`, {
        outcome,
        ...(opts.note === undefined ? {} : { note: opts.note }),
      });
      const money = formatMoney(settled.total);
      const vendor = cleanText(settled.vendor.displayName, 100);
      out(
        settled.outcome === 'taken'
          ? `settled ${cleanText(settled.orderId, 100)}: ${vendor} took it; ${money} stays counted against your budgets`
          : `settled ${cleanText(settled.orderId, 100)}: ${vendor} did not take it; ${money} no longer counts against your budgets`,
      );
    });
}
