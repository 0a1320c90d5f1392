// Plan changes of the workspace entity: preview (an Update, so it sees
// exactly the state the change will use), apply or schedule, cancel the
// scheduled change, and apply a scheduled change when its time comes.
// Scheduled changes are held with a durable timer and applied in Stripe
// shortly before the period ends (no proration), so the renewal invoice is
// already at the new price; the webhook then confirms the new plan.
import { log } from '@temporalio/workflow';
import { currentPlan, hasLiveSubscription, type PendingPlanChange } from '../src/domain/billing-state';
import { decidePlanChange, monthlyEquivalentDeltaCents, type PlanChangeRequest } from '../src/domain/plan-change-rules';
import type { PlanChangeCommand } from '../src/domain/schemas';
import type { PendingChangeView, PlanChangePreviewResult, PlanChangeResult } from './definitions';
import type { WorkspaceEntity } from './workspace-entity';
import { billing, fireAt, reject, rethrowActivityFailure } from './workflow-support';

/** How long before the period end a scheduled change is sent to Stripe. */
export const SCHEDULED_CHANGE_LEAD_MS = 5 * 60_000;

const iso = (ms: number) => new Date(ms).toISOString();

function pendingView(p: PendingPlanChange): PendingChangeView {
  return { targetPlanId: p.targetPlanId, interval: p.interval, effectiveAt: iso(p.effectiveAt) };
}

/** The plan-change decision for the entity's current state, or the request refused with its code. */
export function decided(entity: WorkspaceEntity, request: PlanChangeRequest, purpose: 'preview' | 'apply') {
  const decision = decidePlanChange(entity.state, request, Date.now(), purpose);
  if (decision.kind === 'reject') reject(decision.code, decision.message, decision.details);
  return decision;
}

/** Stripe idempotency key of a plan-change request: from its request id (legacy: its sequence number). */
function changeKey(entity: WorkspaceEntity, ref: { requestId?: string; seq: number }): string {
  return `${entity.workflowId}:plan-change:${ref.requestId ?? ref.seq}`;
}

export function armScheduledChange(entity: WorkspaceEntity): void {
  const pending = entity.state.pendingChange;
  if (!pending || pending.targetPlanId === 'essential') return; // Stripe ends the subscription itself.
  fireAt(
    pending.effectiveAt - SCHEDULED_CHANGE_LEAD_MS,
    () => {
      void entity.exclusive(() => applyScheduled(entity, pending.seq), 'plan').catch((err) => log.error('scheduled plan change failed', { err }));
    },
    `apply scheduled change to ${pending.targetPlanId} (${pending.interval})`,
  );
}

async function applyScheduled(entity: WorkspaceEntity, seq: number): Promise<void> {
  const pending = entity.state.pendingChange;
  const sub = entity.state.subscription;
  if (!pending || pending.seq !== seq || !sub?.itemId) return;
  const stillPending = () => entity.state.pendingChange?.seq === seq;
  try {
    await billing.applyPlanChange({
      subscriptionId: sub.id,
      itemId: sub.itemId,
      planId: pending.targetPlanId as Exclude<typeof pending.targetPlanId, 'essential'>,
      interval: pending.interval,
      timing: 'period_end',
      workspaceId: entity.workspaceId,
      idempotencyKey: changeKey(entity, pending),
    });
    if (stillPending()) entity.state = { ...entity.state, pendingChange: null, version: entity.state.version + 1 };
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    const now = entity.state;
    if (stillPending() && now.pendingChange) {
      entity.state = { ...now, pendingChange: { ...now.pendingChange, lastError: message }, version: now.version + 1 };
    }
    throw err;
  }
}

export async function previewPlanChange(entity: WorkspaceEntity, request: PlanChangeCommand): Promise<PlanChangePreviewResult> {
  const decision = decided(entity, request, 'preview');
  const state = entity.state;
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
}

export async function applyPlanChange(entity: WorkspaceEntity, request: PlanChangeCommand): Promise<PlanChangeResult> {
  const decision = decided(entity, request, 'apply');
  const sub = entity.state.subscription!;
  const current = currentPlan(entity.state);
  const target = { id: request.targetPlanId, interval: request.targetPlanId === 'essential' ? null : request.interval };
  const seq = entity.state.planChangeSeq + 1;
  const key = changeKey(entity, { requestId: request.requestId, seq });
  const previous = entity.state.pendingChange;
  // Reserve the sequence number before any Stripe call.
  entity.state = { ...entity.state, planChangeSeq: seq };
  const result = (status: PlanChangeResult['status']): PlanChangeResult => ({
    status,
    currentPlan: current,
    targetPlan: target,
    timing: decision.timing,
    effectiveAt: iso(decision.effectiveAt),
  });
  const schedule = (pending: PendingPlanChange | null) => {
    entity.state = { ...entity.state, pendingChange: pending, version: entity.state.version + 1 };
  };
  // Re-read after every await: a Stripe fact may have ended this subscription meanwhile (and a guest
  // claim may have brought another one); a change meant for it must not land on its successor.
  const stillTheSubscription = () => entity.state.subscription?.id === sub.id && hasLiveSubscription(entity.state);
  const pendingOf = (targetPlanId: PendingPlanChange['targetPlanId']): PendingPlanChange => ({
    targetPlanId,
    interval: request.interval,
    effectiveAt: decision.effectiveAt,
    seq,
    requestedAt: Date.now(),
    ...(request.requestId ? { requestId: request.requestId } : {}),
  });

  if (decision.kind === 'cancel') {
    await billing.setCancelAtPeriodEnd({ subscriptionId: sub.id, cancel: true, idempotencyKey: key }).catch(rethrowActivityFailure);
    if (stillTheSubscription()) schedule(pendingOf('essential'));
    await entity.persist();
    return result('scheduled');
  }
  if (previous?.targetPlanId === 'essential') {
    // A scheduled cancellation is superseded: keep the subscription.
    await billing
      .setCancelAtPeriodEnd({ subscriptionId: sub.id, cancel: false, idempotencyKey: `${key}:keep-subscription` })
      .catch(rethrowActivityFailure);
  }
  if (decision.timing === 'period_end') {
    if (stillTheSubscription()) {
      schedule(pendingOf(request.targetPlanId));
      armScheduledChange(entity);
    }
    await entity.persist();
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
      workspaceId: entity.workspaceId,
      idempotencyKey: key,
    })
    .catch(rethrowActivityFailure);
  if (previous) schedule(null);
  await entity.persist();
  return result(applied.pendingUpdateExpiresAt === null ? 'applied' : 'payment_pending');
}

/** Cancels the scheduled change (a scheduled cancellation is revoked in Stripe); returns what was cancelled. Takes no lock itself. */
export async function cancelPendingChange(entity: WorkspaceEntity): Promise<PendingChangeView> {
  const pending = entity.state.pendingChange;
  if (!pending) reject('no_pending_change', 'There is no scheduled plan change to cancel.');
  const subscriptionId = entity.state.subscription?.id;
  if (pending.targetPlanId === 'essential' && subscriptionId) {
    await billing
      .setCancelAtPeriodEnd({ subscriptionId, cancel: false, idempotencyKey: `${changeKey(entity, pending)}:revoke` })
      .catch(rethrowActivityFailure);
  }
  entity.state = { ...entity.state, pendingChange: null, version: entity.state.version + 1 };
  await entity.persist();
  return pendingView(pending);
}
