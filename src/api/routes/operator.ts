// Operator routes (OPERATOR_API_TOKEN): Enterprise contract controls and
// credit grants. Each is an Update on the workspace's workflows, validated
// there, with the operator's reason or reference recorded.
import { Router } from 'express';
import { z } from 'zod';
import { contractPricesSchema, grantCreditRequestSchema, invoicingControlsSchema, workspaceIdSchema } from '../../domain/schemas';
import type { WorkspaceClient } from '../../temporal/workspace-client';
import { parseInput } from '../validate';

const params = z.object({ workspaceId: workspaceIdSchema });

export function operatorRouter(deps: { workspaces: Pick<WorkspaceClient, 'grantCredit' | 'setContractPrices' | 'setInvoicingControls'> }): Router {
  const router = Router();

  router.post('/workspaces/:workspaceId/credits', async (req, res) => {
    const { workspaceId } = parseInput(params, req.params, 'params');
    const grant = parseInput(grantCreditRequestSchema, req.body ?? {}, 'body');
    const result = await deps.workspaces.grantCredit(workspaceId, grant);
    res.status(result.credited ? 201 : 200).json(result);
  });

  router.put('/workspaces/:workspaceId/contract-prices', async (req, res) => {
    const { workspaceId } = parseInput(params, req.params, 'params');
    const { prices } = parseInput(contractPricesSchema, req.body ?? {}, 'body');
    await deps.workspaces.setContractPrices(workspaceId, prices);
    res.json({ prices });
  });

  router.put('/workspaces/:workspaceId/invoicing', async (req, res) => {
    const { workspaceId } = parseInput(params, req.params, 'params');
    const controls = parseInput(invoicingControlsSchema, req.body ?? {}, 'body');
    res.json(await deps.workspaces.setInvoicingControls(workspaceId, controls));
  });

  return router;
}
