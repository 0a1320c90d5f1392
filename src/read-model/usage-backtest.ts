// Runs a rate-card back-test over the recorded usage (usage_event) inside one
// READ ONLY, REPEATABLE READ transaction: nothing can be written, and every
// page sees the same snapshot. Usage is read in pages of `pageSize` rows by
// seq (keyset paging), so a large table is never loaded at once; only one
// running total per workspace is kept. The rating is src/domain/backtest.ts.
import type { Prisma, PrismaClient } from '@prisma/client';
import { createBacktest, isPricedPlan, type BacktestRequest, type BacktestResult } from '../domain/backtest';
import { DomainError } from '../domain/errors';
import { ENVIRONMENTS, type Environment } from '../domain/plans';
import { isRequestFamily, type ContractPrices, type RatableEvent } from '../domain/rating';

export const BACKTEST_PAGE_SIZE = 5000;
/** A back-test over a very large table may take minutes; the transaction stays open that long at most. */
const TRANSACTION = { maxWait: 10_000, timeout: 15 * 60_000 };

interface UsageRow {
  seq: bigint;
  workspace_id: string;
  family: string;
  environment: string;
  quantity: bigint;
}

function ratable(row: UsageRow): RatableEvent {
  if (!isRequestFamily(row.family) || !(ENVIRONMENTS as readonly string[]).includes(row.environment)) {
    throw new DomainError('internal_error', `usage event seq ${row.seq} has an unknown family or environment (${row.family}/${row.environment})`);
  }
  return { family: row.family, environment: row.environment as Environment, quantity: row.quantity };
}

type Tx = Prisma.TransactionClient;

async function contractPricesOf(tx: Tx, workspaceIds: string[]): Promise<Map<string, ContractPrices>> {
  const prices = new Map<string, ContractPrices>(workspaceIds.map((id) => [id, {}]));
  if (workspaceIds.length === 0) return prices;
  const rows = await tx.contractPrice.findMany({ where: { workspaceId: { in: workspaceIds } }, select: { workspaceId: true, family: true, centsPer1000: true } });
  for (const row of rows) if (isRequestFamily(row.family)) prices.get(row.workspaceId)![row.family] = row.centsPer1000;
  return prices;
}

export async function runBacktest(prisma: PrismaClient, request: BacktestRequest, pageSize = BACKTEST_PAGE_SIZE): Promise<BacktestResult> {
  const workspaceId = request.workspaceId ?? null;
  const from = request.from === undefined ? null : new Date(request.from);
  const to = request.to === undefined ? null : new Date(request.to);
  try {
    return await prisma.$transaction(async (tx) => {
      await tx.$executeRawUnsafe('SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY');
      if (workspaceId) {
        const [known] = await tx.$queryRaw<{ known: boolean }[]>`
          SELECT EXISTS (SELECT 1 FROM workspace_billing WHERE workspace_id = ${workspaceId})
              OR EXISTS (SELECT 1 FROM usage_event WHERE workspace_id = ${workspaceId}) AS known`;
        if (!known.known) throw new DomainError('workspace_not_found', `No billing record and no recorded usage for workspace ${workspaceId}.`);
      }
      const backtest = createBacktest(request);
      const contracts = new Map<string, ContractPrices>();

      for (let after = 0n; ; ) {
        const rows = await tx.$queryRaw<UsageRow[]>`
          SELECT seq, workspace_id, family, environment, quantity FROM usage_event
          WHERE seq > ${after}
            AND (${workspaceId}::text IS NULL OR workspace_id = ${workspaceId}::text)
            AND (${from}::timestamptz IS NULL OR occurred_at >= ${from}::timestamptz)
            AND (${to}::timestamptz IS NULL OR occurred_at < ${to}::timestamptz)
          ORDER BY seq
          LIMIT ${pageSize}::int`;
        if (rows.length === 0) break;
        const unknown = [...new Set(rows.map((r) => r.workspace_id))].filter((id) => !contracts.has(id));
        for (const [id, prices] of await contractPricesOf(tx, unknown)) contracts.set(id, prices);
        // Each workspace's events of this page, still in seq order.
        const byWorkspace = new Map<string, RatableEvent[]>();
        for (const row of rows) {
          const list = byWorkspace.get(row.workspace_id) ?? [];
          list.push(ratable(row));
          byWorkspace.set(row.workspace_id, list);
        }
        for (const [id, events] of byWorkspace) backtest.rate(id, events, contracts.get(id)!);
        after = rows[rows.length - 1].seq;
        if (rows.length < pageSize) break;
      }

      if (request.rates.plans) {
        for (let after = ''; ; ) {
          const subs = await tx.workspaceBilling.findMany({
            where: {
              workspaceId: workspaceId ?? { gt: after },
              status: { in: ['active', 'past_due'] },
              interval: { in: ['month', 'year'] },
            },
            orderBy: { workspaceId: 'asc' },
            take: pageSize,
            select: { workspaceId: true, planId: true, interval: true },
          });
          for (const s of subs) if (isPricedPlan(s.planId)) backtest.subscription(s.workspaceId, s.planId, s.interval as 'month' | 'year');
          if (workspaceId || subs.length < pageSize) break;
          after = subs[subs.length - 1].workspaceId;
        }
      }
      return backtest.result();
    }, TRANSACTION);
  } catch (err) {
    if (err instanceof DomainError) throw err;
    throw new DomainError('database_unavailable', 'The recorded usage could not be read; try again.', { cause: err instanceof Error ? err.message : String(err) });
  }
}
