// Billing facts for workflow tests, with defaults and unique event ids:
// workflow tests speak in facts (the Stripe payload translation is tested
// in the domain and API tiers).
import type { InvoiceChangedFact, SubscriptionChangedFact } from '../../src/domain/billing-facts';
import { uniqueId } from './db';

const DAY = 86_400_000;

export function subscriptionChanged(f: Partial<SubscriptionChangedFact> & Pick<SubscriptionChangedFact, 'subscriptionId' | 'occurredAt'>): SubscriptionChangedFact {
  return {
    kind: 'subscription_changed',
    eventId: uniqueId('evt'),
    itemId: 'si_main',
    customerId: 'cus_main',
    status: 'active',
    planId: 'plus',
    interval: 'month',
    currentPeriodEnd: f.occurredAt + 30 * DAY,
    cancelAtPeriodEnd: false,
    ...f,
  };
}

export function invoiceChanged(f: Partial<InvoiceChangedFact> & Pick<InvoiceChangedFact, 'subscriptionId' | 'invoiceId' | 'occurredAt'>): InvoiceChangedFact {
  return {
    kind: 'invoice_changed',
    eventId: uniqueId('evt'),
    status: 'open',
    paymentFailed: false,
    amountDueCents: 2900,
    currency: 'usd',
    hostedInvoiceUrl: `https://invoice.stripe.test/${f.invoiceId}`,
    ...f,
  };
}
