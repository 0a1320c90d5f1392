// Database side of Business spend controls and of what the wallet workflow
// needs to know about the workspace's billing (plan, Stripe customer).
import type { PrismaClient } from '@prisma/client';
import { isPlanId, type PlanId } from '../src/domain/plans';
import type { SpendControls } from '../src/domain/spend-rules';

export interface WorkspaceBillingRef {
  planId: PlanId;
  stripeCustomerId: string | null;
}

export function createSpendControlActivities({ prisma }: { prisma: PrismaClient }) {
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
      await prisma.spendControl.updateMany({ where: { workspaceId }, data: { blockedMonth } });
    },

    /** Records a threshold alert once per month; true when this call recorded it. */
    async recordSpendAlert(input: { workspaceId: string; month: string; thresholdPercent: number; spentCents: number; capCents: number }): Promise<boolean> {
      const rows = await prisma.$executeRaw`
        INSERT INTO spend_alert (workspace_id, month, threshold_percent, spent_cents, cap_cents)
        VALUES (${input.workspaceId}, ${input.month}, ${input.thresholdPercent}, ${input.spentCents}, ${input.capCents})
        ON CONFLICT (workspace_id, month, threshold_percent) DO NOTHING`;
      return rows === 1;
    },
  };
}
