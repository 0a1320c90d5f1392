// Stripe-shaped events for tests, built like the pinned API version's
// objects and signed like Stripe signs them. stripe-mock keeps no state and
// sends no webhooks, so state transitions in tests come from these.
import Stripe from 'stripe';
import type { Interval, PlanId } from '../../src/domain/plans';
import { lookupKey } from '../../src/domain/plans';
import { uniqueId } from './db';
import { TEST_SECRETS } from './test-env';

const signer = new Stripe(TEST_SECRETS.STRIPE_SECRET_KEY);
let clock = Math.floor(Date.now() / 1000);

export interface StripeTestEvent {
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

export function stripeEvent(type: string, object: Record<string, unknown>, created?: number): StripeTestEvent {
  clock += 1;
  return {
    id: uniqueId('evt'),
    object: 'event',
    type,
    created: created ?? clock,
    api_version: Stripe.API_VERSION,
    livemode: false,
    pending_webhooks: 1,
    request: { id: null, idempotency_key: null },
    data: { object },
  };
}

/** A Stripe-Signature header for exactly these bytes. */
export function signatureFor(payload: string, secret = TEST_SECRETS.STRIPE_WEBHOOK_SECRET): string {
  return signer.webhooks.generateTestHeaderString({ payload, secret });
}

export function signedPayload(event: unknown, secret = TEST_SECRETS.STRIPE_WEBHOOK_SECRET) {
  const payload = JSON.stringify(event);
  return { payload, signature: signatureFor(payload, secret) };
}

export interface CheckoutFixture {
  workspaceId: string;
  checkoutId: string;
  customerId: string;
  subscriptionId: string;
  planId: PlanId;
  interval: Interval;
}

export function checkoutSession(f: CheckoutFixture, overrides: Record<string, unknown> = {}) {
  const metadata = { workspaceId: f.workspaceId, planId: f.planId, interval: f.interval };
  return {
    id: f.checkoutId,
    object: 'checkout.session',
    mode: 'subscription',
    status: 'complete',
    payment_status: 'paid',
    customer: f.customerId,
    subscription: f.subscriptionId,
    client_reference_id: f.workspaceId,
    currency: 'usd',
    livemode: false,
    metadata,
    url: null,
    expires_at: clock + 86_400,
    ...overrides,
  };
}

export function subscription(
  f: Omit<CheckoutFixture, 'checkoutId'>,
  overrides: { status?: string; currentPeriodEnd?: number; cancelAtPeriodEnd?: boolean; withMetadata?: boolean } = {},
) {
  const periodStart = clock;
  const periodEnd = overrides.currentPeriodEnd ?? periodStart + (f.interval === 'year' ? 365 : 30) * 86_400;
  return {
    id: f.subscriptionId,
    object: 'subscription',
    customer: f.customerId,
    status: overrides.status ?? 'active',
    cancel_at_period_end: overrides.cancelAtPeriodEnd ?? false,
    currency: 'usd',
    livemode: false,
    metadata: overrides.withMetadata === false ? {} : { workspaceId: f.workspaceId, planId: f.planId, interval: f.interval },
    items: {
      object: 'list',
      data: [
        {
          id: uniqueId('si'),
          object: 'subscription_item',
          quantity: 1,
          current_period_start: periodStart,
          current_period_end: periodEnd,
          price: {
            id: uniqueId('price'),
            object: 'price',
            lookup_key: lookupKey(f.planId, f.interval),
            currency: 'usd',
            recurring: { interval: f.interval, interval_count: 1 },
          },
        },
      ],
    },
  };
}

export function checkoutFixture(planId: PlanId = 'plus', interval: Interval = 'month'): CheckoutFixture {
  return {
    workspaceId: uniqueId('ws'),
    checkoutId: uniqueId('cs_test'),
    customerId: uniqueId('cus'),
    subscriptionId: uniqueId('sub'),
    planId,
    interval,
  };
}

export interface InvoiceOverrides {
  id?: string;
  status?: 'draft' | 'open' | 'paid' | 'void' | 'uncollectible';
  amountDue?: number;
  /** Defaults to amountDue while unpaid, 0 once paid or void. */
  amountRemaining?: number;
  hostedInvoiceUrl?: string | null;
  billingReason?: string;
  withMetadata?: boolean;
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
export function invoice(f: Omit<CheckoutFixture, 'checkoutId'>, overrides: InvoiceOverrides = {}) {
  const id = overrides.id ?? uniqueId('in');
  const status = overrides.status ?? 'open';
  const amountDue = overrides.amountDue ?? 2900;
  const settled = status === 'paid' || status === 'void';
  const amountRemaining = overrides.amountRemaining ?? (settled ? 0 : amountDue);
  return {
    id,
    object: 'invoice',
    status,
    amount_due: amountDue,
    amount_paid: status === 'paid' ? amountDue : 0,
    amount_remaining: amountRemaining,
    currency: 'usd',
    customer: f.customerId,
    billing_reason: overrides.billingReason ?? 'subscription_cycle',
    collection_method: overrides.collectionMethod ?? 'charge_automatically',
    due_date: overrides.dueDate ?? null,
    hosted_invoice_url: overrides.hostedInvoiceUrl === undefined ? `https://invoice.stripe.com/i/acct_test/${id}` : overrides.hostedInvoiceUrl,
    livemode: false,
    metadata: {},
    parent: {
      type: 'subscription_details',
      quote_details: null,
      subscription_details: {
        subscription: f.subscriptionId,
        metadata: overrides.withMetadata === false ? {} : { workspaceId: f.workspaceId, planId: f.planId, interval: f.interval },
      },
    },
  };
}
