// Every message of the workspace workflow, defined once. The API, the worker
// and the tests import these objects; nobody spells a message name twice.
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import type { z } from 'zod';
import type { BillingFact } from '../src/domain/billing-facts';
import type { WorkspaceState } from '../src/domain/billing-state';
import type { ExtendGraceRequest, OperatorActionRequest } from '../src/domain/operator-actions';
import type {
  checkoutResponseSchema,
  invoicingResultSchema,
  operatorActionResultSchema,
  pendingChangeSchema,
  planChangePreviewSchema,
  planChangeResultSchema,
  topUpResponseSchema,
} from '../src/domain/response-schemas';
import type { CheckoutCommand, InvoicingCommand, PlanChangeCommand, TopUpCommand } from '../src/domain/schemas';
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
  /**
   * Continue as new once the run's history reaches this many events (tests
   * lower it; production relies on the server's suggestion and the engine's
   * own bound). Carried across continue-as-new.
   */
  continueAsNewAfterEvents?: number;
}

/** What the checkout Update answers: the checkout, and whether this request created it. */
export type CheckoutResult = z.infer<typeof checkoutResponseSchema> & {
  /** False when the open checkout was handed back instead of creating one. */
  created: boolean;
};
export type PlanChangePreviewResult = z.infer<typeof planChangePreviewSchema>;
export type PlanChangeResult = z.infer<typeof planChangeResultSchema>;
export type PendingChangeView = z.infer<typeof pendingChangeSchema>;
export type TopUpResult = z.infer<typeof topUpResponseSchema>;
export type InvoicingResult = z.infer<typeof invoicingResultSchema>;
export type OperatorActionResult = z.infer<typeof operatorActionResultSchema>;
export type PlanRef = PlanChangeResult['currentPlan'];

/** Start (or resume) a hosted Stripe Checkout for a self-serve plan. */
export const startCheckoutUpdate = defineUpdate<CheckoutResult, [CheckoutCommand]>('startCheckout');

/** Preview a plan change: the invoice Stripe would raise and the monthly delta. */
export const previewPlanChangeUpdate = defineUpdate<PlanChangePreviewResult, [PlanChangeCommand]>('previewPlanChange');
/** Apply a plan change now or schedule it for the period end. */
export const applyPlanChangeUpdate = defineUpdate<PlanChangeResult, [PlanChangeCommand]>('applyPlanChange');
/** Cancel the scheduled change; returns what was cancelled. */
export const cancelPendingChangeUpdate = defineUpdate<PendingChangeView, []>('cancelPendingChange');

/** Start a hosted Checkout (payment mode) to add credit to the developer wallet. */
export const startTopUpUpdate = defineUpdate<TopUpResult, [TopUpCommand]>('startTopUp');
/** Enterprise invoicing: collection by invoice with net terms, or automatic charges. */
export const setInvoicingControlsUpdate = defineUpdate<InvoicingResult, [InvoicingCommand]>('setInvoicingControls');
// Operator actions: Updates with a required reason and request id, recorded
// in the operator_audit table and in the workflow history.

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
