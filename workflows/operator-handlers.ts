// Operator actions on the workspace entity: extend or end the grace window,
// cancel the scheduled change, resync from Stripe, and Enterprise invoicing
// controls. Each action is applied once per request id, recorded in the
// operator_audit table (activity) and answered with the resulting state
// summary; the Update itself, with its reason, stays in the history.
import type { OperatorActionName } from '../activities';
import { currentPlan, type WorkspaceState } from '../src/domain/billing-state';
import { extendGrace, waiveGrace, type ExtendGraceRequest, type OperatorActionRequest, type OperatorDecision } from '../src/domain/operator-actions';
import type { InvoicingCommand } from '../src/domain/schemas';
import { summarizeState } from '../src/domain/state-summary';
import type { InvoicingResult, OperatorActionResult } from './definitions';
import { cancelPendingChange } from './plan-change-handlers';
import type { WorkspaceEntity } from './workspace-entity';
import { billing, durable, reject, rethrowActivityFailure } from './workflow-support';

const REQUEST_IDS_KEPT = 100;
const DEFAULT_ACTOR = 'operator';
const iso = (ms: number) => new Date(ms).toISOString();

export function alreadyApplied(entity: WorkspaceEntity, requestId: string): boolean {
  return entity.state.operatorRequestIds.includes(requestId);
}

export function decidedOperator(decision: OperatorDecision): WorkspaceState {
  if (decision.kind === 'reject') reject(decision.code, decision.message);
  return decision.state;
}

/**
 * A request id seen before returns the current state without acting again;
 * otherwise `act` changes the state and says what it did, the action is
 * audited and the projection written. The caller holds the entity's lock.
 */
async function perform(
  entity: WorkspaceEntity,
  action: OperatorActionName,
  request: OperatorActionRequest,
  act: () => Promise<Record<string, unknown>>,
): Promise<OperatorActionResult> {
  if (alreadyApplied(entity, request.requestId)) {
    return { action, requestId: request.requestId, applied: false, details: {}, state: summarizeState(entity.state) };
  }
  const details = await act();
  entity.state = { ...entity.state, operatorRequestIds: [...entity.state.operatorRequestIds, request.requestId].slice(-REQUEST_IDS_KEPT) };
  await durable.recordOperatorAction({
    workspaceId: entity.workspaceId,
    action,
    reason: request.reason,
    actor: request.actor ?? DEFAULT_ACTOR,
    requestId: request.requestId,
    details,
  });
  await entity.persist();
  return { action, requestId: request.requestId, applied: true, details, state: summarizeState(entity.state) };
}

export function extendGraceAction(entity: WorkspaceEntity, request: ExtendGraceRequest): Promise<OperatorActionResult> {
  return perform(entity, 'extend_grace', request, async () => {
    const before = entity.state.grace;
    const next = decidedOperator(extendGrace(entity.state, request, Date.now()));
    entity.state = next;
    entity.armDunning();
    return { previousEndsAt: before ? iso(before.endsAt) : null, wasExpired: before?.expired ?? false, endsAt: iso(next.grace!.endsAt) };
  });
}

export function endGraceAction(entity: WorkspaceEntity, request: OperatorActionRequest): Promise<OperatorActionResult> {
  return perform(entity, 'end_grace', request, async () => {
    const before = entity.state.grace;
    entity.state = decidedOperator(waiveGrace(entity.state, Date.now()));
    entity.armDunning();
    return {
      forgivenAt: iso(Date.now()),
      previousGrace: before ? { startedAt: iso(before.startedAt), endsAt: iso(before.endsAt), expired: before.expired } : null,
    };
  });
}

export function cancelScheduledChangeAction(entity: WorkspaceEntity, request: OperatorActionRequest): Promise<OperatorActionResult> {
  return perform(entity, 'cancel_scheduled_change', request, async () => ({
    canceled: await entity.nested(() => cancelPendingChange(entity), 'plan'),
  }));
}

export function resyncAction(entity: WorkspaceEntity, request: OperatorActionRequest): Promise<OperatorActionResult> {
  return perform(entity, 'resync_from_stripe', request, async () => {
    const subscriptionId = entity.state.subscription?.id;
    if (!subscriptionId) reject('no_active_subscription', 'The workspace has no Stripe subscription to resync.');
    const versionBefore = entity.state.version;
    const facts = await billing
      .readStripeSubscriptionFacts({ subscriptionId, requestId: request.requestId, occurredAt: Date.now() })
      .catch(rethrowActivityFailure);
    facts.forEach((fact) => entity.applyFact(fact));
    return { subscriptionId, facts: facts.map((f) => f.eventId), changed: entity.state.version !== versionBefore };
  });
}

export function checkInvoicingAllowed(entity: WorkspaceEntity): void {
  if (currentPlan(entity.state).id !== 'enterprise') reject('not_available_on_plan', 'Invoicing controls are for Enterprise subscriptions.');
}

/** Enterprise invoicing on the Stripe subscription (collection by invoice with net terms, or automatic charges). */
export async function setInvoicingControls(entity: WorkspaceEntity, command: InvoicingCommand): Promise<InvoicingResult> {
  const { requestId, ...controls } = command;
  const seq = entity.state.planChangeSeq + 1;
  entity.state = { ...entity.state, planChangeSeq: seq };
  const subscriptionId = entity.state.subscription?.id;
  if (!subscriptionId) reject('no_active_subscription', 'The workspace has no Stripe subscription.');
  return billing
    .setInvoicingControls({ subscriptionId, controls, idempotencyKey: `${entity.workflowId}:invoicing:${requestId ?? seq}` })
    .catch(rethrowActivityFailure);
}
