// The pure rules of guest checkouts and claims: status, who may claim,
// what a workspace accepts, flagging, and the property that a payment is
// counted once however its facts split between the claim's snapshot, the
// forwarded ones and redeliveries straight to the workspace.
import fc from 'fast-check';
import type { BillingFact, CheckoutCompletedFact } from '../../src/domain/billing-facts';
import { applyFact, billingStatus, currentPlan, initialState, type OpenCheckout, type WorkspaceState } from '../../src/domain/billing-state';
import { attachGuest, decideAttach, markTagged, untaggedStripeIds } from '../../src/domain/guest-attach';
import {
  abandonClaim,
  applyGuestFact,
  beginClaim,
  completeClaim,
  decideClaim,
  decideGuestCheckout,
  expireGuestSessionIfDue,
  flagIfDue,
  guestStatus,
  initialGuestState,
  recordRefusal,
  recordSession,
  sameEmail,
  toGuestView,
  type ClaimResult,
  type GuestAttachment,
  type GuestCheckoutRequest,
  type GuestCheckoutState,
} from '../../src/domain/guest-checkout';
import { invoiceChanged, subscriptionChanged } from '../support/facts';

const T0 = Date.UTC(2026, 10, 1);
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

const request: GuestCheckoutRequest = { email: 'Visitor@Example.com', planId: 'plus', interval: 'month', successUrl: 'https://a.example.com/s', cancelUrl: 'https://a.example.com/c' };
const session: OpenCheckout = { id: 'cs_guest', url: 'https://checkout.stripe.test/g', expiresAt: T0 + 24 * HOUR, planId: 'plus', interval: 'month' };

function opened(): GuestCheckoutState {
  return recordSession(initialGuestState('gco_1', T0), request, session, 'cus_guest');
}

function payment(at = T0 + HOUR) {
  const completed: CheckoutCompletedFact = {
    kind: 'checkout_completed',
    eventId: 'evt_completed',
    occurredAt: at,
    checkoutId: 'cs_guest',
    customerId: 'cus_guest',
    subscriptionId: 'sub_guest',
    planId: 'plus',
    interval: 'month',
    paid: true,
  };
  const created = subscriptionChanged({ eventId: 'evt_created', subscriptionId: 'sub_guest', customerId: 'cus_guest', occurredAt: at - 1000 });
  const paid = invoiceChanged({ eventId: 'evt_paid', subscriptionId: 'sub_guest', invoiceId: 'in_1', occurredAt: at, status: 'paid' });
  return [created, completed, paid] as BillingFact[];
}

function paidGuest(): GuestCheckoutState {
  return payment().reduce((s, f) => applyGuestFact(s, f, T0 + 2 * HOUR), opened());
}

const claimResult = (workspaceId: string): ClaimResult => ({
  checkoutId: 'gco_1',
  workspaceId,
  status: 'active',
  plan: { id: 'plus', interval: 'month' },
  stripe: { customerId: 'cus_guest', subscriptionId: 'sub_guest' },
  claimedAt: new Date(T0).toISOString(),
});

describe('guest checkout status', () => {
  test('new → open → paid → claimed, with paidAt and the view operators read', () => {
    expect(guestStatus(initialGuestState('gco_1', T0))).toBe('new');
    expect(guestStatus(opened())).toBe('open');
    const paid = paidGuest();
    expect(guestStatus(paid)).toBe('paid');
    expect(paid.paidAt).toBe(T0 + 2 * HOUR);
    const claimed = completeClaim(paid, claimResult('ws_1'), T0 + 3 * HOUR);
    expect(guestStatus(claimed)).toBe('claimed');
    expect(toGuestView(claimed)).toMatchObject({ status: 'claimed', claimedWorkspaceId: 'ws_1', stripeCheckoutSessionId: 'cs_guest', stripeSubscriptionId: 'sub_guest', email: request.email });
  });

  test('the session expires at its end time, not before; an expired unpaid checkout settles', () => {
    expect(expireGuestSessionIfDue(opened(), session.expiresAt - 1)).toEqual(opened());
    const lapsed = expireGuestSessionIfDue(opened(), session.expiresAt);
    expect(guestStatus(lapsed)).toBe('expired');
    expect(lapsed.settledAt).toBe(session.expiresAt);
    // A completion that was late to arrive still counts: paid, and not settled any more.
    const late = payment().reduce((s, f) => applyGuestFact(s, f, session.expiresAt + 1), lapsed);
    expect(guestStatus(late)).toBe('paid');
    expect(late.settledAt).toBeNull();
  });

  test('a fact is kept once whatever the redeliveries', () => {
    const [created] = payment();
    const once = applyGuestFact(opened(), created, T0);
    expect(applyGuestFact(once, created, T0)).toBe(once);
    expect(once.facts).toEqual([created]);
  });

  test('a refusal is recorded and settles at once', () => {
    const refused = recordRefusal(initialGuestState('gco_1', T0), { ...request, planId: 'enterprise' }, T0);
    expect(guestStatus(refused)).toBe('refused');
    expect(refused.settledAt).toBe(T0);
  });

  test('starting again with the same request reuses the session; other details are refused; Enterprise and Essential never open one', () => {
    expect(decideGuestCheckout(initialGuestState('gco_1', T0), request)).toEqual({ kind: 'create' });
    expect(decideGuestCheckout(opened(), request)).toEqual({ kind: 'reuse' });
    expect(decideGuestCheckout(expireGuestSessionIfDue(opened(), session.expiresAt), request)).toEqual({ kind: 'reuse' });
    expect(decideGuestCheckout(opened(), { ...request, interval: 'year' })).toMatchObject({ kind: 'reject', code: 'checkout_in_progress' });
    expect(decideGuestCheckout(opened(), { ...request, planId: 'enterprise' })).toMatchObject({ kind: 'reject', code: 'sales_assisted' });
    expect(decideGuestCheckout(opened(), { ...request, planId: 'essential' })).toMatchObject({ kind: 'reject', code: 'not_purchasable' });
  });
});

describe('decideClaim', () => {
  const claim = (workspaceId: string, verifiedEmail = 'visitor@example.com') => ({ workspaceId, verifiedEmail });

  test('emails match ignoring case and surrounding space', () => {
    expect(sameEmail(' Visitor@Example.COM ', 'visitor@example.com')).toBe(true);
    expect(sameEmail('visitor@example.com', 'visitor@example.org')).toBe(false);
  });

  test('attaches the customer, the open session (while open) and every fact', () => {
    const open = decideClaim(opened(), claim('ws_1'), T0);
    expect(open).toEqual({ kind: 'attach', attachment: { guestCheckoutId: 'gco_1', email: request.email, customerId: 'cus_guest', checkout: session, subscriptionId: null, facts: [] } });
    const paid = decideClaim(paidGuest(), claim('ws_1'), T0 + 2 * HOUR);
    expect(paid).toMatchObject({ kind: 'attach', attachment: { checkout: null, subscriptionId: 'sub_guest', facts: payment() } });
  });

  test('the email is checked first, then who claimed it, then whether a claim is in flight', () => {
    const claimed = completeClaim(paidGuest(), claimResult('ws_1'), T0);
    expect(decideClaim(claimed, claim('ws_2', 'other@example.com'), T0)).toMatchObject({ kind: 'reject', code: 'email_mismatch' });
    expect(decideClaim(claimed, claim('ws_2'), T0)).toMatchObject({ kind: 'reject', code: 'already_claimed' });
    expect(decideClaim(claimed, claim('ws_1'), T0)).toEqual({ kind: 'done', result: claimResult('ws_1') });

    const inFlight = beginClaim(paidGuest(), 'ws_1');
    expect(decideClaim(inFlight, claim('ws_2'), T0)).toMatchObject({ kind: 'reject', code: 'claim_in_progress' });
    expect(decideClaim(inFlight, claim('ws_1'), T0).kind).toBe('attach');
    expect(decideClaim(abandonClaim(inFlight), claim('ws_2'), T0).kind).toBe('attach');
  });

  test('a claim pinned to a workspace (outcome unknown) is finished for it even if the session lapsed since', () => {
    const pinned = beginClaim(opened(), 'ws_1');
    const lapsed = expireGuestSessionIfDue(pinned, session.expiresAt);
    expect(decideClaim(lapsed, claim('ws_1'), session.expiresAt)).toMatchObject({ kind: 'attach', attachment: { customerId: 'cus_guest', checkout: null } });
    expect(decideClaim(lapsed, claim('ws_2'), session.expiresAt)).toMatchObject({ kind: 'reject', code: 'claim_in_progress' });
  });

  test('nothing to claim before the session exists or after it lapsed unpaid', () => {
    expect(decideClaim(initialGuestState('gco_1', T0), claim('ws_1'), T0)).toMatchObject({ kind: 'reject', code: 'email_mismatch' });
    expect(decideClaim(expireGuestSessionIfDue(opened(), session.expiresAt), claim('ws_1'), T0)).toMatchObject({ kind: 'reject', code: 'nothing_to_claim', details: { status: 'expired' } });
  });
});

describe('flagging a paid checkout nobody claimed', () => {
  test('flags once at paidAt + the period, never an unpaid or claimed one', () => {
    const paid = paidGuest();
    expect(flagIfDue(paid, 30 * DAY, paid.paidAt! + 30 * DAY - 1)).toBe(paid);
    const flagged = flagIfDue(paid, 30 * DAY, paid.paidAt! + 30 * DAY);
    expect(flagged.flaggedAt).toBe(paid.paidAt! + 30 * DAY);
    expect(flagIfDue(flagged, 30 * DAY, paid.paidAt! + 90 * DAY)).toBe(flagged);
    expect(flagIfDue(opened(), 30 * DAY, T0 + 90 * DAY)).toEqual(opened());
    const claimed = completeClaim(paid, claimResult('ws_1'), T0);
    expect(flagIfDue(claimed, 30 * DAY, T0 + 90 * DAY)).toBe(claimed);
  });
});

describe('decideAttach (the workspace side)', () => {
  const attachment = (overrides: Partial<GuestAttachment> = {}): GuestAttachment => ({
    guestCheckoutId: 'gco_1',
    email: request.email,
    customerId: 'cus_guest',
    checkout: null,
    subscriptionId: 'sub_guest',
    facts: payment(),
    ...overrides,
  });
  const subscribed = (subscriptionId: string, status: 'active' | 'canceled' = 'active') =>
    applyFact(initialState('ws_1'), subscriptionChanged({ subscriptionId, customerId: 'cus_own', occurredAt: T0, status }));

  test('refuses a workspace paying for another subscription, naming both', () => {
    expect(decideAttach(subscribed('sub_own'), attachment(), T0)).toMatchObject({
      kind: 'reject',
      code: 'workspace_already_subscribed',
      details: { workspaceSubscriptionId: 'sub_own', guestSubscriptionId: 'sub_guest' },
    });
    // A canceled subscription is no obstacle; neither is the guest's own one.
    expect(decideAttach(subscribed('sub_own', 'canceled'), attachment(), T0)).toEqual({ kind: 'attach', expireOwnCheckoutId: null });
    expect(decideAttach(subscribed('sub_guest'), attachment(), T0)).toEqual({ kind: 'attach', expireOwnCheckoutId: null });
  });

  test("expires the workspace's own open checkout, and answers a repeated claim with the first result", () => {
    const own: OpenCheckout = { ...session, id: 'cs_own' };
    const withOwn: WorkspaceState = { ...initialState('ws_1'), checkout: own };
    expect(decideAttach(withOwn, attachment(), T0)).toEqual({ kind: 'attach', expireOwnCheckoutId: 'cs_own' });
    expect(decideAttach(withOwn, attachment(), own.expiresAt)).toEqual({ kind: 'attach', expireOwnCheckoutId: null });

    const attached = attachGuest(withOwn, attachment(), 'cs_own', T0);
    expect(attached.checkout).toBeNull();
    expect(attached.closedCheckoutIds).toContain('cs_own');
    expect(attached.customerId).toBe('cus_guest');
    expect(decideAttach(attached, attachment(), T0)).toMatchObject({ kind: 'done', result: { checkoutId: 'gco_1', workspaceId: 'ws_1', stripe: { customerId: 'cus_guest' } } });
  });

  test("an unpaid guest's open session becomes the workspace's checkout", () => {
    const attached = attachGuest(initialState('ws_1'), attachment({ checkout: session, subscriptionId: null, facts: [] }), null, T0);
    expect(attached.checkout).toEqual(session);
    expect(billingStatus(attached)).toBe('incomplete');
  });

  test('the customer and subscription are tagged once each', () => {
    let s = payment().reduce(applyFact, attachGuest(initialState('ws_1'), attachment(), null, T0));
    expect(untaggedStripeIds(s)).toEqual({ customerId: 'cus_guest', subscriptionId: 'sub_guest' });
    s = markTagged(s, ['cus_guest', 'sub_guest']);
    expect(untaggedStripeIds(s)).toBeNull();
    expect(untaggedStripeIds(initialState('ws_2'))).toBeNull();
  });
});

describe('a payment counts once however its facts reach the workspace', () => {
  test('any order, any split between the claim snapshot and forwarded facts, any redeliveries', () => {
    const facts = payment();
    const attachmentWith = (snapshot: BillingFact[]): GuestAttachment => ({
      guestCheckoutId: 'gco_1',
      email: request.email,
      customerId: 'cus_guest',
      checkout: snapshot.length === 0 ? session : null,
      subscriptionId: snapshot.length === 0 ? null : 'sub_guest',
      facts: snapshot,
    });
    const outcome = (s: WorkspaceState) => ({ status: billingStatus(s), plan: currentPlan(s), subscription: s.subscription?.id, invoices: s.invoices.map((i) => [i.id, i.status]), checkout: s.checkout });
    const reference = outcome(facts.reduce(applyFact, attachGuest(initialState('ws_1'), attachmentWith([]), null, T0)));
    expect(reference).toMatchObject({ status: 'active', subscription: 'sub_guest', invoices: [['in_1', 'paid']], checkout: null });

    fc.assert(
      fc.property(
        fc.shuffledSubarray(facts, { minLength: 3, maxLength: 3 }),
        fc.integer({ min: 0, max: 3 }),
        fc.array(fc.integer({ min: 0, max: 2 }), { maxLength: 6 }),
        (order, split, redeliveries) => {
          let ws = attachGuest(initialState('ws_1'), attachmentWith(order.slice(0, split)), null, T0);
          ws = order.slice(0, split).reduce(applyFact, ws); // the workspace applies the snapshot's facts
          ws = order.slice(split).reduce(applyFact, ws); // then the forwarded ones
          ws = redeliveries.map((i) => facts[i]).reduce(applyFact, ws); // and Stripe's redeliveries straight to it
          expect(outcome(ws)).toEqual(reference);
          for (const f of facts) expect(ws.recentEventIds.filter((id) => id === f.eventId)).toHaveLength(1);
        },
      ),
    );
  });
});
