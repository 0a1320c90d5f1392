import type { BillingFact } from '../../src/domain/billing-facts';
import { applyFact, initialState, openCheckout, restoreState } from '../../src/domain/billing-state';
import { billingView as viewAt, essentialProjection, toProjection, type BillingProjection } from '../../src/domain/projection';

const T0 = Date.UTC(2025, 2, 1, 0, 0, 0); // 2025-03-01T00:00:00.000Z
const DAY = 86_400_000;
const wallet = { balanceCents: 0, minimumCents: 1000 };

/** /billing of a stored projection and wallet, read at `nowMs` (default T0). */
const billingView = (projection: BillingProjection, w: { balanceCents: number; minimumCents: number }, nowMs = T0) =>
  viewAt({ projection, wallet: w, spendControl: null }, nowMs);

describe('essentialProjection', () => {
  it('is an Essential workspace with no billing at version 0', () => {
    expect(essentialProjection('ws_new')).toEqual({
      workspaceId: 'ws_new',
      planId: 'essential',
      interval: null,
      status: 'none',
      mode: 'self_serve',
      currentPeriodEnd: null,
      stripeCustomerId: null,
      stripeSubscriptionId: null,
      checkout: null,
      grace: null,
      invoiceRecoveryAt: null,
      unpaidInvoice: null,
      pendingChange: null,
      version: 0,
    });
  });

  it('equals the projection of a fresh workflow state (apart from the recovery snapshot an unknown workspace has none of)', () => {
    const { recovery, ...projection } = toProjection(initialState('ws_new'));
    expect(projection).toEqual(essentialProjection('ws_new'));
    expect(recovery).toBeDefined();
  });
});

describe('billingView', () => {
  it('of an unknown workspace: Essential/none/self_serve, production denied for plan and wallet', () => {
    expect(billingView(essentialProjection('ws_new'), wallet)).toEqual({
      workspaceId: 'ws_new',
      plan: { id: 'essential', interval: null },
      status: 'none',
      mode: 'self_serve',
      grace: null,
      unpaidInvoice: null,
      pendingChange: null,
      checkout: null,
      currentPeriodEnd: null,
      production: { allowed: false, reasons: ['plan_not_production_capable', 'wallet_below_minimum'] },
      wallet,
      stripe: null,
    });
  });

  it('Essential with enough credit is still denied (plan only)', () => {
    const view = billingView(essentialProjection('ws_1'), { balanceCents: 5000, minimumCents: 1000 });
    expect(view.production).toEqual({ allowed: false, reasons: ['plan_not_production_capable'] });
  });

  const paid = (): BillingProjection => ({
    ...essentialProjection('ws_1'),
    planId: 'family',
    interval: 'year',
    status: 'active',
    mode: 'self_serve',
    currentPeriodEnd: T0 + 365 * DAY,
    stripeCustomerId: 'cus_1',
    stripeSubscriptionId: 'sub_1',
    version: 7,
  });

  it('renders times as ISO 8601 strings', () => {
    const view = billingView(
      {
        ...paid(),
        checkout: { id: 'cs_1', url: 'https://checkout.stripe.com/c/pay/cs_1', expiresAt: T0 + DAY },
        grace: { startedAt: T0, endsAt: T0 + 7 * DAY, expired: false },
      },
      { balanceCents: 2000, minimumCents: 1000 },
    );
    expect(view.currentPeriodEnd).toBe('2026-03-01T00:00:00.000Z');
    expect(view.checkout).toEqual({ checkoutId: 'cs_1', url: 'https://checkout.stripe.com/c/pay/cs_1', expiresAt: '2025-03-02T00:00:00.000Z' });
    expect(view.grace).toEqual({ startedAt: '2025-03-01T00:00:00.000Z', endsAt: '2025-03-08T00:00:00.000Z', expired: false });
  });

  it('the epoch (0 ms) renders as a date, not as null', () => {
    expect(billingView({ ...paid(), currentPeriodEnd: 0 }, wallet).currentPeriodEnd).toBe('1970-01-01T00:00:00.000Z');
  });

  it('a paid plan with enough credit may send production traffic; stripe ids are shown', () => {
    const view = billingView(paid(), { balanceCents: 1000, minimumCents: 1000 });
    expect(view.plan).toEqual({ id: 'family', interval: 'year' });
    expect(view.production).toEqual({ allowed: true, reasons: [] });
    expect(view.stripe).toEqual({ customerId: 'cus_1', subscriptionId: 'sub_1' });
  });

  it('shows stripe ids when only the customer is known', () => {
    const view = billingView({ ...essentialProjection('ws_1'), stripeCustomerId: 'cus_1' }, wallet);
    expect(view.stripe).toEqual({ customerId: 'cus_1', subscriptionId: null });
  });

  it('enforced recovery is listed with the other reasons', () => {
    const grace = { startedAt: T0 - 8 * DAY, endsAt: T0 - DAY, expired: true };
    const view = billingView({ ...paid(), status: 'past_due', mode: 'enforced_recovery', grace }, wallet);
    expect(view.production).toEqual({ allowed: false, reasons: ['wallet_below_minimum', 'enforced_recovery'] });
  });

  it('mode, grace.expired and production come from the recorded facts at the read time, not from the stored mode', () => {
    const grace = { startedAt: T0, endsAt: T0 + 7 * DAY, expired: false };
    const stored = { ...paid(), status: 'past_due' as const, mode: 'billing_recovery' as const, grace };
    const funded = { balanceCents: 5000, minimumCents: 1000 };
    expect(billingView(stored, funded, T0 + 7 * DAY - 1)).toMatchObject({ mode: 'billing_recovery', grace: { expired: false }, production: { allowed: true } });
    expect(billingView(stored, funded, T0 + 7 * DAY)).toMatchObject({
      mode: 'enforced_recovery',
      grace: { expired: true },
      production: { allowed: false, reasons: ['enforced_recovery'] },
    });
    // A send_invoice invoice falls due while nothing is written.
    const invoiced = { ...paid(), invoiceRecoveryAt: T0 + 30 * DAY };
    expect(billingView(invoiced, funded, T0 + 30 * DAY - 1).mode).toBe('self_serve');
    expect(billingView(invoiced, funded, T0 + 30 * DAY).mode).toBe('billing_recovery');
  });

  it("the Business spend cap blocks production in /billing as it does at the gate", () => {
    const business = { ...paid(), planId: 'business' as const };
    const view = viewAt({ projection: business, wallet: { balanceCents: 5000, minimumCents: 1000 }, spendControl: { action: 'block', blockedMonth: '2025-03' } }, T0);
    expect(view.production).toEqual({ allowed: false, reasons: ['spend_cap_reached'] });
    expect(viewAt({ projection: business, wallet: { balanceCents: 5000, minimumCents: 1000 }, spendControl: { action: 'block', blockedMonth: '2025-03' } }, T0 + 31 * DAY).production.allowed).toBe(true);
  });

  it('passes unpaid invoice and pending change through', () => {
    const unpaidInvoice = { id: 'in_1', amountDueCents: 9900, currency: 'usd', hostedInvoiceUrl: 'https://invoice.stripe.com/i/1' };
    const pendingChange = { targetPlanId: 'plus' as const, interval: 'month' as const, effectiveAt: '2026-03-01T00:00:00.000Z' };
    const view = billingView({ ...paid(), unpaidInvoice, pendingChange }, wallet);
    expect(view.unpaidInvoice).toEqual(unpaidInvoice);
    expect(view.pendingChange).toEqual(pendingChange);
  });

  it('has the fields of the HTTP contract', () => {
    const view = billingView(paid(), wallet);
    for (const key of ['workspaceId', 'plan', 'status', 'mode', 'grace', 'unpaidInvoice', 'pendingChange', 'currentPeriodEnd', 'production', 'wallet', 'stripe']) {
      expect(view).toHaveProperty(key);
    }
  });
});

describe('toProjection', () => {
  const completed: BillingFact = {
    kind: 'checkout_completed',
    eventId: 'evt_c',
    occurredAt: T0 + 1000,
    checkoutId: 'cs_1',
    customerId: 'cus_1',
    subscriptionId: 'sub_1',
    planId: 'business',
    interval: 'month',
    paid: true,
  };
  const created: BillingFact = {
    kind: 'subscription_changed',
    eventId: 'evt_s',
    occurredAt: T0,
    subscriptionId: 'sub_1',
    customerId: 'cus_1',
    status: 'active',
    planId: 'business',
    interval: 'month',
    currentPeriodEnd: T0 + 31 * DAY,
    cancelAtPeriodEnd: false,
  };

  it('reflects an open checkout as incomplete/checkout_pending', () => {
    const state = openCheckout(initialState('ws_1'), { id: 'cs_1', url: 'https://c/1', expiresAt: T0 + DAY, planId: 'business', interval: 'month', }, 'cus_1');
    expect(toProjection(state)).toMatchObject({
      planId: 'essential',
      status: 'incomplete',
      mode: 'checkout_pending',
      stripeCustomerId: 'cus_1',
      checkout: { id: 'cs_1', url: 'https://c/1', expiresAt: T0 + DAY },
      version: 1,
    });
    expect(toProjection(state)).not.toHaveProperty('checkout.planId');
  });

  it('reflects an active subscription with its plan, period end, ids and version', () => {
    let state = openCheckout(initialState('ws_1'), { id: 'cs_1', url: 'https://c/1', expiresAt: T0 + DAY, planId: 'business', interval: 'month' }, 'cus_1');
    state = applyFact(applyFact(state, completed), created);
    const { recovery, ...projection } = toProjection(state);
    expect(projection).toEqual({
      workspaceId: 'ws_1',
      planId: 'business',
      interval: 'month',
      status: 'active',
      mode: 'self_serve',
      currentPeriodEnd: T0 + 31 * DAY,
      stripeCustomerId: 'cus_1',
      stripeSubscriptionId: 'sub_1',
      checkout: null,
      grace: null,
      invoiceRecoveryAt: null,
      unpaidInvoice: null,
      pendingChange: null,
      version: state.version,
    });
    // A workflow started afresh over this row continues from the same billing state.
    const restored = restoreState('ws_1', recovery!);
    expect(toProjection(restored)).toEqual(toProjection(state));
    expect(restored.subscription).toEqual(state.subscription);
    expect(billingView(toProjection(state), { balanceCents: 1000, minimumCents: 1000 }).production.allowed).toBe(true);
  });
});
