// The webhook log as an outbox (table stripe_event): the intake records a
// routed event with the billing fact to signal in ONE statement, which also
// wakes the relay (NOTIFY on the task queue's channel); the relay
// (webhook-relay.ts) reads pending rows in the order they were recorded and
// marks them delivered in batches. Pending = fact set, delivered_at null.
import type { PrismaClient } from '@prisma/client';
import type { StripeFact } from '../domain/billing-facts';

/** LISTEN/NOTIFY channel; the payload is the task queue whose relay should look. */
export const PENDING_CHANNEL = 'stripe_event_pending';

export interface RecordedEvent {
  id: string;
  type: string;
  /** Epoch seconds (the event's `created`). */
  created: number;
}

/**
 * Records a routed event and its fact, once. True when this call recorded it
 * (the relay will signal it); false for a duplicate — delivered already, or
 * recorded and still pending, which the relay will signal anyway. A row left
 * without a fact (unroutable then, or written before the outbox existed) and
 * never delivered takes this delivery's fact and target.
 */
export async function recordPending(
  prisma: PrismaClient,
  event: RecordedEvent,
  target: { workspaceId: string | null; guestCheckoutId: string | null },
  fact: StripeFact,
  taskQueue: string,
): Promise<boolean> {
  const rows = await prisma.$queryRaw<{ seq: string }[]>`
    WITH recorded AS (
      INSERT INTO stripe_event (id, type, workspace_id, guest_checkout_id, created_at, outcome, fact, task_queue)
      VALUES (${event.id}, ${event.type}, ${target.workspaceId}, ${target.guestCheckoutId}, to_timestamp(${event.created}::double precision),
              'received', ${JSON.stringify(fact)}::jsonb, ${taskQueue})
      ON CONFLICT (id) DO UPDATE
        SET fact = EXCLUDED.fact, task_queue = EXCLUDED.task_queue, outcome = 'received',
            workspace_id = EXCLUDED.workspace_id, guest_checkout_id = EXCLUDED.guest_checkout_id
        WHERE stripe_event.delivered_at IS NULL AND stripe_event.fact IS NULL
      RETURNING seq
    )
    SELECT seq::text AS seq, pg_notify(${PENDING_CHANNEL}, ${taskQueue})::text AS notified FROM recorded`;
  return rows.length > 0;
}

/** An event no workflow could be found for: recorded once, not signalled (a later delivery may route it). */
export async function recordUnroutable(prisma: PrismaClient, event: RecordedEvent): Promise<void> {
  await prisma.$executeRaw`
    INSERT INTO stripe_event (id, type, created_at, outcome)
    VALUES (${event.id}, ${event.type}, to_timestamp(${event.created}::double precision), 'unroutable')
    ON CONFLICT (id) DO NOTHING`;
}

export interface PendingRow {
  id: string;
  /** bigint as text. */
  seq: string;
  workspace_id: string | null;
  guest_checkout_id: string | null;
  fact: StripeFact;
}

const PENDING_COLUMNS = 'id, seq::text AS seq, workspace_id, guest_checkout_id, fact';

/** Pending rows recorded after `afterSeq`, oldest first. */
export const PENDING_AFTER = `SELECT ${PENDING_COLUMNS} FROM stripe_event
  WHERE task_queue = $1 AND delivered_at IS NULL AND fact IS NOT NULL AND seq > $2::bigint
  ORDER BY seq LIMIT $3`;

/** Pending rows at or before `uptoSeq` that the relay does not hold (committed after rows it already read). */
export const PENDING_BEHIND = `SELECT ${PENDING_COLUMNS} FROM stripe_event
  WHERE task_queue = $1 AND delivered_at IS NULL AND fact IS NOT NULL AND seq <= $2::bigint AND NOT (seq = ANY($3::bigint[]))
  ORDER BY seq LIMIT $4`;

/** Marks signalled rows delivered, each with its outcome (and the workspace a claimed guest checkout's event went to). */
export const MARK_DELIVERED = `UPDATE stripe_event AS s
  SET delivered_at = now(), outcome = m.outcome, workspace_id = COALESCE(m.workspace_id, s.workspace_id)
  FROM unnest($1::text[], $2::text[], $3::text[]) AS m(id, outcome, workspace_id)
  WHERE s.id = m.id AND s.delivered_at IS NULL`;

export const CLAIMED_WORKSPACE = 'SELECT claimed_workspace_id FROM guest_checkout WHERE checkout_id = $1';
