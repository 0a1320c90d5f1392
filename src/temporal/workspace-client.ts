// The API's only way into workflows: start-or-join with update-with-start,
// deliver Stripe facts and usage nudges with signal-with-start. Two
// workflows per workspace: `workspace/{id}` (subscription lifecycle) and
// `wallet/{id}` (usage, wallet, spend controls).
// Temporal errors become domain errors here; src/api/problem.ts maps those
// to HTTP.
import { Client, isGrpcServiceError, WithStartWorkflowOperation, WorkflowUpdateFailedError, type WorkflowHandle } from '@temporalio/client';
import { ApplicationFailure, WorkflowNotFoundError } from '@temporalio/common';
import { isTopUpFact, type StripeFact } from '../domain/billing-facts';
import type { CheckoutCommand, InvoicingCommand, PlanChangeCommand, TopUpCommand } from '../domain/schemas';
import type { SpendControls } from '../domain/spend-rules';
import type { RequestFamily } from '../domain/plans';
import type { WorkspaceState } from '../domain/billing-state';
import type { ExtendGraceRequest, OperatorActionRequest } from '../domain/operator-actions';
import { DomainError, isErrorCode, type ErrorCode } from '../domain/errors';
import { GUEST_CHECKOUT_RETENTION_MS, type ClaimRequest, type ClaimResult, type GuestAttachment, type GuestCheckoutRequest, type GuestCheckoutState } from '../domain/guest-checkout';
import {
  claimGuestCheckoutUpdate,
  GUEST_CHECKOUT_WORKFLOW_TYPE,
  guestStateQuery,
  guestWorkflowIdFor,
  startGuestCheckoutUpdate,
  type GuestCheckoutLink,
  type GuestCheckoutWorkflowInput,
} from '../../workflows/guest-definitions';
import type { guestCheckoutWorkflow } from '../../workflows/guest-checkout-workflow';
import {
  applyPlanChangeUpdate,
  attachGuestCheckoutUpdate,
  cancelPendingChangeUpdate,
  cancelScheduledChangeUpdate,
  endGraceUpdate,
  extendGraceUpdate,
  previewPlanChangeUpdate,
  resyncFromStripeUpdate,
  stateQuery,
  searchAttributes,
  setInvoicingControlsUpdate,
  startCheckoutUpdate,
  startTopUpUpdate,
  stripeFactSignal,
  WORKSPACE_WORKFLOW_TYPE,
  workflowIdFor,
  type CheckoutResult,
  type InvoicingResult,
  type OperatorActionResult,
  type PendingChangeView,
  type PlanChangePreviewResult,
  type PlanChangeResult,
  type TopUpResult,
  type WorkspaceWorkflowInput,
} from '../../workflows/definitions';
import {
  grantCreditUpdate,
  setContractPricesUpdate,
  setSpendControlsUpdate,
  topUpPaidSignal,
  usageRecordedSignal,
  WALLET_WORKFLOW_TYPE,
  walletWorkflowIdFor,
  type GrantCreditRequest,
  type SpendState,
  type WalletWorkflowInput,
} from '../../workflows/wallet-definitions';
import type { walletWorkflow } from '../../workflows/wallet-workflow';
import type { WorkflowHistory } from '../domain/timeline/history-records';
import { readWorkflowHistory, type HistoryReadOptions } from './workflow-history';
import type { workspaceWorkflow } from '../../workflows/workspace-workflow';

const RPC_DEADLINE_MS = 5_000;
const GRPC_NOT_FOUND = 5;
const NO_SUBSCRIPTION = {
  code: 'no_active_subscription' as const,
  message: 'The workspace has no active subscription; start a checkout instead.',
};
const UPDATE_DEADLINE_MS = 60_000;
/** Reading histories for the timeline: several runs of two workflows. */
const HISTORY_DEADLINE_MS = 30_000;
const UNKNOWN_GUEST_CHECKOUT = {
  code: 'guest_checkout_not_found' as const,
  message: `No guest checkout with this id is open (unknown, or it ended: claimed or lapsed checkouts are kept ${GUEST_CHECKOUT_RETENTION_MS / 86_400_000} days).`,
};
const UNKNOWN_WORKSPACE = { code: 'workspace_not_found' as const, message: 'The workspace has no billing workflow.' };

function startOptions(workspaceId: string, taskQueue: string) {
  const args: [WorkspaceWorkflowInput] = [{ workspaceId }];
  return {
    workflowId: workflowIdFor(workspaceId),
    taskQueue,
    args,
    staticSummary: `Billing lifecycle of workspace ${workspaceId}`,
    staticDetails: 'Subscription, grace window and plan changes of one workspace. Current state: see "current details" and the search attributes.',
    typedSearchAttributes: [
      { key: searchAttributes.workspaceId, value: workspaceId },
      { key: searchAttributes.planId, value: 'essential' },
      { key: searchAttributes.billingStatus, value: 'none' },
      { key: searchAttributes.billingMode, value: 'self_serve' },
    ],
  };
}

/** Turns a failed update's ApplicationFailure (type = stable code) into a DomainError. */
export function toDomainError(err: unknown): unknown {
  if (err instanceof WorkflowUpdateFailedError && err.cause instanceof ApplicationFailure) {
    const failure = err.cause;
    const code = isErrorCode(failure.type) ? failure.type : 'internal_error';
    const details = (failure.details?.[0] ?? {}) as Record<string, unknown>;
    return new DomainError(code, failure.message, details);
  }
  if (err instanceof DomainError) return err;
  return new DomainError('temporal_unavailable', 'The workflow service could not be reached; try again.', {
    cause: err instanceof Error ? err.message : String(err),
  });
}

function walletStartOptions(workspaceId: string, taskQueue: string) {
  const args: [WalletWorkflowInput] = [{ workspaceId }];
  return { workflowId: walletWorkflowIdFor(workspaceId), taskQueue, args };
}

export class WorkspaceClient {
  constructor(
    private readonly client: Client,
    private readonly taskQueue: string,
  ) {}

  /** Runs a Temporal call under a deadline; failures become domain errors. */
  private async call<R>(deadlineMs: number, work: () => Promise<R>): Promise<R> {
    try {
      return await this.client.connection.withDeadline(Date.now() + deadlineMs, work);
    } catch (err) {
      throw toDomainError(err);
    }
  }

  /** Update-with-start on the workspace workflow: joins it, or starts it for a new workspace. */
  private workspaceUpdate<R, A extends [unknown]>(workspaceId: string, update: import('@temporalio/common').UpdateDefinition<R, A>, args: A): Promise<R> {
    const startWorkflowOperation = new WithStartWorkflowOperation<typeof workspaceWorkflow>(WORKSPACE_WORKFLOW_TYPE, {
      ...startOptions(workspaceId, this.taskQueue),
      workflowIdConflictPolicy: 'USE_EXISTING',
    });
    return this.call(UPDATE_DEADLINE_MS, () => this.client.workflow.executeUpdateWithStart(update, { args, startWorkflowOperation }));
  }

  startCheckout(workspaceId: string, request: CheckoutCommand): Promise<CheckoutResult> {
    return this.workspaceUpdate(workspaceId, startCheckoutUpdate, [request]);
  }

  startTopUp(workspaceId: string, request: TopUpCommand): Promise<TopUpResult> {
    return this.workspaceUpdate(workspaceId, startTopUpUpdate, [request]);
  }

  /** A claim hands a guest's billing state to the workspace workflow (started if the workspace is new). */
  attachGuestCheckout(workspaceId: string, attachment: GuestAttachment): Promise<ClaimResult> {
    return this.workspaceUpdate(workspaceId, attachGuestCheckoutUpdate, [attachment]);
  }

  /** Starts the guest-checkout workflow for a fresh checkout id and opens its hosted Checkout. */
  startGuestCheckout(checkoutId: string, request: GuestCheckoutRequest): Promise<GuestCheckoutLink> {
    const args: [GuestCheckoutWorkflowInput] = [{ checkoutId }];
    const startWorkflowOperation = new WithStartWorkflowOperation<typeof guestCheckoutWorkflow>(GUEST_CHECKOUT_WORKFLOW_TYPE, {
      workflowId: guestWorkflowIdFor(checkoutId),
      taskQueue: this.taskQueue,
      args,
      workflowIdConflictPolicy: 'USE_EXISTING',
      staticSummary: `Guest checkout ${checkoutId}`,
      staticDetails: 'A visitor without a workspace buying a plan; claimed into a workspace after verified sign-in. State: see "current details".',
    });
    return this.call(UPDATE_DEADLINE_MS, () =>
      this.client.workflow.executeUpdateWithStart(startGuestCheckoutUpdate, { args: [request], startWorkflowOperation }),
    );
  }

  claimGuestCheckout(checkoutId: string, request: ClaimRequest): Promise<ClaimResult> {
    return this.onExisting(guestWorkflowIdFor(checkoutId), (h) => h.executeUpdate(claimGuestCheckoutUpdate, { args: [request] }), UNKNOWN_GUEST_CHECKOUT);
  }

  guestState(checkoutId: string): Promise<GuestCheckoutState> {
    return this.onExisting(guestWorkflowIdFor(checkoutId), (h) => h.query(guestStateQuery), UNKNOWN_GUEST_CHECKOUT);
  }

  /** A Stripe fact for an unclaimed guest checkout; false when its workflow is no longer running. */
  async deliverGuestFact(checkoutId: string, fact: StripeFact, deadlineMs = RPC_DEADLINE_MS): Promise<boolean> {
    try {
      await this.onExisting(guestWorkflowIdFor(checkoutId), (h) => h.signal(stripeFactSignal, fact), UNKNOWN_GUEST_CHECKOUT, deadlineMs);
      return true;
    } catch (err) {
      if (err instanceof DomainError && err.code === 'guest_checkout_not_found') return false;
      throw err;
    }
  }

  /**
   * Stripe facts: top-ups to the wallet workflow, everything else to the
   * workspace workflow. The webhook relay gives a longer deadline: a signal
   * that times out may still have been recorded, and is sent again.
   */
  async deliverFact(workspaceId: string, fact: StripeFact, deadlineMs = RPC_DEADLINE_MS): Promise<void> {
    if (isTopUpFact(fact)) {
      await this.call(deadlineMs, () =>
        this.client.workflow.signalWithStart<typeof walletWorkflow, [typeof fact]>(WALLET_WORKFLOW_TYPE, {
          ...walletStartOptions(workspaceId, this.taskQueue),
          signal: topUpPaidSignal,
          signalArgs: [fact],
        }),
      );
      return;
    }
    await this.call(deadlineMs, () =>
      this.client.workflow.signalWithStart<typeof workspaceWorkflow, [typeof fact]>(WORKSPACE_WORKFLOW_TYPE, {
        ...startOptions(workspaceId, this.taskQueue),
        signal: stripeFactSignal,
        signalArgs: [fact],
      }),
    );
  }

  /** One nudge per recorded usage batch: the wallet workflow rates everything pending. */
  async usageRecorded(workspaceId: string): Promise<void> {
    await this.call(RPC_DEADLINE_MS, () =>
      this.client.workflow.signalWithStart<typeof walletWorkflow, []>(WALLET_WORKFLOW_TYPE, {
        ...walletStartOptions(workspaceId, this.taskQueue),
        signal: usageRecordedSignal,
        signalArgs: [],
      }),
    );
  }

  private walletUpdate<R, A extends [unknown]>(workspaceId: string, update: import('@temporalio/common').UpdateDefinition<R, A>, args: A): Promise<R> {
    const startWorkflowOperation = new WithStartWorkflowOperation<typeof walletWorkflow>(WALLET_WORKFLOW_TYPE, {
      ...walletStartOptions(workspaceId, this.taskQueue),
      workflowIdConflictPolicy: 'USE_EXISTING',
    });
    return this.call(UPDATE_DEADLINE_MS, () => this.client.workflow.executeUpdateWithStart(update, { args, startWorkflowOperation }));
  }

  grantCredit(workspaceId: string, request: GrantCreditRequest): Promise<{ credited: boolean; balanceCents: number }> {
    return this.walletUpdate(workspaceId, grantCreditUpdate, [request]);
  }

  setSpendControls(workspaceId: string, controls: SpendControls): Promise<SpendState> {
    return this.walletUpdate(workspaceId, setSpendControlsUpdate, [controls]);
  }

  setContractPrices(workspaceId: string, prices: Partial<Record<RequestFamily, number>>): Promise<void> {
    return this.walletUpdate(workspaceId, setContractPricesUpdate, [prices]);
  }

  setInvoicingControls(workspaceId: string, controls: InvoicingCommand): Promise<InvoicingResult> {
    return this.updateExisting(workspaceId, (h) => h.executeUpdate(setInvoicingControlsUpdate, { args: [controls] }), NO_SUBSCRIPTION);
  }

  /**
   * An update on the workspace's existing workflow. A workspace without one
   * has never had billing: `whenMissing` says what that means for the caller.
   */
  private updateExisting<R>(
    workspaceId: string,
    call: (handle: WorkflowHandle) => Promise<R>,
    whenMissing: { code: ErrorCode; message: string },
  ): Promise<R> {
    return this.onExisting(workflowIdFor(workspaceId), call, whenMissing);
  }

  /** A call on a running workflow; `whenMissing` when there is none (never started, or ended). */
  private async onExisting<R>(
    workflowId: string,
    call: (handle: WorkflowHandle) => Promise<R>,
    whenMissing: { code: ErrorCode; message: string },
    deadlineMs = UPDATE_DEADLINE_MS,
  ): Promise<R> {
    try {
      const handle = this.client.workflow.getHandle(workflowId);
      return await this.client.connection.withDeadline(Date.now() + deadlineMs, () => call(handle));
    } catch (err) {
      const missing = err instanceof WorkflowNotFoundError || (isGrpcServiceError(err) && err.code === GRPC_NOT_FOUND);
      if (missing) throw new DomainError(whenMissing.code, whenMissing.message);
      throw toDomainError(err);
    }
  }

  previewPlanChange(workspaceId: string, request: PlanChangeCommand): Promise<PlanChangePreviewResult> {
    return this.updateExisting(workspaceId, (h) => h.executeUpdate(previewPlanChangeUpdate, { args: [request] }), NO_SUBSCRIPTION);
  }

  applyPlanChange(workspaceId: string, request: PlanChangeCommand): Promise<PlanChangeResult> {
    return this.updateExisting(workspaceId, (h) => h.executeUpdate(applyPlanChangeUpdate, { args: [request] }), NO_SUBSCRIPTION);
  }

  cancelPendingChange(workspaceId: string): Promise<PendingChangeView> {
    return this.updateExisting(workspaceId, (h) => h.executeUpdate(cancelPendingChangeUpdate), {
      code: 'no_pending_change',
      message: 'There is no scheduled plan change to cancel.',
    });
  }

  // Operator actions: Updates on the existing workflow (a workspace without
  // one is unknown to billing: workspace_not_found).
  private operatorAction<A>(workspaceId: string, update: import('@temporalio/common').UpdateDefinition<OperatorActionResult, [A]>, request: A): Promise<OperatorActionResult> {
    return this.updateExisting(workspaceId, (h) => h.executeUpdate(update, { args: [request] }), UNKNOWN_WORKSPACE);
  }

  extendGrace(workspaceId: string, request: ExtendGraceRequest): Promise<OperatorActionResult> {
    return this.operatorAction(workspaceId, extendGraceUpdate, request);
  }

  endGrace(workspaceId: string, request: OperatorActionRequest): Promise<OperatorActionResult> {
    return this.operatorAction(workspaceId, endGraceUpdate, request);
  }

  cancelScheduledChange(workspaceId: string, request: OperatorActionRequest): Promise<OperatorActionResult> {
    return this.operatorAction(workspaceId, cancelScheduledChangeUpdate, request);
  }

  resyncFromStripe(workspaceId: string, request: OperatorActionRequest): Promise<OperatorActionResult> {
    return this.operatorAction(workspaceId, resyncFromStripeUpdate, request);
  }

  /** The workflow's full state (operators, the ops CLI). */
  state(workspaceId: string): Promise<WorkspaceState> {
    return this.updateExisting(workspaceId, (h) => h.query(stateQuery), UNKNOWN_WORKSPACE);
  }

  /** A workflow's runs back through continue-as-new, for the operators' timeline; null when it never existed. */
  workflowHistory(workflowId: string, options: HistoryReadOptions): Promise<WorkflowHistory | null> {
    return this.call(HISTORY_DEADLINE_MS, () => readWorkflowHistory(this.client, workflowId, options));
  }

  async ping(): Promise<void> {
    await this.client.connection.withDeadline(Date.now() + 3_000, () =>
      this.client.workflowService.getSystemInfo({}),
    );
  }
}
