// Guest checkouts for API tests: started over HTTP, with the Stripe ids the
// guest workflow holds and signed, Stripe-shaped webhook events carrying the
// guest's metadata (so the webhook routes them to the guest workflow).
import request from 'supertest';
import type { Express } from 'express';
import type { WorkspaceClient } from '../../src/temporal/workspace-client';
import { uniqueId } from './db';
import { checkoutSession, invoice, signedPayload, stripeEvent, subscription } from './stripe-events';
import { TEST_SECRETS } from './test-env';

export const appAuth = { Authorization: `Bearer ${TEST_SECRETS.APP_API_TOKEN}` };

export function guestBody(overrides: Record<string, unknown> = {}) {
  return {
    email: `${uniqueId('visitor')}@example.com`,
    planId: 'plus',
    interval: 'month',
    successUrl: 'https://app.example.com/welcome',
    cancelUrl: 'https://app.example.com/pricing',
    ...overrides,
  };
}

export function guestTools(app: Express, workspaces: Pick<WorkspaceClient, 'guestState'>) {
  const deliver = (event: unknown) => {
    const { payload, signature } = signedPayload(event);
    return request(app).post('/webhooks/stripe').set('Stripe-Signature', signature).set('Content-Type', 'application/json').send(payload);
  };

  /** A guest checkout started over HTTP, its Stripe ids and builders of its webhook events. */
  async function startGuest(overrides: Record<string, unknown> = {}) {
    const body = guestBody(overrides);
    const res = await request(app).post('/v1/checkout/guest').set(appAuth).send(body);
    if (res.status !== 201) throw new Error(`guest checkout answered ${res.status}: ${JSON.stringify(res.body)}`);
    const { checkoutId } = res.body as { checkoutId: string };
    const state = await workspaces.guestState(checkoutId);
    const f = {
      workspaceId: '',
      checkoutId: state.billing.checkout!.id,
      customerId: state.billing.customerId!,
      subscriptionId: uniqueId('sub_guest'),
      planId: body.planId as 'plus',
      interval: body.interval as 'month',
    };
    const guestMetadata = { guestCheckoutId: checkoutId, planId: f.planId, interval: f.interval };
    const events = {
      completed: () => stripeEvent('checkout.session.completed', checkoutSession(f, { metadata: guestMetadata, client_reference_id: checkoutId })),
      expired: () => stripeEvent('checkout.session.expired', checkoutSession(f, { metadata: guestMetadata, status: 'expired', payment_status: 'unpaid', subscription: null })),
      created: () => stripeEvent('customer.subscription.created', { ...subscription(f), metadata: guestMetadata }),
      paid: () => {
        const inv = invoice(f, { status: 'paid' });
        return stripeEvent('invoice.paid', { ...inv, parent: { ...inv.parent, subscription_details: { subscription: f.subscriptionId, metadata: guestMetadata } } });
      },
    };
    return { checkoutId, email: body.email, link: res.body as { checkoutId: string; url: string }, f, events };
  }

  /** The guest pays: subscription created, session completed, first invoice paid. */
  async function pay(g: Awaited<ReturnType<typeof startGuest>>) {
    for (const event of [g.events.created(), g.events.completed(), g.events.paid()]) {
      const res = await deliver(event);
      if (res.status !== 200) throw new Error(`webhook answered ${res.status}: ${JSON.stringify(res.body)}`);
    }
  }

  return { deliver, startGuest, pay };
}

export type Guest = Awaited<ReturnType<ReturnType<typeof guestTools>['startGuest']>>;
