// Translation of Stripe webhook events into billing facts and routing hints.
// Pure: works on the parsed event JSON, validated with zod so a malformed
// payload is reported instead of half-read. Times become epoch milliseconds.
import { z } from 'zod';
import type { InvoiceChangedFact, InvoiceStatus, StripeFact, StripeSubscriptionStatus, SubscriptionChangedFact, TopUpPaidFact } from './billing-facts';
import { isInterval, isPlanId, parseLookupKey, type Interval, type PlanId } from './plans';

const metadata = z.record(z.string(), z.string()).nullish();

export const stripeEventEnvelope = z.object({
  id: z.string().min(1),
  object: z.literal('event'),
  type: z.string().min(1),
  created: z.number().int(),
  data: z.object({ object: z.record(z.string(), z.unknown()) }),
});
export type StripeEventEnvelope = z.infer<typeof stripeEventEnvelope>;

const idOf = z.union([z.string(), z.object({ id: z.string() })]).nullish().transform((v) => (typeof v === 'string' ? v : v?.id ?? null));

const checkoutSession = z.object({
  id: z.string(),
  mode: z.string(),
  amount_total: z.number().int().nullish(),
  currency: z.string().nullish(),
  customer: idOf,
  subscription: idOf,
  client_reference_id: z.string().nullish(),
  payment_status: z.string().nullish(),
  payment_intent: idOf,
  metadata,
});

const subscription = z.object({
  id: z.string(),
  customer: idOf,
  status: z.enum(['incomplete', 'incomplete_expired', 'trialing', 'active', 'past_due', 'canceled', 'unpaid', 'paused']),
  cancel_at_period_end: z.boolean().nullish(),
  current_period_end: z.number().nullish(),
  metadata,
  items: z
    .object({
      data: z.array(
        z.object({
          id: z.string().nullish(),
          current_period_end: z.number().nullish(),
          price: z.object({ lookup_key: z.string().nullish() }).nullish(),
        }),
      ),
    })
    .nullish(),
});

const paymentIntent = z.object({
  id: z.string(),
  amount_received: z.number().int(),
  currency: z.string(),
  customer: idOf,
  payment_method: idOf,
  metadata,
});

/** Marks our wallet top-up checkouts and their payment intents (metadata.kind). */
export const TOP_UP_KIND = 'wallet_top_up';

const invoice = z.object({
  id: z.string(),
  status: z.enum(['draft', 'open', 'paid', 'void', 'uncollectible']).nullish(),
  amount_due: z.number().int(),
  amount_remaining: z.number().int().nullish(),
  currency: z.string(),
  hosted_invoice_url: z.string().nullish(),
  attempted: z.boolean().nullish(),
  attempt_count: z.number().int().nullish(),
  collection_method: z.enum(['charge_automatically', 'send_invoice']).nullish(),
  due_date: z.number().int().nullish(),
  subscription: idOf.optional(),
  parent: z
    .object({ subscription_details: z.object({ subscription: idOf.optional() }).nullish() })
    .nullish(),
});

const routable = z.object({
  metadata,
  customer: idOf.optional(),
  subscription: idOf.optional(),
  parent: z
    .object({ subscription_details: z.object({ metadata, subscription: idOf.optional() }).nullish() })
    .nullish(),
});

export const HANDLED_EVENT_TYPES = [
  'checkout.session.completed',
  'checkout.session.expired',
  'customer.subscription.created',
  'customer.subscription.updated',
  'customer.subscription.deleted',
  'invoice.payment_failed',
  'invoice.payment_action_required',
  'invoice.paid',
  'invoice.finalized',
  'invoice.overdue',
  'invoice.voided',
  'invoice.marked_uncollectible',
  'payment_intent.succeeded',
] as const;

export class MalformedEventError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MalformedEventError';
  }
}

function parse<T extends z.ZodType>(schema: T, value: unknown, what: string): z.infer<T> {
  const result = schema.safeParse(value);
  if (!result.success) {
    const first = result.error.issues[0];
    throw new MalformedEventError(`${what}: ${first?.path.join('.') || 'object'} ${first?.message ?? 'is invalid'}`);
  }
  return result.data;
}

export interface EventRouting {
  workspaceId: string | null;
  /** metadata.guestCheckoutId: the event is about a guest checkout's customer, session or subscription. */
  guestCheckoutId: string | null;
  customerId: string | null;
  subscriptionId: string | null;
}

/**
 * Where an event belongs, in the order of the spec: the object's
 * metadata.workspaceId, then the invoice's subscription metadata snapshot,
 * then (done by the caller) the stored customer/subscription mapping.
 */
export function routeEvent(event: StripeEventEnvelope): EventRouting {
  const object = parse(routable, event.data.object, event.type);
  const snapshot = object.parent?.subscription_details;
  const isSubscription = event.data.object.object === 'subscription';
  return {
    workspaceId: object.metadata?.workspaceId ?? snapshot?.metadata?.workspaceId ?? null,
    guestCheckoutId: object.metadata?.guestCheckoutId ?? snapshot?.metadata?.guestCheckoutId ?? null,
    customerId: object.customer ?? null,
    subscriptionId: isSubscription ? (event.data.object.id as string) : (object.subscription ?? snapshot?.subscription ?? null),
  };
}

function planFromMetadata(meta: Record<string, string> | null | undefined): { planId: PlanId | null; interval: Interval | null } {
  const planId = meta?.planId;
  const interval = meta?.interval;
  return { planId: isPlanId(planId) ? planId : null, interval: isInterval(interval) ? interval : null };
}

function topUpPaid(
  base: { eventId: string; occurredAt: number },
  meta: Record<string, string> | null | undefined,
  amount: number | null | undefined,
  currency: string | null | undefined,
  payer: { customerId: string | null; paymentMethodId: string | null; paymentIntentId: string | null },
): TopUpPaidFact | null {
  if (meta?.kind !== TOP_UP_KIND || !meta.topUpId) return null;
  if (amount == null || !currency) throw new MalformedEventError('wallet top-up without amount or currency');
  return { ...base, kind: 'top_up_paid', topUpId: meta.topUpId, amountCents: amount, currency, ...payer };
}

type FactBase = { eventId: string; occurredAt: number };

/** A subscription object (from an event, or retrieved live) as a billing fact. */
export function subscriptionFact(object: unknown, base: FactBase, deleted: boolean, what = 'subscription'): SubscriptionChangedFact {
  const sub = parse(subscription, object, what);
  const item = sub.items?.data[0];
  const fromPrice = parseLookupKey(item?.price?.lookup_key);
  const fromMetadata = planFromMetadata(sub.metadata);
  // A subscription sales created says metadata.planId=enterprise, whatever
  // price it uses; otherwise the price says the plan (plan changes swap it).
  const plan =
    fromMetadata.planId === 'enterprise'
      ? { planId: fromMetadata.planId, interval: fromMetadata.interval ?? fromPrice?.interval ?? null }
      : (fromPrice ?? fromMetadata);
  const periodEnd = item?.current_period_end ?? sub.current_period_end ?? null;
  const status: StripeSubscriptionStatus = deleted ? 'canceled' : sub.status;
  return {
    ...base,
    kind: 'subscription_changed',
    subscriptionId: sub.id,
    itemId: item?.id ?? null,
    customerId: sub.customer,
    status,
    planId: plan.planId,
    interval: plan.interval,
    currentPeriodEnd: periodEnd === null ? null : periodEnd * 1000,
    cancelAtPeriodEnd: sub.cancel_at_period_end ?? false,
  };
}

function invoiceFactOf(
  inv: z.infer<typeof invoice>,
  base: FactBase,
  status: InvoiceStatus,
  paymentFailed: boolean,
  actionRequired = false,
): InvoiceChangedFact {
  return {
    ...base,
    kind: 'invoice_changed',
    invoiceId: inv.id,
    subscriptionId: inv.parent?.subscription_details?.subscription ?? inv.subscription ?? null,
    status,
    paymentFailed,
    amountDueCents: inv.amount_remaining ?? inv.amount_due,
    currency: inv.currency,
    hostedInvoiceUrl: inv.hosted_invoice_url ?? null,
    collectionMethod: inv.collection_method ?? null,
    dueAt: inv.due_date == null ? null : inv.due_date * 1000,
    ...(actionRequired && { actionRequired }),
  };
}

/**
 * An invoice retrieved live (no event type to say what happened): its own
 * status, and a failed payment when it is still open after a collection attempt.
 */
export function liveInvoiceFact(object: unknown, base: FactBase): InvoiceChangedFact | null {
  const inv = parse(invoice, object, 'invoice');
  if (!inv.status || inv.status === 'draft') return null;
  const failed = inv.status === 'open' && inv.attempted === true && (inv.attempt_count ?? 1) > 0;
  return invoiceFactOf(inv, base, inv.status, failed);
}

/** The fact an event carries, or null for event types (and objects) the engine does not act on. */
export function factFromEvent(event: StripeEventEnvelope): StripeFact | null {
  const base = { eventId: event.id, occurredAt: event.created * 1000 };
  switch (event.type) {
    case 'checkout.session.completed':
    case 'checkout.session.expired': {
      const session = parse(checkoutSession, event.data.object, event.type);
      if (session.mode === 'payment' && event.type === 'checkout.session.completed' && session.payment_status === 'paid') {
        return topUpPaid(base, session.metadata, session.amount_total, session.currency, {
          customerId: session.customer ?? null,
          paymentMethodId: null,
          paymentIntentId: session.payment_intent ?? null,
        });
      }
      if (session.mode !== 'subscription') return null;
      if (event.type === 'checkout.session.expired') return { ...base, kind: 'checkout_expired', checkoutId: session.id };
      return {
        ...base,
        kind: 'checkout_completed',
        checkoutId: session.id,
        customerId: session.customer,
        subscriptionId: session.subscription,
        ...planFromMetadata(session.metadata),
        paid: session.payment_status === 'paid' || session.payment_status === 'no_payment_required',
      };
    }
    case 'customer.subscription.created':
    case 'customer.subscription.updated':
    case 'customer.subscription.deleted':
      return subscriptionFact(event.data.object, base, event.type === 'customer.subscription.deleted', event.type);
    case 'invoice.payment_failed':
    case 'invoice.payment_action_required':
    case 'invoice.paid':
    case 'invoice.finalized':
    case 'invoice.overdue':
    case 'invoice.voided':
    case 'invoice.marked_uncollectible': {
      const inv = parse(invoice, event.data.object, event.type);
      const status = event.type === 'invoice.paid' ? 'paid' : event.type === 'invoice.voided' ? 'void' : (inv.status ?? 'open');
      return invoiceFactOf(
        inv,
        base,
        event.type === 'invoice.marked_uncollectible' ? 'uncollectible' : status,
        event.type === 'invoice.payment_failed',
        event.type === 'invoice.payment_action_required',
      );
    }
    case 'payment_intent.succeeded': {
      const intent = parse(paymentIntent, event.data.object, event.type);
      return topUpPaid(base, intent.metadata, intent.amount_received, intent.currency, {
        customerId: intent.customer ?? null,
        paymentMethodId: intent.payment_method ?? null,
        paymentIntentId: intent.id,
      });
    }
    default:
      return null;
  }
}
