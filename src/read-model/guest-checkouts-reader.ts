// Guest checkouts for operators: by default the ones that need attention
// (paid and not claimed), flagged ones first, oldest payment first. And the
// candidates of a claim by email.
import type { PrismaClient } from '@prisma/client';
import { DomainError } from '../domain/errors';
import type { GuestCheckoutStatus } from '../domain/guest-checkout';
import type { GuestClaimCandidate } from '../domain/guest-claim-candidates';

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

/** At most this many rows are read for one claim by email (the best ones by the same order). */
const CLAIM_CANDIDATES_READ = 20;

/**
 * The guest checkouts a claim by email may pick from (src/domain/guest-claim-candidates.ts
 * ranks them): this email's, compared case-insensitively, that are unclaimed and paid or
 * open, or that this workspace claimed already.
 */
export async function readClaimCandidates(prisma: PrismaClient, email: string, workspaceId: string): Promise<GuestClaimCandidate[]> {
  try {
    const rows = await prisma.$queryRaw<
      { checkout_id: string; email: string | null; status: string; claimed_workspace_id: string | null; paid_at: Date | null; expires_at: Date | null; created_at: Date }[]
    >`
      SELECT checkout_id, email, status, claimed_workspace_id, paid_at, expires_at, created_at
      FROM guest_checkout
      WHERE lower(email) = lower(${email})
        AND ((claimed_workspace_id IS NULL AND status IN ('paid', 'open')) OR claimed_workspace_id = ${workspaceId})
      ORDER BY paid_at DESC NULLS LAST, created_at DESC
      LIMIT ${CLAIM_CANDIDATES_READ}::int`;
    return rows.map((r) => ({
      checkoutId: r.checkout_id,
      email: r.email,
      status: r.status,
      claimedWorkspaceId: r.claimed_workspace_id,
      paidAt: r.paid_at?.getTime() ?? null,
      expiresAt: r.expires_at?.getTime() ?? null,
      createdAt: r.created_at.getTime(),
    }));
  } catch (err) {
    throw new DomainError('database_unavailable', 'Guest checkouts could not be read; try again.', { cause: err instanceof Error ? err.message : String(err) });
  }
}
