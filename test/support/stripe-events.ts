// Stripe-shaped events for tests: the shared payload builders
// (scripts/lib/stripe-payloads.ts) with random ids, a clock that moves one
// second per event, and the suite's webhook secret. stripe-mock keeps no
// state and sends no webhooks, so state transitions in tests come from these.
import type { Interval, PlanId } from '../../src/domain/plans';
import { lookupKey } from '../../src/domain/plans';
import {
  checkoutSessionObject,
  eventPayload,
  invoiceObject,
  signedEvent,
  stripeSignature,
  subscriptionObject,
  type InvoiceFields,
  type StripeEventPayload,
} from '../../scripts/lib/stripe-payloads';
import { uniqueId } from './db';
import { TEST_SECRETS } from './test-env';

let clock = Math.floor(Date.now() / 1000);

export type StripeTestEvent = StripeEventPayload;

export function stripeEvent(type: string, object: Record<string, unknown>, created?: number): StripeTestEvent {
  clock += 1;
  return eventPayload(uniqueId('evt'), type, created ?? clock, object);
}

/** A Stripe-Signature header for exactly these bytes. */
export function signatureFor(payload: string, secret = TEST_SECRETS.STRIPE_WEBHOOK_SECRET): string {
  return stripeSignature(payload, secret);
}

export function signedPayload(event: unknown, secret = TEST_SECRETS.STRIPE_WEBHOOK_SECRET) {
  return signedEvent(event, secret);
}

export interface CheckoutFixture {
  workspaceId: string;
  checkoutId: string;
  customerId: string;
  subscriptionId: string;
  planId: PlanId;
  interval: Interval;
}

const metadataOf = (f: Omit<CheckoutFixture, 'checkoutId'>) => ({ workspaceId: f.workspaceId, planId: f.planId, interval: f.interval });

export function checkoutSession(f: CheckoutFixture, overrides: Record<string, unknown> = {}) {
  return {
    ...checkoutSessionObject({
      id: f.checkoutId,
      mode: 'subscription',
      customerId: f.customerId,
      subscriptionId: f.subscriptionId,
      clientReferenceId: f.workspaceId,
      metadata: metadataOf(f),
      expiresAt: clock + 86_400,
    }),
    ...overrides,
  };
}

export function subscription(
  f: Omit<CheckoutFixture, 'checkoutId'>,
  overrides: { status?: string; currentPeriodEnd?: number; cancelAtPeriodEnd?: boolean; withMetadata?: boolean } = {},
) {
  const periodStart = clock;
  return subscriptionObject({
    id: f.subscriptionId,
    customerId: f.customerId,
    status: overrides.status ?? 'active',
    cancelAtPeriodEnd: overrides.cancelAtPeriodEnd,
    metadata: overrides.withMetadata === false ? {} : metadataOf(f),
    itemId: uniqueId('si'),
    priceId: uniqueId('price'),
    lookupKey: lookupKey(f.planId, f.interval),
    interval: f.interval,
    periodStart,
    periodEnd: overrides.currentPeriodEnd ?? periodStart + (f.interval === 'year' ? 365 : 30) * 86_400,
  });
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
  status?: InvoiceFields['status'];
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

/** An invoice of the fixture's subscription (see invoiceObject). */
export function invoice(f: Omit<CheckoutFixture, 'checkoutId'>, overrides: InvoiceOverrides = {}) {
  return invoiceObject({
    id: overrides.id ?? uniqueId('in'),
    customerId: f.customerId,
    subscriptionId: f.subscriptionId,
    subscriptionMetadata: overrides.withMetadata === false ? {} : metadataOf(f),
    status: overrides.status ?? 'open',
    amountDueCents: overrides.amountDue ?? 2900,
    amountRemainingCents: overrides.amountRemaining,
    hostedInvoiceUrl: overrides.hostedInvoiceUrl,
    billingReason: overrides.billingReason,
    collectionMethod: overrides.collectionMethod,
    dueDate: overrides.dueDate,
  });
}
