// Which workflow a Stripe event belongs to, in the spec's order: the
// object's metadata.workspaceId (or the invoice's subscription snapshot),
// then the stored customer/subscription mapping of workspaces, then guest
// checkouts — by metadata.guestCheckoutId or their stored Stripe ids. A
// guest checkout that a workspace claimed sends its events to that workspace.
import type { PrismaClient } from '@prisma/client';
import type { EventRouting } from '../domain/stripe-events';

export type EventTarget = { kind: 'workspace'; workspaceId: string } | { kind: 'guest'; checkoutId: string };

function byStripeIds(routing: EventRouting) {
  return [
    ...(routing.subscriptionId ? [{ stripeSubscriptionId: routing.subscriptionId }] : []),
    ...(routing.customerId ? [{ stripeCustomerId: routing.customerId }] : []),
  ];
}

export async function targetOf(prisma: PrismaClient, routing: EventRouting): Promise<EventTarget | null> {
  if (routing.workspaceId) return { kind: 'workspace', workspaceId: routing.workspaceId };
  const or = byStripeIds(routing);
  if (or.length > 0) {
    const row = await prisma.workspaceBilling.findFirst({ where: { OR: or }, select: { workspaceId: true } });
    if (row) return { kind: 'workspace', workspaceId: row.workspaceId };
  }
  const guestOr = [...(routing.guestCheckoutId ? [{ checkoutId: routing.guestCheckoutId }] : []), ...or];
  if (guestOr.length === 0) return null;
  const guest = await prisma.guestCheckout.findFirst({ where: { OR: guestOr }, select: { checkoutId: true, claimedWorkspaceId: true } });
  if (guest?.claimedWorkspaceId) return { kind: 'workspace', workspaceId: guest.claimedWorkspaceId };
  // A guest's first events can beat the workflow's first write of its row: metadata is enough.
  const checkoutId = guest?.checkoutId ?? routing.guestCheckoutId;
  return checkoutId ? { kind: 'guest', checkoutId } : null;
}
