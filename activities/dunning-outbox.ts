// Dunning reminders go to an outbox table; a mailer (or the product app)
// sends them from there. Each reminder of a grace window is recorded once:
// the unique key (workspace, window start, offset) absorbs activity retries.
import type { PrismaClient } from '@prisma/client';
import type { UnpaidInvoice } from '../src/domain/projection';

export interface DunningReminderInput {
  workspaceId: string;
  graceStartedAt: number;
  graceEndsAt: number;
  offsetMs: number;
  invoice: UnpaidInvoice | null;
}

export function createDunningActivities({ prisma }: { prisma: PrismaClient }) {
  return {
    /** Returns true when this call recorded the reminder, false when it already was. */
    async recordDunningReminder(input: DunningReminderInput): Promise<boolean> {
      const rows = await prisma.$executeRaw`
        INSERT INTO dunning_reminder (workspace_id, grace_started_at, offset_ms, grace_ends_at, due_at, invoice)
        VALUES (${input.workspaceId}, ${new Date(input.graceStartedAt)}, ${input.offsetMs}, ${new Date(input.graceEndsAt)},
                ${new Date(input.graceStartedAt + input.offsetMs)}, ${input.invoice ? JSON.stringify(input.invoice) : null}::jsonb)
        ON CONFLICT (workspace_id, grace_started_at, offset_ms) DO NOTHING`;
      return rows === 1;
    },
  };
}
