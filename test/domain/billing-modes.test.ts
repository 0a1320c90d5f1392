// The pricing page's modes as one pure evaluation, checked for every
// combination: plan (Enterprise or not, Business spend cap) × past_due ×
// grace window (open, end passed by the clock, expiry recorded) × unpaid
// invoice (each kind of the spec's definition, and the ones that are not
// recovery). For each: the mode, grace and production that /billing shows,
// what /access answers, and what checkout, preview and apply decide — all
// from the same snapshot at the same instant.
import fc from 'fast-check';
import { accessAnswer } from '../../src/domain/access';
import type { BillingFact, CheckoutCompletedFact, InvoiceChangedFact, SubscriptionChangedFact } from '../../src/domain/billing-facts';
import { evaluateWorkspace, type BillingMode } from '../../src/domain/billing-evaluation';
import {
  applyBillingFact,
  asOfMs,
  billingSnapshot,
  evaluateState,
  expireGraceIfDue,
  initialState,
  invoiceRecoveryAt,
  type WorkspaceState,
} from '../../src/domain/billing-state';
import { decideCheckout } from '../../src/domain/checkout-rules';
import type { DunningPolicy } from '../../src/domain/dunning';
import { decidePlanChange } from '../../src/domain/plan-change-rules';
import { billingView, projectionSnapshot, toProjection } from '../../src/domain/projection';
import { utcMonth } from '../../src/domain/access';

const SEC = 1_000;
const HOUR = 3_600_000;
const DAY = 86_400_000;
const T0 = Date.UTC(2026, 0, 10, 8, 0, 0); // subscription created
const T1 = T0 + 10 * DAY; // the renewal fails (when past due)
const policy: DunningPolicy = { gracePeriodMs: 7 * DAY, reminderOffsetsMs: [0, 3 * DAY, 6 * DAY] };
const wallet = { balanceCents: 5_000, minimumCents: 1_000 };
const checkoutRequest = { planId: 'plus' as const, interval: 'month' as const, successUrl: 'https://a.example/ok', cancelUrl: 'https://a.example/no' };

let seq = 0;
const evt = () => `evt_${++seq}`;

const sub = (o: Partial<SubscriptionChangedFact> = {}): SubscriptionChangedFact => ({
  kind: 'subscription_changed',
  eventId: evt(),
  occurredAt: T0,
  subscriptionId: 'sub_1',
  itemId: 'si_1',
  customerId: 'cus_1',
  status: 'active',
  planId: 'plus',
  interval: 'month',
  currentPeriodEnd: T0 + 30 * DAY,
  cancelAtPeriodEnd: false,
  ...o,
});

const inv = (o: Partial<InvoiceChangedFact> = {}): InvoiceChangedFact => {
  const invoiceId = o.invoiceId ?? 'in_1';
  return {
    kind: 'invoice_changed',
    eventId: evt(),
    occurredAt: T1,
    invoiceId,
    subscriptionId: 'sub_1',
    status: 'open',
    paymentFailed: false,
    amountDueCents: 2900,
    currency: 'usd',
    hostedInvoiceUrl: `https://invoice.stripe.test/${invoiceId}`,
    ...o,
  };
};

const completed = (o: Partial<CheckoutCompletedFact> = {}): CheckoutCompletedFact => ({
  kind: 'checkout_completed',
  eventId: evt(),
  occurredAt: T0 + 2 * SEC,
  checkoutId: 'cs_1',
  customerId: 'cus_1',
  subscriptionId: 'sub_1',
  planId: 'plus',
  interval: 'month',
  paid: true,
  ...o,
});

const apply = (state: WorkspaceState, facts: BillingFact[]) => facts.reduce((s, f) => applyBillingFact(s, f, policy), state);

const PLANS = ['plus', 'business', 'enterprise'] as const;
const DELINQUENCY = ['none', 'in_grace', 'grace_end_passed', 'grace_expired_recorded'] as const;
const INVOICES = ['none', 'finalized', 'failed', 'action_required', 'uncollectible', 'send_invoice_not_due', 'send_invoice_past_due'] as const;
const CAPS = ['none', 'blocking', 'other_month'] as const;
type Plan = (typeof PLANS)[number];
type Delinquency = (typeof DELINQUENCY)[number];
type InvoiceKind = (typeof INVOICES)[number];
type Cap = (typeof CAPS)[number];

/** An unpaid invoice of each kind, of an earlier subscription (so it does not make the current one past_due by itself). */
function extraInvoice(kind: InvoiceKind): InvoiceChangedFact[] {
  const base = { invoiceId: 'in_extra', subscriptionId: 'sub_earlier', occurredAt: T1 + 2 * SEC };
  switch (kind) {
    case 'none':
      return [];
    case 'finalized':
      return [inv(base)];
    case 'failed':
      return [inv({ ...base, paymentFailed: true })];
    case 'action_required':
      return [inv({ ...base, actionRequired: true })];
    case 'uncollectible':
      return [inv({ ...base, status: 'uncollectible' })];
    case 'send_invoice_not_due':
      return [inv({ ...base, collectionMethod: 'send_invoice', dueAt: T0 + 60 * DAY })];
    case 'send_invoice_past_due':
      return [inv({ ...base, collectionMethod: 'send_invoice', dueAt: T1 + HOUR })];
  }
}

function workspace(plan: Plan, delinquency: Delinquency, kind: InvoiceKind): { state: WorkspaceState; nowMs: number } {
  const interval = plan === 'enterprise' ? 'year' : 'month';
  let state = apply(initialState('ws_1'), [sub({ planId: plan, interval })]);
  if (delinquency !== 'none') {
    state = apply(state, [
      inv({ invoiceId: 'in_renewal', paymentFailed: true, occurredAt: T1 }),
      sub({ planId: plan, interval, status: 'past_due', occurredAt: T1 + SEC }),
    ]);
  }
  state = apply(state, extraInvoice(kind));
  if (delinquency === 'grace_expired_recorded') state = expireGraceIfDue(state, T1 + 7 * DAY);
  const nowMs = delinquency === 'grace_end_passed' ? T1 + 7 * DAY : delinquency === 'grace_expired_recorded' ? T1 + 8 * DAY : T1 + DAY;
  return { state, nowMs };
}

const spendControl = (cap: Cap, nowMs: number) =>
  cap === 'none' ? null : { action: 'block', blockedMonth: cap === 'blocking' ? utcMonth(nowMs) : '2020-01' };

/** The spec, written out independently of the code under test. */
function expected(plan: Plan, delinquency: Delinquency, kind: InvoiceKind, cap: Cap) {
  const expired = delinquency === 'grace_end_passed' || delinquency === 'grace_expired_recorded';
  const invoiceRecovery = ['failed', 'action_required', 'uncollectible', 'send_invoice_past_due'].includes(kind);
  const mode: BillingMode = expired
    ? 'enforced_recovery'
    : delinquency !== 'none' || invoiceRecovery
      ? 'billing_recovery'
      : plan === 'enterprise'
        ? 'sales_assisted'
        : 'self_serve';
  const reasons = [...(expired ? ['enforced_recovery'] : []), ...(plan === 'business' && cap === 'blocking' ? ['spend_cap_reached'] : [])];
  const recovery = mode === 'billing_recovery' || mode === 'enforced_recovery';
  return {
    mode,
    grace: delinquency === 'none' ? null : { startedAt: T1, endsAt: T1 + 7 * DAY, expired },
    production: { allowed: reasons.length === 0, reasons },
    checkout: recovery ? 'payment_recovery_required' : plan === 'enterprise' ? 'sales_assisted' : 'subscription_active',
    preview: expired ? 'enforced_recovery' : plan === 'enterprise' ? 'sales_assisted' : 'change',
    apply: expired ? 'enforced_recovery' : plan === 'enterprise' ? 'sales_assisted' : recovery ? 'payment_recovery_required' : 'change',
    unpaidInvoiceShown: recovery,
  };
}

const outcome = (d: { kind: string; code?: string }) => (d.kind === 'reject' ? d.code : d.kind);

describe('every combination: Enterprise × past_due × grace expiry × unpaid invoice × spend cap', () => {
  const combos = PLANS.flatMap((plan) =>
    DELINQUENCY.flatMap((delinquency) => INVOICES.flatMap((kind) => CAPS.map((cap) => ({ plan, delinquency, kind, cap })))),
  );

  it(`covers ${PLANS.length * DELINQUENCY.length * INVOICES.length * CAPS.length} combinations`, () => {
    expect(combos).toHaveLength(252);
  });

  it('/billing, /access and the decisions follow the spec in each one', () => {
    for (const { plan, delinquency, kind, cap } of combos) {
      const label = `${plan} · ${delinquency} · invoice ${kind} · cap ${cap}`;
      const { state, nowMs } = workspace(plan, delinquency, kind);
      const want = expected(plan, delinquency, kind, cap);
      const projection = toProjection(state);
      const control = spendControl(cap, nowMs);
      const view = billingView({ projection, wallet, spendControl: control }, nowMs);
      const gate = evaluateWorkspace({ billing: projectionSnapshot(projection), wallet, spendControl: control }, nowMs, { rank: 0, count: 1 });
      const target = plan === 'business' ? 'family' : 'business';
      const change = { targetPlanId: target, interval: 'month' } as const;
      const iso = (ms: number) => new Date(ms).toISOString();
      expect({ label, mode: view.mode, grace: view.grace, production: view.production }).toEqual({
        label,
        mode: want.mode,
        grace: want.grace && { startedAt: iso(want.grace.startedAt), endsAt: iso(want.grace.endsAt), expired: want.grace.expired },
        production: want.production,
      });
      // The gate answers what the dashboard shows.
      expect({ label, answer: accessAnswer(gate, 'production') }).toEqual({
        label,
        answer: { ...want.production, ...(want.grace && { graceEndsAt: iso(want.grace.endsAt) }) },
      });
      // The workflow decides on the same evaluation of its own state.
      expect({ label, mode: evaluateState(state, nowMs).mode }).toEqual({ label, mode: want.mode });
      expect({
        label,
        checkout: outcome(decideCheckout(state, checkoutRequest, nowMs)),
        preview: outcome(decidePlanChange(state, change, nowMs, 'preview')),
        apply: outcome(decidePlanChange(state, change, nowMs, 'apply')),
      }).toEqual({ label, checkout: want.checkout, preview: want.preview, apply: want.apply });
      if (want.unpaidInvoiceShown) expect({ label, unpaid: view.unpaidInvoice !== null }).toEqual({ label, unpaid: true });
    }
  });

  it('refusals in recovery carry the unpaid invoice; Enterprise refusals name the current plan', () => {
    const { state, nowMs } = workspace('enterprise', 'in_grace', 'none');
    const checkout = decideCheckout(state, checkoutRequest, nowMs);
    expect(checkout).toMatchObject({
      kind: 'reject',
      code: 'payment_recovery_required',
      details: { subscriptionId: 'sub_1', unpaidInvoice: { id: 'in_renewal', amountDueCents: 2900, currency: 'usd', hostedInvoiceUrl: 'https://invoice.stripe.test/in_renewal' } },
    });
    const enforced = workspace('plus', 'grace_end_passed', 'none');
    expect(decidePlanChange(enforced.state, { targetPlanId: 'business', interval: 'month' }, enforced.nowMs, 'preview')).toMatchObject({
      kind: 'reject',
      code: 'enforced_recovery',
      details: { unpaidInvoice: { id: 'in_renewal' } },
    });
    const sales = workspace('enterprise', 'none', 'none');
    for (const purpose of ['preview', 'apply'] as const) {
      expect(decidePlanChange(sales.state, { targetPlanId: 'plus', interval: 'year' }, sales.nowMs, purpose)).toMatchObject({
        kind: 'reject',
        code: 'sales_assisted',
        details: { currentPlanId: 'enterprise' },
      });
    }
    expect(decideCheckout(sales.state, checkoutRequest, sales.nowMs)).toMatchObject({ kind: 'reject', code: 'sales_assisted', details: { currentPlanId: 'enterprise' } });
  });

  it('the grace end refuses previews and changes at the very millisecond it passes, before the workflow records it', () => {
    const { state } = workspace('plus', 'in_grace', 'none');
    const change = { targetPlanId: 'business', interval: 'month' } as const;
    const end = T1 + 7 * DAY;
    expect(state.grace?.expired).toBe(false);
    expect(decidePlanChange(state, change, end - 1, 'preview').kind).toBe('change');
    expect(decidePlanChange(state, change, end, 'preview')).toMatchObject({ kind: 'reject', code: 'enforced_recovery' });
    expect(decidePlanChange(state, change, end, 'apply')).toMatchObject({ kind: 'reject', code: 'enforced_recovery' });
  });

  it('a send_invoice invoice becomes recovery at its due date by the clock, with no new fact', () => {
    const { state } = workspace('plus', 'none', 'send_invoice_past_due');
    const dueAt = T1 + HOUR;
    expect(invoiceRecoveryAt(state)).toBe(dueAt);
    expect(evaluateState(state, dueAt - 1).mode).toBe('self_serve');
    expect(evaluateState(state, dueAt).mode).toBe('billing_recovery');
    expect(decidePlanChange(state, { targetPlanId: 'business', interval: 'month' }, dueAt - 1, 'apply').kind).toBe('change');
    expect(decidePlanChange(state, { targetPlanId: 'business', interval: 'month' }, dueAt, 'apply')).toMatchObject({ code: 'payment_recovery_required' });
  });
});

describe('a subscription that is not live yet (incomplete): first payment and unpaid Checkout', () => {
  const incomplete = sub({ status: 'incomplete', occurredAt: T0 });
  const at = T0 + DAY;
  const cases: [string, BillingFact[], { mode: BillingMode; status: string; checkout: string; unpaid: string | null }][] = [
    ['first payment failed', [incomplete, inv({ occurredAt: T0 + SEC, paymentFailed: true })], { mode: 'billing_recovery', status: 'incomplete', checkout: 'payment_recovery_required', unpaid: 'in_1' }],
    ['first payment needs action', [incomplete, inv({ occurredAt: T0 + SEC, actionRequired: true })], { mode: 'billing_recovery', status: 'incomplete', checkout: 'payment_recovery_required', unpaid: 'in_1' }],
    ['Checkout completed unpaid, invoice open', [incomplete, inv({ occurredAt: T0 + SEC }), completed({ paid: false })], { mode: 'billing_recovery', status: 'incomplete', checkout: 'payment_recovery_required', unpaid: 'in_1' }],
    ['Checkout completed unpaid before any other event', [completed({ paid: false })], { mode: 'billing_recovery', status: 'incomplete', checkout: 'payment_recovery_required', unpaid: null }],
    ['Checkout completed unpaid, then the subscription event (incomplete)', [completed({ paid: false }), sub({ status: 'incomplete', occurredAt: T0 + 3 * SEC })], { mode: 'billing_recovery', status: 'incomplete', checkout: 'payment_recovery_required', unpaid: null }],
    ['first invoice merely finalized: not recovery, but no second checkout', [incomplete, inv({ occurredAt: T0 + SEC })], { mode: 'self_serve', status: 'incomplete', checkout: 'payment_recovery_required', unpaid: 'in_1' }],
    ['Checkout completed unpaid, then its invoice paid', [incomplete, inv({ occurredAt: T0 + SEC }), completed({ paid: false }), inv({ occurredAt: T0 + HOUR, status: 'paid' })], { mode: 'self_serve', status: 'incomplete', checkout: 'payment_recovery_required', unpaid: null }],
    ['Checkout completed unpaid, then the subscription active', [completed({ paid: false }), sub({ occurredAt: T0 + HOUR })], { mode: 'self_serve', status: 'active', checkout: 'subscription_active', unpaid: null }],
    ['the incomplete subscription expired', [incomplete, inv({ occurredAt: T0 + SEC, paymentFailed: true }), sub({ status: 'incomplete_expired', occurredAt: T0 + HOUR }), inv({ occurredAt: T0 + HOUR, status: 'void' })], { mode: 'self_serve', status: 'canceled', checkout: 'create', unpaid: null }],
  ];

  it.each(cases)('%s', (_, facts, want) => {
    const state = apply(initialState('ws_1'), facts);
    const view = billingView({ projection: toProjection(state), wallet, spendControl: null }, at);
    expect({ mode: view.mode, status: view.status, unpaid: view.unpaidInvoice?.id ?? null }).toEqual({ mode: want.mode, status: want.status, unpaid: want.unpaid });
    const decision = decideCheckout(state, checkoutRequest, at);
    expect(outcome(decision)).toBe(want.checkout);
    if (decision.kind === 'reject' && decision.code === 'payment_recovery_required') {
      expect(decision.details).toEqual({ subscriptionId: 'sub_1', unpaidInvoice: want.unpaid ? expect.objectContaining({ id: want.unpaid }) : null });
    }
  });
});

describe('property: one truth for any history and any instant', () => {
  const time = fc.integer({ min: 0, max: 40 }).map((d) => T0 + d * 12 * HOUR);
  const planArb = fc.constantFrom('plus', 'business', 'enterprise' as const);
  const factArb: fc.Arbitrary<BillingFact> = fc.oneof(
    fc.record({
      status: fc.constantFrom('active', 'past_due', 'incomplete', 'unpaid', 'canceled', 'incomplete_expired' as const),
      planId: planArb,
      occurredAt: time,
    }).map((o) => sub(o)),
    fc.record({
      invoiceId: fc.constantFrom('in_a', 'in_b'),
      subscriptionId: fc.constantFrom('sub_1', null),
      status: fc.constantFrom('open', 'paid', 'void', 'uncollectible' as const),
      paymentFailed: fc.boolean(),
      actionRequired: fc.boolean(),
      terms: fc.option(fc.record({ dueAt: time })),
      occurredAt: time,
    }).map(({ terms, ...o }) => inv({ ...o, ...(terms && { collectionMethod: 'send_invoice' as const, dueAt: terms.dueAt }) })),
    fc.record({ paid: fc.boolean(), occurredAt: time }).map((o) => completed(o)),
  );

  it('dashboard, gate and decisions agree at every instant', () => {
    fc.assert(
      fc.property(fc.array(factArb, { maxLength: 8 }), fc.option(time), time, fc.boolean(), (facts, expireAt, later, capBlocks) => {
        let state = apply(initialState('ws_1'), facts);
        if (expireAt !== null) state = expireGraceIfDue(state, expireAt);
        // Readers and the workflow run at or after the newest fact they know.
        const nowMs = Math.max(later, asOfMs(state), expireAt ?? 0);
        const control = capBlocks ? { action: 'block', blockedMonth: utcMonth(nowMs) } : null;
        const evaluation = evaluateState(state, nowMs);
        const projection = toProjection(state);
        const view = billingView({ projection, wallet, spendControl: control }, nowMs);
        const gate = evaluateWorkspace({ billing: projectionSnapshot(projection), wallet, spendControl: control }, nowMs);
        // The stored projection, evaluated later, says what the state evaluated then says.
        const { grace: _g, ...facts_ } = billingSnapshot(state);
        const { grace: _p, ...stored } = projectionSnapshot(projection);
        expect(stored).toEqual(facts_);
        expect(view.mode).toBe(evaluation.mode);
        expect(gate.mode).toBe(evaluation.mode);
        expect(view.production).toEqual(gate.production);
        expect(view.grace?.expired ?? null).toBe(evaluation.grace?.expired ?? null);
        const enforced = evaluation.mode === 'enforced_recovery';
        expect(view.production.reasons.includes('enforced_recovery')).toBe(enforced);
        const recovery = enforced || evaluation.mode === 'billing_recovery';
        // Recovery always refuses a new checkout with the recovery code.
        const checkout = decideCheckout(state, checkoutRequest, nowMs);
        if (recovery) expect(outcome(checkout)).toBe('payment_recovery_required');
        if (outcome(checkout) === 'create') expect(recovery).toBe(false);
        // Plan changes: enforced refuses both; billing recovery refuses apply.
        const preview = outcome(decidePlanChange(state, { targetPlanId: 'family', interval: 'year' }, nowMs, 'preview'));
        const applied = outcome(decidePlanChange(state, { targetPlanId: 'family', interval: 'year' }, nowMs, 'apply'));
        if (preview !== 'no_active_subscription') {
          expect(preview === 'enforced_recovery').toBe(enforced);
          if (recovery && applied !== 'sales_assisted') expect(['enforced_recovery', 'payment_recovery_required', 'no_change']).toContain(applied);
          if (!recovery) expect(['enforced_recovery', 'payment_recovery_required']).not.toContain(applied);
        }
      }),
      { numRuns: 400 },
    );
  });
});
