import type { SubscriptionChangedFact } from '../../src/domain/billing-facts';
import { applyFact, initialState, openCheckout, type OpenCheckout, type WorkspaceState } from '../../src/domain/billing-state';
import { decideCheckout, type CheckoutRequest } from '../../src/domain/checkout-rules';
import { isErrorCode } from '../../src/domain/errors';

const NOW = Date.UTC(2025, 5, 1, 9, 0, 0);
const HOUR = 3_600_000;

const request = (overrides: Partial<CheckoutRequest> = {}): CheckoutRequest => ({
  planId: 'plus',
  interval: 'month',
  successUrl: 'https://app.example.com/billing/success',
  cancelUrl: 'https://app.example.com/billing/cancel',
  ...overrides,
});

const open = (overrides: Partial<OpenCheckout> = {}): OpenCheckout => ({
  id: 'cs_test_open',
  url: 'https://checkout.stripe.com/c/pay/cs_test_open',
  expiresAt: NOW + HOUR,
  planId: 'plus',
  interval: 'month',
  ...overrides,
});

let n = 0;
const subFact = (overrides: Partial<SubscriptionChangedFact> = {}): SubscriptionChangedFact => ({
  kind: 'subscription_changed',
  eventId: `evt_${++n}`,
  occurredAt: NOW - HOUR,
  subscriptionId: 'sub_1',
  customerId: 'cus_1',
  status: 'active',
  planId: 'plus',
  interval: 'month',
  currentPeriodEnd: NOW + 30 * 24 * HOUR,
  cancelAtPeriodEnd: false,
  ...overrides,
});

const fresh = () => initialState('ws_1');
const withCheckout = (c: OpenCheckout = open()) => openCheckout(fresh(), c, 'cus_1');
const withSubscription = (status: SubscriptionChangedFact['status']): WorkspaceState => applyFact(fresh(), subFact({ status }));

describe('decideCheckout', () => {
  it('creates a checkout for a fresh workspace', () => {
    for (const planId of ['plus', 'family', 'business'] as const) {
      for (const interval of ['month', 'year'] as const) {
        expect(decideCheckout(fresh(), request({ planId, interval }), NOW)).toEqual({ kind: 'create' });
      }
    }
  });

  it('enterprise → reject sales_assisted, whatever the state', () => {
    for (const state of [fresh(), withCheckout(), withSubscription('active')]) {
      const decision = decideCheckout(state, request({ planId: 'enterprise' }), NOW);
      expect(decision).toMatchObject({ kind: 'reject', code: 'sales_assisted' });
    }
  });

  it('essential → reject not_purchasable, whatever the state', () => {
    for (const state of [fresh(), withCheckout(), withSubscription('active')]) {
      expect(decideCheckout(state, request({ planId: 'essential' }), NOW)).toMatchObject({ kind: 'reject', code: 'not_purchasable' });
    }
  });

  it.each(['active', 'trialing'] as const)('a live (%s) subscription → reject subscription_active with details', (status) => {
    const decision = decideCheckout(withSubscription(status), request({ planId: 'business' }), NOW);
    expect(decision).toMatchObject({ kind: 'reject', code: 'subscription_active', details: { subscriptionId: 'sub_1', status: 'active' } });
    if (decision.kind === 'reject') expect(decision.message).toMatch(/plan change/i);
  });

  it.each(['past_due', 'unpaid'] as const)('a %s subscription is in billing recovery → reject payment_recovery_required (pay, do not buy again)', (status) => {
    const decision = decideCheckout(withSubscription(status), request({ planId: 'business' }), NOW);
    expect(decision).toMatchObject({ kind: 'reject', code: 'payment_recovery_required', details: { subscriptionId: 'sub_1', unpaidInvoice: null } });
  });

  it('an incomplete subscription waits for its first payment → reject payment_recovery_required, never a second subscription', () => {
    expect(decideCheckout(withSubscription('incomplete'), request(), NOW)).toMatchObject({
      kind: 'reject',
      code: 'payment_recovery_required',
      details: { subscriptionId: 'sub_1' },
    });
  });

  it.each(['canceled', 'incomplete_expired', 'paused'] as const)('an ended (%s) subscription allows a new checkout', (status) => {
    expect(decideCheckout(withSubscription(status), request(), NOW)).toEqual({ kind: 'create' });
  });

  it('the same plan and interval while a checkout is open → reuse it', () => {
    const c = open();
    expect(decideCheckout(withCheckout(c), request(), NOW)).toEqual({ kind: 'reuse', checkout: c });
    expect(decideCheckout(withCheckout(c), request({ email: 'a@example.com', successUrl: 'https://other.example.com/' }), NOW)).toEqual({
      kind: 'reuse',
      checkout: c,
    });
  });

  it('reuse holds up to the last millisecond before expiry', () => {
    expect(decideCheckout(withCheckout(), request(), NOW + HOUR - 1)).toMatchObject({ kind: 'reuse' });
  });

  it.each([
    ['a different plan', { planId: 'family' as const }],
    ['a different interval', { interval: 'year' as const }],
    ['both different', { planId: 'business' as const, interval: 'year' as const }],
  ])('%s while a checkout is open → reject checkout_in_progress with the open checkout', (_, overrides) => {
    const decision = decideCheckout(withCheckout(), request(overrides), NOW);
    expect(decision).toEqual({
      kind: 'reject',
      code: 'checkout_in_progress',
      message: expect.stringContaining('plus/month'),
      details: {
        checkout: { checkoutId: 'cs_test_open', url: open().url, expiresAt: new Date(NOW + HOUR).toISOString() },
      },
    });
  });

  it.each([0, 1, HOUR])('at/after the open checkout expires (+%d ms) → create a new one', (late) => {
    expect(decideCheckout(withCheckout(), request(), NOW + HOUR + late)).toEqual({ kind: 'create' });
    expect(decideCheckout(withCheckout(), request({ planId: 'family' }), NOW + HOUR + late)).toEqual({ kind: 'create' });
  });

  it('the live subscription check comes before the open checkout check', () => {
    const state = openCheckout(withSubscription('active'), open(), 'cus_1');
    expect(decideCheckout(state, request(), NOW)).toMatchObject({ kind: 'reject', code: 'subscription_active' });
  });

  it('every reject code is a known error code', () => {
    const decisions = [
      decideCheckout(fresh(), request({ planId: 'enterprise' }), NOW),
      decideCheckout(fresh(), request({ planId: 'essential' }), NOW),
      decideCheckout(withSubscription('active'), request(), NOW),
      decideCheckout(withCheckout(), request({ planId: 'family' }), NOW),
    ];
    for (const d of decisions) {
      expect(d.kind).toBe('reject');
      if (d.kind === 'reject') {
        expect(isErrorCode(d.code)).toBe(true);
        expect(d.message.length).toBeGreaterThan(0);
      }
    }
  });

  it('does not change the state it decides on', () => {
    const state = withCheckout();
    const copy = structuredClone(state);
    decideCheckout(state, request(), NOW);
    decideCheckout(state, request({ planId: 'family' }), NOW + 2 * HOUR);
    expect(state).toEqual(copy);
  });
});
