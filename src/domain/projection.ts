// The read model the workflow's activities keep in PostgreSQL, and the
// /billing answer built from it. Pure: the activity writes what toProjection
// returns; the API renders what billingView returns — the mode, grace window
// and production access evaluated at the request's time from the recorded
// facts (evaluateWorkspace), exactly as /access evaluates them.
import type { SpendBlock } from './access';
import { evaluateWorkspace, type BillingMode, type BillingSnapshot, type BillingStatus } from './billing-evaluation';
import { billingSnapshot, currentPlan, evaluateState, recoverySnapshot, type RecoverySnapshot, type WorkspaceState } from './billing-state';
import { unpaidInvoiceView, type UnpaidInvoice } from './invoices';
import type { Interval, PlanId } from './plans';

export type { UnpaidInvoice } from './invoices';

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
  /** The mode as of the projection's facts (for operators and search attributes); readers evaluate it again at their own time. */
  mode: BillingMode;
  currentPeriodEnd: number | null;
  stripeCustomerId: string | null;
  stripeSubscriptionId: string | null;
  checkout: { id: string; url: string; expiresAt: number } | null;
  grace: { startedAt: number; endsAt: number; expired: boolean } | null;
  /** From when unpaid invoices put the workspace in billing recovery (see invoiceRecoveryAt); null when they do not. */
  invoiceRecoveryAt: number | null;
  unpaidInvoice: UnpaidInvoice | null;
  pendingChange: PendingChange | null;
  /** The state a workflow started afresh over this row continues from (absent in writes of older workflow code). */
  recovery?: RecoverySnapshot;
  version: number;
}

/**
 * The projection of the state, its mode and grace evaluated at nowMs
 * (default: as of the state's newest fact — the workflow writes it after
 * every change, and readers evaluate the recorded facts again at their time).
 */
export function toProjection(state: WorkspaceState, nowMs?: number): BillingProjection {
  const plan = currentPlan(state);
  const checkout = state.checkout;
  const snapshot = billingSnapshot(state);
  const evaluation = evaluateState(state, nowMs);
  return {
    workspaceId: state.workspaceId,
    planId: plan.id,
    interval: plan.interval,
    status: snapshot.status,
    mode: evaluation.mode,
    currentPeriodEnd: state.subscription?.currentPeriodEnd ?? null,
    stripeCustomerId: state.customerId,
    stripeSubscriptionId: state.subscription?.id ?? null,
    checkout: checkout ? { id: checkout.id, url: checkout.url, expiresAt: checkout.expiresAt } : null,
    grace: evaluation.grace,
    invoiceRecoveryAt: snapshot.invoiceRecoveryAt,
    unpaidInvoice: unpaidInvoiceView(state.invoices),
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
    invoiceRecoveryAt: null,
    unpaidInvoice: null,
    pendingChange: null,
    version: 0,
  };
}

/** The recorded facts of a stored projection, as the billing evaluation takes them. */
export function projectionSnapshot(p: BillingProjection): BillingSnapshot {
  return {
    planId: p.planId,
    status: p.status,
    grace: p.grace,
    invoiceRecoveryAt: p.invoiceRecoveryAt,
    checkoutExpiresAt: p.checkout?.expiresAt ?? null,
  };
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

export interface WalletSnapshot {
  balanceCents: number;
  minimumCents: number;
}

/** What /billing reads in one statement: the projection, the wallet and the spend control. */
export interface BillingReadSnapshot {
  projection: BillingProjection;
  wallet: WalletSnapshot;
  spendControl: SpendBlock | null;
}

/** The /billing answer at nowMs: mode, grace and production from the same evaluation /access uses. */
export function billingView({ projection: p, wallet, spendControl }: BillingReadSnapshot, nowMs: number) {
  const evaluation = evaluateWorkspace({ billing: projectionSnapshot(p), wallet, spendControl }, nowMs);
  return {
    workspaceId: p.workspaceId,
    plan: { id: p.planId, interval: p.interval },
    status: p.status,
    mode: evaluation.mode,
    grace: evaluation.grace
      ? { startedAt: iso(evaluation.grace.startedAt), endsAt: iso(evaluation.grace.endsAt), expired: evaluation.grace.expired }
      : null,
    unpaidInvoice: p.unpaidInvoice,
    pendingChange: p.pendingChange,
    checkout: p.checkout ? { checkoutId: p.checkout.id, url: p.checkout.url, expiresAt: iso(p.checkout.expiresAt) } : null,
    currentPeriodEnd: iso(p.currentPeriodEnd),
    production: { allowed: evaluation.production.allowed, reasons: evaluation.production.reasons },
    wallet,
    stripe:
      p.stripeCustomerId || p.stripeSubscriptionId
        ? { customerId: p.stripeCustomerId, subscriptionId: p.stripeSubscriptionId }
        : null,
  };
}
export type BillingView = ReturnType<typeof billingView>;
