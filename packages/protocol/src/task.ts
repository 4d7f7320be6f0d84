import { z } from 'zod';
import { Category, Money } from './primitives.ts';
import { RequestedItem, RfqConstraints } from './messages.ts';

/**
 * A task the person delegates, as the agent understood it ("groceries for the week under $80,
 * delivered Saturday"). The budget stays with the broker: it is never sent to a vendor.
 */
export const TaskSpec = z.strictObject({
  category: Category,
  /** One line in the person's words, for the log and the chat. */
  summary: z.string().min(1).max(300),
  /** What to buy; may be empty for a booking, where the broker asks for the service itself. */
  items: z.array(RequestedItem).max(100),
  /** The most the person wants to spend on this task, all-in. */
  budget: Money.optional(),
  constraints: RfqConstraints,
});
export type TaskSpec = z.infer<typeof TaskSpec>;
