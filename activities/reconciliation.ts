// Scheduled reconciliation (workflows/reconciliation-workflow.ts): list the
// workspaces that have a Stripe subscription, and resync one through its
// workspace workflow's operator Update (resyncFromStripe), so drift left by
// missed webhooks is healed by the same rules as any other Stripe fact.
// The Update goes through the worker's own Temporal client (activity
// context): a workflow cannot call an Update on another workflow itself.
import type { PrismaClient } from '@prisma/client';
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { DomainError } from '../src/domain/errors';
import { summarizeState } from '../src/domain/state-summary';
import { WorkspaceClient } from '../src/temporal/workspace-client';

/** Subscription states worth comparing with Stripe (canceled/none have nothing live to drift from). */
export const RECONCILABLE_STATUSES = ['active', 'past_due', 'incomplete'] as const;

export interface ListReconcilableInput {
  /** Exclusive cursor: workspace ids sort after this one. */
  afterWorkspaceId?: string | null;
  limit: number;
}

export interface ReconciledState {
  status: string;
  mode: string;
  plan: string;
}

export interface ResyncWorkspaceInput {
  workspaceId: string;
  requestId: string;
  reason: string;
}

export interface ResyncWorkspaceResult {
  workspaceId: string;
  /** Whether the resync changed the workflow's state (its version moved). */
  changed: boolean;
  /** False when this request id had already been applied (a retried activity). */
  applied: boolean;
  before: ReconciledState;
  after: ReconciledState;
}

const RECONCILIATION_ACTOR = 'reconciliation';

function retryable(err: unknown): never {
  if (err instanceof DomainError && err.code !== 'temporal_unavailable') {
    // The workspace said no (no subscription, validation): retrying will not help.
    throw ApplicationFailure.nonRetryable(err.message, err.code);
  }
  throw err;
}

export function createReconciliationActivities({ prisma }: { prisma: PrismaClient }) {
  return {
    async listReconcilableWorkspaces(input: ListReconcilableInput): Promise<string[]> {
      const rows = await prisma.workspaceBilling.findMany({
        where: {
          stripeSubscriptionId: { not: null },
          status: { in: [...RECONCILABLE_STATUSES] },
          ...(input.afterWorkspaceId ? { workspaceId: { gt: input.afterWorkspaceId } } : {}),
        },
        select: { workspaceId: true },
        orderBy: { workspaceId: 'asc' },
        take: input.limit,
      });
      return rows.map((r) => r.workspaceId);
    },

    async resyncWorkspace(input: ResyncWorkspaceInput): Promise<ResyncWorkspaceResult> {
      const ctx = Context.current();
      const workspaces = new WorkspaceClient(ctx.client, ctx.info.taskQueue);
      const summary = (s: { status: string; mode: string; planId: string }): ReconciledState => ({ status: s.status, mode: s.mode, plan: s.planId });
      try {
        const before = summary(summarizeState(await workspaces.state(input.workspaceId)));
        const result = await workspaces.resyncFromStripe(input.workspaceId, { reason: input.reason, requestId: input.requestId, actor: RECONCILIATION_ACTOR });
        return { workspaceId: input.workspaceId, changed: result.details.changed === true, applied: result.applied, before, after: summary(result.state) };
      } catch (err) {
        return retryable(err);
      }
    },
  };
}
