import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FixedClock, type AuditEvent, type DataClass, type Decision, type Effect, type Purpose } from '@steward/protocol';
import { openStore, type Store } from '@steward/store';
import { MIGRATIONS, openProfile, type DecidePort, type Profile, type ProfileOptions, type ShareDataRequest } from '../src/index.ts';

export const T0 = Date.parse('2026-11-26T10:00:00Z');

export interface Harness {
  dir: string;
  dbPath: string;
  store: Store;
  profile: Profile;
  events: AuditEvent[];
  payloads: unknown[];
  clock: FixedClock;
  dataKey: Uint8Array;
  close(): void;
}

/** A real SQLite file in a temp dir, a fixed clock and an audit sink that records events. */
export function harness(options: Partial<ProfileOptions> = {}): Harness {
  const dir = mkdtempSync(join(tmpdir(), 'steward-profile-'));
  const dbPath = join(dir, 'steward.db');
  const store = openStore(dbPath, { migrations: { profile: MIGRATIONS } });
  const events: AuditEvent[] = [];
  const payloads: unknown[] = [];
  const clock = new FixedClock(T0);
  const dataKey = options.dataKey ?? new Uint8Array(randomBytes(32));
  const profile = openProfile(store, {
    dataKey,
    clock,
    audit: (event, payload) => {
      events.push(event);
      payloads.push(payload);
    },
    ...options,
  });
  return {
    dir,
    dbPath,
    store,
    profile,
    events,
    payloads,
    clock,
    dataKey,
    close() {
      store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A well-formed Decision. */
export function decision(effect: Effect, opts: { redact?: DataClass[]; relay?: DataClass[]; rule?: string; message?: string; version?: string; remedies?: string[] } = {}): Decision {
  const rule = opts.rule ?? `test.${effect}`;
  return {
    effect,
    determiningRules: [rule],
    reasons: [{ ruleId: rule, effect, message: opts.message ?? `rule ${rule} says ${effect}` }],
    obligations: { redact: opts.redact ?? [], ...(opts.relay ? { relay: opts.relay } : {}) },
    remedies: opts.remedies ?? [],
    errors: [],
    policyVersion: opts.version ?? 'v1',
    decidedAt: '2026-11-26T10:00:00Z',
  };
}

/** A table-driven decision port: `(class, purpose) → effect`, default deny; records every request. */
export function tablePolicy(
  table: Partial<Record<DataClass, Partial<Record<Purpose, Effect>>>>,
  opts: { relayEmail?: boolean; version?: string } = {},
): DecidePort & { calls: ShareDataRequest[] } {
  const calls: ShareDataRequest[] = [];
  const port = (req: ShareDataRequest): Decision => {
    calls.push(req);
    const effect = table[req.dataClass]?.[req.purpose] ?? 'deny';
    return decision(effect, {
      rule: `table.${req.dataClass}.${req.purpose}`,
      message: effect === 'deny' ? `${req.dataClass} is not shared for ${req.purpose}` : `${req.dataClass} for ${req.purpose}: ${effect}`,
      ...(opts.relayEmail && req.dataClass === 'email' ? { relay: ['email' as const] } : {}),
      remedies: effect === 'deny' ? [`allow ${req.dataClass} for ${req.purpose} in your policy`] : [],
      ...(opts.version ? { version: opts.version } : {}),
    });
  };
  return Object.assign(port, { calls });
}

/** The person's profile used across tests. */
export const ALICE = {
  name: 'Alice Martin',
  email: 'Alice.Martin+shop@gmail.com',
  phone: '+1 (415) 555-0134',
  home: '12 Rue des Lilas, 75011 Paris',
  work: '221B Baker Street, London NW1 6XE',
  birth: '1990-04-17',
  card: '4111 1111 1111 1111 exp 12/29',
  dietary: 'coeliac, peanut allergy',
  passport: 'X1234567',
};

export function fillAlice(p: Profile): void {
  p.set('name', ALICE.name);
  p.set('email', ALICE.email);
  p.set('phone', ALICE.phone);
  p.set('address', ALICE.home, 'home');
  p.set('address', ALICE.work, 'work');
  p.set('birth_date', ALICE.birth);
  p.set('payment', ALICE.card, 'visa');
  p.set('health', ALICE.dietary, 'dietary');
  p.set('identity_document', ALICE.passport, 'passport');
}

export const SHOP = { origin: 'https://shop.example', category: 'groceries' as const, verified: true };
