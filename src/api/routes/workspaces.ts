// Workspace routes: validate, then hand over to the workflow (writes) or the
// projection (reads). No billing decisions here.
import { Router, type RequestHandler } from 'express';
import { z } from 'zod';
import type { PrismaClient } from '@prisma/client';
import type { AccessService } from '../../access/access-service';
import { billingView } from '../../domain/projection';
import { accessQuerySchema, checkoutRequestSchema, planChangePreviewRequestSchema, planChangeRequestSchema, workspaceIdSchema } from '../../domain/schemas';
import { readBillingSnapshot } from '../../read-model/billing-projection-reader';
import type { WorkspaceClient } from '../../temporal/workspace-client';
import type { idempotency } from '../idempotency';
import { parseInput } from '../validate';

const params = z.object({ workspaceId: workspaceIdSchema });

export interface WorkspaceRouteDeps {
  prisma: PrismaClient;
  workspaces: Pick<WorkspaceClient, 'startCheckout' | 'previewPlanChange' | 'applyPlanChange' | 'cancelPendingChange'>;
  walletMinimumCents: number;
  /** The clock /billing evaluates the snapshot at (the access service has its own, default Date.now). */
  now: () => number;
  /** Wraps routes that start something (Idempotency-Key). */
  idempotent: ReturnType<typeof idempotency>;
}

export function workspacesRouter(deps: WorkspaceRouteDeps): Router {
  const router = Router();

  router.post(
    '/workspaces/:workspaceId/checkout',
    deps.idempotent(async (req, { requestId }) => {
      const { workspaceId } = parseInput(params, req.params, 'params');
      const body = parseInput(checkoutRequestSchema, req.body ?? {}, 'body');
      const { created, ...checkout } = await deps.workspaces.startCheckout(workspaceId, { ...body, requestId });
      return { status: created ? 201 : 200, body: checkout };
    }),
  );

  router.post('/workspaces/:workspaceId/plan-changes/preview', async (req, res) => {
    const { workspaceId } = parseInput(params, req.params, 'params');
    const body = parseInput(planChangePreviewRequestSchema, req.body ?? {}, 'body');
    res.json(await deps.workspaces.previewPlanChange(workspaceId, body));
  });

  router.post(
    '/workspaces/:workspaceId/plan-changes',
    deps.idempotent(async (req, { requestId }) => {
      const { workspaceId } = parseInput(params, req.params, 'params');
      const body = parseInput(planChangeRequestSchema, req.body ?? {}, 'body');
      return { status: 200, body: await deps.workspaces.applyPlanChange(workspaceId, { ...body, requestId }) };
    }),
  );

  router.delete('/workspaces/:workspaceId/plan-changes/pending', async (req, res) => {
    const { workspaceId } = parseInput(params, req.params, 'params');
    res.json({ canceled: await deps.workspaces.cancelPendingChange(workspaceId) });
  });

  router.get('/workspaces/:workspaceId/billing', async (req, res) => {
    const { workspaceId } = parseInput(params, req.params, 'params');
    // One snapshot, evaluated at this instant exactly as /access evaluates it.
    const snapshot = await readBillingSnapshot(deps.prisma, workspaceId, deps.walletMinimumCents);
    res.json(billingView(snapshot, deps.now()));
  });

  return router;
}

/**
 * GET /v1/workspaces/{workspaceId}/access — the gateway's hot path, answered
 * by the access service (projection + in-process cache invalidated by
 * LISTEN/NOTIFY), never from a workflow. createApp mounts it ahead of the
 * request logger and body parsing (see there).
 */
export function accessRoute(access: Pick<AccessService, 'check'>): RequestHandler {
  return async (req, res) => {
    const { workspaceId } = parseInput(params, req.params, 'params');
    const query = parseInput(accessQuerySchema, req.query, 'query');
    res.json(await access.check({ workspaceId, projectId: query.projectId, environment: query.environment }));
  };
}
