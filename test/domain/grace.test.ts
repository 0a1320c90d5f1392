// Grace and payment recovery: applyBillingFact (applyFact + reconcileGrace),
// expireGraceIfDue, markRemindersSent, and what /billing and the access check
// make of the result. Stripe delivers events late, twice and out of order;
// none of that may block a paid workspace or unblock an unpaid one.
import fc from 'fast-check';
import { evaluateProductionAccess } from '../../src/domain/access';
import type {
  BillingFact,
  CheckoutCompletedFact,
  InvoiceChangedFact,
  SubscriptionChangedFact,
} from '../../src/domain/billing-facts';
import {
  applyBillingFact,
  asOfMs,
  billingMode,
  billingStatus,
  currentPlan,
  expireGraceIfDue,
  initialState,
  isDelinquent,
  markRemindersSent,
  needsPaymentRecovery,
  openCheckout,
  reconcileGrace,
  type WorkspaceState,
} from '../../src/domain/billing-state';
import { evaluateDunning, type DunningPolicy } from '../../src/domain/dunning';
import { billingView, toProjection } from '../../src/domain/projection';
import { factFromEvent, stripeEventEnvelope } from '../../src/domain/stripe-events';
import { checkoutFixture, checkoutSession, invoice, stripeEvent, subscription } from '../support/stripe-events';

const SEC = 1_000;
const HOUR = 3_600_000;
const DAY = 86_400_000;
const T0 = Date.UTC(2026, 0, 10, 8, 0, 0); // subscription created
const T1 = T0 + 30 * DAY; // renewal attempt fails

const policy: DunningPolicy = { gracePeriodMs: 7 * DAY, reminderOffsetsMs: [0, 3 * DAY, 6 * DAY] };
const wallet = { balanceCents: 5_000, minimumCents: 1_000 };

let seq = 0;
const nextId = (prefix: string) => `${prefix}_${++seq}`;

function completed(overrides: Partial<CheckoutCompletedFact> = {}): CheckoutCompletedFact {
  return {
    kind: 'checkout_completed',
    eventId: nextId('evt'),
    occurredAt: T0 + 2 * SEC,
    checkoutId: 'cs_test_1',
    customerId: 'cus_1',
    subscriptionId: 'sub_1',
    planId: 'plus',
    interval: 'month',
    paid: true,
    ...overrides,
  };
}

function subChanged(overrides: Partial<SubscriptionChangedFact> = {}): SubscriptionChangedFact {
  return {
    kind: 'subscription_changed',
    eventId: nextId('evt'),
    occurredAt: T0 + SEC,
    subscriptionId: 'sub_1',
    customerId: 'cus_1',
    status: 'active',
    planId: 'plus',
    interval: 'month',
    currentPeriodEnd: T0 + 30 * DAY,
    cancelAtPeriodEnd: false,
    ...overrides,
  };
}

function invoiceFact(overrides: Partial<InvoiceChangedFact> = {}): InvoiceChangedFact {
  const invoiceId = overrides.invoiceId ?? 'in_2';
  return {
    kind: 'invoice_changed',
    eventId: nextId('evt'),
    occurredAt: T1,
    invoiceId,
    subscriptionId: 'sub_1',
    status: 'open',
    paymentFailed: false,
    amountDueCents: 2900,
    currency: 'usd',
    hostedInvoiceUrl: `https://invoice.stripe.com/i/acct_test/${invoiceId}`,
    ...overrides,
  };
}
const paymentFailed = (o: Partial<InvoiceChangedFact> = {}) => invoiceFact({ paymentFailed: true, ...o });
const invoicePaid = (o: Partial<InvoiceChangedFact> = {}) => invoiceFact({ status: 'paid', amountDueCents: 0, occurredAt: T1 + 2 * DAY, ...o });

const apply = (state: WorkspaceState, facts: BillingFact[]) => facts.reduce((s, f) => applyBillingFact(s, f, policy), state);
const fresh = () => initialState('ws_1');
/** A paying Plus customer, a month in. */
const active = () => apply(fresh(), [subChanged({ occurredAt: T0 + SEC }), completed({ occurredAt: T0 + 2 * SEC })]);
/** The renewal failed at T1 and the subscription went past_due a second later. */
const inGrace = () => apply(active(), [paymentFailed({ occurredAt: T1 }), subChanged({ occurredAt: T1 + SEC, status: 'past_due' })]);

/** /billing of the state's projection, read as of the state's newest fact. */
function view(state: WorkspaceState) {
  return billingView({ projection: toProjection(state), wallet, spendControl: null }, asOfMs(state));
}

/** What the product sees of a workspace's billing. */
function derived(state: WorkspaceState) {
  const p = toProjection(state);
  return { status: p.status, mode: p.mode, plan: { id: p.planId, interval: p.interval }, grace: p.grace, unpaidInvoice: p.unpaidInvoice };
}

const permutations = <T>(xs: T[]): T[][] =>
  xs.length <= 1 ? [xs] : xs.flatMap((x, i) => permutations([...xs.slice(0, i), ...xs.slice(i + 1)]).map((rest) => [x, ...rest]));

describe('a failed payment opens the grace window', () => {
  it('invoice.payment_failed → past_due, billing_recovery, grace from the event time for 7 days', () => {
    const s = apply(active(), [paymentFailed({ occurredAt: T1, amountDueCents: 2900 })]);
    expect(isDelinquent(s)).toBe(true);
    expect(billingStatus(s)).toBe('past_due');
    expect(billingMode(s)).toBe('billing_recovery');
    expect(currentPlan(s)).toEqual({ id: 'plus', interval: 'month' });
    expect(s.grace).toEqual({ startedAt: T1, endsAt: T1 + 7 * DAY, expired: false, remindersSent: [] });
    expect(s.version).toBeGreaterThan(active().version);
  });

  it('/billing shows the window, the unpaid hosted invoice, and production still allowed', () => {
    const v = view(inGrace());
    expect(v).toMatchObject({
      status: 'past_due',
      mode: 'billing_recovery',
      plan: { id: 'plus', interval: 'month' },
      grace: { startedAt: new Date(T1).toISOString(), endsAt: new Date(T1 + 7 * DAY).toISOString(), expired: false },
      unpaidInvoice: { id: 'in_2', amountDueCents: 2900, currency: 'usd', hostedInvoiceUrl: 'https://invoice.stripe.com/i/acct_test/in_2' },
      production: { allowed: true, reasons: [] },
    });
  });

  it('a subscription going past_due opens it too (at that event time)', () => {
    const s = apply(active(), [subChanged({ occurredAt: T1 + SEC, status: 'past_due' })]);
    expect(billingStatus(s)).toBe('past_due');
    expect(billingMode(s)).toBe('billing_recovery');
    expect(s.grace).toMatchObject({ startedAt: T1 + SEC, endsAt: T1 + SEC + 7 * DAY });
  });

  it('Stripe status unpaid counts as past_due', () => {
    const s = apply(active(), [subChanged({ occurredAt: T1, status: 'unpaid' })]);
    expect(billingStatus(s)).toBe('past_due');
    expect(s.grace?.startedAt).toBe(T1);
  });

  it('the grace period is configurable', () => {
    const s = [paymentFailed({ occurredAt: T1 })].reduce((st, f) => applyBillingFact(st, f, { ...policy, gracePeriodMs: 36 * HOUR }), active());
    expect(s.grace).toMatchObject({ startedAt: T1, endsAt: T1 + 36 * HOUR });
  });

  it('the window starts at the earliest evidence: failure at T1, past_due a second later, delivered in either order', () => {
    const failure = paymentFailed({ occurredAt: T1 });
    const pastDue = subChanged({ occurredAt: T1 + SEC, status: 'past_due' });
    expect(apply(active(), [failure, pastDue]).grace).toEqual(apply(active(), [pastDue, failure]).grace);
    expect(apply(active(), [pastDue, failure]).grace?.startedAt).toBe(T1);
  });

  it('later retries of the same invoice do not move the window', () => {
    const s = apply(inGrace(), [paymentFailed({ occurredAt: T1 + 3 * DAY }), paymentFailed({ occurredAt: T1 + 5 * DAY })]);
    expect(s.grace).toMatchObject({ startedAt: T1, endsAt: T1 + 7 * DAY });
  });

  it('an Essential workspace (no subscription) never opens one', () => {
    const s = apply(fresh(), [paymentFailed()]);
    expect(s.grace).toBeNull();
    expect(billingStatus(s)).toBe('none');
  });

  it('a draft or merely finalized invoice is not a failure', () => {
    const s = apply(active(), [invoiceFact({ status: 'draft' }), invoiceFact({ occurredAt: T1 + HOUR })]);
    expect(s.grace).toBeNull();
    expect(derived(s)).toMatchObject({ status: 'active', mode: 'self_serve' });
  });
});

describe('payment inside the window', () => {
  it('invoice.paid closes it: active, self_serve, no unpaid invoice', () => {
    const s = apply(inGrace(), [invoicePaid({ occurredAt: T1 + 2 * DAY })]);
    expect(isDelinquent(s)).toBe(false);
    expect(s.grace).toBeNull();
    expect(derived(s)).toEqual({ status: 'active', mode: 'self_serve', plan: { id: 'plus', interval: 'month' }, grace: null, unpaidInvoice: null });
  });

  it('the subscription returning to active closes it and mode returns to self_serve', () => {
    const s = apply(inGrace(), [subChanged({ occurredAt: T1 + 2 * DAY, status: 'active' })]);
    expect(s.grace).toBeNull();
    expect(billingStatus(s)).toBe('active');
    expect(needsPaymentRecovery(s)).toBe(false);
    expect(billingMode(s)).toBe('self_serve');
  });

  it('a subscription past_due event then an active event (no invoice events)', () => {
    const s1 = apply(active(), [subChanged({ occurredAt: T1, status: 'past_due' })]);
    expect(s1.grace).not.toBeNull();
    const s2 = apply(s1, [subChanged({ occurredAt: T1 + DAY, status: 'active' })]);
    expect(s2.grace).toBeNull();
    expect(derived(s2)).toMatchObject({ status: 'active', mode: 'self_serve' });
  });

  it('a void invoice is settled too', () => {
    const s = apply(active(), [paymentFailed({ occurredAt: T1 }), invoiceFact({ occurredAt: T1 + DAY, status: 'void' })]);
    expect(s.grace).toBeNull();
    expect(derived(s)).toMatchObject({ status: 'active', mode: 'self_serve', unpaidInvoice: null });
  });

  it('a new failure after a recovered one opens a fresh window', () => {
    const recovered = apply(inGrace(), [invoicePaid({ occurredAt: T1 + DAY }), subChanged({ occurredAt: T1 + DAY + SEC })]);
    const T2 = T1 + 30 * DAY;
    const s = apply(recovered, [paymentFailed({ invoiceId: 'in_3', occurredAt: T2 })]);
    expect(s.grace).toEqual({ startedAt: T2, endsAt: T2 + 7 * DAY, expired: false, remindersSent: [] });
  });
});

describe('reminders inside the window', () => {
  it('are due at 0d, 3d, 6d from the recorded start and each is recorded once', () => {
    let s = inGrace();
    const sentAt: number[] = [];
    for (const at of [T1, T1 + DAY, T1 + 3 * DAY, T1 + 6 * DAY]) {
      const { dueReminders } = evaluateDunning(s.grace!, policy, at);
      if (dueReminders.length) sentAt.push(at - T1);
      s = markRemindersSent(s, dueReminders);
    }
    expect(sentAt).toEqual([0, 3 * DAY, 6 * DAY]);
    expect(s.grace?.remindersSent).toEqual([0, 3 * DAY, 6 * DAY]);
  });

  it('markRemindersSent bumps the version once; marking again changes nothing', () => {
    const s = inGrace();
    const once = markRemindersSent(s, [0]);
    expect(once.version).toBe(s.version + 1);
    expect(markRemindersSent(once, [0])).toBe(once);
    expect(markRemindersSent(once, [])).toBe(once);
    const owesNothing = active();
    expect(markRemindersSent(owesNothing, [0])).toBe(owesNothing);
  });

  it('sent reminders stay sent when later evidence moves the start earlier', () => {
    const pastDueFirst = apply(active(), [subChanged({ occurredAt: T1 + HOUR, status: 'past_due' })]);
    const reminded = markRemindersSent(pastDueFirst, [0]);
    const s = apply(reminded, [paymentFailed({ occurredAt: T1 })]);
    expect(s.grace).toEqual({ startedAt: T1, endsAt: T1 + 7 * DAY, expired: false, remindersSent: [0] });
  });
});

describe('the window expires', () => {
  it('not before its end', () => {
    const s = inGrace();
    expect(expireGraceIfDue(s, T1 + 7 * DAY - 1)).toBe(s);
  });

  it('at its end: enforced_recovery, production hard-blocked with reason enforced_recovery', () => {
    const s = expireGraceIfDue(inGrace(), T1 + 7 * DAY);
    expect(s.grace).toMatchObject({ startedAt: T1, endsAt: T1 + 7 * DAY, expired: true });
    expect(s.version).toBe(inGrace().version + 1);
    expect(billingStatus(s)).toBe('past_due');
    expect(billingMode(s)).toBe('enforced_recovery');
    const v = view(s);
    expect(v.mode).toBe('enforced_recovery');
    expect(v.grace).toMatchObject({ expired: true });
    expect(v.production).toEqual({ allowed: false, reasons: ['enforced_recovery'] });
    expect(v.unpaidInvoice?.id).toBe('in_2');
    expect(evaluateProductionAccess({ planId: 'plus', mode: billingMode(s), wallet }).reasons).toEqual(['enforced_recovery']);
  });

  it('expiring twice changes nothing', () => {
    const s = expireGraceIfDue(inGrace(), T1 + 7 * DAY);
    expect(expireGraceIfDue(s, T1 + 8 * DAY)).toBe(s);
  });

  it('a workspace that paid has no window to expire', () => {
    const s = apply(inGrace(), [invoicePaid({ occurredAt: T1 + DAY })]);
    expect(expireGraceIfDue(s, T1 + 30 * DAY)).toBe(s);
  });

  it('a window the state does not justify is closed at its end, not expired (its end would be due forever)', () => {
    // E.g. a state saved by older rules: a window open although nothing is owed.
    const s = { ...active(), grace: inGrace().grace };
    expect(expireGraceIfDue(s, T1 + 7 * DAY - 1)).toBe(s);
    const closed = expireGraceIfDue(s, T1 + 7 * DAY);
    expect(closed.grace).toBeNull();
    expect(closed.version).toBe(s.version + 1);
    expect(billingMode(closed)).toBe('self_serve');
  });

  it('invoice.paid after expiry restores everything', () => {
    const s = apply(expireGraceIfDue(inGrace(), T1 + 7 * DAY), [invoicePaid({ occurredAt: T1 + 9 * DAY })]);
    expect(derived(s)).toEqual({ status: 'active', mode: 'self_serve', plan: { id: 'plus', interval: 'month' }, grace: null, unpaidInvoice: null });
    expect(view(s).production).toEqual({ allowed: true, reasons: [] });
  });

  it('the subscription returning to active after expiry restores everything too', () => {
    const s = apply(expireGraceIfDue(inGrace(), T1 + 7 * DAY), [subChanged({ occurredAt: T1 + 9 * DAY, status: 'active' })]);
    expect(derived(s)).toMatchObject({ status: 'active', mode: 'self_serve', grace: null });
    expect(view(s).production.allowed).toBe(true);
  });

  it('an expired window stays put: later evidence neither extends nor restarts it', () => {
    const expired = expireGraceIfDue(inGrace(), T1 + 7 * DAY);
    const s = apply(expired, [
      paymentFailed({ occurredAt: T1 + 8 * DAY }),
      subChanged({ occurredAt: T1 + 8 * DAY, status: 'past_due' }),
      paymentFailed({ occurredAt: T1 - DAY }),
    ]);
    expect(s.grace).toEqual(expired.grace);
    expect(billingMode(s)).toBe('enforced_recovery');
  });

  it('Stripe-shaped walk: failure, reminders, expiry, payment', () => {
    const f = checkoutFixture('plus', 'month');
    const at = (ms: number) => Math.floor(ms / 1000);
    const fact = (type: string, object: Record<string, unknown>, ms: number) =>
      factFromEvent(stripeEventEnvelope.parse(stripeEvent(type, object, at(ms)))) as BillingFact;
    let s = openCheckout(fresh(), { id: f.checkoutId, url: 'https://checkout.stripe.com/c/pay/x', expiresAt: T0 + DAY, planId: 'plus', interval: 'month' }, f.customerId);
    s = apply(s, [
      fact('customer.subscription.created', subscription(f), T0 + SEC),
      fact('checkout.session.completed', checkoutSession(f), T0 + 2 * SEC),
      fact('invoice.paid', invoice(f, { id: 'in_first', status: 'paid' }), T0 + 2 * SEC),
    ]);
    expect(derived(s)).toMatchObject({ status: 'active', mode: 'self_serve', grace: null });
    s = apply(s, [
      fact('invoice.payment_failed', invoice(f, { id: 'in_renewal', amountDue: 2900 }), T1),
      fact('customer.subscription.updated', subscription(f, { status: 'past_due' }), T1),
    ]);
    expect(derived(s)).toMatchObject({
      status: 'past_due',
      mode: 'billing_recovery',
      grace: { startedAt: T1, endsAt: T1 + 7 * DAY, expired: false },
      unpaidInvoice: { id: 'in_renewal', amountDueCents: 2900, hostedInvoiceUrl: 'https://invoice.stripe.com/i/acct_test/in_renewal' },
    });
    s = markRemindersSent(s, evaluateDunning(s.grace!, policy, T1).dueReminders);
    s = markRemindersSent(s, evaluateDunning(s.grace!, policy, T1 + 3 * DAY).dueReminders);
    s = markRemindersSent(s, evaluateDunning(s.grace!, policy, T1 + 6 * DAY).dueReminders);
    expect(evaluateDunning(s.grace!, policy, T1 + 6 * DAY).nextAt).toBe(T1 + 7 * DAY);
    s = expireGraceIfDue(s, T1 + 7 * DAY);
    expect(view(s)).toMatchObject({ mode: 'enforced_recovery', production: { allowed: false, reasons: ['enforced_recovery'] } });
    s = apply(s, [
      fact('customer.subscription.updated', subscription(f, { status: 'active' }), T1 + 8 * DAY),
      fact('invoice.paid', invoice(f, { id: 'in_renewal', status: 'paid', amountDue: 2900 }), T1 + 8 * DAY),
    ]);
    expect(derived(s)).toEqual({ status: 'active', mode: 'self_serve', plan: { id: 'plus', interval: 'month' }, grace: null, unpaidInvoice: null });
    expect(view(s).production).toEqual({ allowed: true, reasons: [] });
  });
});

describe('customer.subscription.deleted', () => {
  const deleted = (at: number) => subChanged({ occurredAt: at, status: 'canceled' });

  it('during grace: canceled, Essential, window closed, nothing enforced', () => {
    const s = apply(inGrace(), [deleted(T1 + 3 * DAY)]);
    expect(s.grace).toBeNull();
    expect(billingStatus(s)).toBe('canceled');
    expect(currentPlan(s)).toEqual({ id: 'essential', interval: null });
    expect(billingMode(s)).not.toBe('enforced_recovery');
    expect(view(s).production).toEqual({ allowed: false, reasons: ['plan_not_production_capable'] });
    expect(expireGraceIfDue(s, T1 + 30 * DAY)).toBe(s);
  });

  it('after expiry: the enforcement ends with the subscription (Essential is not production capable anyway)', () => {
    const s = apply(expireGraceIfDue(inGrace(), T1 + 7 * DAY), [deleted(T1 + 10 * DAY)]);
    expect(s.grace).toBeNull();
    expect(derived(s)).toMatchObject({ status: 'canceled', plan: { id: 'essential', interval: null }, grace: null });
    expect(view(s).production.reasons).toEqual(['plan_not_production_capable']);
  });

  it('the invoice Stripe left open is still shown for payment (mode billing_recovery, per "an unpaid hosted invoice exists")', () => {
    const s = apply(inGrace(), [deleted(T1 + 3 * DAY)]);
    expect(view(s).unpaidInvoice?.id).toBe('in_2');
    expect(billingMode(s)).toBe('billing_recovery');
    // Once it is voided (or paid), nothing is left to recover.
    const voided = apply(s, [invoiceFact({ occurredAt: T1 + 3 * DAY + SEC, status: 'void' })]);
    expect(derived(voided)).toMatchObject({ status: 'canceled', mode: 'self_serve', unpaidInvoice: null });
  });

  it('a late past_due of the deleted subscription does not reopen anything', () => {
    const s = apply(inGrace(), [deleted(T1 + 3 * DAY), subChanged({ occurredAt: T1 + SEC, status: 'past_due' }), paymentFailed({ occurredAt: T1 + 2 * DAY })]);
    expect(s.grace).toBeNull();
    expect(billingStatus(s)).toBe('canceled');
  });
});

describe('late, duplicated and out-of-order events', () => {
  it('invoice.paid before invoice.payment_failed of the same invoice: never delinquent, at every step', () => {
    const steps = [invoicePaid({ occurredAt: T1 + DAY }), paymentFailed({ occurredAt: T1 }), subChanged({ occurredAt: T1 + SEC, status: 'past_due' })];
    let s = active();
    for (const fact of steps) {
      s = applyBillingFact(s, fact, policy);
      expect(isDelinquent(s)).toBe(false);
      expect(s.grace).toBeNull();
      expect(derived(s)).toMatchObject({ status: 'active', mode: 'self_serve', unpaidInvoice: null });
    }
  });

  it('a failure for an old invoice arriving after the subscription is active again: not delinquent, self_serve', () => {
    const recovered = apply(active(), [subChanged({ occurredAt: T1 + SEC, status: 'past_due' }), subChanged({ occurredAt: T1 + 2 * DAY, status: 'active' })]);
    const s = apply(recovered, [paymentFailed({ invoiceId: 'in_2', occurredAt: T1 })]);
    expect(isDelinquent(s)).toBe(false);
    expect(s.grace).toBeNull();
    expect(derived(s)).toMatchObject({ status: 'active', mode: 'self_serve' });
    expect(view(s).production.allowed).toBe(true);
  });

  it('a late failure of an invoice already paid changes nothing at all', () => {
    const paid = apply(inGrace(), [invoicePaid({ occurredAt: T1 + DAY })]);
    const s = apply(paid, [paymentFailed({ occurredAt: T1 + HOUR })]);
    expect(derived(s)).toEqual(derived(paid));
    expect(s.invoices).toEqual(paid.invoices);
  });

  it('a stale past_due (older than the active that ended it) changes nothing', () => {
    const recovered = apply(inGrace(), [invoicePaid({ occurredAt: T1 + DAY }), subChanged({ occurredAt: T1 + DAY + SEC })]);
    const s = apply(recovered, [subChanged({ occurredAt: T1 + HOUR, status: 'past_due' })]);
    expect(derived(s)).toEqual(derived(recovered));
  });

  it('a duplicate of any fact changes nothing (same state object)', () => {
    const facts = [
      subChanged({ occurredAt: T0 + SEC }),
      completed(),
      paymentFailed({ occurredAt: T1 }),
      subChanged({ occurredAt: T1 + SEC, status: 'past_due' }),
    ];
    const s = apply(fresh(), facts);
    for (const f of facts) expect(applyBillingFact(s, f, policy)).toBe(s);
    const expired = expireGraceIfDue(s, T1 + 7 * DAY);
    for (const f of facts) expect(applyBillingFact(expired, f, policy)).toBe(expired);
  });

  describe('an unpaid workspace is never made to look paid (or given a shorter window) by stale events', () => {
    const stale: [string, () => BillingFact][] = [
      ['the subscription.created of a month ago', () => subChanged({ occurredAt: T0 + SEC, status: 'active' })],
      ['the checkout completion of a month ago', () => completed({ occurredAt: T0 + 2 * SEC })],
      ['invoice.paid of the previous invoice', () => invoicePaid({ invoiceId: 'in_1', occurredAt: T0 + 2 * SEC })],
      ['invoice.finalized of the unpaid invoice', () => invoiceFact({ occurredAt: T1 - HOUR })],
      ['an older active of the subscription', () => subChanged({ occurredAt: T1 - DAY, status: 'active' })],
      ['a redelivered failure (new event id, same time)', () => paymentFailed({ occurredAt: T1 })],
      ['checkout.session.expired of an old checkout', () => ({ kind: 'checkout_expired', eventId: nextId('evt'), occurredAt: T0, checkoutId: 'cs_old' })],
    ];

    it.each(stale)('%s', (_, make) => {
      const before = inGrace();
      const s = applyBillingFact(before, make(), policy);
      expect(derived(s)).toEqual(derived(before));
      expect(s.grace).toEqual(before.grace);
      // In particular the window did not move into the past, so it does not expire early.
      expect(expireGraceIfDue(s, T1 + 6 * DAY)).toBe(s);
    });

    it('all of them together, in any order', () => {
      for (const order of permutations(stale.slice(0, 5).map(([, make]) => make()))) {
        const s = apply(inGrace(), order);
        expect(derived(s)).toEqual(derived(inGrace()));
      }
    });
  });

  it('a failure delivered before any subscription event: the window starts at the failure, not at the subscription event', () => {
    const s = apply(fresh(), [paymentFailed({ occurredAt: T1 }), subChanged({ occurredAt: T0 + SEC }), completed({ occurredAt: T0 + 2 * SEC })]);
    expect(s.grace).toEqual({ startedAt: T1, endsAt: T1 + 7 * DAY, expired: false, remindersSent: [] });
  });

  it('payment_failed and marked_uncollectible of the last retry, in either order, keep the workspace in recovery', () => {
    const lastTry = paymentFailed({ occurredAt: T1 + 6 * DAY });
    const writeOff = invoiceFact({ occurredAt: T1 + 6 * DAY + SEC, status: 'uncollectible' });
    const a = apply(active(), [lastTry, writeOff]);
    const b = apply(active(), [writeOff, lastTry]);
    expect(derived(b)).toEqual(derived(a));
    expect(derived(a)).toMatchObject({ status: 'past_due', mode: 'billing_recovery', grace: { startedAt: T1 + 6 * DAY } });
  });

  it('a paid invoice of something else (no subscription) does not end a past_due subscription', () => {
    const s = apply(active(), [
      subChanged({ occurredAt: T1, status: 'past_due' }),
      invoicePaid({ invoiceId: 'in_oneoff', subscriptionId: null, occurredAt: T1 + DAY }),
    ]);
    expect(derived(s)).toMatchObject({ status: 'past_due', mode: 'billing_recovery', grace: { startedAt: T1 } });
  });
});

describe('reconcileGrace', () => {
  it('leaves a workspace that owes nothing alone (same object)', () => {
    const s = active();
    expect(reconcileGrace(s, policy)).toBe(s);
  });

  it('is idempotent', () => {
    const s = inGrace();
    expect(reconcileGrace(s, policy)).toBe(s);
    const e = expireGraceIfDue(s, T1 + 7 * DAY);
    expect(reconcileGrace(e, policy)).toBe(e);
  });

  it('closes a window the state no longer justifies', () => {
    const s = { ...active(), grace: inGrace().grace };
    expect(reconcileGrace(s, policy).grace).toBeNull();
  });
});

// ---------------------------------------------------------------------------
// Order independence of the whole lifecycle.
// ---------------------------------------------------------------------------
describe('order independence of the payment lifecycle (property)', () => {
  /**
   * One renewal that fails and is then paid, as Stripe would stamp it. The
   * failure and the past_due update are stamped `gap` seconds apart (0: the
   * same second, as Stripe usually does), likewise payment and active.
   */
  function lifecycle(gapSec: number) {
    const f = {
      created: subChanged({ eventId: 'evt_created', occurredAt: T0 + SEC }),
      checkout: completed({ eventId: 'evt_checkout', occurredAt: T0 + 2 * SEC }),
      failed: paymentFailed({ eventId: 'evt_failed', occurredAt: T1 }),
      pastDue: subChanged({ eventId: 'evt_past_due', occurredAt: T1 + gapSec * SEC, status: 'past_due' }),
      paid: invoicePaid({ eventId: 'evt_paid', occurredAt: T1 + 2 * DAY }),
      activeAgain: subChanged({ eventId: 'evt_active', occurredAt: T1 + 2 * DAY + gapSec * SEC, status: 'active' }),
      retry: paymentFailed({ eventId: 'evt_retry', occurredAt: T1 + 3 * DAY }),
      firstInvoicePaid: invoicePaid({ eventId: 'evt_first_paid', invoiceId: 'in_1', occurredAt: T0 + 2 * SEC }),
    };
    return f;
  }

  const start = () => fresh();
  const expectedPaid = { status: 'active', mode: 'self_serve', plan: { id: 'plus', interval: 'month' }, grace: null, unpaidInvoice: null };
  const expectedUnpaid = (graceStart: number) => ({
    status: 'past_due',
    mode: 'billing_recovery',
    plan: { id: 'plus', interval: 'month' },
    grace: { startedAt: graceStart, endsAt: graceStart + 7 * DAY, expired: false },
    unpaidInvoice: { id: 'in_2', amountDueCents: 2900, currency: 'usd', hostedInvoiceUrl: 'https://invoice.stripe.com/i/acct_test/in_2' },
  });

  function checkAllOrders(facts: BillingFact[], expected: ReturnType<typeof derived> | object) {
    for (const order of permutations(facts)) {
      const got = derived(apply(start(), order));
      if (JSON.stringify(got) !== JSON.stringify(expected)) {
        throw new Error(`order ${order.map((f) => f.eventId).join(' → ')} gave ${JSON.stringify(got)}, expected ${JSON.stringify(expected)}`);
      }
    }
  }

  describe.each([0, 1])('failure and past_due %ds apart', (gap) => {
    const f = lifecycle(gap);

    it('paid: every permutation of the six lifecycle facts ends active/self_serve with no window', () => {
      checkAllOrders([f.checkout, f.created, f.failed, f.pastDue, f.paid, f.activeAgain], expectedPaid);
    });

    it('paid by invoice.paid only (no active-again event): the same', () => {
      checkAllOrders([f.checkout, f.created, f.failed, f.pastDue, f.paid], expectedPaid);
    });

    it('recovered by the subscription only (no invoice.paid): active/self_serve, no window, in every order', () => {
      for (const order of permutations([f.checkout, f.created, f.failed, f.pastDue, f.activeAgain])) {
        const got = derived(apply(start(), order));
        expect({ status: got.status, mode: got.mode, grace: got.grace, plan: got.plan }).toEqual({
          status: 'active',
          mode: 'self_serve',
          grace: null,
          plan: { id: 'plus', interval: 'month' },
        });
      }
    });

    it('unpaid: every permutation ends past_due with the window from the earliest failure evidence', () => {
      checkAllOrders([f.checkout, f.created, f.failed, f.pastDue], expectedUnpaid(T1));
    });

    it('unpaid with a retry and the first invoice paid: still the same window', () => {
      checkAllOrders([f.checkout, f.created, f.firstInvoicePaid, f.failed, f.pastDue, f.retry], expectedUnpaid(T1));
    });

    it('unpaid without the failure event: the window starts at past_due', () => {
      checkAllOrders([f.checkout, f.created, f.pastDue], { ...expectedUnpaid(T1 + gap * SEC), unpaidInvoice: null });
    });

    it('the window of every unpaid order expires at the same moment', () => {
      for (const order of permutations([f.checkout, f.created, f.failed, f.pastDue])) {
        const s = apply(start(), order);
        expect(expireGraceIfDue(s, T1 + 7 * DAY - 1)).toBe(s);
        expect(billingMode(expireGraceIfDue(s, T1 + 7 * DAY))).toBe('enforced_recovery');
      }
    });
  });

  /** Every fact at least once, some twice, in any order. */
  const delivery = (facts: BillingFact[]) =>
    fc
      .tuple(fc.array(fc.constantFrom(...facts), { maxLength: 6 }), fc.constant(facts))
      .chain(([dups, all]) => fc.shuffledSubarray([...all, ...dups], { minLength: all.length + dups.length }));

  it('fast-check: shuffles with duplicates of the paid lifecycle end in the same state as in-order delivery', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(0, 1, 30).chain((gap) => {
          const f = lifecycle(gap);
          const facts = [f.checkout, f.created, f.firstInvoicePaid, f.failed, f.pastDue, f.retry, f.paid, f.activeAgain];
          return delivery(facts).map((order) => ({ facts, order }));
        }),
        ({ facts, order }) => {
          const inOrder = apply(start(), [...facts].sort((a, b) => a.occurredAt - b.occurredAt));
          expect(derived(inOrder)).toEqual(expectedPaid);
          expect(derived(apply(start(), order))).toEqual(expectedPaid);
        },
      ),
      { numRuns: 1_000 },
    );
  });

  it('fast-check: shuffles with duplicates of the unpaid lifecycle end past_due with the same window', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(0, 1, 30).chain((gap) => {
          const f = lifecycle(gap);
          return delivery([f.checkout, f.created, f.firstInvoicePaid, f.failed, f.pastDue, f.retry]);
        }),
        (order) => {
          const s = apply(start(), order);
          expect(derived(s)).toEqual(expectedUnpaid(T1));
          // Duplicates at the end change nothing.
          for (const fact of order) expect(applyBillingFact(s, fact, policy)).toBe(s);
        },
      ),
      { numRuns: 1_000 },
    );
  });
});

describe('ties between a failure and an "active" in the same second', () => {
  it('the failure wins in either order: an unpaid invoice is never unblocked by a same-second active', () => {
    const t = T0 + 10 * SEC;
    const sameSecond = [subChanged({ occurredAt: t, status: 'active' }), paymentFailed({ occurredAt: t })];
    for (const order of permutations(sameSecond)) {
      const s = apply(fresh(), order);
      expect(isDelinquent(s)).toBe(true);
      expect(s.grace).toMatchObject({ startedAt: t, endsAt: t + 7 * DAY });
    }
  });

  it('an "active" one second after the failure supersedes it', () => {
    const s = apply(fresh(), [paymentFailed({ occurredAt: T0 + 10 * SEC }), subChanged({ occurredAt: T0 + 11 * SEC, status: 'active' })]);
    expect(isDelinquent(s)).toBe(false);
    expect(s.grace).toBeNull();
  });
});
