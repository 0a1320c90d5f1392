// Guest checkouts for operators: by default the ones that need attention
// (paid and not claimed), flagged ones first, oldest payment first.
import type { PrismaClient } from '@prisma/client';
import { DomainError } from '../domain/errors';
import type { GuestCheckoutStatus } from '../domain/guest-checkout';

export interface GuestCheckoutListItem {
  checkoutId: string;
  email: string | null;
  planId: string | null;
  interval: string | null;
  status: string;
  billingStatus: string;
  flagged: boolean;
  stripe: { customerId: string | null; checkoutSessionId: string | null; subscriptionId: string | null };
  paidAt: string | null;
  flaggedAt: string | null;
  claimedWorkspaceId: string | null;
  claimedAt: string | null;
  createdAt: string;
}

const iso = (d: Date | null) => d?.toISOString() ?? null;

export async function listGuestCheckouts(
  prisma: PrismaClient,
  filter: { status: GuestCheckoutStatus | 'unclaimed_paid' | 'all'; flagged: boolean; limit: number },
): Promise<GuestCheckoutListItem[]> {
  const status = filter.status === 'unclaimed_paid' ? { status: 'paid' } : filter.status === 'all' ? {} : { status: filter.status };
  try {
    const rows = await prisma.guestCheckout.findMany({
      where: { ...status, ...(filter.flagged ? { flaggedAt: { not: null } } : {}) },
      orderBy: [{ flaggedAt: { sort: 'asc', nulls: 'last' } }, { paidAt: { sort: 'asc', nulls: 'last' } }, { createdAt: 'asc' }],
      take: filter.limit,
    });
    return rows.map((r) => ({
      checkoutId: r.checkoutId,
      email: r.email,
      planId: r.planId,
      interval: r.interval,
      status: r.status,
      billingStatus: r.billingStatus,
      flagged: r.flaggedAt !== null,
      stripe: { customerId: r.stripeCustomerId, checkoutSessionId: r.stripeCheckoutSessionId, subscriptionId: r.stripeSubscriptionId },
      paidAt: iso(r.paidAt),
      flaggedAt: iso(r.flaggedAt),
      claimedWorkspaceId: r.claimedWorkspaceId,
      claimedAt: iso(r.claimedAt),
      createdAt: r.createdAt.toISOString(),
    }));
  } catch (err) {
    throw new DomainError('database_unavailable', 'Guest checkouts could not be read; try again.', { cause: err instanceof Error ? err.message : String(err) });
  }
}
