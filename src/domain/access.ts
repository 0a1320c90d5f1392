// The production-readiness rule of the pricing page, as a pure function:
// production traffic needs a production-capable plan, wallet credit at or
// above the minimum runtime threshold, no enforced recovery, a project that
// is one of the plan's production projects, and (Business) a spend cap that
// does not block. Every failing reason is listed, in a stable order.
import type { BillingMode, WorkspaceEvaluation } from './billing-evaluation';
import { PLANS, type PlanId } from './plans';
import { monthKey } from './spend-rules';

export const ACCESS_REASONS = [
  'plan_not_production_capable',
  'wallet_below_minimum',
  'enforced_recovery',
  'project_limit',
  'spend_cap_reached',
] as const;
export type AccessReason = (typeof ACCESS_REASONS)[number];

export interface AccessDecision {
  allowed: boolean;
  reasons: AccessReason[];
}

/** The Business spend control as the gate needs it (the wallet workflow keeps blockedMonth current). */
export interface SpendBlock {
  action: string;
  /** UTC month ("YYYY-MM") in which the monthly cap blocks; null when it does not. */
  blockedMonth: string | null;
}

/** Where the asked-for project stands among the workspace's production projects. */
export interface ProjectStanding {
  /**
   * 0-based position of the project among the workspace's production
   * projects in the order they were first allowed; null when it is not one.
   */
  rank: number | null;
  /** How many production projects the workspace has. */
  count: number;
}

export interface ProductionAccessInput {
  planId: PlanId;
  /** The mode at nowMs (evaluateBilling: a grace window whose end has passed is already enforced_recovery). */
  mode: BillingMode;
  wallet: { balanceCents: number; minimumCents: number };
  nowMs?: number;
  /** Business spend control; needs nowMs. Absent or null: no cap. */
  spendControl?: SpendBlock | null;
  /** Evaluated only when given (the /billing view has no project). */
  project?: ProjectStanding;
}

/** UTC calendar month of an instant, "YYYY-MM" (the wallet workflow's month key). */
export const utcMonth: (nowMs: number) => string = monthKey;

/** Number of production projects of a plan; null means unlimited. */
export function productionProjectLimit(planId: PlanId): number | null {
  return PLANS[planId].productionProjects;
}

/**
 * Whether a project may be (or stay) a production project. A registered
 * project keeps its place while its rank is inside the limit (after a
 * downgrade the earliest projects stay); a new one needs a free place.
 */
export function projectWithinLimit(planId: PlanId, project: ProjectStanding): boolean {
  const limit = productionProjectLimit(planId);
  if (limit === null) return true;
  return project.rank !== null ? project.rank < limit : project.count < limit;
}

/** Business: the monthly cap blocks production at nowMs (the wallet workflow set the block for this UTC month). */
export function spendCapBlocks(planId: PlanId, spendControl: SpendBlock | null, nowMs: number): boolean {
  return planId === 'business' && spendControl?.action === 'block' && spendControl.blockedMonth !== null && spendControl.blockedMonth === utcMonth(nowMs);
}

export function evaluateProductionAccess(input: ProductionAccessInput): AccessDecision {
  const reasons: AccessReason[] = [];
  const capable = PLANS[input.planId].productionKeys;
  if (!capable) reasons.push('plan_not_production_capable');
  if (input.wallet.balanceCents < input.wallet.minimumCents) reasons.push('wallet_below_minimum');
  if (input.mode === 'enforced_recovery') reasons.push('enforced_recovery');
  // A plan without production keys has no production projects to count:
  // plan_not_production_capable already says everything.
  if (capable && input.project && !projectWithinLimit(input.planId, input.project)) reasons.push('project_limit');
  if (input.nowMs !== undefined && spendCapBlocks(input.planId, input.spendControl ?? null, input.nowMs)) reasons.push('spend_cap_reached');
  return { allowed: reasons.length === 0, reasons };
}

export type AccessEnvironment = 'production' | 'sandbox' | 'staging' | 'console';

export type AccessAnswer = AccessDecision & { graceEndsAt?: string };

/**
 * The gateway's question: may this traffic run? Non-production environments
 * are always allowed; production is the evaluation's production decision
 * (evaluateWorkspace, with the project's standing). While a grace window is
 * open (or has expired) its end is part of the answer.
 */
export function accessAnswer(evaluation: Pick<WorkspaceEvaluation, 'grace' | 'production'>, environment: AccessEnvironment): AccessAnswer {
  const decision: AccessDecision = environment === 'production' ? evaluation.production : { allowed: true, reasons: [] };
  if (evaluation.grace === null) return decision;
  return { allowed: decision.allowed, reasons: decision.reasons, graceEndsAt: new Date(evaluation.grace.endsAt).toISOString() };
}
