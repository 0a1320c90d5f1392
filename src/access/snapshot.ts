// What the gate needs to know about one workspace, read from the PostgreSQL
// projection in ONE statement (one snapshot of every table involved), and
// the atomic registration of a new production project.
import type { PrismaClient } from '@prisma/client';
import type { SpendBlock } from '../domain/access';
import type { BillingSnapshot } from '../domain/billing-evaluation';
import { billingSnapshotFromRow, type EvaluationColumns } from '../read-model/billing-projection-reader';

export interface AccessSnapshot {
  /** The recorded billing facts, evaluated at each request's time (evaluateWorkspace). */
  billing: BillingSnapshot;
  balanceCents: number;
  spendControl: SpendBlock | null;
  /** Production project id → rank in the order the projects were first allowed. */
  projectRanks: Map<string, number>;
  projectCount: number;
}

type SnapshotRow = { [K in keyof EvaluationColumns]: EvaluationColumns[K] | null } & {
  balance_cents: bigint | number | string | null;
  spend_action: string | null;
  blocked_month: string | null;
  projects: string[] | null;
};

export function snapshotFromRow(row: SnapshotRow | undefined): AccessSnapshot {
  const projects = row?.projects ?? [];
  const projectRanks = new Map<string, number>();
  projects.forEach((id, rank) => projectRanks.set(id, rank));
  return {
    // An unknown workspace is an Essential workspace (as for /billing).
    billing: billingSnapshotFromRow(row?.planId ? (row as EvaluationColumns) : null),
    balanceCents: row?.balance_cents === null || row?.balance_cents === undefined ? 0 : Number(row.balance_cents),
    spendControl: row?.spend_action ? { action: row.spend_action, blockedMonth: row.blocked_month } : null,
    projectRanks,
    projectCount: projects.length,
  };
}

export async function loadAccessSnapshot(prisma: PrismaClient, workspaceId: string): Promise<AccessSnapshot> {
  const rows = await prisma.$queryRaw<SnapshotRow[]>`
    SELECT b.plan_id AS "planId", b.status, b.checkout_expires_at AS "checkoutExpiresAt",
           b.grace_started_at AS "graceStartedAt", b.grace_ends_at AS "graceEndsAt", b.grace_expired AS "graceExpired",
           b.invoice_recovery_at AS "invoiceRecoveryAt",
           w.balance_cents,
           s.action AS spend_action, s.blocked_month,
           ARRAY(SELECT p.project_id FROM production_project p
                 WHERE p.workspace_id = k.workspace_id
                 ORDER BY p.first_allowed_at, p.project_id) AS projects
    FROM (SELECT ${workspaceId}::text AS workspace_id) k
    LEFT JOIN workspace_billing b ON b.workspace_id = k.workspace_id
    LEFT JOIN wallet_balance w ON w.workspace_id = k.workspace_id
    LEFT JOIN spend_control s ON s.workspace_id = k.workspace_id`;
  return snapshotFromRow(rows[0]);
}

export type Registration = 'registered' | 'already_registered' | 'limit_reached';

/**
 * Makes `projectId` one of the workspace's production projects if the
 * workspace has fewer than `limit` (null: unlimited). Concurrent calls for
 * one workspace are serialised by a transaction-scoped advisory lock, so the
 * count and the insert act as one step: two new projects racing for the last
 * place end with exactly one registered.
 */
export async function registerProductionProject(
  prisma: PrismaClient,
  workspaceId: string,
  projectId: string,
  limit: number | null,
): Promise<Registration> {
  if (limit === null) {
    const inserted = await prisma.$executeRaw`
      INSERT INTO production_project (workspace_id, project_id) VALUES (${workspaceId}, ${projectId})
      ON CONFLICT DO NOTHING`;
    return inserted > 0 ? 'registered' : 'already_registered';
  }
  return prisma.$transaction(async (tx) => {
    // hashtextextended gives a 64-bit key; the prefix keeps this lock apart from any other use of advisory locks.
    await tx.$queryRaw`SELECT pg_advisory_xact_lock(hashtextextended(${`production_project:${workspaceId}`}, 0))::text AS locked`;
    const inserted = await tx.$executeRaw`
      INSERT INTO production_project (workspace_id, project_id)
      SELECT ${workspaceId}, ${projectId}
      WHERE (SELECT count(*) FROM production_project WHERE workspace_id = ${workspaceId}) < ${limit}
      ON CONFLICT DO NOTHING`;
    if (inserted > 0) return 'registered';
    const existing = await tx.$queryRaw<unknown[]>`
      SELECT 1 AS found FROM production_project WHERE workspace_id = ${workspaceId} AND project_id = ${projectId}`;
    return existing.length > 0 ? 'already_registered' : 'limit_reached';
  });
}
