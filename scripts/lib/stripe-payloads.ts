// Stripe-shaped webhook payloads, built like the pinned API version's objects
// and signed like Stripe signs them. stripe-mock keeps no state and sends no
// webhooks, so on this machine state transitions come from these: the tests
// (test/support/stripe-events.ts adds random ids and a clock) and the demo
// (scripts/demo, deterministic ids and chosen times) share them.
// Builders take every id and time explicitly; times are epoch seconds, as
// Stripe sends them.
import Stripe from 'stripe';
import type { Interval } from '../../src/domain/plans';

/** Only signs; never sends a request, so any well-formed key does. */
const signer = new Stripe('sk_test_PayloadSigner');

export interface StripeEventPayload {
  id: string;
  object: 'event';
  type: string;
  created: number;
  api_version: string;
  livemode: false;
  pending_webhooks: number;
  request: { id: null; idempotency_key: null };
  data: { object: Record<string, unknown> };
}

export function eventPayload(id: string, type: string, created: number, object: Record<string, unknown>): StripeEventPayload {
  return {
    id,
    object: 'event',
    type,
    created,
    api_version: Stripe.API_VERSION,
    livemode: false,
    pending_webhooks: 1,
    request: { id: null, idempotency_key: null },
    data: { object },
  };
}

/** A Stripe-Signature header for exactly these bytes, signed with the endpoint's secret. */
export function stripeSignature(payload: string, secret: string): string {
  return signer.webhooks.generateTestHeaderString({ payload, secret });
}

/** The request body and its Stripe-Signature header. */
export function signedEvent(event: unknown, secret: string): { payload: string; signature: string } {
  const payload = JSON.stringify(event);
  return { payload, signature: stripeSignature(payload, secret) };
}

export interface CheckoutSessionFields {
  id: string;
  mode: 'subscription' | 'payment';
  customerId: string | null;
  subscriptionId: string | null;
  clientReferenceId: string | null;
  metadata: Record<string, string>;
  status?: 'open' | 'complete' | 'expired';
  paymentStatus?: 'paid' | 'unpaid' | 'no_payment_required';
  /** Payment mode: what was charged. */
  amountTotalCents?: number | null;
  expiresAt: number;
}

export function checkoutSessionObject(s: CheckoutSessionFields) {
  return {
    id: s.id,
    object: 'checkout.session',
    mode: s.mode,
    status: s.status ?? 'complete',
    payment_status: s.paymentStatus ?? 'paid',
    customer: s.customerId,
    subscription: s.subscriptionId,
    client_reference_id: s.clientReferenceId,
    amount_total: s.amountTotalCents ?? null,
    currency: 'usd',
    livemode: false,
    metadata: s.metadata,
    url: null,
    expires_at: s.expiresAt,
  };
}

export interface SubscriptionFields {
  id: string;
  customerId: string;
  status: string;
  metadata: Record<string, string>;
  itemId: string;
  priceId: string;
  /** The price's lookup key (`plus_month`); null for a contract price. */
  lookupKey: string | null;
  interval: Interval;
  periodStart: number;
  periodEnd: number;
  cancelAtPeriodEnd?: boolean;
}

export function subscriptionObject(s: SubscriptionFields) {
  return {
    id: s.id,
    object: 'subscription',
    customer: s.customerId,
    status: s.status,
    cancel_at_period_end: s.cancelAtPeriodEnd ?? false,
    currency: 'usd',
    livemode: false,
    metadata: s.metadata,
    items: {
      object: 'list',
      data: [
        {
          id: s.itemId,
          object: 'subscription_item',
          quantity: 1,
          current_period_start: s.periodStart,
          current_period_end: s.periodEnd,
          price: {
            id: s.priceId,
            object: 'price',
            lookup_key: s.lookupKey,
            currency: 'usd',
            recurring: { interval: s.interval, interval_count: 1 },
          },
        },
      ],
    },
  };
}

export interface InvoiceFields {
  id: string;
  customerId: string;
  subscriptionId: string;
  /** The subscription's metadata as the invoice snapshots it. */
  subscriptionMetadata: Record<string, string>;
  status: 'draft' | 'open' | 'paid' | 'void' | 'uncollectible';
  amountDueCents: number;
  /** Defaults to amountDue while unpaid, 0 once paid or void. */
  amountRemainingCents?: number;
  /** Defaults to a hosted invoice page of this invoice; null for none. */
  hostedInvoiceUrl?: string | null;
  billingReason?: string;
  /** A collection attempt was made (true on payment_failed). */
  attempted?: boolean;
  /** Default charge_automatically (no due date). */
  collectionMethod?: 'charge_automatically' | 'send_invoice';
  /** Epoch seconds; send_invoice invoices carry one. */
  dueDate?: number | null;
}

/**
 * An invoice of a subscription as API 2026-10-28 sends it: the subscription
 * is named in `parent.subscription_details` (with the subscription's metadata
 * snapshot), there is no top-level `subscription` field.
 */
export function invoiceObject(i: InvoiceFields) {
  const settled = i.status === 'paid' || i.status === 'void';
  return {
    id: i.id,
    object: 'invoice',
    status: i.status,
    amount_due: i.amountDueCents,
    amount_paid: i.status === 'paid' ? i.amountDueCents : 0,
    amount_remaining: i.amountRemainingCents ?? (settled ? 0 : i.amountDueCents),
    currency: 'usd',
    customer: i.customerId,
    billing_reason: i.billingReason ?? 'subscription_cycle',
    collection_method: i.collectionMethod ?? 'charge_automatically',
    due_date: i.dueDate ?? null,
    hosted_invoice_url: i.hostedInvoiceUrl === undefined ? `https://invoice.stripe.com/i/acct_test/${i.id}` : i.hostedInvoiceUrl,
    ...(i.attempted === undefined ? {} : { attempted: i.attempted, attempt_count: i.attempted ? 1 : 0 }),
    livemode: false,
    metadata: {},
    parent: {
      type: 'subscription_details',
      quote_details: null,
      subscription_details: { subscription: i.subscriptionId, metadata: i.subscriptionMetadata },
    },
  };
}

export function paymentIntentObject(p: { id: string; customerId: string | null; amountCents: number; metadata: Record<string, string> }) {
  return {
    id: p.id,
    object: 'payment_intent',
    status: 'succeeded',
    amount: p.amountCents,
    amount_received: p.amountCents,
    currency: 'usd',
    customer: p.customerId,
    livemode: false,
    metadata: p.metadata,
  };
}
