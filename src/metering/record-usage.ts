// Records a validated batch of usage events in one INSERT. The primary key
// (workspace, event id) is the idempotency key: a redelivered event, or the
// same event in two batches racing each other, is stored once and counted
// once. Rating happens later, in the wallet ledger's activity.
import type { PrismaClient } from '@prisma/client';
import { DomainError } from '../domain/errors';
import { firstOccurrences, type UsageEvent } from '../domain/usage';

export interface RecordedUsage {
  /** Events stored by this call. */
  accepted: number;
  /** Events already stored (earlier, or earlier in this batch) and so not counted again. */
  duplicates: number;
}

export async function recordUsage(prisma: PrismaClient, workspaceId: string, events: readonly UsageEvent[]): Promise<RecordedUsage> {
  const { unique, duplicates: repeatedInBatch } = firstOccurrences(events);
  if (unique.length === 0) return { accepted: 0, duplicates: repeatedInBatch };
  // Rows are inserted in event-id order: two batches that overlap then take
  // their key locks in the same order and wait for each other instead of
  // deadlocking.
  const rows = [...unique].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  let inserted: { event_id: string }[];
  try {
    inserted = await prisma.$queryRaw<{ event_id: string }[]>`
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
      RETURNING event_id`;
  } catch (err) {
    throw new DomainError('database_unavailable', 'Usage could not be recorded; nothing was stored, send the batch again.', {
      cause: err instanceof Error ? err.message : String(err),
    });
  }
  return { accepted: inserted.length, duplicates: repeatedInBatch + unique.length - inserted.length };
}
