// Plan changes without a second checkout: whether a change is allowed, when
// it takes effect, and what it is worth per month. Pure; nowMs is passed in.
import type { ErrorCode } from './errors';
import { currentPlan, evaluateState, hasLiveSubscription, type WorkspaceState } from './billing-state';
import { unpaidInvoiceView } from './invoices';
import { PLANS, type Interval, type PlanId } from './plans';
import type { PlanChangeRequest } from './schemas';

export type PlanChangeTiming = 'immediate' | 'period_end';

export type { PlanChangeRequest };

export type PlanChangeDecision =
  | { kind: 'reject'; code: ErrorCode; message: string; details?: Record<string, unknown> }
  | { kind: 'change'; timing: PlanChangeTiming; effectiveAt: number }
  | { kind: 'cancel'; timing: 'period_end'; effectiveAt: number };

/** Self-serve plans in ascending order of value. */
const RANK: Partial<Record<PlanId, number>> = { essential: 0, plus: 1, family: 2, business: 3 };

/**
 * `auto` timing: upgrades now, downgrades at the period end. A higher plan is
 * an upgrade whatever the interval; on the same plan, month → year is an
 * upgrade (Stripe bills a new interval at once anyway) and year → month waits.
 */
export function autoTiming(from: { id: PlanId; interval: Interval | null }, to: { id: PlanId; interval: Interval }): PlanChangeTiming {
  const a = RANK[from.id] ?? 0;
  const b = RANK[to.id] ?? 0;
  if (b !== a) return b > a ? 'immediate' : 'period_end';
  return to.interval === 'year' && from.interval === 'month' ? 'immediate' : 'period_end';
}

function reject(code: ErrorCode, message: string, details?: Record<string, unknown>): PlanChangeDecision {
  return { kind: 'reject', code, message, details };
}

/**
 * Whether a change may be previewed (`purpose: 'preview'`) or applied, and
 * when it takes effect, by the billing evaluation at nowMs. In order:
 * nothing to change without a live subscription; a grace window whose end
 * has passed refuses previews and changes at once (enforced_recovery), even
 * before the workflow recorded the expiry; Enterprise — as the target or as
 * the current plan — is sales-assisted; the same plan is no change; while in
 * billing recovery previews are shown but applying is refused until paid.
 */
export function decidePlanChange(
  state: WorkspaceState,
  request: PlanChangeRequest,
  nowMs: number,
  purpose: 'preview' | 'apply',
): PlanChangeDecision {
  if (!hasLiveSubscription(state)) {
    return reject('no_active_subscription', 'The workspace has no active subscription; start a checkout instead.');
  }
  const { mode } = evaluateState(state, nowMs);
  if (mode === 'enforced_recovery') {
    return reject('enforced_recovery', 'The grace period has expired: pay the outstanding invoice to restore billing.', { unpaidInvoice: unpaidInvoiceView(state.invoices) });
  }
  const target = PLANS[request.targetPlanId];
  if (target.purchase === 'sales_assisted') {
    return reject('sales_assisted', `${target.name} is sold through sales, not self-serve plan changes.`);
  }
  const current = currentPlan(state);
  if (PLANS[current.id].purchase === 'sales_assisted') {
    return reject('sales_assisted', `The workspace is on ${PLANS[current.id].name}: plan changes go through sales, not self-serve.`, {
      currentPlanId: current.id,
    });
  }
  if (current.id === request.targetPlanId && (request.targetPlanId === 'essential' || current.interval === request.interval)) {
    return reject('no_change', `The workspace is already on ${target.name} (${request.interval}ly).`);
  }
  if (purpose === 'apply' && mode === 'billing_recovery') {
    return reject(
      'payment_recovery_required',
      'The workspace has an unpaid invoice: pay it before changing plans.',
      { unpaidInvoice: unpaidInvoiceView(state.invoices) },
    );
  }
  const sub = state.subscription!;
  const periodEnd = sub.currentPeriodEnd;
  if (request.targetPlanId === 'essential') {
    if (periodEnd === null) return notSynced();
    return { kind: 'cancel', timing: 'period_end', effectiveAt: periodEnd };
  }
  if (!sub.itemId) return notSynced();
  const timing =
    !request.timing || request.timing === 'auto'
      ? autoTiming(current, { id: request.targetPlanId, interval: request.interval })
      : request.timing;
  if (timing === 'immediate') return { kind: 'change', timing, effectiveAt: nowMs };
  if (periodEnd === null) return notSynced();
  return { kind: 'change', timing, effectiveAt: periodEnd };
}

function notSynced(): PlanChangeDecision {
  return reject('subscription_not_synced', "The subscription's details have not arrived from Stripe yet; try again in a moment.");
}

/** A plan's price per month in twelfths of a cent (exact for yearly prices). */
function monthlyTwelfths(planId: PlanId, interval: Interval | null): number {
  const prices = PLANS[planId].prices;
  if (!prices || !interval) return 0;
  return interval === 'year' ? prices.year : prices.month * 12;
}

/**
 * Target minus current monthly-equivalent price, in integer cents. Yearly
 * prices are divided by 12 exactly (in twelfths of a cent) and the
 * difference is rounded once, half away from zero.
 */
export function monthlyEquivalentDeltaCents(
  from: { id: PlanId; interval: Interval | null },
  to: { id: PlanId; interval: Interval | null },
): number {
  const twelfths = monthlyTwelfths(to.id, to.interval) - monthlyTwelfths(from.id, from.interval);
  const cents = Math.floor((Math.abs(twelfths) + 6) / 12);
  return twelfths < 0 ? -cents : cents;
}

/**
 * A scheduled change is done when Stripe reports the subscription on the
 * target plan (or, for a cancellation, when the subscription has ended).
 */
export function settlePendingChange(state: WorkspaceState): WorkspaceState {
  const pending = state.pendingChange;
  if (!pending) return state;
  const sub = state.subscription;
  const done =
    !hasLiveSubscription(state) ||
    (pending.targetPlanId !== 'essential' && sub?.planId === pending.targetPlanId && sub.interval === pending.interval) ||
    (pending.targetPlanId === 'essential' && sub?.cancelAtPeriodEnd === false && sub.lastFactAt > pending.requestedAt);
  return done ? { ...state, pendingChange: null, version: state.version + 1 } : state;
}
