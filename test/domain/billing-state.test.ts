import fc from 'fast-check';
import type {
  BillingFact,
  CheckoutCompletedFact,
  CheckoutExpiredFact,
  StripeSubscriptionStatus,
  SubscriptionChangedFact,
} from '../../src/domain/billing-facts';
import {
  CLOSED_CHECKOUT_IDS_KEPT,
  RECENT_EVENT_IDS_KEPT,
  applyFact,
  billingMode,
  billingStatus,
  currentPlan,
  expireCheckoutIfDue,
  hasLiveSubscription,
  initialState,
  openCheckout,
  type OpenCheckout,
  type WorkspaceState,
} from '../../src/domain/billing-state';
import type { Interval, PlanId } from '../../src/domain/plans';

const T0 = Date.UTC(2025, 0, 15, 12, 0, 0);
const SEC = 1_000;
const DAY = 86_400_000;

let seq = 0;
const nextId = (prefix: string) => `${prefix}_${++seq}`;

function checkout(overrides: Partial<OpenCheckout> = {}): OpenCheckout {
  return {
    id: 'cs_test_1',
    url: 'https://checkout.stripe.com/c/pay/cs_test_1',
    expiresAt: T0 + DAY,
    planId: 'plus',
    interval: 'month',
    ...overrides,
  };
}

function completed(overrides: Partial<CheckoutCompletedFact> = {}): CheckoutCompletedFact {
  return {
    kind: 'checkout_completed',
    eventId: nextId('evt'),
    occurredAt: T0 + 10 * SEC,
    checkoutId: 'cs_test_1',
    customerId: 'cus_1',
    subscriptionId: 'sub_1',
    planId: 'plus',
    interval: 'month',
    paid: true,
    ...overrides,
  };
}

function expired(overrides: Partial<CheckoutExpiredFact> = {}): CheckoutExpiredFact {
  return { kind: 'checkout_expired', eventId: nextId('evt'), occurredAt: T0 + DAY, checkoutId: 'cs_test_1', ...overrides };
}

function subChanged(overrides: Partial<SubscriptionChangedFact> = {}): SubscriptionChangedFact {
  return {
    kind: 'subscription_changed',
    eventId: nextId('evt'),
    occurredAt: T0 + 10 * SEC,
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

const applyAll = (state: WorkspaceState, facts: BillingFact[]) => facts.reduce(applyFact, state);

/** The state a workspace is in right after the engine opened a checkout. */
function withOpenCheckout(c: OpenCheckout = checkout()): WorkspaceState {
  return openCheckout(initialState('ws_1'), c, 'cus_1');
}

function derived(state: WorkspaceState) {
  return {
    status: billingStatus(state),
    plan: currentPlan(state),
    mode: billingMode(state),
    currentPeriodEnd: state.subscription?.currentPeriodEnd ?? null,
  };
}

describe('initial state', () => {
  it('is an Essential workspace with no billing', () => {
    const s = initialState('ws_1');
    expect(s).toEqual({
      workspaceId: 'ws_1',
      customerId: null,
      subscription: null,
      checkout: null,
      checkoutSeq: 0,
      closedCheckoutIds: [],
      recentEventIds: [],
      invoices: [],
      grace: null,
      graceWaivedAt: null,
      operatorRequestIds: [],
      pendingChange: null,
      planChangeSeq: 0,
      topUpSeq: 0,
      guestClaims: [],
      taggedStripeIds: [],
      version: 0,
    });
    expect(derived(s)).toEqual({ status: 'none', plan: { id: 'essential', interval: null }, mode: 'self_serve', currentPeriodEnd: null });
    expect(hasLiveSubscription(s)).toBe(false);
  });

  it('survives a JSON round trip (it is carried across continue-as-new)', () => {
    const s = applyAll(withOpenCheckout(), [completed(), subChanged()]);
    expect(JSON.parse(JSON.stringify(s))).toEqual(s);
  });
});

describe('openCheckout', () => {
  it('records the checkout and customer, bumps seq and version, and shows checkout_pending', () => {
    const s = withOpenCheckout();
    expect(s.checkout).toEqual(checkout());
    expect(s.customerId).toBe('cus_1');
    expect(s.checkoutSeq).toBe(1);
    expect(s.version).toBe(1);
    expect(billingStatus(s)).toBe('incomplete');
    expect(billingMode(s)).toBe('checkout_pending');
    expect(currentPlan(s)).toEqual({ id: 'essential', interval: null });
  });

  it('does not mutate its input', () => {
    const before = initialState('ws_1');
    const copy = structuredClone(before);
    openCheckout(before, checkout(), 'cus_1');
    expect(before).toEqual(copy);
  });
});

describe('checkout completed', () => {
  it.each([
    ['plus', 'month'],
    ['family', 'year'],
    ['business', 'month'],
  ] as [PlanId, Interval][])('makes the workspace active on the purchased plan (%s/%s)', (planId, interval) => {
    const s = applyFact(withOpenCheckout(checkout({ planId, interval })), completed({ planId, interval }));
    expect(billingStatus(s)).toBe('active');
    expect(currentPlan(s)).toEqual({ id: planId, interval });
    expect(billingMode(s)).toBe('self_serve');
    expect(s.checkout).toBeNull();
    expect(s.closedCheckoutIds).toContain('cs_test_1');
    expect(s.subscription).toMatchObject({ id: 'sub_1', status: 'active', planId, interval });
    expect(s.version).toBe(2);
  });

  it('records the customer id from the session', () => {
    const s = applyFact(initialState('ws_1'), completed({ customerId: 'cus_new' }));
    expect(s.customerId).toBe('cus_new');
  });

  it('keeps the known customer when the session carries none', () => {
    const s = applyFact(withOpenCheckout(), completed({ customerId: null }));
    expect(s.customerId).toBe('cus_1');
  });

  it('an unpaid completion (async payment) leaves the subscription incomplete', () => {
    const s = applyFact(withOpenCheckout(), completed({ paid: false }));
    expect(s.subscription?.status).toBe('incomplete');
    expect(billingStatus(s)).toBe('incomplete');
    expect(currentPlan(s).id).toBe('essential');
    expect(hasLiveSubscription(s)).toBe(false);
  });

  it('without a subscription id, only closes the checkout', () => {
    const s = applyFact(withOpenCheckout(), completed({ subscriptionId: null }));
    expect(s.checkout).toBeNull();
    expect(s.subscription).toBeNull();
    expect(billingStatus(s)).toBe('none');
  });

  it('fills in plan and interval a subscription event lacked, without overriding its status', () => {
    const s = applyAll(withOpenCheckout(), [
      subChanged({ planId: null, interval: null, status: 'past_due', occurredAt: T0 + 5 * SEC }),
      completed({ planId: 'family', interval: 'year', occurredAt: T0 + 10 * SEC }),
    ]);
    expect(s.subscription).toMatchObject({ status: 'past_due', planId: 'family', interval: 'year', currentPeriodEnd: T0 + 30 * DAY });
    expect(billingStatus(s)).toBe('past_due');
  });

  it('does not override a plan the subscription events already set', () => {
    const s = applyAll(withOpenCheckout(), [subChanged({ planId: 'business', interval: 'year' }), completed({ planId: 'plus', interval: 'month' })]);
    expect(currentPlan(s)).toEqual({ id: 'business', interval: 'year' });
  });

  it('still counts when the checkout was already closed locally at its expiry (completion raced the timer)', () => {
    const opened = withOpenCheckout(checkout({ expiresAt: T0 + DAY }));
    const timedOut = expireCheckoutIfDue(opened, 'cs_test_1', T0 + DAY);
    expect(timedOut.checkout).toBeNull();
    const s = applyFact(timedOut, completed({ occurredAt: T0 + DAY + SEC }));
    expect(billingStatus(s)).toBe('active');
    expect(currentPlan(s).id).toBe('plus');
  });
});

describe('subscription events', () => {
  it('set the plan (from the price lookup key) and the current period end', () => {
    const s = applyFact(initialState('ws_1'), subChanged({ planId: 'business', interval: 'year', currentPeriodEnd: T0 + 365 * DAY }));
    expect(currentPlan(s)).toEqual({ id: 'business', interval: 'year' });
    expect(s.subscription?.currentPeriodEnd).toBe(T0 + 365 * DAY);
    expect(billingStatus(s)).toBe('active');
    expect(s.customerId).toBe('cus_1');
  });

  it('a later update moves the plan and the period end', () => {
    const s = applyAll(initialState('ws_1'), [
      subChanged({ occurredAt: T0, currentPeriodEnd: T0 + 30 * DAY }),
      subChanged({ occurredAt: T0 + DAY, planId: 'family', interval: 'month', currentPeriodEnd: T0 + 31 * DAY }),
    ]);
    expect(currentPlan(s)).toEqual({ id: 'family', interval: 'month' });
    expect(s.subscription?.currentPeriodEnd).toBe(T0 + 31 * DAY);
    expect(s.subscription?.lastFactAt).toBe(T0 + DAY);
    expect(s.version).toBe(2);
  });

  it('keeps the known plan and period end when an update omits them', () => {
    const s = applyAll(initialState('ws_1'), [
      subChanged({ occurredAt: T0 }),
      subChanged({ occurredAt: T0 + SEC, planId: null, interval: null, currentPeriodEnd: null, cancelAtPeriodEnd: true }),
    ]);
    expect(s.subscription).toMatchObject({ planId: 'plus', interval: 'month', currentPeriodEnd: T0 + 30 * DAY, cancelAtPeriodEnd: true });
  });

  it('a live subscription closes the open checkout that produced it', () => {
    const s = applyFact(withOpenCheckout(), subChanged());
    expect(s.checkout).toBeNull();
    expect(s.closedCheckoutIds).toContain('cs_test_1');
    expect(billingMode(s)).toBe('self_serve');
  });

  it('an incomplete subscription leaves the checkout open (still checkout_pending)', () => {
    const s = applyFact(withOpenCheckout(), subChanged({ status: 'incomplete' }));
    expect(s.checkout).not.toBeNull();
    expect(billingStatus(s)).toBe('incomplete');
    expect(billingMode(s)).toBe('checkout_pending');
  });

  it('stale facts (older occurredAt) are ignored and do not bump the version', () => {
    const fresh = applyFact(initialState('ws_1'), subChanged({ occurredAt: T0 + DAY, planId: 'business', currentPeriodEnd: T0 + 40 * DAY }));
    const stale = subChanged({ occurredAt: T0, planId: 'plus', status: 'past_due', currentPeriodEnd: T0 + 30 * DAY });
    const after = applyFact(fresh, stale);
    expect(after.subscription).toEqual(fresh.subscription);
    expect(after.version).toBe(fresh.version);
    expect(derived(after)).toEqual(derived(fresh));
    // It is still remembered as seen.
    expect(after.recentEventIds).toContain(stale.eventId);
  });

  it('facts with equal timestamps apply in arrival order', () => {
    const s = applyAll(initialState('ws_1'), [
      subChanged({ occurredAt: T0, status: 'active' }),
      subChanged({ occurredAt: T0, status: 'past_due' }),
    ]);
    expect(billingStatus(s)).toBe('past_due');
  });

  it('deleted → canceled, back to Essential and self-serve', () => {
    const s = applyAll(withOpenCheckout(), [completed(), subChanged({ occurredAt: T0 + 10 * SEC }), subChanged({ occurredAt: T0 + 40 * DAY, status: 'canceled' })]);
    expect(billingStatus(s)).toBe('canceled');
    expect(currentPlan(s)).toEqual({ id: 'essential', interval: null });
    expect(billingMode(s)).toBe('self_serve');
    expect(hasLiveSubscription(s)).toBe(false);
    // The record of the ended subscription is kept (for the /billing stripe ids).
    expect(s.subscription?.id).toBe('sub_1');
  });

  it('a stale "active" after deletion does not resurrect the subscription', () => {
    const s = applyAll(initialState('ws_1'), [
      subChanged({ occurredAt: T0 + 40 * DAY, status: 'canceled' }),
      subChanged({ occurredAt: T0 + 10 * DAY, status: 'active' }),
    ]);
    expect(billingStatus(s)).toBe('canceled');
  });

  it.each([
    ['active', 'active'],
    ['trialing', 'active'],
    ['past_due', 'past_due'],
    ['unpaid', 'past_due'],
    ['incomplete', 'incomplete'],
    ['incomplete_expired', 'canceled'],
    ['canceled', 'canceled'],
    ['paused', 'canceled'],
  ] as [StripeSubscriptionStatus, string][])('Stripe status %s → billing status %s', (stripeStatus, status) => {
    expect(billingStatus(applyFact(initialState('ws_1'), subChanged({ status: stripeStatus })))).toBe(status);
  });

  it('past_due → billing_recovery, still on the paid plan', () => {
    const s = applyAll(initialState('ws_1'), [subChanged({ occurredAt: T0 }), subChanged({ occurredAt: T0 + 31 * DAY, status: 'past_due' })]);
    expect(billingStatus(s)).toBe('past_due');
    expect(billingMode(s)).toBe('billing_recovery');
    expect(currentPlan(s)).toEqual({ id: 'plus', interval: 'month' });
    expect(hasLiveSubscription(s)).toBe(true);
  });

  it('recovering from past_due returns to self_serve', () => {
    const s = applyAll(initialState('ws_1'), [
      subChanged({ occurredAt: T0, status: 'past_due' }),
      subChanged({ occurredAt: T0 + DAY, status: 'active' }),
    ]);
    expect(billingMode(s)).toBe('self_serve');
  });

  it('an enterprise subscription → mode sales_assisted; past_due, recovery wins (billing_recovery)', () => {
    const s = applyFact(initialState('ws_1'), subChanged({ planId: 'enterprise', interval: 'year' }));
    expect(currentPlan(s).id).toBe('enterprise');
    expect(billingMode(s)).toBe('sales_assisted');
    expect(billingMode(applyFact(s, subChanged({ occurredAt: T0 + DAY, status: 'past_due', planId: 'enterprise' })))).toBe('billing_recovery');
  });

  it('a live subscription without a known plan counts as Essential', () => {
    const s = applyFact(initialState('ws_1'), subChanged({ planId: null, interval: null }));
    expect(billingStatus(s)).toBe('active');
    expect(currentPlan(s)).toEqual({ id: 'essential', interval: null });
  });

  describe('more than one subscription', () => {
    it('a new live subscription replaces an ended one', () => {
      const s = applyAll(initialState('ws_1'), [
        subChanged({ occurredAt: T0, status: 'canceled' }),
        subChanged({ subscriptionId: 'sub_2', occurredAt: T0 + DAY, planId: 'family' }),
      ]);
      expect(s.subscription?.id).toBe('sub_2');
      expect(currentPlan(s).id).toBe('family');
    });

    it('an older subscription ending does not cancel the current live one', () => {
      const s = applyAll(initialState('ws_1'), [
        subChanged({ subscriptionId: 'sub_2', occurredAt: T0, planId: 'family' }),
        subChanged({ subscriptionId: 'sub_1', occurredAt: T0 + DAY, status: 'canceled' }),
      ]);
      expect(s.subscription?.id).toBe('sub_2');
      expect(billingStatus(s)).toBe('active');
    });

    it('a stale live event of another subscription does not replace the current one', () => {
      const s = applyAll(initialState('ws_1'), [
        subChanged({ subscriptionId: 'sub_2', occurredAt: T0 + DAY, planId: 'family' }),
        subChanged({ subscriptionId: 'sub_1', occurredAt: T0, planId: 'plus' }),
      ]);
      expect(s.subscription?.id).toBe('sub_2');
    });
  });
});

describe('duplicates', () => {
  it.each([
    ['checkout completed', () => completed()],
    ['checkout expired', () => expired()],
    ['subscription changed', () => subChanged()],
  ] as [string, () => BillingFact][])('a redelivered %s changes nothing (same object, version unchanged)', (_, make) => {
    const fact = make();
    const once = applyFact(withOpenCheckout(), fact);
    const twice = applyFact(once, fact);
    expect(twice).toBe(once);
    expect(twice.version).toBe(once.version);
  });

  it('a duplicate is recognised even after other facts arrived in between', () => {
    const first = subChanged({ occurredAt: T0 + DAY, status: 'past_due' });
    const s1 = applyAll(initialState('ws_1'), [first, subChanged({ occurredAt: T0 + 2 * DAY, status: 'active' })]);
    // Redelivering the past_due event (same id, even with a newer timestamp) changes nothing.
    const s2 = applyFact(s1, { ...first, occurredAt: T0 + 3 * DAY });
    expect(s2).toBe(s1);
    expect(billingStatus(s2)).toBe('active');
  });

  it('remembers a bounded number of event ids', () => {
    let s = initialState('ws_1');
    for (let i = 0; i < RECENT_EVENT_IDS_KEPT + 10; i++) s = applyFact(s, subChanged({ eventId: `evt_${i}`, occurredAt: T0 + i }));
    expect(s.recentEventIds).toHaveLength(RECENT_EVENT_IDS_KEPT);
    expect(s.recentEventIds[0]).toBe('evt_10');
    expect(s.recentEventIds.at(-1)).toBe(`evt_${RECENT_EVENT_IDS_KEPT + 9}`);
  });

  it('remembers a bounded number of closed checkout ids', () => {
    let s = initialState('ws_1');
    for (let i = 0; i < CLOSED_CHECKOUT_IDS_KEPT + 5; i++) s = applyFact(s, expired({ checkoutId: `cs_${i}` }));
    expect(s.closedCheckoutIds).toHaveLength(CLOSED_CHECKOUT_IDS_KEPT);
    expect(s.closedCheckoutIds[0]).toBe('cs_5');
  });
});

describe('checkout expiry', () => {
  it('checkout.session.expired closes the open checkout → none/self_serve', () => {
    const s = applyFact(withOpenCheckout(), expired());
    expect(s.checkout).toBeNull();
    expect(s.closedCheckoutIds).toEqual(['cs_test_1']);
    expect(derived(s)).toEqual({ status: 'none', plan: { id: 'essential', interval: null }, mode: 'self_serve', currentPeriodEnd: null });
    expect(s.version).toBe(2);
  });

  it('an expiry event for another checkout leaves the open one alone', () => {
    const s = applyFact(withOpenCheckout(), expired({ checkoutId: 'cs_other' }));
    expect(s.checkout?.id).toBe('cs_test_1');
    expect(billingMode(s)).toBe('checkout_pending');
  });

  it('checkout.session.expired after completion changes nothing (state and version)', () => {
    const done = applyAll(withOpenCheckout(), [completed(), subChanged()]);
    const after = applyFact(done, expired());
    expect(derived(after)).toEqual(derived(done));
    expect(after.subscription).toEqual(done.subscription);
    expect(after.checkout).toBeNull();
    expect(after.closedCheckoutIds).toEqual(done.closedCheckoutIds);
    expect(after.version).toBe(done.version);
  });

  it('a late expiry of an old checkout does not close a newer open one', () => {
    let s = applyFact(withOpenCheckout(), expired());
    s = openCheckout(s, checkout({ id: 'cs_test_2', planId: 'family' }), 'cus_1');
    s = applyFact(s, expired({ checkoutId: 'cs_test_1' }));
    expect(s.checkout?.id).toBe('cs_test_2');
    expect(billingMode(s)).toBe('checkout_pending');
  });

  describe('expireCheckoutIfDue (the workflow timer)', () => {
    const open = withOpenCheckout(checkout({ expiresAt: T0 + DAY }));

    it('does nothing before expiresAt', () => {
      expect(expireCheckoutIfDue(open, 'cs_test_1', T0 + DAY - 1)).toBe(open);
    });

    it.each([0, 1, DAY])('closes the checkout at/after expiresAt (+%d ms) → none/self_serve', (late) => {
      const s = expireCheckoutIfDue(open, 'cs_test_1', T0 + DAY + late);
      expect(s.checkout).toBeNull();
      expect(s.closedCheckoutIds).toContain('cs_test_1');
      expect(s.version).toBe(open.version + 1);
      expect(billingStatus(s)).toBe('none');
      expect(billingMode(s)).toBe('self_serve');
    });

    it('only for the open checkout id', () => {
      expect(expireCheckoutIfDue(open, 'cs_other', T0 + 2 * DAY)).toBe(open);
    });

    it('does nothing when no checkout is open (a webhook closed it first)', () => {
      const done = applyFact(open, completed());
      expect(expireCheckoutIfDue(done, 'cs_test_1', T0 + 2 * DAY)).toBe(done);
    });

    it('a timer for an old checkout does not close a newer one', () => {
      let s = expireCheckoutIfDue(open, 'cs_test_1', T0 + DAY);
      s = openCheckout(s, checkout({ id: 'cs_test_2', expiresAt: T0 + 3 * DAY }), 'cus_1');
      expect(expireCheckoutIfDue(s, 'cs_test_1', T0 + 2 * DAY)).toBe(s);
    });

    it('with a live subscription, expiry of a stray checkout keeps the subscription', () => {
      const s = openCheckout(applyFact(initialState('ws_1'), subChanged()), checkout(), 'cus_1');
      const after = expireCheckoutIfDue(s, 'cs_test_1', T0 + DAY);
      expect(billingStatus(after)).toBe('active');
      expect(currentPlan(after).id).toBe('plus');
    });
  });
});

describe('regression: checkout completion stamped after subscription.created', () => {
  // Stripe stamps checkout.session.completed a moment after
  // customer.subscription.created. A completion delivered first used to set
  // lastFactAt = completedAt - 1 ms, so the (earlier-stamped) subscription
  // event was then dropped as stale: period end stayed null and an
  // unpaid-completion's "incomplete" hid an active subscription.
  const created = () => subChanged({ occurredAt: T0, status: 'active', currentPeriodEnd: T0 + 30 * DAY });

  it('completion first, then subscription.created (1 s earlier) → the subscription event still applies', () => {
    const s = applyAll(withOpenCheckout(), [completed({ occurredAt: T0 + SEC }), created()]);
    expect(s.subscription).toMatchObject({ status: 'active', currentPeriodEnd: T0 + 30 * DAY, lastFactAt: T0 });
    expect(s.subscription?.fromCheckout).toBeUndefined();
  });

  it('an unpaid completion delivered first does not hide the active subscription', () => {
    const s = applyAll(withOpenCheckout(), [completed({ occurredAt: T0 + SEC, paid: false }), created()]);
    expect(billingStatus(s)).toBe('active');
    expect(currentPlan(s)).toEqual({ id: 'plus', interval: 'month' });
  });

  it('once a subscription event applied, older events of it are stale again', () => {
    const s = applyAll(withOpenCheckout(), [
      completed({ occurredAt: T0 + SEC }),
      subChanged({ occurredAt: T0 + 5 * SEC, status: 'past_due' }),
      subChanged({ occurredAt: T0 + 2 * SEC, status: 'active' }),
    ]);
    expect(billingStatus(s)).toBe('past_due');
  });

  it('a checkout-born record still resists stale live events of another subscription', () => {
    const s = applyAll(initialState('ws_1'), [
      subChanged({ subscriptionId: 'sub_old', occurredAt: T0, status: 'canceled' }),
      completed({ subscriptionId: 'sub_new', occurredAt: T0 + DAY }),
      subChanged({ subscriptionId: 'sub_old', occurredAt: T0 - DAY, status: 'active' }),
    ]);
    expect(s.subscription?.id).toBe('sub_new');
    expect(billingStatus(s)).toBe('active');
  });
});

describe('applyFact is pure', () => {
  it('never mutates the state it is given', () => {
    const before = withOpenCheckout();
    const snapshot = structuredClone(before);
    applyAll(before, [completed(), subChanged(), expired(), subChanged({ occurredAt: T0 + DAY, status: 'canceled' })]);
    expect(before).toEqual(snapshot);
  });
});

// ---------------------------------------------------------------------------
// Order independence: Stripe delivers events out of order and more than once.
// ---------------------------------------------------------------------------
describe('order independence (property)', () => {
  /**
   * The lifecycle facts of one checkout, as Stripe would produce them:
   * subscription.created at t1, checkout.session.completed at c (usually a
   * moment after the subscription exists, but any time around it), and
   * subscription.updated at t2 > t1.
   */
  const scenario = fc
    .record({
      t1: fc.integer({ min: 0, max: 1_000 }),
      checkoutDelaySec: fc.integer({ min: -5, max: 120 }),
      updateDelaySec: fc.integer({ min: 1, max: 120 }),
      createdStatus: fc.constantFrom<StripeSubscriptionStatus>('active', 'incomplete', 'trialing'),
      updatedStatus: fc.constantFrom<StripeSubscriptionStatus>('active', 'past_due', 'canceled'),
      paid: fc.boolean(),
      withUpdate: fc.boolean(),
      plan: fc.constantFrom<PlanId>('plus', 'family', 'business'),
      updatedPlan: fc.constantFrom<PlanId>('plus', 'family', 'business'),
      interval: fc.constantFrom<Interval>('month', 'year'),
      createdHasPlan: fc.boolean(),
    })
    .map((p) => {
      const t1 = T0 + p.t1 * SEC;
      const c = completed({
        eventId: 'evt_checkout',
        occurredAt: t1 + p.checkoutDelaySec * SEC,
        planId: p.plan,
        interval: p.interval,
        paid: p.paid,
      });
      const created = subChanged({
        eventId: 'evt_created',
        occurredAt: t1,
        status: p.createdStatus,
        planId: p.createdHasPlan ? p.plan : null,
        interval: p.createdHasPlan ? p.interval : null,
        currentPeriodEnd: t1 + 30 * DAY,
      });
      const updated = subChanged({
        eventId: 'evt_updated',
        occurredAt: t1 + p.updateDelaySec * SEC,
        status: p.updatedStatus,
        planId: p.updatedPlan,
        interval: p.interval,
        currentPeriodEnd: t1 + 31 * DAY,
      });
      return p.withUpdate ? [c, created, updated] : [c, created];
    });

  /** A delivery: every fact at least once, some twice, in any order. */
  const delivery = scenario.chain((facts) =>
    fc
      .tuple(
        fc.array(fc.constantFrom(...facts), { maxLength: 4 }),
        fc.shuffledSubarray(facts, { minLength: facts.length, maxLength: facts.length }),
      )
      .chain(([dups, all]) => fc.shuffledSubarray([...all, ...dups], { minLength: all.length + dups.length }))
      .map((order) => ({ facts, order })),
  );

  const start = () => withOpenCheckout(checkout({ expiresAt: T0 + 10 * DAY }));

  it('every delivery order (with duplicates) ends in the same derived state', () => {
    fc.assert(
      fc.property(delivery, ({ facts, order }) => {
        const reference = derived(applyAll(start(), facts));
        const actual = applyAll(start(), order);
        expect(derived(actual)).toEqual(reference);
        expect(actual.subscription?.id).toBe('sub_1');
        expect(actual.customerId).toBe('cus_1');
      }),
      { numRuns: 2_000 },
    );
  });

  it('exhaustively: all permutations of checkout completed / created / updated (+ a duplicate of each)', () => {
    const permutations = <T>(xs: T[]): T[][] =>
      xs.length <= 1 ? [xs] : xs.flatMap((x, i) => permutations([...xs.slice(0, i), ...xs.slice(i + 1)]).map((rest) => [x, ...rest]));
    for (const checkoutDelaySec of [-1, 0, 1, 2, 30]) {
      const t1 = T0;
      const c = completed({ eventId: 'evt_c', occurredAt: t1 + checkoutDelaySec * SEC });
      const created = subChanged({ eventId: 'evt_sc', occurredAt: t1, currentPeriodEnd: t1 + 30 * DAY });
      const updated = subChanged({ eventId: 'evt_su', occurredAt: t1 + 5 * SEC, planId: 'family', currentPeriodEnd: t1 + 31 * DAY });
      for (const set of [[c, created], [c, created, updated]]) {
        const expected = derived(applyAll(start(), set));
        for (const order of permutations([...set, ...set])) {
          const got = derived(applyAll(start(), order));
          if (JSON.stringify(got) !== JSON.stringify(expected)) {
            throw new Error(
              `order ${order.map((f) => f.eventId).join(' → ')} (checkout completed at t1${checkoutDelaySec >= 0 ? '+' : ''}${checkoutDelaySec}s) ` +
                `gave ${JSON.stringify(got)}, expected ${JSON.stringify(expected)}`,
            );
          }
        }
      }
    }
  });

  it('the final state is the one of the newest subscription event', () => {
    fc.assert(
      fc.property(delivery, ({ facts, order }) => {
        const subs = facts.filter((f): f is SubscriptionChangedFact => f.kind === 'subscription_changed');
        const newest = subs.reduce((a, b) => (b.occurredAt > a.occurredAt ? b : a));
        const s = applyAll(start(), order);
        expect(s.subscription?.status).toBe(newest.status);
        expect(s.subscription?.currentPeriodEnd).toBe(newest.currentPeriodEnd);
        expect(s.subscription?.lastFactAt).toBe(newest.occurredAt);
      }),
      { numRuns: 1_000 },
    );
  });
});

describe('the customer of a known subscription', () => {
  it('stays put when later news of the same subscription names another customer (Stripe never moves a subscription)', () => {
    const s = applyAll(initialState('ws_1'), [
      subChanged({ eventId: 'evt_a', customerId: 'cus_1', occurredAt: T0 }),
      subChanged({ eventId: 'evt_b', customerId: 'cus_fixture', occurredAt: T0 + 1000, cancelAtPeriodEnd: true }),
    ]);
    expect(s.subscription?.cancelAtPeriodEnd).toBe(true); // the news itself was applied
    expect(s.customerId).toBe('cus_1');
  });

  it('follows a new subscription that replaces an ended one', () => {
    const ended = applyAll(initialState('ws_1'), [
      subChanged({ eventId: 'evt_a', customerId: 'cus_1', occurredAt: T0 }),
      subChanged({ eventId: 'evt_b', customerId: 'cus_1', status: 'canceled', occurredAt: T0 + 1000 }),
    ]);
    expect(ended.subscription?.status).toBe('canceled');
    const next = applyAll(ended, [subChanged({ eventId: 'evt_c', subscriptionId: 'sub_2', customerId: 'cus_2', occurredAt: T0 + 2000 })]);
    expect(next.customerId).toBe('cus_2');
  });
});
