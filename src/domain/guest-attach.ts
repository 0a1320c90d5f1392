// The workspace side of a guest claim: whether the workspace may take over a
// guest's billing state, and what taking it over changes. Pure; the
// workspace workflow applies the guest's facts itself afterwards (with the
// usual deduplication by event id and the dunning rules).
import { billingStatus, closeCheckout, currentPlan, hasLiveSubscription, type GuestClaimRecord, type WorkspaceState } from './billing-state';
import type { ErrorCode } from './errors';
import type { ClaimResult, GuestAttachment } from './guest-checkout';

const GUEST_CLAIMS_KEPT = 20;

export type AttachDecision =
  | { kind: 'attach'; expireOwnCheckoutId: string | null }
  | { kind: 'done'; result: ClaimResult }
  | { kind: 'reject'; code: ErrorCode; message: string; details?: Record<string, unknown> };

export function claimResultOf(state: WorkspaceState, record: GuestClaimRecord): ClaimResult {
  return {
    checkoutId: record.checkoutId,
    workspaceId: state.workspaceId,
    status: billingStatus(state),
    plan: currentPlan(state),
    stripe: { customerId: record.customerId, subscriptionId: state.subscription?.id ?? record.subscriptionId },
    claimedAt: new Date(record.claimedAt).toISOString(),
  };
}

/**
 * A workspace that already pays for a subscription other than the guest's
 * refuses the claim (both are named, nothing changes). A checkout the
 * workspace opened itself is expired at Stripe first, so the guest's
 * purchase cannot be followed by a second subscription.
 */
export function decideAttach(state: WorkspaceState, attachment: GuestAttachment, nowMs: number): AttachDecision {
  const known = state.guestClaims.find((c) => c.checkoutId === attachment.guestCheckoutId);
  if (known) return { kind: 'done', result: claimResultOf(state, known) };
  const own = state.subscription;
  if (own && hasLiveSubscription(state) && own.id !== attachment.subscriptionId) {
    return {
      kind: 'reject',
      code: 'workspace_already_subscribed',
      message: `Workspace ${state.workspaceId} already pays for subscription ${own.id}; the guest checkout's ${attachment.subscriptionId ? `subscription ${attachment.subscriptionId}` : 'purchase'} was not attached.`,
      details: { workspaceSubscriptionId: own.id, guestSubscriptionId: attachment.subscriptionId, guestCheckoutId: attachment.guestCheckoutId },
    };
  }
  const open = state.checkout;
  const expireOwn = open && open.expiresAt > nowMs && open.id !== attachment.checkout?.id ? open.id : null;
  return { kind: 'attach', expireOwnCheckoutId: expireOwn };
}

/**
 * Takes over the guest's customer (and its still-open session, if unpaid).
 * `closedOwnCheckoutId` is the workspace's own session that was expired for it.
 */
export function attachGuest(state: WorkspaceState, attachment: GuestAttachment, closedOwnCheckoutId: string | null, nowMs: number): WorkspaceState {
  let next = closedOwnCheckoutId ? closeCheckout(state, closedOwnCheckoutId) : state;
  const session = attachment.checkout && attachment.checkout.expiresAt > nowMs ? attachment.checkout : null;
  next = {
    ...next,
    customerId: attachment.customerId,
    checkout: session ?? next.checkout,
    guestClaims: [
      ...next.guestClaims,
      { checkoutId: attachment.guestCheckoutId, claimedAt: nowMs, customerId: attachment.customerId, subscriptionId: attachment.subscriptionId },
    ].slice(-GUEST_CLAIMS_KEPT),
  };
  return { ...next, version: state.version + 1 };
}

/** Stripe objects of a claimed guest whose metadata does not name the workspace yet. */
export function untaggedStripeIds(state: WorkspaceState): { customerId: string | null; subscriptionId: string | null } | null {
  if (state.guestClaims.length === 0) return null;
  const pending = (id: string | null | undefined) => (id && !state.taggedStripeIds.includes(id) ? id : null);
  const customerId = pending(state.customerId);
  const subscriptionId = pending(state.subscription?.id);
  return customerId || subscriptionId ? { customerId, subscriptionId } : null;
}

export function markTagged(state: WorkspaceState, ids: string[]): WorkspaceState {
  const fresh = ids.filter((id) => !state.taggedStripeIds.includes(id));
  if (fresh.length === 0) return state;
  return { ...state, taggedStripeIds: [...state.taggedStripeIds, ...fresh].slice(-GUEST_CLAIMS_KEPT * 2) };
}

export function claimRecordOf(state: WorkspaceState, checkoutId: string): GuestClaimRecord | undefined {
  return state.guestClaims.find((c) => c.checkoutId === checkoutId);
}
