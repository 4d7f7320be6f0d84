import { afterEach, describe, expect, it } from 'vitest';
import type { ShareDataRequest } from '../../src/index.ts';
import { ALICE, decision, fillAlice, harness, SHOP, tablePolicy, type Harness } from '../helpers.ts';

let h: Harness | undefined;
afterEach(() => {
  h?.close();
  h = undefined;
});

const BISTRO = { origin: 'https://bistro.example', category: 'restaurant' as const, verified: true };

describe('disclose', () => {
  it('gives a grocer exactly the allowed fields for an order, and the home address only for delivery', async () => {
    const policy = tablePolicy({ name: { order: 'allow' }, phone: { order: 'allow' }, address: { delivery: 'allow' }, email: { order: 'allow' } });
    h = harness({ decide: policy });
    fillAlice(h.profile);
    const r = await h.profile.disclose({
      vendor: SHOP,
      purpose: 'order',
      taskId: 'task-1',
      fields: ['name', 'phone', { dataClass: 'address', label: 'home', purpose: 'delivery' }],
    });
    expect(r.status).toBe('complete');
    expect(r.disclosed).toEqual({ name: ALICE.name, phone: ALICE.phone, address: ALICE.home });
    expect(r.refused).toEqual([]);
    expect(Object.keys(r.disclosed)).not.toContain('email');
    expect(policy.calls.map((c) => [c.dataClass, c.purpose, c.vendor.origin, c.action, c.taskId])).toEqual([
      ['name', 'order', SHOP.origin, 'share_data', 'task-1'],
      ['phone', 'order', SHOP.origin, 'share_data', 'task-1'],
      ['address', 'delivery', SHOP.origin, 'share_data', 'task-1'],
    ]);
    expect(r.allowedValues.sort()).toEqual([ALICE.name, ALICE.phone, ALICE.home].sort());
    const audited = h.events.filter((e) => e.type === 'disclosure');
    expect(audited.map((e) => e.data?.dataClass)).toEqual(['name', 'phone', 'address']);
    expect(audited.every((e) => e.vendor === SHOP.origin && e.taskId === 'task-1' && e.policyVersion === 'v1')).toBe(true);
    expect(JSON.stringify(h.events)).not.toContain('Lilas');
    expect(h.payloads.every((p) => p === undefined)).toBe(true);
  });

  it('refuses what the policy denies, with the reason and what would change it', async () => {
    h = harness({ decide: tablePolicy({ name: { booking: 'allow' } }) });
    fillAlice(h.profile);
    const r = await h.profile.disclose({ vendor: BISTRO, purpose: 'booking', fields: ['name', 'phone'] });
    expect(r.status).toBe('partial');
    expect(r.disclosed).toEqual({ name: ALICE.name });
    expect(r.refused).toEqual([
      {
        dataClass: 'phone',
        label: 'primary',
        purpose: 'booking',
        code: 'denied',
        reason: 'phone is not shared for booking',
        remedies: ['allow phone for booking in your policy'],
        policyVersion: 'v1',
      },
    ]);
    const blocked = h.events.filter((e) => e.type === 'disclosure.blocked');
    expect(blocked).toHaveLength(1);
    expect(blocked[0]?.data).toMatchObject({ stage: 'policy', dataClass: 'phone', code: 'denied' });
    expect(h.profile.disclosures().map((d) => d.dataClass)).toEqual(['name']);
  });

  it('gives a per-vendor relay address instead of the email where the policy redacts it, and maps replies back', async () => {
    h = harness({ decide: tablePolicy({ email: { order: 'allow', account: 'allow' } }, { relayEmail: true }) });
    fillAlice(h.profile);
    const a = await h.profile.disclose({ vendor: SHOP, purpose: 'order', fields: ['email'] });
    const again = await h.profile.disclose({ vendor: SHOP, purpose: 'account', fields: ['email'] });
    const b = await h.profile.disclose({ vendor: BISTRO, purpose: 'order', fields: ['email'] });
    expect(a.disclosed.email).toMatch(/^relay-[0-9a-f]{20}@relay\.steward\.invalid$/);
    expect(again.disclosed.email).toBe(a.disclosed.email);
    expect(b.disclosed.email).not.toBe(a.disclosed.email);
    expect(a.fields[0]?.form).toBe('relay');
    expect(a.disclosed.email).not.toContain('alice');
    expect(h.profile.resolveRelay(a.disclosed.email!)).toMatchObject({ vendor: SHOP.origin });
    expect(h.profile.resolveRelay(a.disclosed.email!.toUpperCase())).toMatchObject({ vendor: SHOP.origin });
    expect(h.profile.resolveRelay('relay-00000000000000000000@relay.steward.invalid')).toBeUndefined();
  });

  it('releases the real email where the policy does not redact it', async () => {
    h = harness({ decide: tablePolicy({ email: { order: 'allow' } }) });
    fillAlice(h.profile);
    const r = await h.profile.disclose({ vendor: SHOP, purpose: 'order', fields: ['email'] });
    expect(r.disclosed.email).toBe(ALICE.email);
    expect(r.fields[0]?.form).toBe('value');
  });

  it('asks for approval naming exactly the fields the policy says ask, releasing nothing until approved', async () => {
    h = harness({ decide: tablePolicy({ name: { booking: 'allow' }, phone: { booking: 'ask' }, health: { booking: 'ask' } }) });
    fillAlice(h.profile);
    const req = { vendor: BISTRO, purpose: 'booking' as const, taskId: 'dinner-1', fields: ['name' as const, 'phone' as const, { dataClass: 'health' as const, label: 'dietary' }] };
    const r = await h.profile.disclose(req);
    expect(r.status).toBe('needs_approval');
    expect(r.disclosed).toEqual({});
    expect(r.approvalRequest?.dataToShare).toEqual(['phone', 'health']);
    expect(r.approvalRequest?.fields.map((f) => [f.dataClass, f.label, f.purpose])).toEqual([
      ['phone', 'primary', 'booking'],
      ['health', 'dietary', 'booking'],
    ]);
    expect(r.approvalRequest?.subjectHash).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(h.profile.disclosures()).toEqual([]);
    expect(h.events.filter((e) => e.type === 'disclosure')).toEqual([]);

    const approved = await h.profile.disclose({ ...req, approval: { approvalId: 'appr-1', subjectHash: r.approvalRequest!.subjectHash } });
    expect(approved.status).toBe('complete');
    expect(approved.disclosed).toEqual({ name: ALICE.name, phone: ALICE.phone, health: ALICE.dietary });
    await expect(h.profile.disclose({ ...req, approval: { approvalId: 'appr-1', subjectHash: r.approvalRequest!.subjectHash } })).rejects.toMatchObject({
      code: 'ERR_PROFILE_APPROVAL_USED',
    });
    const ledger = h.profile.disclosures();
    expect(ledger.map((d) => [d.dataClass, d.effect, d.approvalId])).toEqual([
      ['name', 'allow', null],
      ['phone', 'approved', 'appr-1'],
      ['health', 'approved', 'appr-1'],
    ]);
  });

  it('rejects an approval that does not cover exactly the fields now asked (ERR_PROFILE_APPROVAL_MISMATCH)', async () => {
    h = harness({ decide: tablePolicy({ phone: { booking: 'ask' }, health: { booking: 'ask' } }) });
    fillAlice(h.profile);
    const first = await h.profile.disclose({ vendor: BISTRO, purpose: 'booking', fields: ['phone'] });
    const hash = first.approvalRequest!.subjectHash;
    // The same approval replayed for more fields, or for another vendor, does not pass.
    await expect(
      h.profile.disclose({ vendor: BISTRO, purpose: 'booking', fields: ['phone', { dataClass: 'health', label: 'dietary' }], approval: { approvalId: 'appr-1', subjectHash: hash } }),
    ).rejects.toMatchObject({ code: 'ERR_PROFILE_APPROVAL_MISMATCH' });
    await expect(
      h.profile.disclose({ vendor: { ...BISTRO, origin: 'https://other.example' }, purpose: 'booking', fields: ['phone'], approval: { approvalId: 'appr-1', subjectHash: hash } }),
    ).rejects.toMatchObject({ code: 'ERR_PROFILE_APPROVAL_MISMATCH' });
    expect(h.profile.disclosures()).toEqual([]);
  });

  it('plans without recording, then records once what was actually sent', () => {
    h = harness({ decide: tablePolicy({ name: { order: 'allow' }, email: { order: 'allow' } }, { relayEmail: true }) });
    fillAlice(h.profile);
    const plan = h.profile.planDisclosure({ vendor: SHOP, purpose: 'order', taskId: 'task-1', fields: ['name', 'email'] });
    expect(plan.disclosed.name).toBe(ALICE.name);
    expect(plan.disclosed.email).toMatch(/^relay-/);
    expect(h.profile.disclosures()).toEqual([]);
    expect(h.profile.resolveRelay(plan.disclosed.email!)).toBeUndefined();
    h.profile.recordDisclosure(plan.disclosureId);
    expect(h.profile.disclosures().map((d) => [d.dataClass, d.form, d.taskId])).toEqual([
      ['name', 'value', 'task-1'],
      ['email', 'relay', 'task-1'],
    ]);
    expect(h.profile.resolveRelay(plan.disclosed.email!)).toMatchObject({ vendor: SHOP.origin });
    expect(h.events.filter((e) => e.type === 'disclosure')).toHaveLength(2);
    expect(() => h!.profile.recordDisclosure(plan.disclosureId)).toThrow(expect.objectContaining({ code: 'ERR_PROFILE_REQUEST_INVALID' }));
  });

  it("accepts the broker's approval by data classes only if it covers every asked field", async () => {
    h = harness({ decide: tablePolicy({ name: { order: 'allow' }, phone: { order: 'ask' }, email: { order: 'ask' } }) });
    fillAlice(h.profile);
    const req = { vendor: SHOP, purpose: 'order' as const, fields: ['name' as const, 'phone' as const, 'email' as const] };
    await expect(h.profile.disclose({ ...req, approval: { approvalId: 'ord-appr-1', dataClasses: ['phone'] } })).rejects.toMatchObject({
      code: 'ERR_PROFILE_APPROVAL_MISMATCH',
    });
    const r = await h.profile.disclose({ ...req, approval: { approvalId: 'ord-appr-1', dataClasses: ['phone', 'email', 'name'] } });
    expect(r.disclosed).toEqual({ name: ALICE.name, phone: ALICE.phone, email: ALICE.email });
    await expect(h.profile.disclose({ ...req, approval: { approvalId: 'ord-appr-1', dataClasses: ['phone', 'email'] } })).rejects.toMatchObject({
      code: 'ERR_PROFILE_APPROVAL_USED',
    });
  });

  it('keeps the minimum whatever the policy says: no address for a quote, no birth date for a discount, no card data ever', async () => {
    const allowAll = () => decision('allow');
    h = harness({ decide: allowAll });
    fillAlice(h.profile);
    const quote = await h.profile.disclose({ vendor: SHOP, purpose: 'quote', fields: [{ dataClass: 'address', label: 'home' }] });
    expect(quote.status).toBe('refused');
    expect(quote.refused[0]).toMatchObject({ code: 'minimum', dataClass: 'address' });
    expect(quote.refused[0]?.reason).toContain('only for delivery');
    const discount = await h.profile.disclose({ vendor: SHOP, purpose: 'discount', fields: ['birth_date'] });
    expect(discount.refused[0]).toMatchObject({ code: 'minimum', dataClass: 'birth_date' });
    const order = await h.profile.disclose({ vendor: SHOP, purpose: 'order', fields: [{ dataClass: 'payment', label: 'visa' }, { dataClass: 'address', label: 'home' }] });
    expect(order.refused.map((f) => [f.dataClass, f.code])).toEqual([
      ['payment', 'minimum'],
      ['address', 'minimum'],
    ]);
    expect(order.refused[0]?.reason).toContain('payment token');
    expect(h.profile.disclosures()).toEqual([]);
  });

  it('fails closed when the policy throws, returns a malformed decision, or is missing', async () => {
    h = harness({
      decide: (req: ShareDataRequest) => {
        if (req.dataClass === 'name') throw new Error('engine down');
        return { effect: 'allow' } as never;
      },
    });
    fillAlice(h.profile);
    const r = await h.profile.disclose({ vendor: SHOP, purpose: 'order', fields: ['name', 'phone'] });
    expect(r.status).toBe('refused');
    expect(r.refused.map((f) => [f.dataClass, f.code])).toEqual([
      ['name', 'policy_error'],
      ['phone', 'policy_error'],
    ]);
    expect(r.refused[0]?.reason).toContain('engine down');
    h.close();
    h = harness();
    fillAlice(h.profile);
    const none = await h.profile.disclose({ vendor: SHOP, purpose: 'order', fields: ['name'] });
    expect(none.refused[0]).toMatchObject({ code: 'policy_error' });
  });

  it('withholds what the policy redacts, refuses a relay for a class that has none, and reports a missing value', async () => {
    h = harness({ decide: (req) => decision('allow', req.dataClass === 'phone' ? { relay: ['phone'] } : { redact: ['email'] }) });
    h.profile.set('phone', ALICE.phone);
    h.profile.set('email', ALICE.email);
    const r = await h.profile.disclose({ vendor: SHOP, purpose: 'order', fields: ['phone', 'email', 'name'] });
    expect(r.disclosed).toEqual({});
    expect(r.refused.map((f) => [f.dataClass, f.code])).toEqual([
      ['phone', 'redacted'],
      ['email', 'redacted'],
      ['name', 'missing'],
    ]);
    expect(r.refused[0]?.reason).toContain('only through a relay');
    expect(r.refused[1]?.reason).toContain('withheld');
  });

  it('discloseSync gives the same answer for a synchronous policy and refuses for an asynchronous one', async () => {
    h = harness({ decide: tablePolicy({ name: { order: 'allow' }, email: { order: 'allow' } }, { relayEmail: true }) });
    fillAlice(h.profile);
    const sync = h.profile.discloseSync({ vendor: SHOP, purpose: 'order', fields: ['name', 'email'] });
    const async = await h.profile.disclose({ vendor: SHOP, purpose: 'order', fields: ['name', 'email'] });
    expect(sync.disclosed).toEqual(async.disclosed);
    expect(sync.disclosed.email).toMatch(/^relay-/);
    h.close();
    h = harness({ decide: () => Promise.resolve(decision('allow')) });
    fillAlice(h.profile);
    const refused = h.profile.discloseSync({ vendor: SHOP, purpose: 'order', fields: ['name'] });
    expect(refused.refused[0]).toMatchObject({ code: 'policy_error' });
    expect((await h.profile.disclose({ vendor: SHOP, purpose: 'order', fields: ['name'] })).disclosed).toEqual({ name: ALICE.name });
  });

  it('discloses nothing and keeps no ledger row when the audit sink fails (ERR_PROFILE_AUDIT_FAILED)', async () => {
    h = harness({
      decide: tablePolicy({ name: { order: 'allow' } }),
      audit: (e) => {
        if (e.type === 'disclosure') throw new Error('disk full');
      },
    });
    fillAlice(h.profile);
    await expect(h.profile.disclose({ vendor: SHOP, purpose: 'order', fields: ['name'] })).rejects.toMatchObject({ code: 'ERR_PROFILE_AUDIT_FAILED' });
    expect(h.profile.disclosures()).toEqual([]);
  });

  it('rejects malformed requests with ERR_PROFILE_REQUEST_INVALID', async () => {
    h = harness({ decide: () => decision('allow') });
    const bad = [
      { vendor: { origin: 'https://shop.example/path', verified: true }, purpose: 'order', fields: ['name'] },
      { vendor: SHOP, purpose: 'gossip', fields: ['name'] },
      { vendor: SHOP, purpose: 'order', fields: [] },
      { vendor: SHOP, purpose: 'order', fields: ['name', 'name'] },
      { vendor: SHOP, purpose: 'order', fields: ['ssn'] },
      { vendor: SHOP, purpose: 'order', taskId: 'bad id!', fields: ['name'] },
    ];
    for (const req of bad) await expect(h.profile.disclose(req as never)).rejects.toMatchObject({ code: 'ERR_PROFILE_REQUEST_INVALID' });
  });
});

describe('who knows what about me', () => {
  it('lists per vendor what was received, in which form, when, and whether it is still current', async () => {
    h = harness({ decide: tablePolicy({ name: { order: 'allow', booking: 'allow' }, email: { order: 'allow' }, phone: { booking: 'allow' } }, { relayEmail: true }) });
    fillAlice(h.profile);
    await h.profile.disclose({ vendor: SHOP, purpose: 'order', taskId: 't1', fields: ['name', 'email'] });
    h.clock.advance(60_000);
    await h.profile.disclose({ vendor: BISTRO, purpose: 'booking', taskId: 't2', fields: ['name', 'phone'] });
    h.clock.advance(60_000);
    await h.profile.disclose({ vendor: SHOP, purpose: 'order', taskId: 't3', fields: ['name'] });
    h.profile.set('phone', '+1 415 555 0199');
    const all = h.profile.whoKnows();
    expect(all.map((k) => k.vendor)).toEqual([BISTRO.origin, SHOP.origin]);
    const shop = all[1]!;
    expect(shop.fields.map((f) => [f.dataClass, f.form, f.times, f.current])).toEqual([
      ['name', 'value', 2, true],
      ['email', 'relay', 1, true],
    ]);
    expect(shop.fields[0]).toMatchObject({ firstAt: '2026-11-26T10:00:00.000Z', lastAt: '2026-11-26T10:02:00.000Z', taskIds: ['t1', 't3'] });
    const bistro = all[0]!;
    expect(bistro.fields.find((f) => f.dataClass === 'phone')?.current).toBe(false);
    expect(h.profile.whoKnows(SHOP.origin)).toHaveLength(1);
  });

  it('keeps no erasure request the audit sink refused', async () => {
    let refuse = false;
    h = harness({
      decide: tablePolicy({ name: { order: 'allow' } }),
      audit: (e) => {
        if (refuse && e.type === 'erasure.requested') throw new Error('log full');
      },
    });
    fillAlice(h.profile);
    await h.profile.disclose({ vendor: SHOP, purpose: 'order', fields: ['name'] });
    refuse = true;
    expect(() => h!.profile.requestErasure(SHOP.origin)).toThrow(expect.objectContaining({ code: 'ERR_PROFILE_AUDIT_FAILED' }));
    expect(h.profile.whoKnows(SHOP.origin)[0]?.erasureRequests).toEqual([]);
  });

  it('records an erasure request, audited, defaulting to every class the vendor received', async () => {
    h = harness({ decide: tablePolicy({ name: { order: 'allow' }, phone: { order: 'allow' } }) });
    fillAlice(h.profile);
    await h.profile.disclose({ vendor: SHOP, purpose: 'order', fields: ['name', 'phone'] });
    const req = h.profile.requestErasure(SHOP.origin);
    expect(req.dataClasses).toEqual(['name', 'phone']);
    expect(h.events.at(-1)).toMatchObject({ type: 'erasure.requested', vendor: SHOP.origin, actor: 'person' });
    expect(h.profile.whoKnows(SHOP.origin)[0]?.erasureRequests).toEqual([{ requestId: req.requestId, dataClasses: ['name', 'phone'], requestedAt: req.requestedAt }]);
    expect(() => h!.profile.requestErasure('https://never.example')).toThrow(expect.objectContaining({ code: 'ERR_PROFILE_REQUEST_INVALID' }));
  });
});
