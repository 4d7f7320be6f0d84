import type { z } from 'zod';
import { AgentCard, CommerceExtension } from './card.ts';
import { VendorCredential } from './credential.ts';
import { Approval, Decision } from './decision.ts';
import { AuditEvent } from './audit.ts';
import { CounterOffer, Offer, Order, PaymentToken, Receipt, Rfq, SignedOffer } from './messages.ts';
import { Money } from './primitives.ts';
import { AgentManifest, Flag } from './provenance.ts';
import { TaskSpec } from './task.ts';

/**
 * Every schema for an object that crosses a boundary, by the name its JSON Schema file takes.
 * The export script writes one file per entry; a test fails when the committed files drift.
 */
export const BOUNDARY_SCHEMAS: Readonly<Record<string, z.ZodType>> = {
  money: Money,
  'agent-card': AgentCard,
  'commerce-extension': CommerceExtension,
  rfq: Rfq,
  offer: Offer,
  'signed-offer': SignedOffer,
  'counter-offer': CounterOffer,
  order: Order,
  receipt: Receipt,
  'payment-token': PaymentToken,
  'vendor-credential': VendorCredential,
  'agent-manifest': AgentManifest,
  flag: Flag,
  decision: Decision,
  approval: Approval,
  'audit-event': AuditEvent,
  task: TaskSpec,
};
