// Every message of the workspace workflow, defined once. The API, the worker
// and the tests import these objects; nobody spells a message name twice.
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import type { BillingFact } from '../src/domain/billing-facts';
import type { WorkspaceState } from '../src/domain/billing-state';
import type { CheckoutRequest } from '../src/domain/checkout-rules';
import type { PlanChangeRequest, PlanChangeTiming } from '../src/domain/plan-change-rules';
import type { Interval, PlanId } from '../src/domain/plans';
import type { TopUpRequest } from '../src/domain/schemas';
import type { InvoicingControls } from '../activities/enterprise-controls';
import type { OperatorActionName } from '../activities/operator-audit';
import type { ExtendGraceRequest, OperatorActionRequest } from '../src/domain/operator-actions';
import type { StateSummary } from '../src/domain/state-summary';
import type { ClaimResult, GuestAttachment } from '../src/domain/guest-checkout';

export const DEFAULT_TASK_QUEUE = 'billing';
export const WORKSPACE_WORKFLOW_TYPE = 'workspaceWorkflow';

export function workflowIdFor(workspaceId: string): string {
  return `workspace/${workspaceId}`;
}

export interface WorkspaceWorkflowInput {
  workspaceId: string;
  /** Present only when continuing as new. */
  state?: WorkspaceState;
}

export interface CheckoutResult {
  checkoutId: string;
  url: string;
  expiresAt: string;
  /** False when the open checkout was handed back instead of creating one. */
  created: boolean;
}

/** Start (or resume) a hosted Stripe Checkout for a self-serve plan. */
export const startCheckoutUpdate = defineUpdate<CheckoutResult, [CheckoutRequest]>('startCheckout');
export interface PlanRef {
  id: PlanId;
  interval: Interval | null;
}

export interface PlanChangePreviewResult {
  currentPlan: PlanRef;
  targetPlan: PlanRef;
  estimatedInvoiceDue: { amountCents: number; currency: string };
  monthlyEquivalentDelta: { amountCents: number; currency: string };
  effectiveAt: string;
  timing: PlanChangeTiming;
  /** Epoch seconds Stripe prorated at; pass it back when applying. Null for period-end changes. */
  prorationDate: number | null;
}

export interface PlanChangeResult {
  /** applied: in effect now; scheduled: held until effectiveAt; payment_pending: Stripe holds it until the proration invoice is paid. */
  status: 'applied' | 'scheduled' | 'payment_pending';
  currentPlan: PlanRef;
  targetPlan: PlanRef;
  timing: PlanChangeTiming;
  effectiveAt: string;
}

export interface PendingChangeView {
  targetPlanId: PlanId;
  interval: Interval;
  effectiveAt: string;
}

/** Preview a plan change: the invoice Stripe would raise and the monthly delta. */
export const previewPlanChangeUpdate = defineUpdate<PlanChangePreviewResult, [PlanChangeRequest]>('previewPlanChange');
/** Apply a plan change now or schedule it for the period end. */
export const applyPlanChangeUpdate = defineUpdate<PlanChangeResult, [PlanChangeRequest]>('applyPlanChange');
/** Cancel the scheduled change; returns what was cancelled. */
export const cancelPendingChangeUpdate = defineUpdate<PendingChangeView, []>('cancelPendingChange');
export interface TopUpResult {
  topUpId: string;
  checkoutId: string;
  url: string;
  expiresAt: string;
}

/** Start a hosted Checkout (payment mode) to add credit to the developer wallet. */
export const startTopUpUpdate = defineUpdate<TopUpResult, [TopUpRequest]>('startTopUp');
/** Enterprise invoicing: collection by invoice with net terms, or automatic charges. */
export const setInvoicingControlsUpdate = defineUpdate<{ collectionMethod: string; daysUntilDue: number | null }, [InvoicingControls]>('setInvoicingControls');
// Operator actions: Updates with a required reason and request id, recorded
// in the operator_audit table and in the workflow history.
export interface OperatorActionResult {
  action: OperatorActionName;
  requestId: string;
  /** False when this request id was already applied (nothing done twice). */
  applied: boolean;
  /** What the action did, as recorded in the audit row. */
  details: Record<string, unknown>;
  /** The workspace's billing state afterwards. */
  state: StateSummary;
}

/** Move the open grace window's end later (an expired window extended into the future opens again). */
export const extendGraceUpdate = defineUpdate<OperatorActionResult, [ExtendGraceRequest]>('extendGrace');
/** End the grace window as forgiven: no window and no block until newer delinquency evidence. */
export const endGraceUpdate = defineUpdate<OperatorActionResult, [OperatorActionRequest]>('endGrace');
/** Cancel the scheduled plan change (or scheduled cancellation). */
export const cancelScheduledChangeUpdate = defineUpdate<OperatorActionResult, [OperatorActionRequest]>('cancelScheduledChange');
/** Read the subscription and its latest invoice live from Stripe and apply them as facts. */
export const resyncFromStripeUpdate = defineUpdate<OperatorActionResult, [OperatorActionRequest]>('resyncFromStripe');

/** A claimed guest checkout's billing state, handed over by its guest-checkout workflow. */
export const attachGuestCheckoutUpdate = defineUpdate<ClaimResult, [GuestAttachment]>('attachGuestCheckout');

/** A Stripe fact delivered by the webhook endpoint (to a workspace or a guest-checkout workflow). */
export const stripeFactSignal = defineSignal<[BillingFact]>('stripeFact');
/** The workflow's full state, for operators and tests. */
export const stateQuery = defineQuery<WorkspaceState>('state');

export const searchAttributes = {
  workspaceId: defineSearchAttributeKey('WorkspaceId', SearchAttributeType.KEYWORD),
  planId: defineSearchAttributeKey('PlanId', SearchAttributeType.KEYWORD),
  billingStatus: defineSearchAttributeKey('BillingStatus', SearchAttributeType.KEYWORD),
  billingMode: defineSearchAttributeKey('BillingMode', SearchAttributeType.KEYWORD),
  graceEndsAt: defineSearchAttributeKey('GraceEndsAt', SearchAttributeType.DATETIME),
} as const;
