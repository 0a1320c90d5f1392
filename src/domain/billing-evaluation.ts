// The one evaluation of a workspace's billing mode, grace window and
// production access, from a snapshot of its recorded facts at a given time.
// The workflow uses it for what it writes and what it refuses (at its
// Date.now()); /billing and /access use it on the snapshot they read from
// PostgreSQL at the request's time. Pure: nothing here reads a clock.
import { evaluateProductionAccess, type AccessDecision, type ProjectStanding, type SpendBlock } from './access';
import { PLANS, type PlanId } from './plans';

export type BillingStatus = 'none' | 'incomplete' | 'active' | 'past_due' | 'canceled';
export const BILLING_MODES = ['self_serve', 'checkout_pending', 'billing_recovery', 'enforced_recovery', 'sales_assisted'] as const;
export type BillingMode = (typeof BILLING_MODES)[number];

/** The recorded facts the mode depends on; every time in it is absolute (epoch ms). */
export interface BillingSnapshot {
  /** The plan the workspace is entitled to (Essential without a live subscription). */
  planId: PlanId;
  status: BillingStatus;
  /** The past_due grace window; `expired` is what the workflow recorded (it may lag the clock). */
  grace: { startedAt: number; endsAt: number; expired: boolean } | null;
  /**
   * From when an unpaid invoice puts the workspace in billing recovery (a
   * failed or action-required payment, an uncollectible invoice, a Checkout
   * completed unpaid, or a send_invoice invoice's due date); null when none does.
   */
  invoiceRecoveryAt: number | null;
  /** Expiry of the open hosted checkout; null when none is open. */
  checkoutExpiresAt: number | null;
}

export interface GraceView {
  startedAt: number;
  endsAt: number;
  /** Recorded as expired by the workflow, or its end has passed by the clock. */
  expired: boolean;
}

export interface BillingEvaluation {
  mode: BillingMode;
  grace: GraceView | null;
}

/**
 * The mode at nowMs. Recovery wins over every other mode: a grace window
 * whose end has passed (recorded or not) is enforced_recovery; past_due, or
 * an unpaid invoice that needs the customer, is billing_recovery — for
 * Enterprise too. Then Enterprise is sales_assisted, an open checkout is
 * checkout_pending, anything else self_serve.
 */
export function evaluateBilling(s: BillingSnapshot, nowMs: number): BillingEvaluation {
  const grace = s.grace ? { startedAt: s.grace.startedAt, endsAt: s.grace.endsAt, expired: s.grace.expired || nowMs >= s.grace.endsAt } : null;
  return { mode: modeOf(s, grace, nowMs), grace };
}

function modeOf(s: BillingSnapshot, grace: GraceView | null, nowMs: number): BillingMode {
  if (grace?.expired) return 'enforced_recovery';
  if (s.status === 'past_due' || (s.invoiceRecoveryAt !== null && nowMs >= s.invoiceRecoveryAt)) return 'billing_recovery';
  if (PLANS[s.planId].purchase === 'sales_assisted') return 'sales_assisted';
  if (s.checkoutExpiresAt !== null && nowMs < s.checkoutExpiresAt) return 'checkout_pending';
  return 'self_serve';
}

/** Everything the read side knows about a workspace, read at one instant (one SQL statement). */
export interface WorkspaceSnapshot {
  billing: BillingSnapshot;
  wallet: { balanceCents: number; minimumCents: number };
  /** Business spend control; null when none is set. */
  spendControl: SpendBlock | null;
}

export interface WorkspaceEvaluation extends BillingEvaluation {
  production: AccessDecision;
}

/**
 * The mode, the grace window and production access of a workspace at nowMs:
 * /billing shows exactly this and /access answers exactly this (with the
 * asked-for project's standing), so the dashboard never says "allowed" while
 * the gate refuses.
 */
export function evaluateWorkspace(s: WorkspaceSnapshot, nowMs: number, project?: ProjectStanding): WorkspaceEvaluation {
  const billing = evaluateBilling(s.billing, nowMs);
  const production = evaluateProductionAccess({
    planId: s.billing.planId,
    mode: billing.mode,
    wallet: s.wallet,
    spendControl: s.spendControl,
    nowMs,
    project,
  });
  return { ...billing, production };
}
