// The workspace side of a guest claim: the attachGuestCheckout Update (sent
// by a guest-checkout workflow's activity) and, afterwards, writing the
// workspace id into the Stripe metadata of the customer and subscription it
// took over. Registered by workspace-workflow.ts.
import { log, setHandler } from '@temporalio/workflow';
import type { BillingFact } from '../src/domain/billing-facts';
import type { OpenCheckout, WorkspaceState } from '../src/domain/billing-state';
import { attachGuest, claimRecordOf, claimResultOf, decideAttach, markTagged, untaggedStripeIds } from '../src/domain/guest-attach';
import type { ClaimResult, GuestAttachment } from '../src/domain/guest-checkout';
import { guestAttachmentSchema } from '../src/domain/schemas';
import { attachGuestCheckoutUpdate } from './definitions';
import { billing, parseOrReject, reject, rethrowActivityFailure } from './workflow-support';

export interface GuestClaimContext {
  workspaceId: string;
  workflowId: string;
  state(): WorkspaceState;
  setState(next: WorkspaceState): void;
  /** Runs `work` while no checkout or other claim is being set up. */
  exclusive<T>(work: () => Promise<T>): Promise<T>;
  applyFact(fact: BillingFact): void;
  armCheckoutExpiry(checkout: OpenCheckout): void;
  persist(): Promise<void>;
}

export function registerGuestClaimHandlers(ctx: GuestClaimContext) {
  const { workspaceId, workflowId } = ctx;

  async function attach(attachment: GuestAttachment): Promise<ClaimResult> {
    return ctx.exclusive(async () => {
      const decision = decideAttach(ctx.state(), attachment, Date.now());
      if (decision.kind === 'reject') reject(decision.code, decision.message, decision.details);
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
      ctx.setState(attachGuest(ctx.state(), attachment, own, Date.now()));
      attachment.facts.forEach(ctx.applyFact);
      const checkout = ctx.state().checkout;
      if (checkout && checkout.id === attachment.checkout?.id) ctx.armCheckoutExpiry(checkout);
      await ctx.persist();
      return claimResultOf(ctx.state(), claimRecordOf(ctx.state(), attachment.guestCheckoutId)!);
    });
  }

  setHandler(attachGuestCheckoutUpdate, attach, {
    validator(attachment) {
      parseOrReject(guestAttachmentSchema, attachment, 'The guest attachment is invalid.');
      const decision = decideAttach(ctx.state(), attachment, Date.now());
      if (decision.kind === 'reject') reject(decision.code, decision.message, decision.details);
    },
  });

  return {
    needsTagging: () => untaggedStripeIds(ctx.state()) !== null,
    /**
     * metadata.workspaceId on the claimed customer and subscription. Routing
     * does not depend on it (the projection and guest_checkout map the ids),
     * so a Stripe refusal is logged and not retried forever.
     */
    async tagOwnership(): Promise<void> {
      const pending = untaggedStripeIds(ctx.state());
      if (!pending) return;
      const ids = [pending.customerId, pending.subscriptionId].filter((id): id is string => id !== null);
      try {
        const tagged = await billing.tagStripeOwnership({ workspaceId, ...pending, idempotencyKey: `${workflowId}:tag:${ids.join(':')}` });
        ctx.setState(markTagged(ctx.state(), tagged));
      } catch (err) {
        log.warn('could not write the workspace id into Stripe metadata', { workspaceId, ids, err });
        ctx.setState(markTagged(ctx.state(), ids));
      }
    },
  };
}
