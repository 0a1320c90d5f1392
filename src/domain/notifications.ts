// Which notifications a change makes, as pure functions of the change: the
// activities the workflows already call (projection write, dunning reminder,
// wallet credit and debit, spend alert and block, guest checkout row) pass
// what was stored and what they store, and write what these return into the
// outbox in the same transaction. Every draft carries a `sourceKey` naming
// its cause; the notification id is derived from it, so a retried activity
// can never add a second notification for the same cause.
import { formatDuration } from './duration';
import type { GuestCheckoutView } from './guest-checkout';
import type { NotificationData, NotificationType } from './notification-schemas';
import type { BillingProjection, PendingChange, UnpaidInvoice } from './projection';

export interface NotificationDraft<T extends NotificationType = NotificationType> {
  /** What caused it (e.g. `workspace/acme:grace:1764000000000:opened`): one notification per cause, ever. */
  sourceKey: string;
  type: T;
  /** null only for guest checkouts nobody claimed. */
  workspaceId: string | null;
  occurredAt: number;
  data: NotificationData<T>;
}
export type AnyNotificationDraft = { [T in NotificationType]: NotificationDraft<T> }[NotificationType];

const iso = (ms: number) => new Date(ms).toISOString();
const workspaceKey = (workspaceId: string) => `workspace/${workspaceId}`;

function draft<T extends NotificationType>(type: T, sourceKey: string, workspaceId: string | null, occurredAt: number, data: NotificationData<T>): AnyNotificationDraft {
  return { sourceKey, type, workspaceId, occurredAt, data } as AnyNotificationDraft;
}

const isLive = (p: BillingProjection) => p.status === 'active' || p.status === 'past_due';
const planOf = (p: BillingProjection) => ({ id: p.planId, interval: p.interval });
const samePending = (a: PendingChange | null, b: PendingChange | null) =>
  a === b || (a !== null && b !== null && a.targetPlanId === b.targetPlanId && a.interval === b.interval && a.effectiveAt === b.effectiveAt);

/**
 * The lifecycle events between the stored projection (`before`, null when
 * none was stored) and the one being written. Only the net change between
 * two writes is seen: a window that opened and closed between two writes
 * sends nothing.
 *
 * - a live subscription (active or past_due) appears, or another one
 *   replaces it → `checkout.completed` (once per subscription id);
 * - the same live subscription changes plan or interval → `subscription.plan_changed`;
 * - a new or different pending change → `subscription.change_scheduled`;
 * - a grace window opens (none before, or one starting later than the
 *   stored one: a re-anchored window only moves earlier) → `billing.payment_failed`;
 * - the window is newly expired → `billing.grace_expired` (once per window end:
 *   an operator's extension that expires again is a new expiry);
 * - past_due → active → `billing.restored`.
 */
export function projectionNotifications(before: BillingProjection | null, after: BillingProjection, nowMs: number): AnyNotificationDraft[] {
  const ws = after.workspaceId;
  const key = workspaceKey(ws);
  const out: AnyNotificationDraft[] = [];
  const subscriptionId = after.stripeSubscriptionId;

  const wasLiveSameSubscription = before !== null && isLive(before) && before.stripeSubscriptionId === subscriptionId;
  if (isLive(after) && subscriptionId && !wasLiveSameSubscription) {
    out.push(
      draft('checkout.completed', `${key}:subscription:${subscriptionId}:started`, ws, nowMs, {
        subscriptionId,
        checkoutId: before?.checkout?.id ?? null,
        plan: planOf(after),
      }),
    );
  }
  if (before && subscriptionId && wasLiveSameSubscription && isLive(after) && (before.planId !== after.planId || before.interval !== after.interval)) {
    out.push(draft('subscription.plan_changed', `${key}:plan-changed:v${after.version}`, ws, nowMs, { subscriptionId, from: planOf(before), to: planOf(after) }));
  }
  const pending = after.pendingChange;
  if (pending && !samePending(before?.pendingChange ?? null, pending)) {
    out.push(
      draft('subscription.change_scheduled', `${key}:change-scheduled:v${after.version}`, ws, nowMs, {
        subscriptionId,
        currentPlan: planOf(after),
        targetPlanId: pending.targetPlanId,
        interval: pending.interval,
        effectiveAt: pending.effectiveAt,
      }),
    );
  }

  const grace = after.grace;
  const stored = before?.grace ?? null;
  if (grace && (stored === null || grace.startedAt > stored.startedAt)) {
    out.push(
      draft('billing.payment_failed', `${key}:grace:${grace.startedAt}:opened`, ws, nowMs, {
        graceStartedAt: iso(grace.startedAt),
        graceEndsAt: iso(grace.endsAt),
        plan: planOf(after),
        unpaidInvoice: after.unpaidInvoice,
      }),
    );
  }
  const sameExpiredWindow = stored !== null && grace !== null && stored.expired && stored.startedAt === grace.startedAt && stored.endsAt === grace.endsAt;
  if (grace?.expired && !sameExpiredWindow) {
    out.push(
      draft('billing.grace_expired', `${key}:grace:${grace.startedAt}:${grace.endsAt}:expired`, ws, nowMs, {
        graceStartedAt: iso(grace.startedAt),
        graceEndsAt: iso(grace.endsAt),
        unpaidInvoice: after.unpaidInvoice,
      }),
    );
  }

  if (before?.status === 'past_due' && after.status === 'active') {
    out.push(
      draft('billing.restored', `${key}:restored:v${after.version}`, ws, nowMs, {
        plan: planOf(after),
        previousMode: before.mode,
        graceStartedAt: stored ? iso(stored.startedAt) : null,
      }),
    );
  }
  return out;
}

export interface ReminderCause {
  workspaceId: string;
  graceStartedAt: number;
  graceEndsAt: number;
  offsetMs: number;
  invoice: UnpaidInvoice | null;
}

/** A dunning reminder recorded for a window: one per (window start, offset), like the dunning_reminder row. */
export function reminderNotification(r: ReminderCause, nowMs: number): AnyNotificationDraft {
  return draft('billing.payment_reminder', `${workspaceKey(r.workspaceId)}:grace:${r.graceStartedAt}:reminder:${r.offsetMs}`, r.workspaceId, nowMs, {
    offset: formatDuration(r.offsetMs),
    offsetMs: r.offsetMs,
    dueAt: iso(r.graceStartedAt + r.offsetMs),
    graceStartedAt: iso(r.graceStartedAt),
    graceEndsAt: iso(r.graceEndsAt),
    unpaidInvoice: r.invoice,
  });
}

export interface CreditCause {
  workspaceId: string;
  kind: string;
  amountCents: number;
  sourceType: string;
  sourceId: string;
  balanceCents: number;
}

/** A credit that moved money: top-ups and operator grants are told to the app (adjustments are bookkeeping). */
export function creditNotification(c: CreditCause, nowMs: number): AnyNotificationDraft | null {
  if ((c.kind !== 'top_up' && c.kind !== 'grant') || c.amountCents <= 0) return null;
  return draft('wallet.credited', `${workspaceKey(c.workspaceId)}:credit:${c.sourceType}:${c.sourceId}`, c.workspaceId, nowMs, {
    kind: c.kind,
    amountCents: c.amountCents,
    balanceCents: c.balanceCents,
    source: { type: c.sourceType, id: c.sourceId },
  });
}

/**
 * A debit that took the balance from at or above the minimum to below it.
 * `debitSourceId` names the ledger entry that did it (one per rating pass).
 */
export function belowMinimumNotification(
  d: { workspaceId: string; debitSourceId: string; balanceBeforeCents: number; balanceAfterCents: number; minimumCents: number },
  nowMs: number,
): AnyNotificationDraft | null {
  if (!(d.balanceBeforeCents >= d.minimumCents && d.balanceAfterCents < d.minimumCents)) return null;
  return draft('wallet.below_minimum', `${workspaceKey(d.workspaceId)}:below-minimum:${d.debitSourceId}`, d.workspaceId, nowMs, {
    balanceCents: d.balanceAfterCents,
    previousBalanceCents: d.balanceBeforeCents,
    minimumCents: d.minimumCents,
  });
}

/** An auto top-up charge failed and auto top-up was turned off: once per crossing. */
export function autoTopUpFailedNotification(
  f: { workspaceId: string; crossingId: string; topUpId: string; amountCents: number; reason: string; paymentIntentId: string | null },
  nowMs: number,
): AnyNotificationDraft {
  return draft('wallet.auto_top_up.failed', `${workspaceKey(f.workspaceId)}:auto-top-up:${f.crossingId}:failed`, f.workspaceId, nowMs, {
    topUpId: f.topUpId,
    amountCents: f.amountCents,
    reason: f.reason,
    paymentIntentId: f.paymentIntentId,
    enabled: false,
  });
}

/** A spend alert recorded for a threshold of a month (once per threshold per month, like the spend_alert row). */
export function spendAlertNotification(
  a: { workspaceId: string; month: string; thresholdPercent: number; spentCents: number; capCents: number },
  nowMs: number,
): AnyNotificationDraft {
  return draft('spend.threshold_reached', `${workspaceKey(a.workspaceId)}:spend:${a.month}:threshold:${a.thresholdPercent}`, a.workspaceId, nowMs, {
    month: a.month,
    thresholdPercent: a.thresholdPercent,
    spentCents: a.spentCents,
    capCents: a.capCents,
  });
}

/**
 * The cap starts blocking in a month it did not block before. Keyed by month
 * and cap: a raised cap reached again in the same month is a new event.
 */
export function capReachedNotification(
  c: { workspaceId: string; previousBlockedMonth: string | null; blockedMonth: string | null; capCents: number; spentCents: number | null },
  nowMs: number,
): AnyNotificationDraft | null {
  if (c.blockedMonth === null || c.blockedMonth === c.previousBlockedMonth) return null;
  return draft('spend.cap_reached', `${workspaceKey(c.workspaceId)}:spend:${c.blockedMonth}:cap:${c.capCents}`, c.workspaceId, nowMs, {
    month: c.blockedMonth,
    capCents: c.capCents,
    spentCents: c.spentCents,
    blocksProduction: true,
  });
}

/** A paid guest checkout becomes flagged while nobody has claimed it. */
export function guestCheckoutNotifications(before: Pick<GuestCheckoutView, 'flaggedAt'> | null, after: GuestCheckoutView, nowMs: number): AnyNotificationDraft[] {
  if (after.flaggedAt === null || before?.flaggedAt != null || after.claimedWorkspaceId !== null) return [];
  return [
    draft('guest_checkout.unclaimed', `guest-checkout/${after.checkoutId}:unclaimed`, null, nowMs, {
      checkoutId: after.checkoutId,
      email: after.email,
      plan: after.planId ? { id: after.planId, interval: after.interval } : null,
      paidAt: after.paidAt === null ? null : iso(after.paidAt),
      flaggedAt: iso(after.flaggedAt),
      stripe: { customerId: after.stripeCustomerId, subscriptionId: after.stripeSubscriptionId },
    }),
  ];
}

/** The JSON body POSTed for a notification: `{ id, type, occurredAt, workspaceId, data }`. */
export function notificationBody(id: string, d: AnyNotificationDraft): string {
  return JSON.stringify({ id, type: d.type, occurredAt: iso(d.occurredAt), workspaceId: d.workspaceId, data: d.data });
}
