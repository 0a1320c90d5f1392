// Workspace routes: validate, then hand over to the workflow (writes) or the
// projection (reads). No billing decisions here.
import { performance } from 'node:perf_hooks';
import { Router, type NextFunction, type RequestHandler, type Response } from 'express';
import { z } from 'zod';
import type { PrismaClient } from '@prisma/client';
import type { AccessService } from '../../access/access-service';
import type { AccessAnswer } from '../../domain/access';
import { billingView } from '../../domain/projection';
import { accessQuerySchema, checkoutRequestSchema, planChangePreviewRequestSchema, planChangeRequestSchema, workspaceIdSchema } from '../../domain/schemas';
import { readBillingSnapshot } from '../../read-model/billing-projection-reader';
import type { WorkspaceClient } from '../../temporal/workspace-client';
import type { idempotency } from '../idempotency';
import { bearerCheck, unauthorized } from '../auth';
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
 * request logger and body parsing (see there), with its bearer check. A cached answer is written
 * synchronously (no promise, no microtask); the body is written directly
 * (no ETag, whose SHA-1 would cost more than the answer: the answer changes
 * with the clock and is not for conditional requests), and the common
 * "allowed" body is a constant.
 */
export function accessRoute(
  access: Pick<AccessService, 'check'> & Partial<Pick<AccessService, 'answerCached'>>,
  auth: { token: string; realm: string },
  /** Counts the request in the request metrics (status, seconds), when metrics are on. */
  record?: (status: number, seconds: number) => void,
): RequestHandler {
  // The bearer check is part of the handler (one route layer less than a separate middleware).
  const authorized = bearerCheck([auth.token]);
  // No closure is made per request (under tsx each named one also costs a defineProperty).
  return (req, res, next) => {
    const start = record === undefined ? 0 : performance.now();
    try {
      if (!authorized(req.headers.authorization)) return failAccess(res, next, unauthorized(res, auth.realm), start, record);
      const { workspaceId } = parseInput(params, req.params, 'params');
      const { projectId, environment } = parseInput(accessQuerySchema, req.query, 'query');
      const query = { workspaceId, projectId, environment };
      const cached = access.answerCached?.(query);
      if (cached !== undefined) return answerAccess(res, cached, start, record);
      access.check(query).then(
        (body) => answerAccess(res, body, start, record),
        (err: unknown) => failAccess(res, next, err, start, record),
      );
    } catch (err) {
      failAccess(res, next, err, start, record);
    }
  };
}

type RecordMetrics = ((status: number, seconds: number) => void) | undefined;

function answerAccess(res: Response, body: AccessAnswer, start: number, record: RecordMetrics): void {
  sendAccessAnswer(res, body);
  record?.(200, (performance.now() - start) / 1000);
}

/** Refusals and failures are answered by problemHandler: counted when their response is finished. */
function failAccess(res: Response, next: NextFunction, err: unknown, start: number, record: RecordMetrics): void {
  if (record !== undefined) res.on('finish', () => record(res.statusCode, (performance.now() - start) / 1000));
  next(err);
}

const ACCESS_HEADERS = { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store' };
const ALLOWED_BODY = JSON.stringify({ allowed: true, reasons: [] } satisfies AccessAnswer);

function sendAccessAnswer(res: Response, answer: AccessAnswer): void {
  res.writeHead(200, ACCESS_HEADERS);
  res.end(answer.allowed && answer.graceEndsAt === undefined ? ALLOWED_BODY : JSON.stringify(answer));
}
