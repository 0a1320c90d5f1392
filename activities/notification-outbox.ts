// The outbox of outbound webhooks: notifications are inserted inside the
// transaction of the change that caused them (so a change is never stored
// without its notification, nor a notification without its change), with an
// id derived from their cause (so a retried or raced activity inserts
// nothing twice). The worker's dispatcher (src/notifications) sends them.
import { createHash } from 'node:crypto';
import { Context } from '@temporalio/activity';
import type { Prisma } from '@prisma/client';
import { notificationBody, type AnyNotificationDraft } from '../src/domain/notifications';

type Tx = Prisma.TransactionClient;

/** Whether this worker sends notifications (OUTBOUND_WEBHOOK_URL is set). Without it they are recorded as not_sent. */
export interface OutboxSettings {
  deliver: boolean;
}

/** `ntf_` + 32 hex digits of sha-256(sourceKey): the same cause always gets the same id (and webhook-id). */
export function notificationId(sourceKey: string): string {
  return `ntf_${createHash('sha256').update(sourceKey).digest('hex').slice(0, 32)}`;
}

/**
 * The workflow's time of the change: when the activity was first scheduled
 * (the same on every retry; skipped time under the time-skipping test
 * server). Outside an activity (direct calls in tests), the wall clock.
 */
export function activityTime(): number {
  try {
    return Context.current().info.scheduledTimestampMs;
  } catch {
    return Date.now();
  }
}

/**
 * Inserts the drafts into the outbox within `tx` — `pending` (the
 * dispatcher sends them) or, on a worker without OUTBOUND_WEBHOOK_URL,
 * `not_sent` (recorded only). A cause already recorded is skipped. Returns
 * how many were new.
 */
export async function enqueueNotifications(
  tx: Tx,
  drafts: readonly (AnyNotificationDraft | null)[],
  outbox: OutboxSettings = { deliver: true },
): Promise<number> {
  const status = outbox.deliver ? 'pending' : 'not_sent';
  let inserted = 0;
  for (const draft of drafts) {
    if (draft === null) continue;
    const id = notificationId(draft.sourceKey);
    inserted += await tx.$executeRaw`
      INSERT INTO notification (id, source_key, type, workspace_id, occurred_at, body, status, next_attempt_at)
      VALUES (${id}, ${draft.sourceKey}, ${draft.type}, ${draft.workspaceId}, ${new Date(draft.occurredAt)}, ${notificationBody(id, draft)},
              ${status}, CASE WHEN ${outbox.deliver} THEN now() ELSE NULL END)
      ON CONFLICT DO NOTHING`;
  }
  return inserted;
}
