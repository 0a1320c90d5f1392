// Whether a workspace may start a self-serve checkout, and whether an open
// one can be handed back instead of creating a second Stripe session.
import type { ErrorCode } from './errors';
import { billingStatus, hasLiveSubscription, type OpenCheckout, type WorkspaceState } from './billing-state';
import { PLANS } from './plans';
import type { CheckoutRequest } from './schemas';

export type { CheckoutRequest };

export type CheckoutDecision =
  | { kind: 'reuse'; checkout: OpenCheckout }
  | { kind: 'create' }
  | { kind: 'reject'; code: ErrorCode; message: string; details?: Record<string, unknown> };

export function decideCheckout(state: WorkspaceState, request: CheckoutRequest, nowMs: number): CheckoutDecision {
  const plan = PLANS[request.planId];
  if (plan.purchase === 'sales_assisted') {
    return { kind: 'reject', code: 'sales_assisted', message: `${plan.name} is sold through sales, not self-serve checkout.` };
  }
  if (plan.purchase === 'free') {
    return { kind: 'reject', code: 'not_purchasable', message: `${plan.name} is free and needs no checkout.` };
  }
  if (hasLiveSubscription(state)) {
    return {
      kind: 'reject',
      code: 'subscription_active',
      message: 'The workspace already has a subscription; use plan changes instead of a new checkout.',
      details: { status: billingStatus(state), subscriptionId: state.subscription!.id },
    };
  }
  const open = state.checkout;
  if (open && nowMs < open.expiresAt) {
    if (open.planId === request.planId && open.interval === request.interval) return { kind: 'reuse', checkout: open };
    return {
      kind: 'reject',
      code: 'checkout_in_progress',
      message: `A checkout for ${open.planId}/${open.interval} is open until it completes or expires; resume it instead.`,
      details: { checkout: { checkoutId: open.id, url: open.url, expiresAt: new Date(open.expiresAt).toISOString() } },
    };
  }
  return { kind: 'create' };
}
