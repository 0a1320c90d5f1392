// Keeps the PostgreSQL read model current. The write is guarded by the
// workflow's version counter, so a late retry of an older write never rolls
// the projection back.
import { Prisma, type PrismaClient } from '@prisma/client';
import type { BillingProjection } from '../src/domain/projection';
import { writeIfNewer } from './versioned-write';

const date = (ms: number | null | undefined) => (ms == null ? null : new Date(ms));
const json = (value: unknown) => (value == null ? Prisma.DbNull : (value as Prisma.InputJsonValue));

export function createProjectionActivities({ prisma }: { prisma: PrismaClient }) {
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
      return writeIfNewer(
        prisma,
        p.workspaceId,
        p.version,
        async (tx) => (await tx.workspaceBilling.findUnique({ where, select: { version: true } }))?.version ?? null,
        (tx) => tx.workspaceBilling.upsert({ where, create: { ...where, ...row }, update: row }),
      );
    },
  };
}
