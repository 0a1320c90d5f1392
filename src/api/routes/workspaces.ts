// Workspace routes: validate, then hand over to the workflow (writes) or the
// projection (reads). No billing decisions here.
import { Router } from 'express';
import { z } from 'zod';
import type { PrismaClient } from '@prisma/client';
import { accessAnswer } from '../../domain/access';
import { billingView } from '../../domain/projection';
import { accessQuerySchema, checkoutRequestSchema, planChangePreviewRequestSchema, planChangeRequestSchema, workspaceIdSchema } from '../../domain/schemas';
import { readBillingProjection } from '../../read-model/billing-projection-reader';
import { readWallet } from '../../read-model/wallet-reader';
import type { WorkspaceClient } from '../../temporal/workspace-client';
import { parseInput } from '../validate';

const params = z.object({ workspaceId: workspaceIdSchema });

export interface WorkspaceRouteDeps {
  prisma: PrismaClient;
  workspaces: Pick<WorkspaceClient, 'startCheckout' | 'previewPlanChange' | 'applyPlanChange' | 'cancelPendingChange'>;
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

  router.post('/workspaces/:workspaceId/plan-changes/preview', async (req, res) => {
    const { workspaceId } = parseInput(params, req.params, 'params');
    const body = parseInput(planChangePreviewRequestSchema, req.body ?? {}, 'body');
    res.json(await deps.workspaces.previewPlanChange(workspaceId, body));
  });

  router.post('/workspaces/:workspaceId/plan-changes', async (req, res) => {
    const { workspaceId } = parseInput(params, req.params, 'params');
    const body = parseInput(planChangeRequestSchema, req.body ?? {}, 'body');
    const change = await deps.workspaces.applyPlanChange(workspaceId, body);
    res.json(change);
  });

  router.delete('/workspaces/:workspaceId/plan-changes/pending', async (req, res) => {
    const { workspaceId } = parseInput(params, req.params, 'params');
    res.json({ canceled: await deps.workspaces.cancelPendingChange(workspaceId) });
  });

  // The gateway's hot path: answered from the projection, never from a workflow.
  router.get('/workspaces/:workspaceId/access', async (req, res) => {
    const { workspaceId } = parseInput(params, req.params, 'params');
    const query = parseInput(accessQuerySchema, req.query, 'query');
    const [p, wallet] = await Promise.all([
      readBillingProjection(deps.prisma, workspaceId),
      readWallet(deps.prisma, workspaceId, deps.walletMinimumCents),
    ]);
    res.json(
      accessAnswer({
        environment: query.environment,
        planId: p.planId,
        mode: p.mode,
        wallet,
        graceEndsAt: p.grace?.endsAt ?? null,
      }),
    );
  });

  router.get('/workspaces/:workspaceId/billing', async (req, res) => {
    const { workspaceId } = parseInput(params, req.params, 'params');
    const [projection, wallet] = await Promise.all([
      readBillingProjection(deps.prisma, workspaceId),
      readWallet(deps.prisma, workspaceId, deps.walletMinimumCents),
    ]);
    res.json(billingView(projection, wallet));
  });

  return router;
}
