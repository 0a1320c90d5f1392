// Operator resync: read the workspace's subscription (and its latest
// invoice) live from Stripe and turn them into billing facts with the same
// translation webhook payloads go through. The workflow applies them like
// any other fact, so ordering rules still hold (occurredAt is the workflow's
// now; event ids are synthetic: resync:<requestId>:<object id>).
import type Stripe from 'stripe';
import type { BillingFact } from '../src/domain/billing-facts';
import { liveInvoiceFact, subscriptionFact } from '../src/domain/stripe-events';
import { callStripe } from './stripe-failures';

export interface ResyncInput {
  subscriptionId: string;
  requestId: string;
  /** Workflow time of the resync: the facts' occurredAt. */
  occurredAt: number;
}

export function createResyncActivities({ stripe }: { stripe: Stripe }) {
  return {
    async readStripeSubscriptionFacts(input: ResyncInput): Promise<BillingFact[]> {
      const sub = await callStripe('retrieve subscription', () => stripe.subscriptions.retrieve(input.subscriptionId, { expand: ['latest_invoice'] }));
      const base = (id: string) => ({ eventId: `resync:${input.requestId}:${id}`, occurredAt: input.occurredAt });
      const facts: BillingFact[] = [subscriptionFact(sub, base(sub.id), false)];
      const latest = sub.latest_invoice;
      const invoice = typeof latest === 'string' ? await callStripe('retrieve invoice', () => stripe.invoices.retrieve(latest)) : latest;
      if (invoice?.id) {
        const fact = liveInvoiceFact(invoice, base(invoice.id));
        // The invoice belongs to this subscription even when the object does not say so.
        if (fact) facts.push({ ...fact, subscriptionId: fact.subscriptionId ?? sub.id });
      }
      return facts;
    },
  };
}
