// Keeps the PostgreSQL read model current. The write is guarded by the
// workflow's version counter, so a late retry of an older write never rolls
// the projection back.
import { Prisma, type PrismaClient } from '@prisma/client';
import type { BillingProjection } from '../src/domain/projection';

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
        unpaidInvoice: json(p.unpaidInvoice),
        pendingChange: json(p.pendingChange),
        version: p.version,
      };
      return prisma.$transaction(async (tx) => {
        await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext(${p.workspaceId}))`;
        const stored = await tx.workspaceBilling.findUnique({ where: { workspaceId: p.workspaceId }, select: { version: true } });
        if (stored && stored.version >= p.version) return false;
        await tx.workspaceBilling.upsert({ where: { workspaceId: p.workspaceId }, create: { workspaceId: p.workspaceId, ...row }, update: row });
        return true;
      });
    },
  };
}
