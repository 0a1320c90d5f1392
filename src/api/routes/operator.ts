// Operator routes (OPERATOR_API_TOKEN): Enterprise contract controls, credit
// grants and the operator actions on a workspace's billing (extend or end
// the grace window, resync from Stripe, cancel the scheduled change). Each
// is an Update on the workspace's workflows, validated there, with the
// operator's reason recorded (operator_audit table and workflow history).
// Also the outbound webhooks: the notifications with their attempt logs, and
// a redelivery (a new round of attempts with the same webhook-id).
import { Router } from 'express';
import { z } from 'zod';
import { extendGraceBodyRulesSchema, extendGraceBodySchema, operatorActionBodySchema } from '../../domain/operator-actions';
import { contractPricesSchema, grantCreditRequestSchema, invoicingControlsSchema, workspaceIdSchema } from '../../domain/schemas';
import type { WorkspaceClient } from '../../temporal/workspace-client';
import type { idempotency } from '../idempotency';
import { parseInput } from '../validate';
import { listSalesLeads } from '../../read-model/sales-leads-reader';
import { listGuestCheckouts } from '../../read-model/guest-checkouts-reader';
import { guestCheckoutListQuerySchema } from '../../domain/schemas';
import { notificationIdSchema, notificationListQuerySchema } from '../../domain/notification-schemas';
import { DomainError } from '../../domain/errors';
import { redeliverNotification } from '../../notifications/notification-store';
import { listNotifications } from '../../read-model/notifications-reader';
import type { PrismaClient } from '@prisma/client';

const params = z.object({ workspaceId: workspaceIdSchema });
/** Recorded as the actor of actions sent through this API (a body may name a more specific one). */
export const OPERATOR_API_ACTOR = 'operator-api';

type OperatorWorkspaces = Pick<
  WorkspaceClient,
  'grantCredit' | 'setContractPrices' | 'setInvoicingControls' | 'extendGrace' | 'endGrace' | 'resyncFromStripe' | 'cancelScheduledChange'
>;

export function operatorRouter(deps: { workspaces: OperatorWorkspaces; prisma: PrismaClient; idempotent: ReturnType<typeof idempotency> }): Router {
  const router = Router();

  router.get('/sales-leads', async (req, res) => {
    const { limit } = parseInput(z.object({ limit: z.coerce.number().int().min(1).max(200).default(50) }), req.query, 'query');
    res.json({ leads: await listSalesLeads(deps.prisma, limit) });
  });

  router.get('/guest-checkouts', async (req, res) => {
    const filter = parseInput(guestCheckoutListQuerySchema, req.query, 'query');
    res.json({ guestCheckouts: await listGuestCheckouts(deps.prisma, filter) });
  });

  router.get('/notifications', async (req, res) => {
    const query = parseInput(notificationListQuerySchema, req.query, 'query');
    res.json(await listNotifications(deps.prisma, query));
  });

  // A new round of attempts; with an Idempotency-Key, a retried request gets the first answer instead of another round.
  router.post(
    '/notifications/:notificationId/redeliver',
    deps.idempotent(async (req) => {
      const { notificationId } = parseInput(z.object({ notificationId: notificationIdSchema }), req.params, 'params');
      const outcome = await redeliverNotification(deps.prisma, notificationId).catch((err: unknown) => {
        throw new DomainError('database_unavailable', 'The notification could not be redelivered; try again.', { cause: err instanceof Error ? err.message : String(err) });
      });
      if (outcome === 'not_found') throw new DomainError('notification_not_found', `No notification ${notificationId}.`);
      if (outcome === 'in_flight') throw new DomainError('notification_in_flight', 'The notification is being POSTed right now; repeat once that attempt has finished.');
      const [view] = (await listNotifications(deps.prisma, { status: 'all', limit: 1, id: notificationId })).notifications;
      return { status: 202, body: view };
    }),
  );

  router.post(
    '/workspaces/:workspaceId/credits',
    deps.idempotent(async (req) => {
      const { workspaceId } = parseInput(params, req.params, 'params');
      const grant = parseInput(grantCreditRequestSchema, req.body ?? {}, 'body');
      const result = await deps.workspaces.grantCredit(workspaceId, { ...grant, actor: grant.actor ?? OPERATOR_API_ACTOR });
      return { status: result.credited ? 201 : 200, body: result };
    }),
  );

  router.put('/workspaces/:workspaceId/contract-prices', async (req, res) => {
    const { workspaceId } = parseInput(params, req.params, 'params');
    const { prices } = parseInput(contractPricesSchema, req.body ?? {}, 'body');
    await deps.workspaces.setContractPrices(workspaceId, prices);
    res.json({ prices });
  });

  router.put('/workspaces/:workspaceId/invoicing', async (req, res) => {
    const { workspaceId } = parseInput(params, req.params, 'params');
    const controls = parseInput(invoicingControlsSchema, req.body ?? {}, 'body');
    // A PUT of the same controls is naturally idempotent: its Stripe key derives from what is set.
    res.json(await deps.workspaces.setInvoicingControls(workspaceId, controls));
  });

  /** The action's request id: the body's, else the one the Idempotency-Key maps to (or a random one). */
  const action = <T extends { requestId?: string; actor?: string }>(request: T, requestId: string) => ({
    ...request,
    requestId: request.requestId ?? requestId,
    actor: request.actor ?? OPERATOR_API_ACTOR,
  });

  router.post(
    '/workspaces/:workspaceId/grace/extend',
    deps.idempotent(async (req, ctx) => {
      const { workspaceId } = parseInput(params, req.params, 'params');
      const body: unknown = req.body ?? {};
      // Validated by the documented union; a refusal is explained field by field by the same rules as one object.
      if (!extendGraceBodySchema.safeParse(body).success) parseInput(extendGraceBodyRulesSchema, body, 'body');
      const request = parseInput(extendGraceBodySchema, body, 'body');
      return { status: 200, body: await deps.workspaces.extendGrace(workspaceId, action(request, ctx.requestId)) };
    }),
  );

  const simple = (path: string, act: 'endGrace' | 'resyncFromStripe' | 'cancelScheduledChange') =>
    router.post(
      `/workspaces/:workspaceId/${path}`,
      deps.idempotent(async (req, ctx) => {
        const { workspaceId } = parseInput(params, req.params, 'params');
        const request = parseInput(operatorActionBodySchema, req.body ?? {}, 'body');
        return { status: 200, body: await deps.workspaces[act](workspaceId, action(request, ctx.requestId)) };
      }),
    );
  simple('grace/end', 'endGrace');
  simple('resync', 'resyncFromStripe');
  simple('scheduled-change/cancel', 'cancelScheduledChange');

  return router;
}
