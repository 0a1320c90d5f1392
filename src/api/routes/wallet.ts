// Usage, wallet, top-ups and spend controls (set, and read back for Business
// oversight). Usage batches are validated, recorded durably in one INSERT
// (event ids are idempotency keys), then the wallet workflow is nudged once
// per batch to rate and debit them.
import { Router } from 'express';
import { z } from 'zod';
import type { PrismaClient } from '@prisma/client';
import { autoTopUpSettingsSchema, DEFAULT_AUTO_TOP_UP_MAX_PER_DAY } from '../../domain/auto-top-up';
import { ValidationError } from '../../domain/errors';
import { topUpRequestSchema, workspaceIdSchema } from '../../domain/schemas';
import { spendControlsSchema } from '../../domain/spend-rules';
import { validateUsageBatch } from '../../domain/usage';
import { recordUsage, withdrawNudge } from '../../metering/record-usage';
import { readSpendOversight } from '../../read-model/spend-oversight-reader';
import { ledgerQuerySchema, readWallet, readWalletLedger } from '../../read-model/wallet-reader';
import { readAutoTopUp, saveAutoTopUpSettings } from '../../wallet/auto-top-up-settings';
import type { WorkspaceClient } from '../../temporal/workspace-client';
import type { idempotency } from '../idempotency';
import { parseInput } from '../validate';

const params = z.object({ workspaceId: workspaceIdSchema });

export interface WalletRouteDeps {
  prisma: PrismaClient;
  workspaces: Pick<WorkspaceClient, 'usageRecorded' | 'startTopUp' | 'setSpendControls'>;
  walletMinimumCents: number;
  /** AUTO_TOP_UP_MAX_PER_DAY (shown beside today's charges). */
  autoTopUpMaxPerDay?: number;
  /** Wraps routes that start something (Idempotency-Key). */
  idempotent: ReturnType<typeof idempotency>;
  now?: () => number;
}

export function walletRouter(deps: WalletRouteDeps): Router {
  const router = Router();

  router.post('/workspaces/:workspaceId/usage', async (req, res) => {
    const { workspaceId } = parseInput(params, req.params, 'params');
    const batch = validateUsageBatch(req.body);
    if (!batch.ok) {
      // Batches are atomic: one invalid event rejects the batch and nothing is written.
      throw new ValidationError(
        batch.errors.map((e) => ({ path: `body.${e.path}`, message: e.message, index: e.index, id: e.id })),
        `${batch.errors.length} problem(s) in the usage batch; nothing was recorded.`,
      );
    }
    const recorded = await recordUsage(deps.prisma, workspaceId, batch.events);
    if (recorded.nudge) {
      await deps.workspaces.usageRecorded(workspaceId).catch(async (err: unknown) => {
        // The retry of this batch must signal again; if even this fails, the request goes stale and a later batch does.
        await withdrawNudge(deps.prisma, workspaceId, recorded.nudge!).catch(() => undefined);
        throw err;
      });
    }
    res.status(202).json({ accepted: recorded.accepted, duplicates: recorded.duplicates, rejected: 0 });
  });

  router.get('/workspaces/:workspaceId/wallet', async (req, res) => {
    const { workspaceId } = parseInput(params, req.params, 'params');
    const query = parseInput(ledgerQuerySchema, req.query, 'query');
    const [wallet, ledger] = await Promise.all([
      readWallet(deps.prisma, workspaceId, deps.walletMinimumCents),
      readWalletLedger(deps.prisma, workspaceId, query),
    ]);
    res.json({ ...wallet, entries: ledger.entries, nextCursor: ledger.nextCursor });
  });

  router.post(
    '/workspaces/:workspaceId/wallet/top-ups',
    deps.idempotent(async (req, { requestId }) => {
      const { workspaceId } = parseInput(params, req.params, 'params');
      const body = parseInput(topUpRequestSchema, req.body ?? {}, 'body');
      return { status: 201, body: await deps.workspaces.startTopUp(workspaceId, { ...body, requestId }) };
    }),
  );

  const now = () => (deps.now ?? Date.now)();
  const maxPerDay = deps.autoTopUpMaxPerDay ?? DEFAULT_AUTO_TOP_UP_MAX_PER_DAY;

  router.get('/workspaces/:workspaceId/wallet/auto-top-up', async (req, res) => {
    const { workspaceId } = parseInput(params, req.params, 'params');
    res.json(await readAutoTopUp(deps.prisma, workspaceId, maxPerDay, now()));
  });

  router.put(
    '/workspaces/:workspaceId/wallet/auto-top-up',
    deps.idempotent(async (req) => {
      const { workspaceId } = parseInput(params, req.params, 'params');
      const settings = parseInput(autoTopUpSettingsSchema, req.body ?? {}, 'body');
      await saveAutoTopUpSettings(deps.prisma, workspaceId, settings);
      return { status: 200, body: await readAutoTopUp(deps.prisma, workspaceId, maxPerDay, now()) };
    }),
  );

  router.get('/workspaces/:workspaceId/spend-controls', async (req, res) => {
    const { workspaceId } = parseInput(params, req.params, 'params');
    res.json(await readSpendOversight(deps.prisma, workspaceId, (deps.now ?? Date.now)()));
  });

  router.put('/workspaces/:workspaceId/spend-controls', async (req, res) => {
    const { workspaceId } = parseInput(params, req.params, 'params');
    const controls = parseInput(spendControlsSchema, req.body ?? {}, 'body');
    res.json({ controls, spend: await deps.workspaces.setSpendControls(workspaceId, controls) });
  });

  return router;
}
