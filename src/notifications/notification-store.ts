// The outbox table as the dispatcher and operators use it: claiming due
// notifications (a lease, with FOR UPDATE SKIP LOCKED so several workers
// never claim the same row), recording an attempt and its consequence, and
// starting a new round of attempts for an operator's redelivery.
import { Prisma, type PrismaClient } from '@prisma/client';
import type { AttemptOutcome } from '../domain/webhook-delivery';

export const NOTIFICATION_DUE_CHANNEL = 'notification_due';

export interface ClaimedNotification {
  id: string;
  body: string;
  /** This attempt's number in the round (counted at the claim, so a crash mid-POST still uses one up). */
  attempt: number;
  round: number;
  leaseId: string;
}

export interface RecordedAttempt {
  url: string;
  startedAt: Date;
  durationMs: number;
  statusCode: number | null;
  error: string | null;
  responseBody: string | null;
}

export interface StoreScope {
  /**
   * Only notifications of workspaces whose id starts with this. For several
   * dispatchers sharing one database that must not take each other's rows
   * (the test suite); a deployment leaves it unset.
   */
  workspaceIdPrefix?: string;
}

export function createNotificationStore(prisma: PrismaClient, scope: StoreScope = {}) {
  const inScope =
    scope.workspaceIdPrefix === undefined
      ? Prisma.sql`TRUE`
      : Prisma.sql`starts_with(workspace_id, ${scope.workspaceIdPrefix})`;
  return {
    /** Leases up to `limit` due notifications for `leaseMs`; each claim counts as an attempt. */
    async claimDue(limit: number, leaseMs: number): Promise<ClaimedNotification[]> {
      const rows = await prisma.$queryRaw<{ id: string; body: string; attempts: number; round: number; lease_id: string }[]>`
        UPDATE notification AS n
        SET locked_until = now() + ${leaseMs} * interval '1 millisecond',
            lease_id = gen_random_uuid()::text,
            attempts = n.attempts + 1,
            updated_at = now()
        WHERE n.id IN (
          SELECT id FROM notification
          WHERE status = 'pending' AND next_attempt_at <= now() AND (locked_until IS NULL OR locked_until < now()) AND ${inScope}
          ORDER BY next_attempt_at, seq
          LIMIT ${limit}::int
          FOR UPDATE SKIP LOCKED)
        RETURNING n.id, n.body, n.attempts, n.round, n.lease_id`;
      return rows.map((r) => ({ id: r.id, body: r.body, attempt: r.attempts, round: r.round, leaseId: r.lease_id }));
    },

    /**
     * Records the attempt and applies its outcome, in one statement (atomic,
     * and it needs no transaction slot from the pool). The row is updated
     * only while this claim's lease still holds it (a lease that ran out may
     * have been taken by another worker); the attempt is recorded either way,
     * because it happened.
     */
    async complete(claim: ClaimedNotification, attempt: RecordedAttempt, outcome: AttemptOutcome): Promise<void> {
      const retryInMs = outcome.status === 'pending' ? outcome.retryInMs : 0;
      await prisma.$executeRaw`
        WITH recorded AS (
          INSERT INTO notification_attempt (notification_id, round, attempt, url, started_at, duration_ms, status_code, error, response_body)
          VALUES (${claim.id}, ${claim.round}, ${claim.attempt}, ${attempt.url}, ${attempt.startedAt}, ${attempt.durationMs},
                  ${attempt.statusCode}, ${attempt.error}, ${attempt.responseBody})
          RETURNING notification_id)
        UPDATE notification
        SET status = ${outcome.status},
            next_attempt_at = CASE WHEN ${outcome.status} = 'pending' THEN now() + ${retryInMs} * interval '1 millisecond' ELSE NULL END,
            delivered_at = CASE WHEN ${outcome.status} = 'delivered' THEN now() ELSE delivered_at END,
            locked_until = NULL, lease_id = NULL, updated_at = now()
        WHERE id = (SELECT notification_id FROM recorded) AND lease_id = ${claim.leaseId}`;
    },

    /** Milliseconds until the next pending notification is due (≤ 0: now), or null when none is pending. */
    async msUntilNextDue(): Promise<number | null> {
      const [row] = await prisma.$queryRaw<{ ms: number | null }[]>`
        SELECT (EXTRACT(EPOCH FROM (min(GREATEST(next_attempt_at, COALESCE(locked_until, next_attempt_at))) - now())) * 1000)::float8 AS ms
        FROM notification WHERE status = 'pending' AND ${inScope}`;
      return row?.ms ?? null;
    },
  };
}
export type NotificationStore = ReturnType<typeof createNotificationStore>;

export type RedeliveryResult = 'redelivered' | 'not_found' | 'in_flight';

/**
 * Starts a new round of attempts for a notification (any status), due now,
 * with the same id and body — so the same webhook-id. One being POSTed right
 * now is refused (in_flight): its attempt is about to decide its status.
 */
export async function redeliverNotification(prisma: PrismaClient, id: string): Promise<RedeliveryResult> {
  return prisma.$transaction(async (tx) => {
    const [row] = await tx.$queryRaw<{ leased: boolean }[]>`
      SELECT (locked_until IS NOT NULL AND locked_until > now()) AS leased FROM notification WHERE id = ${id} FOR UPDATE`;
    if (!row) return 'not_found';
    if (row.leased) return 'in_flight';
    await tx.$executeRaw`
      UPDATE notification
      SET status = 'pending', attempts = 0, round = round + 1, next_attempt_at = now(), locked_until = NULL, lease_id = NULL, updated_at = now()
      WHERE id = ${id}`;
    await tx.$executeRaw`SELECT pg_notify(${NOTIFICATION_DUE_CHANNEL}, '')`;
    return 'redelivered';
  });
}
