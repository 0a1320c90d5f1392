// Business oversight: the spend controls, this month's spend and alerts, from
// the tables the wallet workflow's activities keep.
import type { PrismaClient } from '@prisma/client';
import { DomainError } from '../domain/errors';
import { isPlanId } from '../domain/plans';
import { spendOversight, type SpendOversight } from '../domain/spend-oversight';
import { monthKey } from '../domain/spend-rules';

export async function readSpendOversight(prisma: PrismaClient, workspaceId: string, nowMs: number): Promise<SpendOversight> {
  const month = monthKey(nowMs);
  try {
    const [billing, control, spend, alerts] = await Promise.all([
      prisma.workspaceBilling.findUnique({ where: { workspaceId }, select: { planId: true } }),
      prisma.spendControl.findUnique({ where: { workspaceId } }),
      prisma.monthlySpend.findUnique({ where: { workspaceId_month: { workspaceId, month } }, select: { spentCents: true } }),
      prisma.spendAlert.findMany({ where: { workspaceId, month } }),
    ]);
    return spendOversight(
      {
        workspaceId,
        planId: billing && isPlanId(billing.planId) ? billing.planId : 'essential',
        controls: control
          ? {
              monthlyCapCents: Number(control.monthlyCapCents),
              alertThresholdsPercent: control.alertThresholdsPercent,
              action: control.action === 'block' ? 'block' : 'alert',
              blockedMonth: control.blockedMonth,
            }
          : null,
        spentCents: Number(spend?.spentCents ?? 0n),
        alerts: alerts.map((a) => ({ thresholdPercent: a.thresholdPercent, reachedAt: a.createdAt.getTime(), spentCents: Number(a.spentCents), capCents: Number(a.capCents) })),
      },
      nowMs,
    );
  } catch (err) {
    throw new DomainError('database_unavailable', 'Spend controls could not be read; try again.', { cause: err instanceof Error ? err.message : String(err) });
  }
}
