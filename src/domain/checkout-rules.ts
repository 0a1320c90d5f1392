// Whether a workspace may start a self-serve checkout, and whether an open
// one can be handed back instead of creating a second Stripe session.
import type { ErrorCode } from './errors';
import { billingStatus, currentPlan, evaluateState, firstPaymentPending, hasLiveSubscription, type OpenCheckout, type WorkspaceState } from './billing-state';
import { unpaidInvoiceView } from './invoices';
import { PLANS } from './plans';
import type { CheckoutRequest } from './schemas';

export type { CheckoutRequest };

export type CheckoutDecision =
  | { kind: 'reuse'; checkout: OpenCheckout }
  | { kind: 'create' }
  | { kind: 'reject'; code: ErrorCode; message: string; details?: Record<string, unknown> };

/**
 * Whether a checkout may start, by the billing evaluation at nowMs. In
 * order: Enterprise is sold by sales and Essential needs no checkout
 * (whatever the state); a workspace in billing or enforced recovery pays its
 * invoice first (409 payment_recovery_required, with the invoice) — a new
 * checkout would make a second subscription beside the unpaid one; a
 * workspace on Enterprise changes plans through sales; a live subscription
 * uses plan changes; an open checkout is handed back (same plan) or must
 * finish first; a subscription still waiting for its first payment is paid,
 * not bought again.
 */
export function decideCheckout(state: WorkspaceState, request: CheckoutRequest, nowMs: number): CheckoutDecision {
  const plan = PLANS[request.planId];
  if (plan.purchase === 'sales_assisted') {
    return { kind: 'reject', code: 'sales_assisted', message: `${plan.name} is sold through sales, not self-serve checkout.` };
  }
  if (plan.purchase === 'free') {
    return { kind: 'reject', code: 'not_purchasable', message: `${plan.name} is free and needs no checkout.` };
  }
  const { mode } = evaluateState(state, nowMs);
  if (mode === 'billing_recovery' || mode === 'enforced_recovery') {
    return recoveryRequired(state, 'The workspace has an unpaid invoice: pay it instead of starting a new checkout.');
  }
  const current = currentPlan(state);
  if (PLANS[current.id].purchase === 'sales_assisted') {
    return {
      kind: 'reject',
      code: 'sales_assisted',
      message: `The workspace is on ${PLANS[current.id].name}: plan changes go through sales, not self-serve checkout.`,
      details: { currentPlanId: current.id },
    };
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
  if (firstPaymentPending(state)) {
    return recoveryRequired(state, 'The workspace has a subscription waiting for its first payment: pay its invoice instead of starting a new checkout.');
  }
  return { kind: 'create' };
}

function recoveryRequired(state: WorkspaceState, message: string): CheckoutDecision {
  return {
    kind: 'reject',
    code: 'payment_recovery_required',
    message,
    details: { unpaidInvoice: unpaidInvoiceView(state.invoices), subscriptionId: state.subscription?.id ?? null },
  };
}
