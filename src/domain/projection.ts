// The read model the workflow's activities keep in PostgreSQL, and the
// /billing answer built from it. Pure: the activity writes what toProjection
// returns; the API renders what billingView returns.
import { evaluateProductionAccess, type AccessDecision } from './access';
import {
  billingMode,
  billingStatus,
  currentPlan,
  recoverySnapshot,
  unpaidHostedInvoice,
  type BillingMode,
  type BillingStatus,
  type RecoverySnapshot,
  type WorkspaceState,
} from './billing-state';
import type { Interval, PlanId } from './plans';

export interface UnpaidInvoice {
  id: string;
  amountDueCents: number;
  currency: string;
  hostedInvoiceUrl: string;
}

export interface PendingChange {
  targetPlanId: PlanId;
  interval: Interval;
  effectiveAt: string;
}

export interface BillingProjection {
  workspaceId: string;
  planId: PlanId;
  interval: Interval | null;
  status: BillingStatus;
  mode: BillingMode;
  currentPeriodEnd: number | null;
  stripeCustomerId: string | null;
  stripeSubscriptionId: string | null;
  checkout: { id: string; url: string; expiresAt: number } | null;
  grace: { startedAt: number; endsAt: number; expired: boolean } | null;
  unpaidInvoice: UnpaidInvoice | null;
  pendingChange: PendingChange | null;
  /** The state a workflow started afresh over this row continues from (absent in writes of older workflow code). */
  recovery?: RecoverySnapshot;
  version: number;
}

export function toProjection(state: WorkspaceState): BillingProjection {
  const plan = currentPlan(state);
  const checkout = state.checkout;
  const unpaid = unpaidHostedInvoice(state.invoices);
  return {
    workspaceId: state.workspaceId,
    planId: plan.id,
    interval: plan.interval,
    status: billingStatus(state),
    mode: billingMode(state),
    currentPeriodEnd: state.subscription?.currentPeriodEnd ?? null,
    stripeCustomerId: state.customerId,
    stripeSubscriptionId: state.subscription?.id ?? null,
    checkout: checkout ? { id: checkout.id, url: checkout.url, expiresAt: checkout.expiresAt } : null,
    grace: state.grace ? { startedAt: state.grace.startedAt, endsAt: state.grace.endsAt, expired: state.grace.expired } : null,
    unpaidInvoice: unpaid
      ? { id: unpaid.id, amountDueCents: unpaid.amountDueCents, currency: unpaid.currency, hostedInvoiceUrl: unpaid.hostedInvoiceUrl! }
      : null,
    pendingChange: state.pendingChange
      ? {
          targetPlanId: state.pendingChange.targetPlanId,
          interval: state.pendingChange.interval,
          effectiveAt: new Date(state.pendingChange.effectiveAt).toISOString(),
        }
      : null,
    recovery: recoverySnapshot(state),
    version: state.version,
  };
}

/** What an unknown workspace looks like: Essential, no subscription. */
export function essentialProjection(workspaceId: string): BillingProjection {
  return {
    workspaceId,
    planId: 'essential',
    interval: null,
    status: 'none',
    mode: 'self_serve',
    currentPeriodEnd: null,
    stripeCustomerId: null,
    stripeSubscriptionId: null,
    checkout: null,
    grace: null,
    unpaidInvoice: null,
    pendingChange: null,
    version: 0,
  };
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

export interface WalletSnapshot {
  balanceCents: number;
  minimumCents: number;
}

export function billingView(p: BillingProjection, wallet: WalletSnapshot) {
  const production: AccessDecision = evaluateProductionAccess({ planId: p.planId, mode: p.mode, wallet });
  return {
    workspaceId: p.workspaceId,
    plan: { id: p.planId, interval: p.interval },
    status: p.status,
    mode: p.mode,
    grace: p.grace ? { startedAt: iso(p.grace.startedAt), endsAt: iso(p.grace.endsAt), expired: p.grace.expired } : null,
    unpaidInvoice: p.unpaidInvoice,
    pendingChange: p.pendingChange,
    checkout: p.checkout ? { checkoutId: p.checkout.id, url: p.checkout.url, expiresAt: iso(p.checkout.expiresAt) } : null,
    currentPeriodEnd: iso(p.currentPeriodEnd),
    production: { allowed: production.allowed, reasons: production.reasons },
    wallet,
    stripe:
      p.stripeCustomerId || p.stripeSubscriptionId
        ? { customerId: p.stripeCustomerId, subscriptionId: p.stripeSubscriptionId }
        : null,
  };
}
export type BillingView = ReturnType<typeof billingView>;
