// What the engine POSTs to the product app (outbound webhooks): one envelope
// `{ id, type, occurredAt, workspaceId, data }` and a zod schema of `data`
// per event type. The OpenAPI document's `webhooks` section and the tests'
// receivers use these same schemas; the types are inferred from them.
import { z } from 'zod';
import { INTERVALS, PLAN_IDS } from './plans';
import { workspaceIdSchema } from './schemas';

const isoDate = z.iso.datetime({ offset: true });
const planRef = z.object({ id: z.enum(PLAN_IDS), interval: z.enum(INTERVALS).nullable() });
const unpaidInvoice = z
  .object({ id: z.string(), amountDueCents: z.number().int(), currency: z.string(), hostedInvoiceUrl: z.url() })
  .nullable()
  .describe('The invoice to pay (hosted invoice page), when one is known');

export const notificationDataSchemas = {
  'checkout.completed': z
    .object({
      subscriptionId: z.string(),
      checkoutId: z.string().nullable().describe('The Checkout Session that was open, if any (null: e.g. a subscription created by sales)'),
      plan: planRef,
    })
    .describe('A paid subscription started: the workspace now has a live plan.'),
  'subscription.plan_changed': z
    .object({ subscriptionId: z.string(), from: planRef, to: planRef })
    .describe("The subscription's plan or interval changed (confirmed by Stripe)."),
  'subscription.change_scheduled': z
    .object({
      subscriptionId: z.string().nullable(),
      currentPlan: planRef,
      targetPlanId: z.enum(PLAN_IDS).describe('essential: the subscription is cancelled at the period end'),
      interval: z.enum(INTERVALS),
      effectiveAt: isoDate,
    })
    .describe('A plan change was scheduled for a later date (e.g. a downgrade at the period end).'),
  'billing.payment_failed': z
    .object({ graceStartedAt: isoDate, graceEndsAt: isoDate, plan: planRef, unpaidInvoice })
    .describe('A payment failed: the grace window opened; production stays allowed until graceEndsAt.'),
  'billing.payment_reminder': z
    .object({
      offset: z.string().describe('Offset of this reminder from the window start, e.g. "3d" (BILLING_DUNNING_REMINDERS)'),
      offsetMs: z.number().int().min(0),
      dueAt: isoDate,
      graceStartedAt: isoDate,
      graceEndsAt: isoDate,
      unpaidInvoice,
    })
    .describe('A dunning reminder of the open grace window is due.'),
  'billing.grace_expired': z
    .object({ graceStartedAt: isoDate, graceEndsAt: isoDate, unpaidInvoice })
    .describe('The grace window ended unpaid: production traffic is hard-blocked (enforced_recovery).'),
  'billing.restored': z
    .object({
      plan: planRef,
      previousMode: z.string().describe('The mode before the payment (billing_recovery or enforced_recovery)'),
      graceStartedAt: isoDate.nullable().describe('Start of the grace window the payment closed, if one was open'),
    })
    .describe('The workspace paid: past_due → active, every recovery restriction lifted.'),
  'wallet.credited': z
    .object({
      kind: z.enum(['top_up', 'grant']),
      amountCents: z.number().int().positive(),
      balanceCents: z.number().int().describe('Balance right after the credit'),
      source: z.object({ type: z.string(), id: z.string() }).describe('The top-up id or the grant reference'),
    })
    .describe('Credit was added to the wallet (a paid top-up or an operator grant), once per source.'),
  'wallet.below_minimum': z
    .object({
      balanceCents: z.number().int(),
      previousBalanceCents: z.number().int(),
      minimumCents: z.number().int().describe('WALLET_MINIMUM_CENTS'),
    })
    .describe('Rated usage took the wallet below the minimum runtime credit: production is refused until it is topped up.'),
  'wallet.auto_top_up.failed': z
    .object({
      topUpId: z.string().describe('The auto top-up that was not paid (derived from the debit that crossed the threshold)'),
      amountCents: z.number().int().positive(),
      reason: z.string().describe('Stripe decline or error code, e.g. card_declined, authentication_required'),
      paymentIntentId: z.string().nullable(),
      enabled: z.literal(false).describe('Auto top-up is now off: the app enables it again (PUT …/wallet/auto-top-up), e.g. after a hosted top-up with another card'),
    })
    .describe('An off-session auto top-up charge failed: auto top-up was turned off and will not retry.'),
  'spend.threshold_reached': z
    .object({ month: z.string().describe('UTC month, YYYY-MM'), thresholdPercent: z.number().int(), spentCents: z.number().int(), capCents: z.number().int() })
    .describe('Business: this month\'s spend reached an alert threshold (once per threshold per month).'),
  'spend.cap_reached': z
    .object({ month: z.string(), capCents: z.number().int(), spentCents: z.number().int().nullable(), blocksProduction: z.literal(true) })
    .describe('Business: the monthly cap was reached and, with action "block", now blocks production until the next month or a raised cap.'),
  'guest_checkout.unclaimed': z
    .object({
      checkoutId: z.string(),
      email: z.string().nullable(),
      plan: planRef.nullable(),
      paidAt: isoDate.nullable(),
      flaggedAt: isoDate,
      stripe: z.object({ customerId: z.string().nullable(), subscriptionId: z.string().nullable() }),
    })
    .describe('A guest paid and nobody claimed the checkout within GUEST_CHECKOUT_FLAG_AFTER (workspaceId is null).'),
} as const;

export type NotificationType = keyof typeof notificationDataSchemas;
export const NOTIFICATION_TYPES = Object.keys(notificationDataSchemas) as NotificationType[];
export type NotificationData<T extends NotificationType> = z.infer<(typeof notificationDataSchemas)[T]>;

export function isNotificationType(value: unknown): value is NotificationType {
  return typeof value === 'string' && Object.hasOwn(notificationDataSchemas, value);
}

/** The envelope of one event type, with its data schema. */
export function notificationEnvelopeSchema<T extends NotificationType>(type: T) {
  return z.object({
    id: z.string().describe('Notification id; also the webhook-id header, the same on every retry: deduplicate by it'),
    type: z.literal(type),
    occurredAt: isoDate.describe('When the engine recorded the event (workflow time)'),
    workspaceId: z.string().nullable().describe('null only for guest_checkout.unclaimed'),
    data: notificationDataSchemas[type],
  });
}

type EnvelopeSchemas = { [T in NotificationType]: ReturnType<typeof notificationEnvelopeSchema<T>> };
/** The envelope schema of every event type (the OpenAPI `webhooks` are generated from these). */
export const notificationEnvelopeSchemas = Object.fromEntries(NOTIFICATION_TYPES.map((type) => [type, notificationEnvelopeSchema(type)])) as EnvelopeSchemas;

/** Any notification body (a receiver parses with this). */
export const notificationBodySchema = z.discriminatedUnion(
  'type',
  Object.values(notificationEnvelopeSchemas) as [EnvelopeSchemas[NotificationType], ...EnvelopeSchemas[NotificationType][]],
);
export type NotificationBody = z.infer<typeof notificationBodySchema>;

export const NOTIFICATION_STATUSES = ['pending', 'delivered', 'failed', 'not_sent'] as const;
export type NotificationStatus = (typeof NOTIFICATION_STATUSES)[number];

/** GET /v1/operator/notifications: filters and paging (newest first). */
export const notificationListQuerySchema = z.strictObject({
  status: z.enum([...NOTIFICATION_STATUSES, 'all']).default('all'),
  workspaceId: workspaceIdSchema.optional(),
  type: z.enum(NOTIFICATION_TYPES as [NotificationType, ...NotificationType[]]).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  before: z.string().regex(/^[1-9][0-9]{0,17}$/, 'before must be a cursor from a previous page').optional(),
});
export type NotificationListQuery = z.infer<typeof notificationListQuerySchema>;

export const notificationIdSchema = z.string().regex(/^ntf_[0-9a-f]{32}$/, 'a notification id is ntf_ followed by 32 hex digits');

export const notificationAttemptSchema = z.object({
  round: z.number().int().describe('1 for the first round; each redelivery starts the next'),
  attempt: z.number().int().describe('Attempt number within the round'),
  url: z.string(),
  startedAt: isoDate,
  durationMs: z.number().int(),
  statusCode: z.number().int().nullable().describe('HTTP status the receiver answered; null on a timeout or network error'),
  error: z.string().nullable().describe('null when delivered (2xx); else "HTTP 503", "timeout after 10000 ms", "ECONNREFUSED…"'),
  responseBody: z.string().nullable().describe("The first kilobyte of the receiver's answer"),
});

export const notificationViewSchema = z.object({
  id: z.string().describe('Also the webhook-id of every delivery'),
  type: z.enum(NOTIFICATION_TYPES as [NotificationType, ...NotificationType[]]),
  workspaceId: z.string().nullable(),
  status: z.enum(NOTIFICATION_STATUSES),
  occurredAt: isoDate,
  createdAt: isoDate,
  round: z.number().int(),
  attempts: z.number().int().describe('Attempts made in the current round'),
  nextAttemptAt: isoDate.nullable().describe('When the next attempt is due (pending only)'),
  deliveredAt: isoDate.nullable(),
  body: z.unknown().describe('The JSON body sent: { id, type, occurredAt, workspaceId, data }'),
  attemptLog: z.array(notificationAttemptSchema).describe('Every attempt, oldest first'),
});
export type NotificationView = z.infer<typeof notificationViewSchema>;

export const notificationListSchema = z.object({
  notifications: z.array(notificationViewSchema),
  nextCursor: z.string().nullable().describe('Pass as `before` for the next (older) page; null on the last page'),
});
