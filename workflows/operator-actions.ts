// Operator actions on the workspace workflow, as Updates: extend or end the
// grace window, cancel the scheduled change, resync from Stripe. Each
// validator requires a reason (≥ 3 characters) and a request id, so a bad
// request never reaches history; each handler applies the action once per
// request id, records it in the operator_audit table (activity) and returns
// the resulting state summary. The Update itself, with its reason, stays in
// the workflow history.
import { setHandler } from '@temporalio/workflow';
import type { OperatorActionName } from '../activities';
import type { BillingFact } from '../src/domain/billing-facts';
import type { WorkspaceState } from '../src/domain/billing-state';
import {
  extendGrace,
  extendGraceRequestSchema,
  operatorActionSchema,
  waiveGrace,
  type OperatorActionRequest,
  type OperatorDecision,
} from '../src/domain/operator-actions';
import { summarizeState } from '../src/domain/state-summary';
import {
  cancelScheduledChangeUpdate,
  endGraceUpdate,
  extendGraceUpdate,
  resyncFromStripeUpdate,
  type OperatorActionResult,
  type PendingChangeView,
} from './definitions';
import type { WorkflowContext } from './plan-changes';
import { billing, durable, parseOrReject, reject, rethrowActivityFailure, createLock } from './workflow-support';

export interface OperatorContext extends WorkflowContext {
  /** Re-arms the dunning timer for the (possibly moved) grace window. */
  armDunning(): void;
  /** Applies a Stripe fact exactly as the stripeFact signal does. */
  applyFact(fact: BillingFact): void;
  /** Cancels the scheduled plan change with the plan-change handlers' own logic. */
  cancelPendingChange(): Promise<PendingChangeView>;
}

const REQUEST_IDS_KEPT = 100;
const DEFAULT_ACTOR = 'operator';
const iso = (ms: number) => new Date(ms).toISOString();

function validated<T>(schema: Parameters<typeof parseOrReject<T>>[0], request: unknown): T {
  return parseOrReject(schema, request ?? {}, 'The operator request is invalid: a reason (at least 3 characters) and a requestId are required.');
}

function decided(decision: OperatorDecision): WorkspaceState {
  if (decision.kind === 'reject') reject(decision.code, decision.message);
  return decision.state;
}

export function registerOperatorHandlers(ctx: OperatorContext): void {
  const exclusively = createLock(() => ctx.settings() !== undefined);
  const alreadyApplied = (requestId: string) => ctx.state().operatorRequestIds.includes(requestId);

  /**
   * One operator action at a time, after the run's settings are loaded: a
   * request id seen before returns the current state without acting again;
   * otherwise `act` changes the state and says what it did, the action is
   * audited and the projection written.
   */
  async function perform(
    action: OperatorActionName,
    request: OperatorActionRequest,
    act: () => Promise<Record<string, unknown>>,
  ): Promise<OperatorActionResult> {
    return exclusively(async () => {
      if (alreadyApplied(request.requestId)) {
        return { action, requestId: request.requestId, applied: false, details: {}, state: summarizeState(ctx.state()) };
      }
      const details = await act();
      const now = ctx.state();
      ctx.setState({ ...now, operatorRequestIds: [...now.operatorRequestIds, request.requestId].slice(-REQUEST_IDS_KEPT) });
      await durable.recordOperatorAction({
        workspaceId: ctx.workspaceId,
        action,
        reason: request.reason,
        actor: request.actor ?? DEFAULT_ACTOR,
        requestId: request.requestId,
        details,
      });
      await ctx.persist();
      return { action, requestId: request.requestId, applied: true, details, state: summarizeState(ctx.state()) };
    });
  }

  setHandler(
    extendGraceUpdate,
    (request) =>
      perform('extend_grace', request, async () => {
        const before = ctx.state().grace;
        const next = decided(extendGrace(ctx.state(), request, Date.now()));
        ctx.setState(next);
        ctx.armDunning();
        return {
          previousEndsAt: before ? iso(before.endsAt) : null,
          wasExpired: before?.expired ?? false,
          endsAt: iso(next.grace!.endsAt),
        };
      }),
    {
      validator(request) {
        const parsed = validated(extendGraceRequestSchema, request);
        if (!alreadyApplied(parsed.requestId)) decided(extendGrace(ctx.state(), parsed, Date.now()));
      },
    },
  );

  setHandler(
    endGraceUpdate,
    (request) =>
      perform('end_grace', request, async () => {
        const before = ctx.state().grace;
        ctx.setState(decided(waiveGrace(ctx.state(), Date.now())));
        ctx.armDunning();
        return { forgivenAt: iso(Date.now()), previousGrace: before ? { startedAt: iso(before.startedAt), endsAt: iso(before.endsAt), expired: before.expired } : null };
      }),
    {
      validator(request) {
        const parsed = validated(operatorActionSchema, request);
        if (!alreadyApplied(parsed.requestId)) decided(waiveGrace(ctx.state(), Date.now()));
      },
    },
  );

  setHandler(
    cancelScheduledChangeUpdate,
    (request) =>
      perform('cancel_scheduled_change', request, async () => ({ canceled: await ctx.cancelPendingChange() })),
    {
      validator(request) {
        const parsed = validated(operatorActionSchema, request);
        if (!alreadyApplied(parsed.requestId) && !ctx.state().pendingChange) reject('no_pending_change', 'There is no scheduled plan change to cancel.');
      },
    },
  );

  setHandler(
    resyncFromStripeUpdate,
    (request) =>
      perform('resync_from_stripe', request, async () => {
        const subscriptionId = ctx.state().subscription?.id;
        if (!subscriptionId) reject('no_active_subscription', 'The workspace has no Stripe subscription to resync.');
        const versionBefore = ctx.state().version;
        const facts = await billing
          .readStripeSubscriptionFacts({ subscriptionId, requestId: request.requestId, occurredAt: Date.now() })
          .catch(rethrowActivityFailure);
        facts.forEach(ctx.applyFact);
        return { subscriptionId, facts: facts.map((f) => f.eventId), changed: ctx.state().version !== versionBefore };
      }),
    {
      validator(request) {
        const parsed = validated(operatorActionSchema, request);
        if (!alreadyApplied(parsed.requestId) && !ctx.state().subscription) reject('no_active_subscription', 'The workspace has no Stripe subscription to resync.');
      },
    },
  );
}
