// Reads the billing projection the workflow's activities keep in
// PostgreSQL. An unknown workspace is an Essential workspace with status none.
import type { PrismaClient, WorkspaceBilling } from '@prisma/client';
import { DomainError } from '../domain/errors';
import { isInterval, isPlanId } from '../domain/plans';
import { essentialProjection, type BillingProjection, type PendingChange, type UnpaidInvoice } from '../domain/projection';
import type { BillingMode, BillingStatus } from '../domain/billing-state';

const ms = (d: Date | null) => (d ? d.getTime() : null);

export function projectionFromRow(row: WorkspaceBilling): BillingProjection {
  return {
    workspaceId: row.workspaceId,
    planId: isPlanId(row.planId) ? row.planId : 'essential',
    interval: isInterval(row.interval) ? row.interval : null,
    status: row.status as BillingStatus,
    mode: row.mode as BillingMode,
    currentPeriodEnd: ms(row.currentPeriodEnd),
    stripeCustomerId: row.stripeCustomerId,
    stripeSubscriptionId: row.stripeSubscriptionId,
    checkout:
      row.checkoutId && row.checkoutUrl && row.checkoutExpiresAt
        ? { id: row.checkoutId, url: row.checkoutUrl, expiresAt: row.checkoutExpiresAt.getTime() }
        : null,
    grace:
      row.graceStartedAt && row.graceEndsAt
        ? { startedAt: row.graceStartedAt.getTime(), endsAt: row.graceEndsAt.getTime(), expired: row.graceExpired }
        : null,
    unpaidInvoice: (row.unpaidInvoice as UnpaidInvoice | null) ?? null,
    pendingChange: (row.pendingChange as PendingChange | null) ?? null,
    version: row.version,
  };
}

export async function readBillingProjection(prisma: PrismaClient, workspaceId: string): Promise<BillingProjection> {
  let row: WorkspaceBilling | null;
  try {
    row = await prisma.workspaceBilling.findUnique({ where: { workspaceId } });
  } catch (err) {
    throw new DomainError('database_unavailable', 'Billing state could not be read; try again.', {
      cause: err instanceof Error ? err.message : String(err),
    });
  }
  return row ? projectionFromRow(row) : essentialProjection(workspaceId);
}
