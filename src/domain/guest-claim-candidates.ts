// Claim by email: which guest checkout a workspace gets when the app sends
// only a verified email (no checkout id). Pure; the API reads the rows from
// the guest_checkout read model and claims the picks, in this order, through
// the guest-checkout workflow, which decides as it does for a claim by id.
//
// "The newest paid-or-open unclaimed guest checkout", precisely:
//  - eligible: the email matches (case-insensitive, like the claim by id),
//    and the checkout is unclaimed and either paid (a live subscription) or
//    open (its hosted session has not expired); a checkout this same
//    workspace already claimed is eligible too, so a repeated claim answers
//    the same (the workflow answers its recorded result);
//  - paid beats open, whatever their ages: a paid subscription left
//    unclaimed is what the claim exists for, an open session may never be
//    paid (a paid one older than an open one wins);
//  - among paid ones, the latest payment (paidAt) first; among open ones, the
//    latest started (createdAt) first; ties by createdAt, then by id.
// A checkout this workspace already claimed ranks by the same rule (paid if
// it was paid when claimed). So a repeat answers the first claim again unless
// a newer payment arrived since (then that one is tried, and the workspace
// decides: usually 409 workspace_already_subscribed naming both).
import { sameEmail } from './guest-checkout';

/** The columns of a guest_checkout row the choice needs (times in ms). */
export interface GuestClaimCandidate {
  checkoutId: string;
  email: string | null;
  status: string;
  claimedWorkspaceId: string | null;
  paidAt: number | null;
  expiresAt: number | null;
  createdAt: number;
}

export function isEligible(row: GuestClaimCandidate, claim: { workspaceId: string; email: string }, nowMs: number): boolean {
  if (row.email === null || !sameEmail(row.email, claim.email)) return false;
  if (row.claimedWorkspaceId !== null) return row.claimedWorkspaceId === claim.workspaceId;
  if (row.status === 'paid') return true;
  return row.status === 'open' && (row.expiresAt === null || row.expiresAt > nowMs);
}

function compare(a: GuestClaimCandidate, b: GuestClaimCandidate): number {
  const paidA = a.paidAt !== null;
  const paidB = b.paidAt !== null;
  if (paidA !== paidB) return paidA ? -1 : 1;
  if (paidA && a.paidAt !== b.paidAt) return b.paidAt! - a.paidAt!;
  if (a.createdAt !== b.createdAt) return b.createdAt - a.createdAt;
  return a.checkoutId < b.checkoutId ? 1 : a.checkoutId > b.checkoutId ? -1 : 0;
}

/**
 * The eligible checkouts, best first. The API claims the first; it moves on
 * to the next only when the read model was stale (the workflow says there is
 * nothing to claim any more, or it has ended).
 */
export function rankClaimCandidates(rows: readonly GuestClaimCandidate[], claim: { workspaceId: string; email: string }, nowMs: number): GuestClaimCandidate[] {
  return rows.filter((row) => isEligible(row, claim, nowMs)).sort(compare);
}
