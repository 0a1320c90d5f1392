// Keeps the PostgreSQL read model current. The write is guarded by the
// workflow's version counter, so a late retry of an older write never rolls
// the projection back. Under the same lock it compares the stored projection
// with the new one and puts the lifecycle notifications of the change
// (payment failed, grace expired, restored, plan changed, …) into the outbox
// in the same transaction.
import { Prisma, type PrismaClient } from '@prisma/client';
import { projectionNotifications } from '../src/domain/notifications';
import type { BillingProjection } from '../src/domain/projection';
import { projectionFromRow } from '../src/read-model/billing-projection-reader';
import { activityTime, enqueueNotifications, type OutboxSettings } from './notification-outbox';
import { writeIfNewer } from './versioned-write';

const date = (ms: number | null | undefined) => (ms == null ? null : new Date(ms));
const json = (value: unknown) => (value == null ? Prisma.DbNull : (value as Prisma.InputJsonValue));

export function createProjectionActivities({ prisma, outbox }: { prisma: PrismaClient; outbox?: OutboxSettings }) {
  return {
    async saveBillingProjection(p: BillingProjection): Promise<boolean> {
      const row = {
        planId: p.planId,
        interval: p.interval,
        status: p.status,
        mode: p.mode,
        currentPeriodEnd: date(p.currentPeriodEnd),
        stripeCustomerId: p.stripeCustomerId,
        stripeSubscriptionId: p.stripeSubscriptionId,
        checkoutId: p.checkout?.id ?? null,
        checkoutUrl: p.checkout?.url ?? null,
        checkoutExpiresAt: date(p.checkout?.expiresAt),
        graceStartedAt: date(p.grace?.startedAt),
        graceEndsAt: date(p.grace?.endsAt),
        graceExpired: p.grace?.expired ?? false,
        // Absent in projections from workflow code older than the field.
        invoiceRecoveryAt: date(p.invoiceRecoveryAt),
        unpaidInvoice: json(p.unpaidInvoice),
        pendingChange: json(p.pendingChange),
        // Older workflow code sends no snapshot: keep the one stored.
        ...(p.recovery ? { recoveryState: json(p.recovery) } : {}),
        version: p.version,
      };
      const where = { workspaceId: p.workspaceId };
      const nowMs = activityTime();
      return writeIfNewer(
        prisma,
        p.workspaceId,
        p.version,
        (tx) => tx.workspaceBilling.findUnique({ where }),
        async (tx, stored) => {
          await tx.workspaceBilling.upsert({ where, create: { ...where, ...row }, update: row });
          await enqueueNotifications(tx, projectionNotifications(stored ? projectionFromRow(stored) : null, p, nowMs), outbox);
        },
      );
    },
  };
}
