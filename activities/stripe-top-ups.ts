// Wallet top-ups: a hosted Stripe Checkout in payment mode for an amount the
// customer chose. Metadata on the session and its payment intent carries our
// top-up id, which is the idempotency key of the credit when Stripe reports
// the payment (checkout.session.completed and/or payment_intent.succeeded).
import { ApplicationFailure } from '@temporalio/common';
import type Stripe from 'stripe';
import { TOP_UP_KIND } from '../src/domain/stripe-events';
import { callStripe } from './stripe-failures';

export interface CreateTopUpInput {
  workspaceId: string;
  customerId: string;
  topUpId: string;
  amountCents: number;
  successUrl: string;
  cancelUrl: string;
  /** Epoch ms, whole seconds; chosen by the workflow so retries send identical parameters. */
  expiresAt: number;
  idempotencyKey: string;
}

export interface CreatedTopUp {
  topUpId: string;
  checkoutId: string;
  url: string;
  expiresAt: number;
}

export function createTopUpActivities({ stripe }: { stripe: Stripe }) {
  return {
    async createTopUpCheckout(input: CreateTopUpInput): Promise<CreatedTopUp> {
      const metadata = { workspaceId: input.workspaceId, kind: TOP_UP_KIND, topUpId: input.topUpId };
      const session = await callStripe('create top-up checkout', () =>
        stripe.checkout.sessions.create(
          {
            mode: 'payment',
            customer: input.customerId,
            client_reference_id: input.workspaceId,
            line_items: [
              {
                quantity: 1,
                price_data: { currency: 'usd', unit_amount: input.amountCents, product_data: { name: 'Developer wallet credit' } },
              },
            ],
            // The card is saved on the customer for off-session auto top-ups (docs/auto-top-up.md).
            payment_intent_data: { metadata, setup_future_usage: 'off_session' },
            success_url: input.successUrl,
            cancel_url: input.cancelUrl,
            expires_at: Math.floor(input.expiresAt / 1000),
            metadata,
          },
          { idempotencyKey: input.idempotencyKey },
        ),
      );
      if (!session.url) {
        throw ApplicationFailure.create({ type: 'payment_provider_error', message: `Checkout Session ${session.id} has no hosted URL`, nonRetryable: true });
      }
      return { topUpId: input.topUpId, checkoutId: session.id, url: session.url, expiresAt: session.expires_at * 1000 };
    },
  };
}
