// Dunning reminders go to an outbox table, and each one recorded becomes a
// billing.payment_reminder notification to the product app in the same
// transaction. Each reminder of a grace window is recorded once: the unique
// key (workspace, window start, offset) absorbs activity retries.
import type { PrismaClient } from '@prisma/client';
import { reminderNotification } from '../src/domain/notifications';
import type { UnpaidInvoice } from '../src/domain/projection';
import { activityTime, enqueueNotifications, type OutboxSettings } from './notification-outbox';

export interface DunningReminderInput {
  workspaceId: string;
  graceStartedAt: number;
  graceEndsAt: number;
  offsetMs: number;
  invoice: UnpaidInvoice | null;
}

export function createDunningActivities({ prisma, outbox }: { prisma: PrismaClient; outbox?: OutboxSettings }) {
  return {
    /** Returns true when this call recorded the reminder, false when it already was. */
    async recordDunningReminder(input: DunningReminderInput): Promise<boolean> {
      const nowMs = activityTime();
      return prisma.$transaction(async (tx) => {
        const rows = await tx.$executeRaw`
          INSERT INTO dunning_reminder (workspace_id, grace_started_at, offset_ms, grace_ends_at, due_at, invoice)
          VALUES (${input.workspaceId}, ${new Date(input.graceStartedAt)}, ${input.offsetMs}, ${new Date(input.graceEndsAt)},
                  ${new Date(input.graceStartedAt + input.offsetMs)}, ${input.invoice ? JSON.stringify(input.invoice) : null}::jsonb)
          ON CONFLICT (workspace_id, grace_started_at, offset_ms) DO NOTHING`;
        if (rows !== 1) return false;
        await enqueueNotifications(tx, [reminderNotification(input, nowMs)], outbox);
        return true;
      });
    },
  };
}
