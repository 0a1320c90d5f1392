// Guest checkout routes (app token): a visitor without a workspace starts a
// hosted Checkout with an email; after the product app verified their
// sign-in it claims the purchase into a workspace. The route only chooses
// the new checkout's id; the guest-checkout workflow decides everything else.
import { randomUUID } from 'node:crypto';
import { Router } from 'express';
import { z } from 'zod';
import { claimRequestSchema, guestCheckoutIdSchema, guestCheckoutRequestSchema } from '../../domain/schemas';
import type { WorkspaceClient } from '../../temporal/workspace-client';
import { parseInput } from '../validate';

const params = z.object({ checkoutId: guestCheckoutIdSchema });

export function newGuestCheckoutId(): string {
  return `gco_${randomUUID().replace(/-/g, '')}`;
}

export function guestCheckoutRouter(deps: { workspaces: Pick<WorkspaceClient, 'startGuestCheckout' | 'claimGuestCheckout'> }): Router {
  const router = Router();

  router.post('/checkout/guest', async (req, res) => {
    const body = parseInput(guestCheckoutRequestSchema, req.body ?? {}, 'body');
    res.status(201).json(await deps.workspaces.startGuestCheckout(newGuestCheckoutId(), body));
  });

  router.post('/checkout/:checkoutId/claim', async (req, res) => {
    const { checkoutId } = parseInput(params, req.params, 'params');
    const body = parseInput(claimRequestSchema, req.body ?? {}, 'body');
    res.json(await deps.workspaces.claimGuestCheckout(checkoutId, body));
  });

  return router;
}
