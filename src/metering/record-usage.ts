// Records a validated batch of usage events in one INSERT. The primary key
// (workspace, event id) is the idempotency key: a redelivered event, or the
// same event in two batches racing each other, is stored once and counted
// once. Rating happens later, in the wallet ledger's activity: the same
// statement asks for it (wallet_nudge), and only when no rating pass was
// pending yet does the caller signal the wallet workflow — one signal per
// pass, not per batch, however fast batches arrive.
import type { PrismaClient } from '@prisma/client';
import { DomainError } from '../domain/errors';
import { firstOccurrences, type UsageEvent } from '../domain/usage';

export interface RecordedUsage {
  /** Events stored by this call. */
  accepted: number;
  /** Events already stored (earlier, or earlier in this batch) and so not counted again. */
  duplicates: number;
  /**
   * Set when this call opened a rating request (none was pending, or the
   * pending one is older than NUDGE_STALE_AFTER_MS): the caller must signal
   * the wallet workflow, and withdraw the request if it cannot.
   */
  nudge: Date | null;
}

/** A pending rating request older than this is assumed lost (its signal failed unnoticed): the next batch signals again. */
export const NUDGE_STALE_AFTER_MS = 30_000;

export async function recordUsage(prisma: PrismaClient, workspaceId: string, events: readonly UsageEvent[]): Promise<RecordedUsage> {
  const { unique, duplicates: repeatedInBatch } = firstOccurrences(events);
  // Rows are inserted in event-id order: two batches that overlap then take
  // their key locks in the same order and wait for each other instead of
  // deadlocking.
  const rows = [...unique].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  let result: { accepted: bigint; nudge: Date | null };
  try {
    // Also with nothing new (a retry of a batch whose signal failed): the request must not be stranded.
    [result] = await prisma.$queryRaw<{ accepted: bigint; nudge: Date | null }[]>`
      WITH inserted AS (
      INSERT INTO usage_event (workspace_id, event_id, project_id, family, environment, quantity, occurred_at)
      SELECT ${workspaceId}, e.event_id, e.project_id, e.family, e.environment, e.quantity, e.occurred_at
      FROM unnest(
        ${rows.map((e) => e.id)}::text[],
        ${rows.map((e) => e.projectId)}::text[],
        ${rows.map((e) => e.family)}::text[],
        ${rows.map((e) => e.environment)}::text[],
        ${rows.map((e) => e.quantity)}::bigint[],
        ${rows.map((e) => new Date(e.occurredAt).toISOString())}::timestamptz[]
      ) WITH ORDINALITY AS e(event_id, project_id, family, environment, quantity, occurred_at, ord)
      ORDER BY e.ord
      ON CONFLICT (workspace_id, event_id) DO NOTHING
      RETURNING 1
      ), nudge AS (
        INSERT INTO wallet_nudge (workspace_id, requested_at) VALUES (${workspaceId}, clock_timestamp())
        ON CONFLICT (workspace_id) DO UPDATE SET requested_at = EXCLUDED.requested_at
        WHERE wallet_nudge.requested_at IS NULL
           OR wallet_nudge.requested_at < clock_timestamp() - make_interval(secs => ${NUDGE_STALE_AFTER_MS / 1000})
        RETURNING requested_at
      )
      SELECT (SELECT count(*) FROM inserted) AS accepted, (SELECT requested_at FROM nudge) AS nudge`;
  } catch (err) {
    throw new DomainError('database_unavailable', 'Usage could not be recorded; nothing was stored, send the batch again.', {
      cause: err instanceof Error ? err.message : String(err),
    });
  }
  const accepted = Number(result.accepted);
  return { accepted, duplicates: repeatedInBatch + unique.length - accepted, nudge: result.nudge };
}

/** Withdraws the rating request this call opened (its signal failed), so a retry of the batch signals again. */
export async function withdrawNudge(prisma: PrismaClient, workspaceId: string, nudge: Date): Promise<void> {
  await prisma.$executeRaw`UPDATE wallet_nudge SET requested_at = NULL WHERE workspace_id = ${workspaceId} AND requested_at = ${nudge}`;
}
