// The workspace's billing state and the pure rules that change it. The
// workflow keeps one WorkspaceState (plain JSON, carried across
// continue-as-new) and calls these functions; nothing here does I/O or reads
// a clock (callers pass nowMs).
import type { BillingFact, StripeSubscriptionStatus } from './billing-facts';
import { evaluateBilling, type BillingEvaluation, type BillingMode, type BillingSnapshot, type BillingStatus } from './billing-evaluation';
import { openGrace, type DunningPolicy, type GraceWindow } from './dunning';
import { applyInvoiceFact, failedAt, failedUnpaidInvoices, invoiceRecoveryFrom, lastPaidAt, unpaidHostedInvoice, type InvoiceRecord } from './invoices';
import { type Interval, type PlanId } from './plans';

export type { BillingMode, BillingStatus } from './billing-evaluation';

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
  /** The subscription item that carries the plan's price (plan changes update it). */
  itemId?: string | null;
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
  /**
   * When its Checkout completed with payment_status=unpaid (the first
   * payment is still owed); absent otherwise. Kept while Stripe's own events
   * about the subscription update the record.
   */
  checkoutUnpaidAt?: number;
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
  /** Recent invoices (bounded), for dunning and the unpaid-invoice view. */
  invoices: InvoiceRecord[];
  /** The past_due grace window, with absolute timestamps; null when none is open. */
  grace: GraceWindow | null;
  /**
   * When an operator ended the grace window as forgiven (workflow time):
   * delinquency evidence at or before it opens no window; only newer
   * evidence (a later failed attempt, a later past_due) does. Null if never.
   */
  graceWaivedAt: number | null;
  /** Request ids of recent operator actions (bounded): a repeated request is applied once. */
  operatorRequestIds: string[];
  /** A plan change scheduled for a later date (e.g. a downgrade at period end). */
  pendingChange: PendingPlanChange | null;
  /** Number of plan changes requested: part of idempotency keys. */
  planChangeSeq: number;
  /** Number of wallet top-up checkouts started: part of top-up ids and idempotency keys. */
  topUpSeq: number;
  /** Guest checkouts claimed into this workspace, with the answer each claim got (a repeat gets it again). */
  guestClaims: GuestClaimRecord[];
  /** Stripe customer and subscription ids whose metadata already names this workspace (set after guest claims). */
  taggedStripeIds: string[];
  /** Bumped on every change; the projection ignores writes older than it holds. */
  version: number;
}

export interface GuestClaimRecord {
  checkoutId: string;
  claimedAt: number;
  customerId: string;
  subscriptionId: string | null;
}

export interface PendingPlanChange {
  targetPlanId: PlanId;
  interval: Interval;
  effectiveAt: number;
  /** Sequence number of the request that scheduled it (idempotency keys of requests without a request id). */
  seq: number;
  /** The request id of the request that scheduled it (its Stripe idempotency keys derive from it). */
  requestId?: string;
  /** Workflow time of the request. */
  requestedAt: number;
  /** Why applying it in Stripe failed, if it did; it stays pending for an operator. */
  lastError?: string;
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
  };
}

/** Fills fields added after a state was saved (continue-as-new of an older run). */
export function normalizeState(state: WorkspaceState): WorkspaceState {
  return { ...initialState(state.workspaceId), ...state };
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

/**
 * Whether the workspace owes money it failed to pay: its subscription says
 * past_due (and no payment of that subscription is newer than that), or a
 * collection attempt of an unpaid invoice failed after the subscription last
 * said it was active.
 * Paid invoices are final, so no order of events can keep a paid workspace
 * delinquent or make an unpaid one look paid.
 */
export function isDelinquent(state: WorkspaceState): boolean {
  return delinquencyEvidence(state).length > 0;
}

/**
 * The facts that make the workspace delinquent, with the time each shows it
 * began: the subscription's past_due (unless one of its invoices was paid
 * since) and the failed attempts of unpaid invoices not superseded by a newer
 * "active" of the subscription.
 */
function delinquencyEvidence(state: WorkspaceState): { at: number; paidSince: boolean }[] {
  const s = state.subscription;
  if (!s || !hasLiveSubscription(state)) return [];
  // Only a payment of this subscription settles its past_due (not, say, a one-off invoice).
  const paidAt = lastPaidAt(state.invoices.filter((i) => i.subscriptionId === s.id));
  const evidence: { at: number; paidSince: boolean }[] = [];
  if (subscriptionStatus(s.status) === 'past_due' && s.lastFactAt > paidAt) evidence.push({ at: s.lastFactAt, paidSince: false });
  const subscriptionActive = subscriptionStatus(s.status) === 'active';
  for (const i of failedUnpaidInvoices(state.invoices, s.id)) {
    // An "active" strictly newer than the failure supersedes it; in the same
    // second the failure wins, so a tie can never unblock an unpaid invoice.
    if (subscriptionActive && i.lastFactAt < s.lastFactAt) continue;
    const at = failedAt(i) ?? i.lastFactAt;
    evidence.push({ at, paidSince: at < paidAt });
  }
  return evidence;
}

export function billingStatus(state: WorkspaceState): BillingStatus {
  if (hasLiveSubscription(state)) return isDelinquent(state) ? 'past_due' : 'active';
  if (state.checkout) return 'incomplete';
  if (state.subscription) return subscriptionStatus(state.subscription.status);
  return 'none';
}

export function currentPlan(state: WorkspaceState): { id: PlanId; interval: Interval | null } {
  const s = state.subscription;
  if (s && hasLiveSubscription(state) && s.planId) return { id: s.planId, interval: s.interval };
  return { id: 'essential', interval: null };
}

/**
 * From when the workspace's unpaid invoices put it in billing recovery (null:
 * they do not, whatever the time), by the definition of "still has an unpaid
 * hosted invoice": an invoice whose collection failed (and the subscription
 * did not become active since), that needs the customer to act, or that was
 * written off; a send_invoice invoice from its due date; a subscription whose
 * Checkout completed unpaid, while it is still incomplete and none of its
 * invoices is paid. An invoice merely finalized and not yet due or attempted
 * is not a recovery.
 */
export function invoiceRecoveryAt(state: WorkspaceState): number | null {
  const s = state.subscription;
  // A failed attempt older than the subscription's "active" was recovered (Stripe
  // reactivates a past_due subscription when its invoice is paid).
  const superseded = (i: InvoiceRecord) =>
    s !== null && subscriptionStatus(s.status) === 'active' && (i.subscriptionId ?? s.id) === s.id && i.lastFactAt < s.lastFactAt;
  const times = state.invoices.map((i) => invoiceRecoveryFrom(i, superseded(i))).filter((t): t is number => t !== null);
  if (s?.checkoutUnpaidAt !== undefined && ['incomplete', 'unpaid'].includes(s.status)) {
    const firstPaid = state.invoices.some((i) => i.subscriptionId === s.id && i.status === 'paid');
    if (!firstPaid) times.push(s.checkoutUnpaidAt);
  }
  return times.length > 0 ? Math.min(...times) : null;
}

/**
 * The latest instant the state has evidence of (its newest fact or workflow
 * action): "now" as far as the state alone can tell, used when no clock is
 * given. It is never later than the real now, so a mode evaluated at it is
 * never ahead of the clock.
 */
export function asOfMs(state: WorkspaceState): number {
  const times = [
    state.subscription?.lastFactAt ?? 0,
    state.subscription?.checkoutUnpaidAt ?? 0,
    ...state.invoices.map((i) => i.lastFactAt),
    state.grace?.startedAt ?? 0,
    state.grace?.extendedAt ?? 0,
    state.graceWaivedAt ?? 0,
    state.pendingChange?.requestedAt ?? 0,
    ...state.guestClaims.map((c) => c.claimedAt),
  ];
  return Math.max(0, ...times);
}

/** The recorded facts the billing evaluation needs, from the workflow's state. */
export function billingSnapshot(state: WorkspaceState): BillingSnapshot {
  const grace = state.grace;
  return {
    planId: currentPlan(state).id,
    status: billingStatus(state),
    grace: grace ? { startedAt: grace.startedAt, endsAt: grace.endsAt, expired: grace.expired } : null,
    invoiceRecoveryAt: invoiceRecoveryAt(state),
    checkoutExpiresAt: state.checkout?.expiresAt ?? null,
  };
}

/** The billing evaluation of the state at nowMs (default: as of its newest fact). */
export function evaluateState(state: WorkspaceState, nowMs: number = asOfMs(state)): BillingEvaluation {
  return evaluateBilling(billingSnapshot(state), nowMs);
}

/** Whether payment recovery is needed at nowMs (default: as of the state's newest fact): past_due, or an unpaid invoice that needs the customer. */
export function needsPaymentRecovery(state: WorkspaceState, nowMs: number = asOfMs(state)): boolean {
  if (isDelinquent(state)) return true;
  const at = invoiceRecoveryAt(state);
  return at !== null && nowMs >= at;
}

export function billingMode(state: WorkspaceState, nowMs: number = asOfMs(state)): BillingMode {
  return evaluateState(state, nowMs).mode;
}

/**
 * A subscription waiting for its first payment (Stripe's `incomplete`): a
 * new checkout would make a second subscription beside it.
 */
export function firstPaymentPending(state: WorkspaceState): boolean {
  return state.subscription?.status === 'incomplete';
}

function remember<T>(list: T[], item: T, keep: number): T[] {
  return [...list, item].slice(-keep);
}

export function closeCheckout(state: WorkspaceState, checkoutId: string): WorkspaceState {
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
      const unpaid = !fact.paid ? { checkoutUnpaidAt: fact.occurredAt } : {};
      if (existing?.id === fact.subscriptionId) {
        // Subscription events are authoritative for status; fill in what they lacked.
        return {
          ...next,
          subscription: {
            ...existing,
            planId: existing.planId ?? fact.planId,
            interval: existing.interval ?? fact.interval,
            ...(existing.checkoutUnpaidAt === undefined && unpaid),
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
          ...unpaid,
        },
      };
    }
    case 'subscription_changed': {
      const live = ['active', 'past_due'].includes(subscriptionStatus(fact.status));
      if (!mayApplyTo(state, fact.subscriptionId, fact.occurredAt, live)) return state;
      const previous = state.subscription?.id === fact.subscriptionId ? state.subscription : null;
      let next: WorkspaceState = {
        ...state,
        // A Stripe subscription never changes customer: news naming another one for the subscription we
        // know (a stand-in's fixture, a stale copy) does not move the workspace to that customer.
        customerId: previous && state.customerId ? state.customerId : (fact.customerId ?? state.customerId),
        subscription: {
          id: fact.subscriptionId,
          status: fact.status,
          planId: fact.planId ?? previous?.planId ?? null,
          interval: fact.interval ?? previous?.interval ?? null,
          itemId: fact.itemId ?? previous?.itemId ?? null,
          currentPeriodEnd: fact.currentPeriodEnd ?? previous?.currentPeriodEnd ?? null,
          cancelAtPeriodEnd: fact.cancelAtPeriodEnd,
          lastFactAt: fact.occurredAt,
          ...(previous?.checkoutUnpaidAt !== undefined && { checkoutUnpaidAt: previous.checkoutUnpaidAt }),
        },
      };
      // The subscription exists, so whatever checkout produced it is done.
      if (live && next.checkout) next = closeCheckout(next, next.checkout.id);
      return next;
    }
    case 'invoice_changed':
      return { ...state, invoices: applyInvoiceFact(state.invoices, fact) };
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

/**
 * When the workspace fell behind on payment, by the evidence its state holds
 * (null when it is not delinquent): the earliest failed attempt or past_due
 * that no payment of the subscription came after (or, failing that, the
 * earliest at all). Derived from the state, not from the fact at hand, so
 * neither delivery order nor a stale event (an old subscription.created,
 * checkout completion or invoice.paid) can move the window.
 */
function delinquencyEvidenceAt(state: WorkspaceState): number | null {
  const waivedAt = state.graceWaivedAt ?? null;
  const evidence = delinquencyEvidence(state).filter((e) => waivedAt === null || e.at > waivedAt);
  const current = evidence.filter((e) => !e.paidSince);
  const times = (current.length > 0 ? current : evidence).map((e) => e.at);
  return times.length > 0 ? Math.min(...times) : null;
}

/**
 * Opens the grace window when the workspace becomes delinquent and closes it
 * when it is not any more (payment arrived, or the subscription ended). The
 * window starts at the earliest evidence of delinquency, so the order in
 * which its events arrive does not move it; an expired window stays put.
 */
export function reconcileGrace(state: WorkspaceState, policy: DunningPolicy): WorkspaceState {
  const startAt = delinquencyEvidenceAt(state);
  const grace = state.grace;
  if (startAt === null) return grace ? { ...state, grace: null, version: state.version + 1 } : state;
  if (!grace) return { ...state, grace: openGrace(startAt, policy), version: state.version + 1 };
  if (!grace.expired && startAt < grace.startedAt) {
    const reopened = openGrace(startAt, policy);
    // An end an operator chose stays, unless the new evidence gives a later one.
    const endsAt = grace.extendedAt === undefined ? reopened.endsAt : Math.max(reopened.endsAt, grace.endsAt);
    return { ...state, grace: { ...grace, ...reopened, endsAt, remindersSent: grace.remindersSent }, version: state.version + 1 };
  }
  return state;
}

/** applyFact, then the dunning consequences of the new state. */
export function applyBillingFact(state: WorkspaceState, fact: BillingFact, policy: DunningPolicy): WorkspaceState {
  return reconcileGrace(applyFact(state, fact), policy);
}

/**
 * The grace window expires at its recorded end if payment did not arrive. A
 * window the state no longer justifies (e.g. one kept from a state saved by
 * older rules) is closed instead of left open: its end is "due" forever.
 */
export function expireGraceIfDue(state: WorkspaceState, nowMs: number): WorkspaceState {
  const grace = state.grace;
  if (!grace || grace.expired || nowMs < grace.endsAt) return state;
  if (!isDelinquent(state)) return { ...state, grace: null, version: state.version + 1 };
  return { ...state, grace: { ...grace, expired: true }, version: state.version + 1 };
}

export function markRemindersSent(state: WorkspaceState, offsets: number[]): WorkspaceState {
  const grace = state.grace;
  if (!grace || offsets.every((o) => grace.remindersSent.includes(o))) return state;
  const remindersSent = [...new Set([...grace.remindersSent, ...offsets])].sort((a, b) => a - b);
  return { ...state, grace: { ...grace, remindersSent }, version: state.version + 1 };
}

export { unpaidHostedInvoice };

/** The open checkout ends at its expiry time if no webhook closed it first. */
export function expireCheckoutIfDue(state: WorkspaceState, checkoutId: string, nowMs: number): WorkspaceState {
  const c = state.checkout;
  if (!c || c.id !== checkoutId || nowMs < c.expiresAt) return state;
  return { ...closeCheckout(state, checkoutId), version: state.version + 1 };
}

export function openCheckout(state: WorkspaceState, checkout: OpenCheckout, customerId: string): WorkspaceState {
  return { ...state, customerId, checkout, checkoutSeq: state.checkoutSeq + 1, version: state.version + 1 };
}

/**
 * What the projection row keeps of the state so that a workflow started
 * afresh over it (after the old one was terminated) continues where the old
 * one left off: everything but the bounded bookkeeping lists, and of the
 * invoices only the unsettled ones and the newest settled ones (dunning and
 * the unpaid-invoice view need no more).
 */
export type RecoverySnapshot = Omit<WorkspaceState, 'recentEventIds' | 'closedCheckoutIds' | 'operatorRequestIds'>;

const SETTLED_INVOICES_RECOVERED = 2;

export function recoverySnapshot(state: WorkspaceState): RecoverySnapshot {
  const { recentEventIds: _events, closedCheckoutIds: _checkouts, operatorRequestIds: _requests, ...rest } = state;
  const settled = state.invoices.filter((i) => i.status === 'paid' || i.status === 'void').sort((a, b) => b.lastFactAt - a.lastFactAt);
  const keep = new Set(settled.slice(0, SETTLED_INVOICES_RECOVERED).map((i) => i.id));
  return { ...rest, invoices: state.invoices.filter((i) => !(i.status === 'paid' || i.status === 'void') || keep.has(i.id)) };
}

export function restoreState(workspaceId: string, snapshot: RecoverySnapshot): WorkspaceState {
  return normalizeState({ ...initialState(workspaceId), ...snapshot, workspaceId });
}
