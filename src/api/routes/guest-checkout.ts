// Guest checkout routes (app token): a visitor without a workspace starts a
// hosted Checkout with an email; after the product app verified their
// sign-in it claims the purchase into a workspace. The route only chooses
// the new checkout's id; the guest-checkout workflow decides everything else.
import { createHash, randomUUID } from 'node:crypto';
import { Router } from 'express';
import { z } from 'zod';
import { claimRequestSchema, guestCheckoutIdSchema, guestCheckoutRequestSchema } from '../../domain/schemas';
import type { WorkspaceClient } from '../../temporal/workspace-client';
import { parseInput } from '../validate';

const params = z.object({ checkoutId: guestCheckoutIdSchema });

const idempotencyKey = z.string().trim().min(1).max(255).optional();

/** A fresh guest checkout id, or the one an Idempotency-Key always maps to (so a retried request joins its first try). */
export function newGuestCheckoutId(key?: string): string {
  const hex = key === undefined ? randomUUID().replace(/-/g, '') : createHash('sha256').update(`guest-checkout:${key}`).digest('hex').slice(0, 32);
  return `gco_${hex}`;
}

export function guestCheckoutRouter(deps: { workspaces: Pick<WorkspaceClient, 'startGuestCheckout' | 'claimGuestCheckout'> }): Router {
  const router = Router();

  router.post('/checkout/guest', async (req, res) => {
    const body = parseInput(guestCheckoutRequestSchema, req.body ?? {}, 'body');
    const { 'idempotency-key': key } = parseInput(z.object({ 'idempotency-key': idempotencyKey }), req.headers, 'headers');
    res.status(201).json(await deps.workspaces.startGuestCheckout(newGuestCheckoutId(key), body));
  });

  router.post('/checkout/:checkoutId/claim', async (req, res) => {
    const { checkoutId } = parseInput(params, req.params, 'params');
    const body = parseInput(claimRequestSchema, req.body ?? {}, 'body');
    res.json(await deps.workspaces.claimGuestCheckout(checkoutId, body));
  });

  return router;
}
