import { FixedClock } from '@steward/protocol';
import { openStore } from '@steward/store';
import { describe, expect, it } from 'vitest';
import { ApprovalBook } from '../../src/approvals/book.ts';
import type { OrderSubject } from '../../src/approvals/subject.ts';
import { MIGRATIONS } from '../../src/migrations.ts';

const usd = (amountMinor: number) => ({ amountMinor, currency: 'USD' });
const subject = (total: number): OrderSubject => ({
  kind: 'order',
  offerHash: 'h'.repeat(43),
  offerId: 'of_one',
  vendor: 'https://shop.test',
  items: [{ sku: 'MILK', name: 'Milk', quantity: 1, unitPrice: usd(total), lineTotal: usd(total), condition: 'new' }],
  total: usd(total),
  payeeId: 'ocr:payout:shop',
  dataToShare: ['name', 'address'],
  policyVersion: 'v1',
});
const summary = (total: number) => ({ items: [{ name: 'Milk', quantity: 1, lineTotal: usd(total) }], total: usd(total), dataToShare: ['name' as const, 'address' as const], flags: [], reasons: [] });

describe('approval book', () => {
  it('THREATS #34 approval fatigue: the same order asked again while its approval waits gets that one approval', () => {
    const store = openStore(':memory:', { migrations: { broker: MIGRATIONS } });
    try {
      const clock = new FixedClock(Date.parse('2026-11-26T10:00:00Z'));
      const book = new ApprovalBook(store, clock);
      const first = book.request({ taskId: 'task_a', subject: subject(500), summary: summary(500), timeoutSeconds: 900 });
      const again = book.request({ taskId: 'task_a', subject: subject(500), summary: summary(500), timeoutSeconds: 900 });
      expect(again.approvalId).toBe(first.approvalId);
      expect(book.pending()).toHaveLength(1);
      // A different cart is a different question; an answered or expired one is asked anew.
      const other = book.request({ taskId: 'task_a', subject: subject(600), summary: summary(600), timeoutSeconds: 900 });
      expect(other.approvalId).not.toBe(first.approvalId);
      book.answer(first.approvalId, 'deny');
      const afterDeny = book.request({ taskId: 'task_a', subject: subject(500), summary: summary(500), timeoutSeconds: 900 });
      expect(afterDeny.approvalId).not.toBe(first.approvalId);
      clock.advance(901_000);
      const afterExpiry = book.request({ taskId: 'task_a', subject: subject(500), summary: summary(500), timeoutSeconds: 900 });
      expect(afterExpiry.approvalId).not.toBe(afterDeny.approvalId);
    } finally {
      store.close();
    }
  });
});
