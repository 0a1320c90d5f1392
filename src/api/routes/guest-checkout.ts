// Guest checkout routes (app token): a visitor without a workspace starts a
// hosted Checkout with an email; after the product app verified their
// sign-in it claims the purchase into a workspace. The route only chooses
// the new checkout's id; the guest-checkout workflow decides everything else.
import { createHash, randomUUID } from 'node:crypto';
import { Router } from 'express';
import { z } from 'zod';
import { claimRequestSchema, guestCheckoutIdSchema, guestCheckoutRequestSchema } from '../../domain/schemas';
import type { WorkspaceClient } from '../../temporal/workspace-client';
import type { idempotency } from '../idempotency';
import { parseInput } from '../validate';

const params = z.object({ checkoutId: guestCheckoutIdSchema });

/** A fresh guest checkout id, or the one an Idempotency-Key always maps to (so a retried request joins its first try). */
export function newGuestCheckoutId(key?: string): string {
  const hex = key === undefined ? randomUUID().replace(/-/g, '') : createHash('sha256').update(`guest-checkout:${key}`).digest('hex').slice(0, 32);
  return `gco_${hex}`;
}

export function guestCheckoutRouter(deps: {
  workspaces: Pick<WorkspaceClient, 'startGuestCheckout' | 'claimGuestCheckout'>;
  idempotent: ReturnType<typeof idempotency>;
}): Router {
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

  return router;
}
