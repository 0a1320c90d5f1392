// Reads the billing projection the workflow's activities keep in
// PostgreSQL. An unknown workspace is an Essential workspace with status none.
// /billing reads the projection, the wallet balance and the spend control in
// ONE statement (one snapshot), and evaluates it like /access does.
import type { PrismaClient, WorkspaceBilling } from '@prisma/client';
import type { SpendBlock } from '../domain/access';
import type { BillingMode, BillingSnapshot, BillingStatus } from '../domain/billing-evaluation';
import { DomainError } from '../domain/errors';
import { isInterval, isPlanId } from '../domain/plans';
import { essentialProjection, projectionSnapshot, type BillingProjection, type BillingReadSnapshot, type PendingChange, type UnpaidInvoice } from '../domain/projection';

const ms = (d: Date | null) => (d ? d.getTime() : null);

/** The columns the billing evaluation reads (the gate's snapshot reads only these). */
export type EvaluationColumns = Pick<
  WorkspaceBilling,
  'planId' | 'status' | 'checkoutExpiresAt' | 'graceStartedAt' | 'graceEndsAt' | 'graceExpired' | 'invoiceRecoveryAt'
>;

function evaluationFields(row: EvaluationColumns): Omit<BillingSnapshot, 'checkoutExpiresAt'> {
  return {
    planId: isPlanId(row.planId) ? row.planId : 'essential',
    status: row.status as BillingStatus,
    grace:
      row.graceStartedAt && row.graceEndsAt
        ? { startedAt: row.graceStartedAt.getTime(), endsAt: row.graceEndsAt.getTime(), expired: row.graceExpired }
        : null,
    invoiceRecoveryAt: ms(row.invoiceRecoveryAt),
  };
}

/** What the billing evaluation needs from a workspace_billing row (no row: an Essential workspace). */
export function billingSnapshotFromRow(row: EvaluationColumns | null): BillingSnapshot {
  if (row === null) return projectionSnapshot(essentialProjection(''));
  return { ...evaluationFields(row), checkoutExpiresAt: ms(row.checkoutExpiresAt) };
}

export function projectionFromRow(row: WorkspaceBilling): BillingProjection {
  return {
    workspaceId: row.workspaceId,
    ...evaluationFields(row),
    interval: isInterval(row.interval) ? row.interval : null,
    mode: row.mode as BillingMode,
    currentPeriodEnd: ms(row.currentPeriodEnd),
    stripeCustomerId: row.stripeCustomerId,
    stripeSubscriptionId: row.stripeSubscriptionId,
    checkout:
      row.checkoutId && row.checkoutUrl && row.checkoutExpiresAt
        ? { id: row.checkoutId, url: row.checkoutUrl, expiresAt: row.checkoutExpiresAt.getTime() }
        : null,
    unpaidInvoice: (row.unpaidInvoice as UnpaidInvoice | null) ?? null,
    pendingChange: (row.pendingChange as PendingChange | null) ?? null,
    version: row.version,
  };
}

function unavailable(err: unknown): DomainError {
  return new DomainError('database_unavailable', 'Billing state could not be read; try again.', {
    cause: err instanceof Error ? err.message : String(err),
  });
}

export async function readBillingProjection(prisma: PrismaClient, workspaceId: string): Promise<BillingProjection> {
  let row: WorkspaceBilling | null;
  try {
    row = await prisma.workspaceBilling.findUnique({ where: { workspaceId } });
  } catch (err) {
    throw unavailable(err);
  }
  return row ? projectionFromRow(row) : essentialProjection(workspaceId);
}

type BillingSnapshotRow = { [K in keyof WorkspaceBilling]: WorkspaceBilling[K] | null } & {
  balanceCents: bigint | number | string | null;
  spendAction: string | null;
  blockedMonth: string | null;
};

/**
 * The projection, the wallet balance and the spend control of a workspace,
 * read in one statement so that /billing evaluates one consistent snapshot.
 */
export async function readBillingSnapshot(prisma: PrismaClient, workspaceId: string, minimumCents: number): Promise<BillingReadSnapshot> {
  let rows: BillingSnapshotRow[];
  try {
    rows = await prisma.$queryRaw<BillingSnapshotRow[]>`
      SELECT b.workspace_id AS "workspaceId", b.plan_id AS "planId", b.interval, b.status, b.mode,
             b.current_period_end AS "currentPeriodEnd",
             b.stripe_customer_id AS "stripeCustomerId", b.stripe_subscription_id AS "stripeSubscriptionId",
             b.checkout_id AS "checkoutId", b.checkout_url AS "checkoutUrl", b.checkout_expires_at AS "checkoutExpiresAt",
             b.grace_started_at AS "graceStartedAt", b.grace_ends_at AS "graceEndsAt", b.grace_expired AS "graceExpired",
             b.invoice_recovery_at AS "invoiceRecoveryAt",
             b.unpaid_invoice AS "unpaidInvoice", b.pending_change AS "pendingChange",
             b.version, b.updated_at AS "updatedAt",
             w.balance_cents AS "balanceCents",
             s.action AS "spendAction", s.blocked_month AS "blockedMonth"
      FROM (SELECT ${workspaceId}::text AS workspace_id) k
      LEFT JOIN workspace_billing b ON b.workspace_id = k.workspace_id
      LEFT JOIN wallet_balance w ON w.workspace_id = k.workspace_id
      LEFT JOIN spend_control s ON s.workspace_id = k.workspace_id`;
  } catch (err) {
    throw unavailable(err);
  }
  const row = rows[0];
  const projection = row?.workspaceId ? projectionFromRow(row as WorkspaceBilling) : essentialProjection(workspaceId);
  const spendControl: SpendBlock | null = row?.spendAction ? { action: row.spendAction, blockedMonth: row.blockedMonth } : null;
  return {
    projection,
    wallet: { balanceCents: row?.balanceCents == null ? 0 : Number(row.balanceCents), minimumCents },
    spendControl,
  };
}
