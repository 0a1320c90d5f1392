// The production-readiness rule of the pricing page, as a pure function:
// production traffic needs a production-capable plan, wallet credit at or
// above the minimum runtime threshold, and no enforced recovery. Every
// failing reason is listed. (Project limits and spend caps join here when
// metering lands.)
import type { BillingMode } from './billing-state';
import { PLANS, type PlanId } from './plans';

export type AccessReason = 'plan_not_production_capable' | 'wallet_below_minimum' | 'enforced_recovery';

export interface AccessDecision {
  allowed: boolean;
  reasons: AccessReason[];
}

export function evaluateProductionAccess(input: {
  planId: PlanId;
  mode: BillingMode;
  wallet: { balanceCents: number; minimumCents: number };
}): AccessDecision {
  const reasons: AccessReason[] = [];
  if (!PLANS[input.planId].productionKeys) reasons.push('plan_not_production_capable');
  if (input.wallet.balanceCents < input.wallet.minimumCents) reasons.push('wallet_below_minimum');
  if (input.mode === 'enforced_recovery') reasons.push('enforced_recovery');
  return { allowed: reasons.length === 0, reasons };
}

/**
 * The gateway's question: may this traffic run? Non-production environments
 * are always allowed; production needs every condition above. While a grace
 * window is open (or has expired) its end is part of the answer.
 */
export function accessAnswer(input: {
  environment: 'production' | 'sandbox' | 'staging' | 'console';
  planId: PlanId;
  mode: BillingMode;
  wallet: { balanceCents: number; minimumCents: number };
  graceEndsAt: number | null;
}): AccessDecision & { graceEndsAt?: string } {
  const decision: AccessDecision =
    input.environment === 'production' ? evaluateProductionAccess(input) : { allowed: true, reasons: [] };
  return input.graceEndsAt === null ? decision : { ...decision, graceEndsAt: new Date(input.graceEndsAt).toISOString() };
}
