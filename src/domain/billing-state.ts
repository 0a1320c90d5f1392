// The workspace's billing state and the pure rules that change it. The
// workflow keeps one WorkspaceState (plain JSON, carried across
// continue-as-new) and calls these functions; nothing here does I/O or reads
// a clock (callers pass nowMs).
import type { BillingFact, StripeSubscriptionStatus } from './billing-facts';
import { PLANS, type Interval, type PlanId } from './plans';

export type BillingStatus = 'none' | 'incomplete' | 'active' | 'past_due' | 'canceled';
export type BillingMode = 'self_serve' | 'checkout_pending' | 'billing_recovery' | 'enforced_recovery' | 'sales_assisted';

export interface OpenCheckout {
  id: string;
  url: string;
  expiresAt: number;
  planId: PlanId;
  interval: Interval;
}

export interface SubscriptionRecord {
  id: string;
  status: StripeSubscriptionStatus;
  planId: PlanId | null;
  interval: Interval | null;
  currentPeriodEnd: number | null;
  cancelAtPeriodEnd: boolean;
  /** occurredAt of the newest fact applied to this subscription. */
  lastFactAt: number;
  /**
   * Set while the record comes only from a checkout completion: the first
   * event of the subscription itself supersedes it, whatever its timestamp
   * (Stripe stamps checkout.session.completed after customer.subscription.created).
   */
  fromCheckout?: boolean;
}

export interface WorkspaceState {
  workspaceId: string;
  customerId: string | null;
  subscription: SubscriptionRecord | null;
  checkout: OpenCheckout | null;
  /** Number of checkouts this workspace has started: part of idempotency keys. */
  checkoutSeq: number;
  /** Checkouts that completed or expired: late events about them change nothing. */
  closedCheckoutIds: string[];
  /** Recently applied Stripe event ids (bounded): a redelivery changes nothing. */
  recentEventIds: string[];
  /** Bumped on every change; the projection ignores writes older than it holds. */
  version: number;
}

export const RECENT_EVENT_IDS_KEPT = 500;
export const CLOSED_CHECKOUT_IDS_KEPT = 50;

export function initialState(workspaceId: string): WorkspaceState {
  return {
    workspaceId,
    customerId: null,
    subscription: null,
    checkout: null,
    checkoutSeq: 0,
    closedCheckoutIds: [],
    recentEventIds: [],
    version: 0,
  };
}

function subscriptionStatus(status: StripeSubscriptionStatus): BillingStatus {
  switch (status) {
    case 'active':
    case 'trialing':
      return 'active';
    case 'past_due':
    case 'unpaid':
      return 'past_due';
    case 'incomplete':
      return 'incomplete';
    case 'canceled':
    case 'incomplete_expired':
    case 'paused':
      return 'canceled';
  }
}

/** A subscription that still entitles the workspace to its plan (or owes for it). */
export function hasLiveSubscription(state: WorkspaceState): boolean {
  const s = state.subscription;
  return s !== null && ['active', 'past_due'].includes(subscriptionStatus(s.status));
}

export function billingStatus(state: WorkspaceState): BillingStatus {
  if (hasLiveSubscription(state)) return subscriptionStatus(state.subscription!.status);
  if (state.checkout) return 'incomplete';
  if (state.subscription) return subscriptionStatus(state.subscription.status);
  return 'none';
}

export function currentPlan(state: WorkspaceState): { id: PlanId; interval: Interval | null } {
  const s = state.subscription;
  if (s && hasLiveSubscription(state) && s.planId) return { id: s.planId, interval: s.interval };
  return { id: 'essential', interval: null };
}

export function billingMode(state: WorkspaceState): BillingMode {
  const plan = currentPlan(state);
  if (PLANS[plan.id].purchase === 'sales_assisted') return 'sales_assisted';
  const status = billingStatus(state);
  if (status === 'past_due') return 'billing_recovery';
  if (state.checkout) return 'checkout_pending';
  return 'self_serve';
}

function remember<T>(list: T[], item: T, keep: number): T[] {
  return [...list, item].slice(-keep);
}

function closeCheckout(state: WorkspaceState, checkoutId: string): WorkspaceState {
  return {
    ...state,
    checkout: state.checkout?.id === checkoutId ? null : state.checkout,
    closedCheckoutIds: state.closedCheckoutIds.includes(checkoutId)
      ? state.closedCheckoutIds
      : remember(state.closedCheckoutIds, checkoutId, CLOSED_CHECKOUT_IDS_KEPT),
  };
}

/**
 * Whether a fact about subscription `id` at time `at` may replace the
 * current record. Facts about the current subscription apply in event order
 * (equal timestamps in arrival order); a different subscription replaces the
 * current one only when that one is over, or when it is newer and live.
 */
function mayApplyTo(state: WorkspaceState, id: string, at: number, live: boolean): boolean {
  const current = state.subscription;
  if (!current) return true;
  if (current.id === id) return current.fromCheckout === true || at >= current.lastFactAt;
  if (!hasLiveSubscription(state)) return live || at >= current.lastFactAt;
  return live && at > current.lastFactAt;
}

function applyFactUnchecked(state: WorkspaceState, fact: BillingFact): WorkspaceState {
  switch (fact.kind) {
    case 'checkout_expired':
      return closeCheckout(state, fact.checkoutId);
    case 'checkout_completed': {
      let next = closeCheckout(state, fact.checkoutId);
      next = { ...next, customerId: fact.customerId ?? next.customerId };
      if (!fact.subscriptionId) return next;
      const existing = next.subscription;
      if (existing?.id === fact.subscriptionId) {
        // Subscription events are authoritative for status; fill in what they lacked.
        return {
          ...next,
          subscription: {
            ...existing,
            planId: existing.planId ?? fact.planId,
            interval: existing.interval ?? fact.interval,
          },
        };
      }
      if (!mayApplyTo(next, fact.subscriptionId, fact.occurredAt, fact.paid)) return next;
      return {
        ...next,
        subscription: {
          id: fact.subscriptionId,
          status: fact.paid ? 'active' : 'incomplete',
          planId: fact.planId,
          interval: fact.interval,
          currentPeriodEnd: null,
          cancelAtPeriodEnd: false,
          // A checkout completion is older news than any event of the subscription itself.
          lastFactAt: fact.occurredAt - 1,
          fromCheckout: true,
        },
      };
    }
    case 'subscription_changed': {
      const live = ['active', 'past_due'].includes(subscriptionStatus(fact.status));
      if (!mayApplyTo(state, fact.subscriptionId, fact.occurredAt, live)) return state;
      const previous = state.subscription?.id === fact.subscriptionId ? state.subscription : null;
      let next: WorkspaceState = {
        ...state,
        customerId: fact.customerId ?? state.customerId,
        subscription: {
          id: fact.subscriptionId,
          status: fact.status,
          planId: fact.planId ?? previous?.planId ?? null,
          interval: fact.interval ?? previous?.interval ?? null,
          currentPeriodEnd: fact.currentPeriodEnd ?? previous?.currentPeriodEnd ?? null,
          cancelAtPeriodEnd: fact.cancelAtPeriodEnd,
          lastFactAt: fact.occurredAt,
        },
      };
      // The subscription exists, so whatever checkout produced it is done.
      if (live && next.checkout) next = closeCheckout(next, next.checkout.id);
      return next;
    }
  }
}

/** Equal in everything but bookkeeping (event ids seen, version). */
function sameBillingState(a: WorkspaceState, b: WorkspaceState): boolean {
  const strip = ({ recentEventIds: _r, version: _v, ...rest }: WorkspaceState) => rest;
  return JSON.stringify(strip(a)) === JSON.stringify(strip(b));
}

/**
 * Applies a Stripe fact. Duplicates (same event id) and facts about closed
 * checkouts or older than what is known change nothing: `version` moves
 * only when the billing state really changed.
 */
export function applyFact(state: WorkspaceState, fact: BillingFact): WorkspaceState {
  if (state.recentEventIds.includes(fact.eventId)) return state;
  const changed = applyFactUnchecked(state, fact);
  const recentEventIds = remember(state.recentEventIds, fact.eventId, RECENT_EVENT_IDS_KEPT);
  if (sameBillingState(changed, state)) return { ...state, recentEventIds };
  return { ...changed, recentEventIds, version: state.version + 1 };
}

/** The open checkout ends at its expiry time if no webhook closed it first. */
export function expireCheckoutIfDue(state: WorkspaceState, checkoutId: string, nowMs: number): WorkspaceState {
  const c = state.checkout;
  if (!c || c.id !== checkoutId || nowMs < c.expiresAt) return state;
  return { ...closeCheckout(state, checkoutId), version: state.version + 1 };
}

export function openCheckout(state: WorkspaceState, checkout: OpenCheckout, customerId: string): WorkspaceState {
  return { ...state, customerId, checkout, checkoutSeq: state.checkoutSeq + 1, version: state.version + 1 };
}
