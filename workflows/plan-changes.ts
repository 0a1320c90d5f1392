// Plan-change handlers of the workspace workflow: preview (an Update, so it
// sees exactly the state the change will use), apply or schedule, cancel the
// scheduled change, and apply a scheduled change when its time comes.
// Scheduled changes are held here with a durable timer and applied in Stripe
// shortly before the period ends (no proration), so the renewal invoice is
// already at the new price; the webhook then confirms the new plan.
import { log, setHandler } from '@temporalio/workflow';
import type { EngineSettings } from '../activities';
import { currentPlan, type PendingPlanChange, type WorkspaceState } from '../src/domain/billing-state';
import { decidePlanChange, monthlyEquivalentDeltaCents, type PlanChangeRequest } from '../src/domain/plan-change-rules';
import { planChangePreviewRequestSchema, planChangeRequestSchema } from '../src/domain/schemas';
import {
  applyPlanChangeUpdate,
  cancelPendingChangeUpdate,
  previewPlanChangeUpdate,
  type PendingChangeView,
  type PlanChangePreviewResult,
  type PlanChangeResult,
} from './definitions';
import { billing, fireAt, parseOrReject, reject, rethrowActivityFailure, createLock } from './workflow-support';

/** How long before the period end a scheduled change is sent to Stripe. */
export const SCHEDULED_CHANGE_LEAD_MS = 5 * 60_000;

export interface WorkflowContext {
  workspaceId: string;
  workflowId: string;
  state(): WorkspaceState;
  setState(next: WorkspaceState): void;
  settings(): EngineSettings | undefined;
  persist(): Promise<void>;
}

const iso = (ms: number) => new Date(ms).toISOString();

function pendingView(p: PendingPlanChange): PendingChangeView {
  return { targetPlanId: p.targetPlanId, interval: p.interval, effectiveAt: iso(p.effectiveAt) };
}

export function registerPlanChangeHandlers(ctx: WorkflowContext): { armScheduledChange(): void; cancelPending(): Promise<PendingChangeView> } {
  /** One plan-change operation at a time, after the run's settings are loaded. */
  const exclusively = createLock(() => ctx.settings() !== undefined);

  function decide(request: PlanChangeRequest, purpose: 'preview' | 'apply') {
    const decision = decidePlanChange(ctx.state(), request, Date.now(), purpose);
    if (decision.kind === 'reject') reject(decision.code, decision.message, decision.details);
    return decision;
  }

  function validated(schema: typeof planChangeRequestSchema | typeof planChangePreviewRequestSchema, request: unknown): PlanChangeRequest {
    return parseOrReject<PlanChangeRequest>(schema, request, 'The plan change request is invalid.');
  }

  function armScheduledChange(): void {
    const pending = ctx.state().pendingChange;
    if (!pending || pending.targetPlanId === 'essential') return; // Stripe ends the subscription itself.
    fireAt(
      pending.effectiveAt - SCHEDULED_CHANGE_LEAD_MS,
      () => {
        void exclusively(() => applyScheduled(pending.seq)).catch((err) => log.error('scheduled plan change failed', { err }));
      },
      `apply scheduled change to ${pending.targetPlanId} (${pending.interval})`,
    );
  }

  async function applyScheduled(seq: number): Promise<void> {
    const pending = ctx.state().pendingChange;
    const sub = ctx.state().subscription;
    if (!pending || pending.seq !== seq || !sub?.itemId) return;
    try {
      await billing.applyPlanChange({
        subscriptionId: sub.id,
        itemId: sub.itemId,
        planId: pending.targetPlanId as Exclude<typeof pending.targetPlanId, 'essential'>,
        interval: pending.interval,
        timing: 'period_end',
        workspaceId: ctx.workspaceId,
        idempotencyKey: `${ctx.workflowId}:plan-change:${seq}`,
      });
      const now = ctx.state();
      if (now.pendingChange?.seq === seq) ctx.setState({ ...now, pendingChange: null, version: now.version + 1 });
    } catch (err) {
      const now = ctx.state();
      const message = err instanceof Error ? err.message : String(err);
      if (now.pendingChange?.seq === seq) {
        ctx.setState({ ...now, pendingChange: { ...now.pendingChange, lastError: message }, version: now.version + 1 });
      }
      throw err;
    }
  }

  setHandler(
    previewPlanChangeUpdate,
    (request) =>
      exclusively(async (): Promise<PlanChangePreviewResult> => {
        const decision = decide(request, 'preview');
        const state = ctx.state();
        const sub = state.subscription!;
        const current = currentPlan(state);
        const target = { id: request.targetPlanId, interval: request.targetPlanId === 'essential' ? null : request.interval };
        const prorationDate = Math.floor(Date.now() / 1000);
        const invoice =
          decision.kind === 'cancel'
            ? { amountDueCents: 0, currency: 'usd', prorationDate: null }
            : await billing
                .previewPlanChange({
                  customerId: state.customerId!,
                  subscriptionId: sub.id,
                  itemId: sub.itemId!,
                  planId: request.targetPlanId,
                  interval: request.interval,
                  prorationDate,
                  timing: decision.timing,
                })
                .catch(rethrowActivityFailure);
        return {
          currentPlan: current,
          targetPlan: target,
          estimatedInvoiceDue: { amountCents: invoice.amountDueCents, currency: invoice.currency },
          monthlyEquivalentDelta: { amountCents: monthlyEquivalentDeltaCents(current, target), currency: 'usd' },
          effectiveAt: iso(decision.effectiveAt),
          timing: decision.timing,
          prorationDate: invoice.prorationDate,
        };
      }),
    { validator: (request) => void decide(validated(planChangePreviewRequestSchema, request), 'preview') },
  );

  setHandler(
    applyPlanChangeUpdate,
    (request) =>
      exclusively(async (): Promise<PlanChangeResult> => {
        const decision = decide(request, 'apply');
        let state = ctx.state();
        const sub = state.subscription!;
        const current = currentPlan(state);
        const target = { id: request.targetPlanId, interval: request.targetPlanId === 'essential' ? null : request.interval };
        const seq = state.planChangeSeq + 1;
        const key = `${ctx.workflowId}:plan-change:${seq}`;
        const previous = state.pendingChange;
        // Reserve the sequence number before any Stripe call.
        ctx.setState({ ...state, planChangeSeq: seq });
        const result = (status: PlanChangeResult['status']): PlanChangeResult => ({
          status,
          currentPlan: current,
          targetPlan: target,
          timing: decision.timing,
          effectiveAt: iso(decision.effectiveAt),
        });
        const schedule = (pending: PendingPlanChange | null) => {
          state = ctx.state();
          ctx.setState({ ...state, pendingChange: pending, version: state.version + 1 });
        };

        if (decision.kind === 'cancel') {
          await billing.setCancelAtPeriodEnd({ subscriptionId: sub.id, cancel: true, idempotencyKey: key }).catch(rethrowActivityFailure);
          schedule({ targetPlanId: 'essential', interval: request.interval, effectiveAt: decision.effectiveAt, seq, requestedAt: Date.now() });
          await ctx.persist();
          return result('scheduled');
        }
        if (previous?.targetPlanId === 'essential') {
          // A scheduled cancellation is superseded: keep the subscription.
          await billing
            .setCancelAtPeriodEnd({ subscriptionId: sub.id, cancel: false, idempotencyKey: `${key}:keep-subscription` })
            .catch(rethrowActivityFailure);
        }
        if (decision.timing === 'period_end') {
          schedule({ targetPlanId: request.targetPlanId, interval: request.interval, effectiveAt: decision.effectiveAt, seq, requestedAt: Date.now() });
          armScheduledChange();
          await ctx.persist();
          return result('scheduled');
        }
        const applied = await billing
          .applyPlanChange({
            subscriptionId: sub.id,
            itemId: sub.itemId!,
            planId: request.targetPlanId as Exclude<typeof request.targetPlanId, 'essential'>,
            interval: request.interval,
            timing: 'immediate',
            prorationDate: request.prorationDate,
            workspaceId: ctx.workspaceId,
            idempotencyKey: key,
          })
          .catch(rethrowActivityFailure);
        if (previous) schedule(null);
        await ctx.persist();
        return result(applied.pendingUpdateExpiresAt === null ? 'applied' : 'payment_pending');
      }),
    { validator: (request) => void decide(validated(planChangeRequestSchema, request), 'apply') },
  );

  /** Cancels the scheduled change (a scheduled cancellation is revoked in Stripe); returns what was cancelled. */
  function cancelPending(): Promise<PendingChangeView> {
    return exclusively(async (): Promise<PendingChangeView> => {
      const state = ctx.state();
      const pending = state.pendingChange;
      if (!pending) reject('no_pending_change', 'There is no scheduled plan change to cancel.');
      if (pending.targetPlanId === 'essential' && state.subscription) {
        await billing
          .setCancelAtPeriodEnd({
            subscriptionId: state.subscription.id,
            cancel: false,
            idempotencyKey: `${ctx.workflowId}:plan-change:${pending.seq}:revoke`,
          })
          .catch(rethrowActivityFailure);
      }
      const now = ctx.state();
      ctx.setState({ ...now, pendingChange: null, version: now.version + 1 });
      await ctx.persist();
      return pendingView(pending);
    });
  }

  setHandler(cancelPendingChangeUpdate, cancelPending, {
    validator: () => {
      if (!ctx.state().pendingChange) reject('no_pending_change', 'There is no scheduled plan change to cancel.');
    },
  });

  return { armScheduledChange, cancelPending };
}
