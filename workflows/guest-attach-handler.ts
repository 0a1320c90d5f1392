// The workspace side of a guest claim: the attachGuestCheckout Update (sent
// by a guest-checkout workflow's activity) and, afterwards, writing the
// workspace id into the Stripe metadata of the customer and subscription it
// took over. It runs under the entity's one lock, so it can never replace
// the subscription while a plan change waits on Stripe with the old one.
import { log } from '@temporalio/workflow';
import { attachGuest, claimRecordOf, claimResultOf, decideAttach, markTagged, untaggedStripeIds } from '../src/domain/guest-attach';
import type { ClaimResult, GuestAttachment } from '../src/domain/guest-checkout';
import type { WorkspaceEntity } from './workspace-entity';
import { billing, reject, rethrowActivityFailure } from './workflow-support';

export function decidedAttach(entity: WorkspaceEntity, attachment: GuestAttachment) {
  const decision = decideAttach(entity.state, attachment, Date.now());
  if (decision.kind === 'reject') reject(decision.code, decision.message, decision.details);
  return decision;
}

export async function attachGuestCheckout(entity: WorkspaceEntity, attachment: GuestAttachment): Promise<ClaimResult> {
  const { workspaceId, workflowId } = entity;
  const decision = decidedAttach(entity, attachment);
  if (decision.kind === 'done') return decision.result;
  const own = decision.expireOwnCheckoutId;
  if (own) {
    // The workspace's own unpaid session must not lead to a second subscription.
    const outcome = await billing
      .expireCheckoutSession({ checkoutId: own, idempotencyKey: `${workflowId}:claim:${attachment.guestCheckoutId}:expire` })
      .catch(rethrowActivityFailure);
    if (outcome === 'complete') {
      reject('workspace_already_subscribed', `Workspace ${workspaceId}'s own checkout ${own} was paid meanwhile; the guest checkout was not attached.`, {
        workspaceCheckoutId: own,
        guestSubscriptionId: attachment.subscriptionId,
        guestCheckoutId: attachment.guestCheckoutId,
      });
    }
  }
  entity.state = attachGuest(entity.state, attachment, own, Date.now());
  attachment.facts.forEach((fact) => entity.applyFact(fact));
  const checkout = entity.state.checkout;
  if (checkout && checkout.id === attachment.checkout?.id) entity.armCheckoutExpiry(checkout);
  await entity.persist();
  return claimResultOf(entity.state, claimRecordOf(entity.state, attachment.guestCheckoutId)!);
}

/**
 * metadata.workspaceId on the claimed customer and subscription. Routing
 * does not depend on it (the projection and guest_checkout map the ids), so
 * a Stripe refusal is logged and not retried forever.
 */
export async function tagOwnership(entity: WorkspaceEntity): Promise<void> {
  const pending = untaggedStripeIds(entity.state);
  if (!pending) return;
  const { workspaceId, workflowId } = entity;
  const ids = [pending.customerId, pending.subscriptionId].filter((id): id is string => id !== null);
  try {
    const tagged = await billing.tagStripeOwnership({ workspaceId, ...pending, idempotencyKey: `${workflowId}:tag:${ids.join(':')}` });
    entity.state = markTagged(entity.state, tagged);
  } catch (err) {
    log.warn('could not write the workspace id into Stripe metadata', { workspaceId, ids, err });
    entity.state = markTagged(entity.state, ids);
  }
}
