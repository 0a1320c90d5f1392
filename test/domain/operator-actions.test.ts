// Operator rules on the grace window: extension (later only, never before
// now, un-expires an expired window) and the waiver (no window, no block for
// the delinquency known at the time; newer evidence opens a new window).
import type { BillingFact, InvoiceChangedFact, SubscriptionChangedFact } from '../../src/domain/billing-facts';
import { applyBillingFact, billingMode, billingStatus, expireGraceIfDue, initialState, type WorkspaceState } from '../../src/domain/billing-state';
import type { DunningPolicy } from '../../src/domain/dunning';
import { extendGrace, extendGraceRequestSchema, operatorActionSchema, waiveGrace } from '../../src/domain/operator-actions';
import { summarizeState } from '../../src/domain/state-summary';
import { liveInvoiceFact } from '../../src/domain/stripe-events';

const DAY = 86_400_000;
const T0 = Date.UTC(2026, 0, 10, 8, 0, 0);
const T1 = T0 + 30 * DAY;
const policy: DunningPolicy = { gracePeriodMs: 7 * DAY, reminderOffsetsMs: [0, 3 * DAY, 6 * DAY] };

let seq = 0;
const sub = (o: Partial<SubscriptionChangedFact> = {}): SubscriptionChangedFact => ({
  kind: 'subscription_changed',
  eventId: `evt_${++seq}`,
  occurredAt: T0,
  subscriptionId: 'sub_1',
  customerId: 'cus_1',
  status: 'active',
  planId: 'plus',
  interval: 'month',
  currentPeriodEnd: T0 + 30 * DAY,
  cancelAtPeriodEnd: false,
  ...o,
});
const inv = (o: Partial<InvoiceChangedFact> = {}): InvoiceChangedFact => ({
  kind: 'invoice_changed',
  eventId: `evt_${++seq}`,
  occurredAt: T1,
  invoiceId: 'in_1',
  subscriptionId: 'sub_1',
  status: 'open',
  paymentFailed: true,
  amountDueCents: 2900,
  currency: 'usd',
  hostedInvoiceUrl: 'https://invoice.stripe.test/in_1',
  ...o,
});
const apply = (s: WorkspaceState, facts: BillingFact[]) => facts.reduce((x, f) => applyBillingFact(x, f, policy), s);
const inGrace = () => apply(initialState('ws_1'), [sub(), inv()]);
const ok = (d: ReturnType<typeof extendGrace>) => {
  if (d.kind !== 'ok') throw new Error(`refused: ${d.code}`);
  return d.state;
};

describe('extendGrace', () => {
  it('byMs moves the end later, from the current end while it is ahead', () => {
    const s = ok(extendGrace(inGrace(), { byMs: 3 * DAY }, T1 + DAY));
    expect(s.grace).toMatchObject({ startedAt: T1, endsAt: T1 + 10 * DAY, expired: false, extendedAt: T1 + DAY });
    expect(s.version).toBe(inGrace().version + 1);
  });

  it('an expired window extended into the future is open again: billing_recovery, no block', () => {
    const expired = expireGraceIfDue(inGrace(), T1 + 8 * DAY);
    expect(billingMode(expired)).toBe('enforced_recovery');
    const s = ok(extendGrace(expired, { byMs: 2 * DAY }, T1 + 9 * DAY));
    expect(s.grace).toMatchObject({ endsAt: T1 + 11 * DAY, expired: false });
    expect(billingMode(s)).toBe('billing_recovery');
    // and it expires again at the new end, not before
    expect(expireGraceIfDue(s, T1 + 11 * DAY - 1).grace?.expired).toBe(false);
    expect(expireGraceIfDue(s, T1 + 11 * DAY).grace?.expired).toBe(true);
  });

  it('untilMs must be later than the current end and than now', () => {
    expect(extendGrace(inGrace(), { untilMs: T1 + 6 * DAY }, T1)).toMatchObject({ kind: 'reject', code: 'validation_failed' });
    const expired = expireGraceIfDue(inGrace(), T1 + 8 * DAY);
    expect(extendGrace(expired, { untilMs: T1 + 7 * DAY + 1 }, T1 + 8 * DAY)).toMatchObject({ kind: 'reject', code: 'validation_failed' });
    expect(ok(extendGrace(inGrace(), { untilMs: T1 + 9 * DAY }, T1)).grace?.endsAt).toBe(T1 + 9 * DAY);
  });

  it('no window → no_grace_window', () => {
    expect(extendGrace(apply(initialState('ws_1'), [sub()]), { byMs: DAY }, T1)).toMatchObject({ kind: 'reject', code: 'no_grace_window' });
  });

  it('earlier evidence arriving later moves the start but keeps the operator’s end', () => {
    const extended = ok(extendGrace(apply(initialState('ws_1'), [sub(), inv({ occurredAt: T1 + DAY })]), { untilMs: T1 + 20 * DAY }, T1 + DAY));
    const s = apply(extended, [inv({ invoiceId: 'in_0', occurredAt: T1 })]);
    expect(s.grace).toMatchObject({ startedAt: T1, endsAt: T1 + 20 * DAY });
  });
});

describe('waiveGrace (end grace as forgiven)', () => {
  it('closes the window, also an expired one: not blocked, the unpaid invoice still shown', () => {
    const expired = expireGraceIfDue(inGrace(), T1 + 8 * DAY);
    const s = ok(waiveGrace(expired, T1 + 8 * DAY));
    expect(s.grace).toBeNull();
    expect(s.graceWaivedAt).toBe(T1 + 8 * DAY);
    expect(billingMode(s)).toBe('billing_recovery');
    expect(billingStatus(s)).toBe('past_due');
    expect(expireGraceIfDue(s, T1 + 30 * DAY).grace).toBeNull();
  });

  it('facts about the forgiven delinquency (older or re-delivered) open no window', () => {
    const s = ok(waiveGrace(inGrace(), T1 + DAY));
    expect(apply(s, [inv({ occurredAt: T1 + 1000 }), sub({ occurredAt: T1 + 2000, status: 'past_due' })]).grace).toBeNull();
  });

  it('newer delinquency evidence opens a new window from that evidence', () => {
    const s = ok(waiveGrace(inGrace(), T1 + DAY));
    const again = apply(s, [inv({ invoiceId: 'in_2', occurredAt: T1 + 31 * DAY })]);
    expect(again.grace).toMatchObject({ startedAt: T1 + 31 * DAY, endsAt: T1 + 38 * DAY, expired: false });
  });

  it('no window → no_grace_window', () => {
    expect(waiveGrace(apply(initialState('ws_1'), [sub()]), T1)).toMatchObject({ kind: 'reject', code: 'no_grace_window' });
  });
});

describe('request schemas', () => {
  it('require a reason of at least 3 characters and a request id', () => {
    expect(operatorActionSchema.safeParse({ reason: 'ok', requestId: 'r1' }).success).toBe(false);
    expect(operatorActionSchema.safeParse({ reason: 'customer called', requestId: '' }).success).toBe(false);
    expect(operatorActionSchema.safeParse({ reason: 'customer called', requestId: 'r1' }).success).toBe(true);
  });
  it('extension takes exactly one of byMs and untilMs', () => {
    expect(extendGraceRequestSchema.safeParse({ reason: 'promised to pay', requestId: 'r1' }).success).toBe(false);
    expect(extendGraceRequestSchema.safeParse({ reason: 'promised to pay', requestId: 'r1', byMs: 1, untilMs: 2 }).success).toBe(false);
    expect(extendGraceRequestSchema.safeParse({ reason: 'promised to pay', requestId: 'r1', byMs: DAY }).success).toBe(true);
  });
});

describe('liveInvoiceFact (resync of a retrieved invoice)', () => {
  const base = { eventId: 'resync:r1:in_9', occurredAt: T1 };
  const object = (o: Record<string, unknown>) => ({ id: 'in_9', object: 'invoice', amount_due: 2900, amount_remaining: 2900, currency: 'usd', hosted_invoice_url: 'https://i.test/in_9', subscription: 'sub_1', ...o });
  it('an open invoice after a failed attempt is a failed payment; paid is paid; a draft is nothing', () => {
    expect(liveInvoiceFact(object({ status: 'open', attempted: true, attempt_count: 2 }), base)).toMatchObject({ kind: 'invoice_changed', status: 'open', paymentFailed: true, subscriptionId: 'sub_1', ...base });
    expect(liveInvoiceFact(object({ status: 'open', attempted: false, attempt_count: 0 }), base)).toMatchObject({ status: 'open', paymentFailed: false });
    expect(liveInvoiceFact(object({ status: 'paid', attempted: true, amount_remaining: 0 }), base)).toMatchObject({ status: 'paid', paymentFailed: false, amountDueCents: 0 });
    expect(liveInvoiceFact(object({ status: 'draft' }), base)).toBeNull();
  });
  it('opens the grace window when applied to a paying workspace', () => {
    const fact = liveInvoiceFact(object({ status: 'open', attempted: true, attempt_count: 1 }), base)!;
    expect(apply(apply(initialState('ws_1'), [sub()]), [fact]).grace).toMatchObject({ startedAt: T1, expired: false });
  });
});

describe('summarizeState (Web UI current details, memo, CLI)', () => {
  it('one readable line', () => {
    expect(summarizeState(apply(initialState('ws_1'), [sub()])).text).toBe('Plus (month) · active · self_serve');
    expect(summarizeState(inGrace()).text).toBe(`Plus (month) · past_due · billing_recovery · grace ends ${new Date(T1 + 7 * DAY).toISOString().slice(0, 16)}Z · unpaid in_1`);
    expect(summarizeState(initialState('ws_1')).text).toBe('Essential · none · self_serve');
  });
});
