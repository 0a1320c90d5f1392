// Operators' answers (OPERATOR_API_TOKEN): why a workspace is in its state
// (the causal timeline) and what a proposed rate card would have charged for
// the recorded usage (the back-test). Both only read.
import type { PrismaClient } from '@prisma/client';
import { Router } from 'express';
import { z } from 'zod';
import { backtestRequestSchema } from '../../domain/backtest';
import { workspaceIdSchema } from '../../domain/schemas';
import { timelineQuerySchema } from '../../domain/timeline/timeline';
import { runBacktest } from '../../read-model/usage-backtest';
import { readWorkspaceTimeline } from '../../read-model/workspace-timeline';
import type { WorkspaceClient } from '../../temporal/workspace-client';
import { parseInput } from '../validate';

const params = z.object({ workspaceId: workspaceIdSchema });

export function operatorAnswersRouter(deps: { prisma: PrismaClient; workspaces: Pick<WorkspaceClient, 'workflowHistory'> }): Router {
  const router = Router();

  router.get('/workspaces/:workspaceId/timeline', async (req, res) => {
    const { workspaceId } = parseInput(params, req.params, 'params');
    const query = parseInput(timelineQuerySchema, req.query, 'query');
    res.json(await readWorkspaceTimeline({ prisma: deps.prisma, histories: deps.workspaces }, workspaceId, query));
  });

  router.post('/backtests', async (req, res) => {
    const request = parseInput(backtestRequestSchema, req.body ?? {}, 'body');
    res.json(await runBacktest(deps.prisma, request));
  });

  return router;
}
