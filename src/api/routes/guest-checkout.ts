// Guest checkout routes (app token): a visitor without a workspace starts a
// hosted Checkout with an email; after the product app verified their
// sign-in it claims the purchase into a workspace, by the checkout's id or by
// the verified email alone. The routes only choose the new checkout's id and,
// for a claim by email, which checkout to claim (src/domain/guest-claim-candidates.ts);
// the guest-checkout workflow decides everything else.
import { createHash, randomUUID } from 'node:crypto';
import type { PrismaClient } from '@prisma/client';
import { Router } from 'express';
import { z } from 'zod';
import { DomainError, type ErrorCode } from '../../domain/errors';
import type { ClaimResult } from '../../domain/guest-checkout';
import { rankClaimCandidates } from '../../domain/guest-claim-candidates';
import { claimByEmailRequestSchema, claimRequestSchema, guestCheckoutIdSchema, guestCheckoutRequestSchema, workspaceIdSchema, type ClaimByEmailRequest } from '../../domain/schemas';
import { readClaimCandidates } from '../../read-model/guest-checkouts-reader';
import type { WorkspaceClient } from '../../temporal/workspace-client';
import type { idempotency } from '../idempotency';
import type { IdTokenVerifier } from '../oidc';
import { parseInput } from '../validate';

const params = z.object({ checkoutId: guestCheckoutIdSchema });
const workspaceParams = z.object({ workspaceId: workspaceIdSchema });

/**
 * The workflow's answers that mean the read model was behind (the session
 * expired unpaid meanwhile, or the checkout's workflow ended): the next
 * candidate is tried. Every other answer is the claim's answer.
 */
const STALE: readonly ErrorCode[] = ['nothing_to_claim', 'guest_checkout_not_found'];

type ClaimDeps = {
  prisma: PrismaClient;
  workspaces: Pick<WorkspaceClient, 'claimGuestCheckout'>;
  /** Set in OIDC mode (OIDC_ISSUER, OIDC_AUDIENCE): an ID token is then required. */
  idTokens: IdTokenVerifier | null;
  now: () => number;
};

/** The email a claim by email is for: the app's word, or the ID token's in OIDC mode. */
async function emailOf(deps: Pick<ClaimDeps, 'idTokens'>, body: ClaimByEmailRequest): Promise<string> {
  if (deps.idTokens) {
    if (!('idToken' in body)) {
      throw new DomainError('id_token_required', 'This engine verifies sign-ins itself (OIDC mode): send the ID token as idToken, not verifiedEmail.');
    }
    return deps.idTokens.verifiedEmail(body.idToken);
  }
  if ('idToken' in body) {
    throw new DomainError('oidc_not_configured', 'This engine verifies no ID tokens (OIDC_ISSUER and OIDC_AUDIENCE are not set): send the email the app verified as verifiedEmail.');
  }
  return body.verifiedEmail;
}

/** Claims the best candidate for the email (the workflow decides, as for a claim by id); 404 nothing_to_claim when none is left. */
export async function claimByEmail(deps: ClaimDeps, workspaceId: string, email: string): Promise<ClaimResult> {
  const candidates = rankClaimCandidates(await readClaimCandidates(deps.prisma, email, workspaceId), { workspaceId, email }, deps.now());
  for (const candidate of candidates) {
    try {
      return await deps.workspaces.claimGuestCheckout(candidate.checkoutId, { workspaceId, verifiedEmail: email });
    } catch (err) {
      if (err instanceof DomainError && STALE.includes(err.code)) continue;
      throw err;
    }
  }
  throw new DomainError('nothing_to_claim', 'No paid or open guest checkout for this email is waiting to be claimed.');
}

/** A fresh guest checkout id, or the one an Idempotency-Key always maps to (so a retried request joins its first try). */
export function newGuestCheckoutId(key?: string): string {
  const hex = key === undefined ? randomUUID().replace(/-/g, '') : createHash('sha256').update(`guest-checkout:${key}`).digest('hex').slice(0, 32);
  return `gco_${hex}`;
}

export function guestCheckoutRouter(
  deps: ClaimDeps & {
    workspaces: Pick<WorkspaceClient, 'startGuestCheckout' | 'claimGuestCheckout'>;
    idempotent: ReturnType<typeof idempotency>;
  },
): Router {
  const router = Router();

  router.post(
    '/checkout/guest',
    deps.idempotent(async (req, { key }) => {
      const body = parseInput(guestCheckoutRequestSchema, req.body ?? {}, 'body');
      return { status: 201, body: await deps.workspaces.startGuestCheckout(newGuestCheckoutId(key ?? undefined), body) };
    }),
  );

  router.post(
    '/checkout/:checkoutId/claim',
    deps.idempotent(async (req) => {
      const { checkoutId } = parseInput(params, req.params, 'params');
      const body = parseInput(claimRequestSchema, req.body ?? {}, 'body');
      return { status: 200, body: await deps.workspaces.claimGuestCheckout(checkoutId, body) };
    }),
  );

  router.post(
    '/workspaces/:workspaceId/guest-checkouts/claim',
    deps.idempotent(async (req) => {
      const { workspaceId } = parseInput(workspaceParams, req.params, 'params');
      const body = parseInput(claimByEmailRequestSchema, req.body ?? {}, 'body');
      const email = await emailOf(deps, body);
      return { status: 200, body: await claimByEmail(deps, workspaceId, email) };
    }),
  );

  return router;
}
