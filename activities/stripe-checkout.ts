// Stripe activities of the checkout slice: find the plan's price by lookup
// key (stripe-prices.ts), create or reuse the workspace's customer, create
// the hosted Checkout Session. Every write carries an idempotency key built
// by the workflow from stable ids (workflow id + step + sequence), never from
// the clock.
import { ApplicationFailure } from '@temporalio/common';
import type Stripe from 'stripe';
import type { PrismaClient } from '@prisma/client';
import type { Interval, PlanId } from '../src/domain/plans';
import { callStripe } from './stripe-failures';
import { createPriceLookup, type PriceLookup } from './stripe-prices';

export interface EnsureCustomerInput {
  workspaceId: string;
  email?: string;
  idempotencyKey: string;
}

interface SessionParams {
  customerId: string;
  planId: PlanId;
  interval: Interval;
  successUrl: string;
  cancelUrl: string;
  /** Epoch ms, whole seconds; chosen by the workflow so retries send identical parameters. */
  expiresAt: number;
  idempotencyKey: string;
}

export interface CreateGuestCheckoutInput extends SessionParams {
  guestCheckoutId: string;
}

export interface CreateCheckoutInput extends SessionParams {
  workspaceId: string;
}

export interface CreatedCheckout {
  checkoutId: string;
  url: string;
  expiresAt: number;
}

export function createCheckoutActivities({
  stripe,
  prisma,
  prices = createPriceLookup(stripe),
}: {
  stripe: Stripe;
  prisma: PrismaClient;
  /** Shared with the other Stripe activities by createActivities; a private one otherwise. */
  prices?: PriceLookup;
}) {
  const { priceIdFor } = prices;

  /** A subscription-mode session; `owner` (workspace or guest checkout id) goes into the session's and the subscription's metadata. */
  async function createSession(input: SessionParams, owner: Record<string, string>, reference: string): Promise<CreatedCheckout> {
    const price = await priceIdFor(input.planId, input.interval);
    const metadata = { ...owner, planId: input.planId, interval: input.interval };
    const session = await callStripe('create checkout session', () =>
      stripe.checkout.sessions.create(
        {
          mode: 'subscription',
          customer: input.customerId,
          client_reference_id: reference,
          line_items: [{ price, quantity: 1 }],
          success_url: input.successUrl,
          cancel_url: input.cancelUrl,
          expires_at: Math.floor(input.expiresAt / 1000),
          metadata,
          subscription_data: { metadata },
        },
        { idempotencyKey: input.idempotencyKey },
      ),
    );
    if (!session.url) {
      throw ApplicationFailure.create({
        type: 'payment_provider_error',
        message: `Checkout Session ${session.id} has no hosted URL`,
        nonRetryable: true,
      });
    }
    return { checkoutId: session.id, url: session.url, expiresAt: session.expires_at * 1000 };
  }

  return {
    /** The workspace's customer: the one on record, else a new one tagged with metadata.workspaceId. */
    async ensureStripeCustomer(input: EnsureCustomerInput): Promise<string> {
      const known = await prisma.workspaceBilling.findUnique({
        where: { workspaceId: input.workspaceId },
        select: { stripeCustomerId: true },
      });
      if (known?.stripeCustomerId) return known.stripeCustomerId;
      const customer = await callStripe('create customer', () =>
        stripe.customers.create(
          { email: input.email, metadata: { workspaceId: input.workspaceId } },
          { idempotencyKey: input.idempotencyKey },
        ),
      );
      return customer.id;
    },

    async createCheckoutSession(input: CreateCheckoutInput): Promise<CreatedCheckout> {
      return createSession(input, { workspaceId: input.workspaceId }, input.workspaceId);
    },

    /** A guest's customer: tagged with metadata.guestCheckoutId until a claim adds the workspace. */
    async ensureGuestCustomer(input: { guestCheckoutId: string; email: string; idempotencyKey: string }): Promise<string> {
      const customer = await callStripe('create guest customer', () =>
        stripe.customers.create({ email: input.email, metadata: { guestCheckoutId: input.guestCheckoutId } }, { idempotencyKey: input.idempotencyKey }),
      );
      return customer.id;
    },

    async createGuestCheckoutSession(input: CreateGuestCheckoutInput): Promise<CreatedCheckout> {
      return createSession(input, { guestCheckoutId: input.guestCheckoutId }, input.guestCheckoutId);
    },
  };
}
