// Billing facts: what a Stripe event tells the workspace workflow, reduced to
// the fields the state rules need. Built by src/domain/stripe-events.ts from
// the event payload; times are epoch milliseconds.
import type { Interval, PlanId } from './plans';

export type StripeSubscriptionStatus =
  | 'incomplete'
  | 'incomplete_expired'
  | 'trialing'
  | 'active'
  | 'past_due'
  | 'canceled'
  | 'unpaid'
  | 'paused';

interface FactBase {
  /** Stripe event id: the idempotency key of the fact. */
  eventId: string;
  /** Stripe event `created`, in ms: the order in which facts are applied. */
  occurredAt: number;
}

export interface CheckoutCompletedFact extends FactBase {
  kind: 'checkout_completed';
  checkoutId: string;
  customerId: string | null;
  subscriptionId: string | null;
  planId: PlanId | null;
  interval: Interval | null;
  paid: boolean;
}

export interface CheckoutExpiredFact extends FactBase {
  kind: 'checkout_expired';
  checkoutId: string;
}

export interface SubscriptionChangedFact extends FactBase {
  kind: 'subscription_changed';
  subscriptionId: string;
  /** The subscription item carrying the plan's price (needed to change plans). */
  itemId?: string | null;
  customerId: string | null;
  status: StripeSubscriptionStatus;
  planId: PlanId | null;
  interval: Interval | null;
  currentPeriodEnd: number | null;
  cancelAtPeriodEnd: boolean;
}

export type InvoiceStatus = 'draft' | 'open' | 'paid' | 'void' | 'uncollectible';

/** How Stripe collects an invoice: the card on file, or the customer pays it by its due date. */
export type CollectionMethod = 'charge_automatically' | 'send_invoice';

/**
 * invoice.payment_failed, invoice.payment_action_required, invoice.paid,
 * invoice.finalized, invoice.overdue, invoice.voided, invoice.marked_uncollectible.
 */
export interface InvoiceChangedFact extends FactBase {
  kind: 'invoice_changed';
  invoiceId: string;
  subscriptionId: string | null;
  status: InvoiceStatus;
  /** True for invoice.payment_failed: a collection attempt failed. */
  paymentFailed: boolean;
  amountDueCents: number;
  currency: string;
  hostedInvoiceUrl: string | null;
  /** Absent in facts recorded before these fields existed (read as unknown). */
  collectionMethod?: CollectionMethod | null;
  /** send_invoice: when the invoice is due (ms); past it, the unpaid invoice is a recovery. */
  dueAt?: number | null;
  /** invoice.payment_action_required: the customer must complete the payment (e.g. 3-D Secure). */
  actionRequired?: boolean;
}

export type BillingFact = CheckoutCompletedFact | CheckoutExpiredFact | SubscriptionChangedFact | InvoiceChangedFact;

/** A wallet top-up was paid (checkout.session.completed in payment mode, or payment_intent.succeeded). */
export interface TopUpPaidFact extends FactBase {
  kind: 'top_up_paid';
  /** Our id of the top-up, from the Stripe object's metadata: the credit's idempotency key. */
  topUpId: string;
  amountCents: number;
  currency: string;
  /** The payer, and the card saved for off-session use (auto top-up); absent in facts recorded before these existed. */
  customerId?: string | null;
  paymentMethodId?: string | null;
  /** A Checkout Session names its PaymentIntent (the card is read from it when the event does not carry one). */
  paymentIntentId?: string | null;
}

/** Every fact a Stripe event can carry: billing facts go to the workspace workflow, top-ups to the wallet. */
export type StripeFact = BillingFact | TopUpPaidFact;

export function isTopUpFact(fact: StripeFact): fact is TopUpPaidFact {
  return fact.kind === 'top_up_paid';
}
