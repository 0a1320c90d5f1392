// Workspace routes: validate, then hand over to the workflow (writes) or the
// projection (reads). No billing decisions here.
import { Router } from 'express';
import { z } from 'zod';
import type { PrismaClient } from '@prisma/client';
import { billingView } from '../../domain/projection';
import { checkoutRequestSchema, workspaceIdSchema } from '../../domain/schemas';
import { readBillingProjection } from '../../read-model/billing-projection-reader';
import type { WorkspaceClient } from '../../temporal/workspace-client';
import { parseInput } from '../validate';

const params = z.object({ workspaceId: workspaceIdSchema });

export interface WorkspaceRouteDeps {
  prisma: PrismaClient;
  workspaces: Pick<WorkspaceClient, 'startCheckout'>;
  walletMinimumCents: number;
}

export function workspacesRouter(deps: WorkspaceRouteDeps): Router {
  const router = Router();

  router.post('/workspaces/:workspaceId/checkout', async (req, res) => {
    const { workspaceId } = parseInput(params, req.params, 'params');
    const body = parseInput(checkoutRequestSchema, req.body ?? {}, 'body');
    const { created, ...checkout } = await deps.workspaces.startCheckout(workspaceId, body);
    res.status(created ? 201 : 200).json(checkout);
  });

  router.get('/workspaces/:workspaceId/billing', async (req, res) => {
    const { workspaceId } = parseInput(params, req.params, 'params');
    const projection = await readBillingProjection(deps.prisma, workspaceId);
    // The wallet ledger arrives with metering; until then every balance is zero.
    res.json(billingView(projection, { balanceCents: 0, minimumCents: deps.walletMinimumCents }));
  });

  return router;
}
