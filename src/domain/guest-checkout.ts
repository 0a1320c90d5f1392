// Guest checkout: a visitor without a workspace buys a plan with an email
// address; after the product app has verified their sign-in it claims the
// purchase into a workspace. The guest-checkout workflow keeps one
// GuestCheckoutState and changes it only through these pure rules.
//
// A guest's Stripe state is kept with the workspace rules (a WorkspaceState
// named `guest:<id>`): the same facts close its checkout and make its
// subscription live. Every fact is also kept verbatim until the claim, when
// the workspace workflow applies them itself (deduplicated by event id), so a
// payment that arrives before, during or after the claim counts exactly once.
import type { BillingFact } from './billing-facts';
import { applyFact, billingStatus, expireCheckoutIfDue, hasLiveSubscription, initialState, openCheckout, type OpenCheckout, type WorkspaceState } from './billing-state';
import type { ErrorCode } from './errors';
import type { z } from 'zod';
import type { claimResultSchema } from './response-schemas';
import type { ClaimRequest, GuestCheckoutRequest } from './schemas';
import { PLANS, type Interval, type PlanId } from './plans';

/** A claimed or lapsed guest checkout is kept this long (for repeated claims and late events), then its workflow ends. */
export const GUEST_CHECKOUT_RETENTION_MS = 7 * 86_400_000;

export type GuestCheckoutStatus = 'new' | 'open' | 'paid' | 'canceled' | 'expired' | 'claimed' | 'refused';

export type { ClaimRequest, GuestCheckoutRequest };

/** What the workspace answers a claim with (and what a repeated claim gets back). */
export type ClaimResult = z.infer<typeof claimResultSchema>;

/** The guest's billing state as handed to the workspace workflow by a claim. */
export interface GuestAttachment {
  guestCheckoutId: string;
  email: string;
  customerId: string;
  /** The hosted session while it is still open: the workspace carries it as its own open checkout. */
  checkout: OpenCheckout | null;
  subscriptionId: string | null;
  /** Every Stripe fact the guest received, oldest first. */
  facts: BillingFact[];
}

export interface GuestCheckoutState {
  checkoutId: string;
  request: GuestCheckoutRequest | null;
  /** The hosted session as created (kept after it closes, so a repeated start answers the same). */
  session: OpenCheckout | null;
  billing: WorkspaceState;
  /** Every Stripe fact received before the claim, oldest first (handed to the workspace). */
  facts: BillingFact[];
  refused: boolean;
  /**
   * A claim in flight, or one whose outcome is unknown (the workspace could
   * not be reached): only this workspace may claim until it is settled.
   */
  claiming: string | null;
  claim: ClaimResult | null;
  /** When a live subscription was first seen (workflow time). */
  paidAt: number | null;
  /** When the paid-but-unclaimed checkout was flagged for operators. */
  flaggedAt: number | null;
  /** When the checkout reached an end state (claimed, expired unpaid): its workflow ends a retention period later. */
  settledAt: number | null;
  createdAt: number;
  version: number;
}

export function initialGuestState(checkoutId: string, nowMs: number): GuestCheckoutState {
  return {
    checkoutId,
    request: null,
    session: null,
    billing: initialState(`guest:${checkoutId}`),
    facts: [],
    refused: false,
    claiming: null,
    claim: null,
    paidAt: null,
    flaggedAt: null,
    settledAt: null,
    createdAt: nowMs,
    version: 0,
  };
}

function bump(state: GuestCheckoutState, patch: Partial<GuestCheckoutState>): GuestCheckoutState {
  return { ...state, ...patch, version: state.version + 1 };
}

export function guestStatus(state: GuestCheckoutState): GuestCheckoutStatus {
  if (state.claim) return 'claimed';
  if (state.refused) return 'refused';
  if (hasLiveSubscription(state.billing)) return 'paid';
  if (state.billing.checkout) return 'open';
  if (state.billing.subscription) return 'canceled';
  return state.request && state.billing.closedCheckoutIds.length > 0 ? 'expired' : 'new';
}

/** The email a guest gave and the one the product app verified are the same address. */
export function sameEmail(a: string, b: string): boolean {
  return a.trim().toLowerCase() === b.trim().toLowerCase();
}

export type GuestCheckoutDecision =
  | { kind: 'create' }
  | { kind: 'reuse' }
  | { kind: 'reject'; code: ErrorCode; message: string };

/**
 * Whether this request may open the guest's checkout. The API gives each
 * request a fresh checkout id, or one derived from its Idempotency-Key: a
 * repeat of the same request gets the same session back (even once it
 * closed); other details under the same key are refused.
 */
export function decideGuestCheckout(state: GuestCheckoutState, request: GuestCheckoutRequest): GuestCheckoutDecision {
  const plan = PLANS[request.planId];
  if (plan.purchase === 'sales_assisted') {
    return { kind: 'reject', code: 'sales_assisted', message: `${plan.name} is sold through sales, not self-serve checkout.` };
  }
  if (plan.purchase === 'free') {
    return { kind: 'reject', code: 'not_purchasable', message: `${plan.name} is free and needs no checkout.` };
  }
  if (state.request === null) return { kind: 'create' };
  if (JSON.stringify(state.request) === JSON.stringify(request) && state.session) return { kind: 'reuse' };
  return {
    kind: 'reject',
    code: 'checkout_in_progress',
    message: `Guest checkout ${state.checkoutId} was already started with other details (an Idempotency-Key names one request).`,
  };
}

export function recordRefusal(state: GuestCheckoutState, request: GuestCheckoutRequest, nowMs: number): GuestCheckoutState {
  return bump(state, { request, refused: true, settledAt: nowMs });
}

export function recordSession(state: GuestCheckoutState, request: GuestCheckoutRequest, session: OpenCheckout, customerId: string): GuestCheckoutState {
  return bump(state, { request, session, billing: openCheckout(state.billing, session, customerId) });
}

/** A Stripe fact about the guest's customer, session, subscription or invoices, before any claim. */
export function applyGuestFact(state: GuestCheckoutState, fact: BillingFact, nowMs: number): GuestCheckoutState {
  if (state.facts.some((f) => f.eventId === fact.eventId)) return state;
  const billing = applyFact(state.billing, fact);
  const next = { ...state, billing, facts: [...state.facts, fact], version: state.version + 1 };
  return settle(next, nowMs);
}

/** The session's expiry time passed without a webhook saying so. */
export function expireGuestSessionIfDue(state: GuestCheckoutState, nowMs: number): GuestCheckoutState {
  const session = state.billing.checkout;
  if (!session) return state;
  const billing = expireCheckoutIfDue(state.billing, session.id, nowMs);
  return billing === state.billing ? state : settle(bump(state, { billing }), nowMs);
}

function settle(state: GuestCheckoutState, nowMs: number): GuestCheckoutState {
  const status = guestStatus(state);
  const paidAt = state.paidAt ?? (status === 'paid' ? nowMs : null);
  const settledAt = status === 'expired' ? (state.settledAt ?? nowMs) : status === 'claimed' ? state.settledAt : null;
  return paidAt === state.paidAt && settledAt === state.settledAt ? state : { ...state, paidAt, settledAt };
}

/** When a paid checkout nobody claimed is flagged for operators (null: nothing to flag). */
export function flagDueAt(state: GuestCheckoutState, flagAfterMs: number): number | null {
  if (state.claim || state.flaggedAt !== null || state.paidAt === null) return null;
  return state.paidAt + flagAfterMs;
}

export function flagIfDue(state: GuestCheckoutState, flagAfterMs: number, nowMs: number): GuestCheckoutState {
  const due = flagDueAt(state, flagAfterMs);
  return due !== null && nowMs >= due ? bump(state, { flaggedAt: nowMs }) : state;
}

export type ClaimDecision =
  | { kind: 'attach'; attachment: GuestAttachment }
  | { kind: 'done'; result: ClaimResult }
  | { kind: 'reject'; code: ErrorCode; message: string; details?: Record<string, unknown> };

/**
 * Whether `request` may claim the guest's billing state now. The email is
 * checked first, so someone who does not own the checkout learns nothing
 * else about it.
 */
export function decideClaim(state: GuestCheckoutState, request: ClaimRequest, nowMs: number): ClaimDecision {
  const email = state.request?.email;
  if (!email || !sameEmail(email, request.verifiedEmail)) {
    return { kind: 'reject', code: 'email_mismatch', message: 'The verified email is not the one this guest checkout was started with.' };
  }
  if (state.claim) {
    if (state.claim.workspaceId === request.workspaceId) return { kind: 'done', result: state.claim };
    return { kind: 'reject', code: 'already_claimed', message: 'This guest checkout was already claimed by another workspace.' };
  }
  if (state.claiming !== null && state.claiming !== request.workspaceId) {
    return { kind: 'reject', code: 'claim_in_progress', message: 'Another workspace is claiming this guest checkout; try again shortly.' };
  }
  const status = guestStatus(state);
  const session = state.billing.checkout;
  const customerId = state.billing.customerId;
  // A claim left pinned to this workspace is finished whatever happened since: the workspace may hold the state already.
  const finishing = state.claiming === request.workspaceId && customerId !== null;
  if (!finishing && (status === 'new' || status === 'expired' || status === 'refused' || !customerId)) {
    return {
      kind: 'reject',
      code: 'nothing_to_claim',
      message: status === 'expired' ? 'The guest checkout expired unpaid; there is nothing to claim.' : 'The guest checkout has no billing state to claim yet.',
      details: { status },
    };
  }
  return {
    kind: 'attach',
    attachment: {
      guestCheckoutId: state.checkoutId,
      email,
      customerId: customerId!,
      checkout: session && session.expiresAt > nowMs ? session : null,
      subscriptionId: state.billing.subscription?.id ?? null,
      facts: state.facts,
    },
  };
}

export function beginClaim(state: GuestCheckoutState, workspaceId: string): GuestCheckoutState {
  return bump(state, { claiming: workspaceId });
}

/** The workspace refused the claim (nothing changed there): anyone with the email may try again. */
export function abandonClaim(state: GuestCheckoutState): GuestCheckoutState {
  return bump(state, { claiming: null });
}

/** The workspace holds the guest's billing state now; facts that arrive later are forwarded to it. */
export function completeClaim(state: GuestCheckoutState, result: ClaimResult, nowMs: number): GuestCheckoutState {
  return bump(state, { claim: result, claiming: null, settledAt: nowMs });
}

export interface GuestCheckoutView {
  checkoutId: string;
  email: string | null;
  planId: PlanId | null;
  interval: Interval | null;
  status: GuestCheckoutStatus;
  billingStatus: string;
  stripeCustomerId: string | null;
  stripeCheckoutSessionId: string | null;
  stripeSubscriptionId: string | null;
  expiresAt: number | null;
  paidAt: number | null;
  flaggedAt: number | null;
  claimedWorkspaceId: string | null;
  claimedAt: number | null;
  createdAt: number;
  version: number;
}

/** The row operators list (and the webhook routes by). */
export function toGuestView(state: GuestCheckoutState): GuestCheckoutView {
  const session = state.billing.checkout;
  return {
    checkoutId: state.checkoutId,
    email: state.request?.email ?? null,
    planId: state.request?.planId ?? null,
    interval: state.request?.interval ?? null,
    status: guestStatus(state),
    billingStatus: billingStatus(state.billing),
    stripeCustomerId: state.billing.customerId,
    stripeCheckoutSessionId: state.session?.id ?? null,
    stripeSubscriptionId: state.billing.subscription?.id ?? null,
    expiresAt: session?.expiresAt ?? null,
    paidAt: state.paidAt,
    flaggedAt: state.flaggedAt,
    claimedWorkspaceId: state.claim?.workspaceId ?? null,
    claimedAt: state.claim ? Date.parse(state.claim.claimedAt) : null,
    createdAt: state.createdAt,
    version: state.version,
  };
}
