// Activities of guest checkouts and their claims: the guest_checkout read
// model (version-guarded like the workspace projection), handing a guest's
// billing state to the workspace workflow (an Update through the API's own
// WorkspaceClient), expiring a workspace's own open session when a claim
// replaces it, and writing the workspace id into the Stripe metadata of a
// claimed customer and subscription.
import { ApplicationFailure } from '@temporalio/common';
import type { PrismaClient } from '@prisma/client';
import type Stripe from 'stripe';
import { DomainError } from '../src/domain/errors';
import type { ClaimResult, GuestAttachment, GuestCheckoutView } from '../src/domain/guest-checkout';
import { guestCheckoutNotifications } from '../src/domain/notifications';
import { activityTime, enqueueNotifications, type OutboxSettings } from './notification-outbox';
import { callStripe } from './stripe-failures';
import { writeIfNewer } from './versioned-write';

/** The part of src/temporal/workspace-client.ts a claim needs. */
export interface GuestClaimPort {
  attachGuestCheckout(workspaceId: string, attachment: GuestAttachment): Promise<ClaimResult>;
}

export interface AttachInput {
  workspaceId: string;
  attachment: GuestAttachment;
}

/**
 * Update-with-start on the workspace workflow (the workspace may be new).
 * Its refusals (e.g. workspace_already_subscribed) are final; an unreachable
 * workflow service is retried.
 */
export async function attachThrough(workspaces: GuestClaimPort, input: AttachInput): Promise<ClaimResult> {
  try {
    return await workspaces.attachGuestCheckout(input.workspaceId, input.attachment);
  } catch (err) {
    if (err instanceof DomainError && err.code !== 'temporal_unavailable') {
      throw ApplicationFailure.create({ type: err.code, message: err.message, nonRetryable: true, details: [err.details] });
    }
    throw err;
  }
}

const date = (ms: number | null) => (ms === null ? null : new Date(ms));

export function createGuestClaimActivities({
  prisma,
  stripe,
  workspaces,
  outbox,
}: {
  prisma: PrismaClient;
  stripe: Stripe;
  workspaces: GuestClaimPort;
  outbox?: OutboxSettings;
}) {
  return {
    async saveGuestCheckout(view: GuestCheckoutView): Promise<boolean> {
      const row = {
        email: view.email,
        planId: view.planId,
        interval: view.interval,
        status: view.status,
        billingStatus: view.billingStatus,
        stripeCustomerId: view.stripeCustomerId,
        stripeCheckoutSessionId: view.stripeCheckoutSessionId,
        stripeSubscriptionId: view.stripeSubscriptionId,
        expiresAt: date(view.expiresAt),
        paidAt: date(view.paidAt),
        flaggedAt: date(view.flaggedAt),
        claimedWorkspaceId: view.claimedWorkspaceId,
        claimedAt: date(view.claimedAt),
        createdAt: new Date(view.createdAt),
        version: view.version,
      };
      const where = { checkoutId: view.checkoutId };
      const nowMs = activityTime();
      return writeIfNewer(
        prisma,
        `guest-checkout/${view.checkoutId}`,
        view.version,
        (tx) => tx.guestCheckout.findUnique({ where, select: { version: true, flaggedAt: true } }),
        async (tx, stored) => {
          await tx.guestCheckout.upsert({ where, create: { ...where, ...row }, update: row });
          // Flagged while nobody claimed it: guest_checkout.unclaimed, once.
          const before = stored ? { flaggedAt: stored.flaggedAt?.getTime() ?? null } : null;
          await enqueueNotifications(tx, guestCheckoutNotifications(before, view, nowMs), outbox);
        },
      );
    },

    attachGuestToWorkspace: (input: AttachInput) => attachThrough(workspaces, input),

    /** Expires an open session; says `complete` when it was paid meanwhile (then it cannot be expired). */
    async expireCheckoutSession(input: { checkoutId: string; idempotencyKey: string }): Promise<'expired' | 'complete'> {
      const session = await callStripe('retrieve checkout session', () => stripe.checkout.sessions.retrieve(input.checkoutId));
      if (session.status === 'complete') return 'complete';
      if (session.status === 'expired') return 'expired';
      const expired = await callStripe('expire checkout session', () =>
        stripe.checkout.sessions.expire(input.checkoutId, {}, { idempotencyKey: input.idempotencyKey }),
      );
      return expired.status === 'complete' ? 'complete' : 'expired';
    },

    /** metadata.workspaceId on the claimed customer and subscription, so Stripe's own records name the owner. */
    async tagStripeOwnership(input: { workspaceId: string; customerId: string | null; subscriptionId: string | null; idempotencyKey: string }): Promise<string[]> {
      const metadata = { workspaceId: input.workspaceId };
      const tagged: string[] = [];
      if (input.customerId) {
        const id = input.customerId;
        await callStripe('tag customer', () => stripe.customers.update(id, { metadata }, { idempotencyKey: `${input.idempotencyKey}:customer` }));
        tagged.push(id);
      }
      if (input.subscriptionId) {
        const id = input.subscriptionId;
        await callStripe('tag subscription', () => stripe.subscriptions.update(id, { metadata }, { idempotencyKey: `${input.idempotencyKey}:subscription` }));
        tagged.push(id);
      }
      return tagged;
    },
  };
}
