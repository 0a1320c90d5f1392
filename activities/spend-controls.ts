// Database side of Business spend controls and of what the wallet workflow
// needs to know about the workspace's billing (plan, Stripe customer). A
// recorded alert and a cap that starts blocking are notified to the product
// app (spend.threshold_reached, spend.cap_reached) in the same transaction.
import type { PrismaClient } from '@prisma/client';
import { capReachedNotification, spendAlertNotification } from '../src/domain/notifications';
import { isPlanId, type PlanId } from '../src/domain/plans';
import type { SpendControls } from '../src/domain/spend-rules';
import { activityTime, enqueueNotifications, type OutboxSettings } from './notification-outbox';

export interface WorkspaceBillingRef {
  planId: PlanId;
  stripeCustomerId: string | null;
}

export function createSpendControlActivities({ prisma, outbox }: { prisma: PrismaClient; outbox?: OutboxSettings }) {
  return {
    async readWorkspaceBilling({ workspaceId }: { workspaceId: string }): Promise<WorkspaceBillingRef> {
      const row = await prisma.workspaceBilling.findUnique({ where: { workspaceId }, select: { planId: true, stripeCustomerId: true } });
      return { planId: row && isPlanId(row.planId) ? row.planId : 'essential', stripeCustomerId: row?.stripeCustomerId ?? null };
    },

    /** The saved controls (a new run of the wallet workflow starts from them), or null. */
    async loadSpendControls({ workspaceId }: { workspaceId: string }): Promise<SpendControls | null> {
      const row = await prisma.spendControl.findUnique({ where: { workspaceId } });
      if (!row) return null;
      return { monthlyCapCents: Number(row.monthlyCapCents), alertThresholdsPercent: row.alertThresholdsPercent, action: row.action === 'block' ? 'block' : 'alert' };
    },

    async saveSpendControls({ workspaceId, controls }: { workspaceId: string; controls: SpendControls }): Promise<void> {
      const data = {
        monthlyCapCents: BigInt(controls.monthlyCapCents),
        alertThresholdsPercent: [...controls.alertThresholdsPercent].sort((a, b) => a - b),
        action: controls.action,
      };
      await prisma.spendControl.upsert({ where: { workspaceId }, create: { workspaceId, ...data }, update: data });
    },

    /** The month in which the cap blocks production (null: not blocked); the gate reads it. */
    async setSpendBlock({ workspaceId, blockedMonth }: { workspaceId: string; blockedMonth: string | null }): Promise<void> {
      const nowMs = activityTime();
      await prisma.$transaction(async (tx) => {
        const [stored] = await tx.$queryRaw<{ blocked_month: string | null; monthly_cap_cents: bigint }[]>`
          SELECT blocked_month, monthly_cap_cents FROM spend_control WHERE workspace_id = ${workspaceId} FOR UPDATE`;
        if (!stored) return;
        await tx.spendControl.update({ where: { workspaceId }, data: { blockedMonth } });
        if (blockedMonth === null || blockedMonth === stored.blocked_month) return;
        const spend = await tx.monthlySpend.findUnique({ where: { workspaceId_month: { workspaceId, month: blockedMonth } }, select: { spentCents: true } });
        const reached = capReachedNotification(
          {
            workspaceId,
            previousBlockedMonth: stored.blocked_month,
            blockedMonth,
            capCents: Number(stored.monthly_cap_cents),
            spentCents: spend ? Number(spend.spentCents) : null,
          },
          nowMs,
        );
        await enqueueNotifications(tx, [reached], outbox);
      });
    },

    /** Records a threshold alert once per month; true when this call recorded it. */
    async recordSpendAlert(input: { workspaceId: string; month: string; thresholdPercent: number; spentCents: number; capCents: number }): Promise<boolean> {
      const nowMs = activityTime();
      return prisma.$transaction(async (tx) => {
        const rows = await tx.$executeRaw`
          INSERT INTO spend_alert (workspace_id, month, threshold_percent, spent_cents, cap_cents)
          VALUES (${input.workspaceId}, ${input.month}, ${input.thresholdPercent}, ${input.spentCents}, ${input.capCents})
          ON CONFLICT (workspace_id, month, threshold_percent) DO NOTHING`;
        if (rows !== 1) return false;
        await enqueueNotifications(tx, [spendAlertNotification(input, nowMs)], outbox);
        return true;
      });
    },
  };
}
