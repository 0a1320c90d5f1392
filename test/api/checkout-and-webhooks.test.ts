// The checkout slice over HTTP on real servers: update-with-start through the
// API, signed Stripe events through the webhook endpoint, /billing from the
// PostgreSQL projection.
import request from 'supertest';
import { uniqueId } from '../support/db';
import { eventually } from '../support/fake-activities';
import { startApiHarness, type ApiHarness } from '../support/api-harness';
import { checkoutFixture, checkoutSession, signatureFor, signedPayload, stripeEvent, subscription } from '../support/stripe-events';
import { TEST_SECRETS } from '../support/test-env';
import { createApp } from '../../src/api/app';
import { createLogger } from '../../src/infra/logger';
import { createPrisma } from '../../src/infra/prisma';
import { createStripeClient } from '../../src/infra/stripe-client';
import { billingViewSchema, checkoutResponseSchema, webhookResponseSchema } from '../../src/domain/response-schemas';

let h: ApiHarness;
beforeAll(async () => {
  h = await startApiHarness('api-checkout-test');
}, 120_000);
afterAll(() => h?.close());

const auth = { Authorization: `Bearer ${TEST_SECRETS.APP_API_TOKEN}` };
const body = (planId: string, interval = 'month') => ({
  planId,
  interval,
  successUrl: 'https://app.example.com/ok',
  cancelUrl: 'https://app.example.com/cancel',
  email: 'owner@example.com',
});

const billing = (workspaceId: string) =>
  request(h.app).get(`/v1/workspaces/${workspaceId}/billing`).set(auth).then((r) => r.body);

function deliver(event: unknown, app = h.app) {
  const { payload, signature } = signedPayload(event);
  return request(app).post('/webhooks/stripe').set('Stripe-Signature', signature).set('Content-Type', 'application/json').send(payload);
}

describe('POST /v1/workspaces/:id/checkout', () => {
  test('201 with a hosted checkout, then 200 with the same checkout while it is open', async () => {
    const workspaceId = uniqueId('ws');
    const first = await request(h.app).post(`/v1/workspaces/${workspaceId}/checkout`).set(auth).send(body('plus', 'year'));
    expect(first.status).toBe(201);
    expect(first.body).toEqual({ checkoutId: expect.stringMatching(/^cs_/), url: expect.stringMatching(/^https:/), expiresAt: expect.any(String) });
    expect(checkoutResponseSchema.parse(first.body)).toEqual(first.body);
    const expiresIn = Date.parse(first.body.expiresAt) - Date.now();
    expect(expiresIn).toBeGreaterThan(23 * 3_600_000);

    const again = await request(h.app).post(`/v1/workspaces/${workspaceId}/checkout`).set(auth).send(body('plus', 'year'));
    expect(again.status).toBe(200);
    expect(again.body).toEqual(first.body);

    const state = await billing(workspaceId);
    expect(state).toMatchObject({ status: 'incomplete', mode: 'checkout_pending', plan: { id: 'essential' } });
    expect(state.checkout).toEqual(first.body);
    expect(state.stripe.customerId).toMatch(/^cus_/);
  });

  test('enterprise is 422 sales_assisted with a contact route; essential is 422 not_purchasable', async () => {
    const workspaceId = uniqueId('ws');
    const enterprise = await request(h.app).post(`/v1/workspaces/${workspaceId}/checkout`).set(auth).send(body('enterprise'));
    expect(enterprise.status).toBe(422);
    expect(enterprise.body).toMatchObject({ code: 'sales_assisted', contactUrl: h.config.PUBLIC_SALES_CONTACT_URL });
    // Operators see the refused request as a sales lead.
    const leads = await request(h.app).get('/v1/operator/sales-leads').set({ Authorization: `Bearer ${TEST_SECRETS.OPERATOR_API_TOKEN}` });
    expect(leads.status).toBe(200);
    expect(leads.body.leads.filter((l: { workspaceId: string }) => l.workspaceId === workspaceId)).toEqual([
      expect.objectContaining({ workspaceId, email: 'owner@example.com', planId: 'enterprise', interval: 'month', source: 'checkout' }),
    ]);
    const essential = await request(h.app).post(`/v1/workspaces/${workspaceId}/checkout`).set(auth).send(body('essential'));
    expect(essential.status).toBe(422);
    expect(essential.body.code).toBe('not_purchasable');
    expect((await billing(workspaceId)).status).toBe('none');
  });

  test('a different plan while a checkout is open is 409 with the open checkout', async () => {
    const workspaceId = uniqueId('ws');
    const open = await request(h.app).post(`/v1/workspaces/${workspaceId}/checkout`).set(auth).send(body('plus'));
    const other = await request(h.app).post(`/v1/workspaces/${workspaceId}/checkout`).set(auth).send(body('business'));
    expect(other.status).toBe(409);
    expect(other.body).toMatchObject({ code: 'checkout_in_progress', checkout: { checkoutId: open.body.checkoutId } });
  });
});

describe('POST /webhooks/stripe', () => {
  test('checkout.session.completed makes the workspace active; the redelivery is a duplicate; checkout is then 409', async () => {
    const workspaceId = uniqueId('ws');
    const open = await request(h.app).post(`/v1/workspaces/${workspaceId}/checkout`).set(auth).send(body('family'));
    const f = { ...checkoutFixture('family', 'month'), workspaceId, checkoutId: open.body.checkoutId };
    const event = stripeEvent('checkout.session.completed', checkoutSession(f));

    const delivered = await deliver(event);
    expect(delivered.status).toBe(200);
    expect(delivered.body).toMatchObject({ received: true, outcome: 'accepted', workspaceId });

    const active = await eventually(() => billing(workspaceId), (b) => b.status === 'active');
    expect(active).toMatchObject({ plan: { id: 'family', interval: 'month' }, mode: 'self_serve', checkout: null });
    expect(active.stripe).toEqual({ customerId: f.customerId, subscriptionId: f.subscriptionId });
    expect(billingViewSchema.parse(active)).toEqual(active);
    expect(webhookResponseSchema.parse(delivered.body)).toEqual(delivered.body);

    const again = await deliver(event);
    expect(again.body.outcome).toBe('duplicate');
    const row = await eventually(() => h.prisma.stripeEvent.findUniqueOrThrow({ where: { id: event.id } }), (r) => r.deliveredAt !== null);
    expect(row).toMatchObject({ workspaceId, outcome: 'delivered', type: 'checkout.session.completed' });

    const conflict = await request(h.app).post(`/v1/workspaces/${workspaceId}/checkout`).set(auth).send(body('plus'));
    expect(conflict.status).toBe(409);
    expect(conflict.body.code).toBe('subscription_active');
  });

  test('a subscription event without metadata is routed by the stored subscription id and sets the period end', async () => {
    const workspaceId = uniqueId('ws');
    const open = await request(h.app).post(`/v1/workspaces/${workspaceId}/checkout`).set(auth).send(body('plus'));
    const f = { ...checkoutFixture('plus', 'month'), workspaceId, checkoutId: open.body.checkoutId };
    await deliver(stripeEvent('checkout.session.completed', checkoutSession(f)));
    await eventually(() => billing(workspaceId), (b) => b.stripe?.subscriptionId === f.subscriptionId);

    const periodEnd = Math.floor(Date.now() / 1000) + 30 * 86_400;
    const res = await deliver(stripeEvent('customer.subscription.updated', subscription(f, { withMetadata: false, currentPeriodEnd: periodEnd })));
    expect(res.body).toMatchObject({ outcome: 'accepted', workspaceId });
    const b = await eventually(() => billing(workspaceId), (x) => x.currentPeriodEnd !== null);
    expect(b.currentPeriodEnd).toBe(new Date(periodEnd * 1000).toISOString());
  });

  test('checkout.session.expired returns an open checkout to self-serve', async () => {
    const workspaceId = uniqueId('ws');
    const open = await request(h.app).post(`/v1/workspaces/${workspaceId}/checkout`).set(auth).send(body('plus'));
    const f = { ...checkoutFixture('plus', 'month'), workspaceId, checkoutId: open.body.checkoutId };
    await deliver(stripeEvent('checkout.session.expired', checkoutSession(f, { status: 'expired', payment_status: 'unpaid', subscription: null })));
    const b = await eventually(() => billing(workspaceId), (x) => x.checkout === null);
    expect(b).toMatchObject({ status: 'none', mode: 'self_serve' });
  });

  test('missing or wrong signatures and malformed bodies are 400 and nothing is recorded', async () => {
    const event = stripeEvent('checkout.session.completed', checkoutSession(checkoutFixture()));
    const payload = JSON.stringify(event);
    const missing = await request(h.app).post('/webhooks/stripe').set('Content-Type', 'application/json').send(payload);
    expect(missing.status).toBe(400);
    expect(missing.body.code).toBe('invalid_signature');

    const wrongSecret = signedPayload(event, 'whsec_some_other_secret');
    const wrong = await request(h.app).post('/webhooks/stripe').set('Stripe-Signature', wrongSecret.signature).send(wrongSecret.payload);
    expect(wrong.status).toBe(400);
    expect(wrong.body.code).toBe('invalid_signature');

    const good = signedPayload(event);
    const tampered = await request(h.app).post('/webhooks/stripe').set('Stripe-Signature', good.signature).send(good.payload.replace('"paid"', '"unpaid"'));
    expect(tampered.status).toBe(400);

    const garbage = '{"id": "evt_1", ';
    const malformed = await request(h.app).post('/webhooks/stripe').set('Stripe-Signature', signatureFor(garbage)).send(garbage);
    expect(malformed.status).toBe(400);
    expect(malformed.body.code).toBe('malformed_event');

    const badShape = stripeEvent('customer.subscription.updated', { id: 'sub_x', object: 'subscription', status: 'sleeping' });
    const shape = await deliver(badShape);
    expect(shape.status).toBe(400);
    expect(shape.body.code).toBe('malformed_event');

    expect(await h.prisma.stripeEvent.findUnique({ where: { id: event.id } })).toBeNull();
    expect(await h.prisma.stripeEvent.findUnique({ where: { id: badShape.id } })).toBeNull();
  });

  test('unhandled event types are acknowledged with 200 and not signalled', async () => {
    const event = stripeEvent('charge.refunded', { id: 'ch_1', object: 'charge' });
    const res = await deliver(event);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ outcome: 'ignored', eventId: event.id });
  });

  test('an API process that cannot reach Temporal still accepts the event (recorded); the relay signals it once, and a redelivery meanwhile is a duplicate', async () => {
    const workspaceId = uniqueId('ws');
    const f = { ...checkoutFixture('business', 'year'), workspaceId };
    const event = stripeEvent('customer.subscription.created', subscription(f));
    const accepted = await deliver(event, h.appWithoutTemporal());
    expect(accepted.status).toBe(200);
    expect(accepted.body).toMatchObject({ outcome: 'accepted', workspaceId });
    const again = await deliver(event, h.appWithoutTemporal());
    expect(again.body).toMatchObject({ outcome: 'duplicate', workspaceId });

    const b = await eventually(() => billing(workspaceId), (x) => x.status === 'active');
    expect(b.plan).toEqual({ id: 'business', interval: 'year' });
    const row = await eventually(() => h.prisma.stripeEvent.findUniqueOrThrow({ where: { id: event.id } }), (r) => r.deliveredAt !== null);
    expect(row).toMatchObject({ workspaceId, outcome: 'delivered' });
    const state = await h.workspaces.state(workspaceId);
    expect(state.recentEventIds.filter((id) => id === event.id)).toHaveLength(1);
  });

  test('when the database cannot record the event the webhook is 503 (Stripe retries) and nothing is signalled', async () => {
    const deadDatabase = createPrisma('postgresql://billing:billing@127.0.0.1:1/nowhere');
    const relay = { poke: jest.fn() };
    try {
      const app = createApp({
        prisma: deadDatabase,
        stripe: createStripeClient(h.config.STRIPE_SECRET_KEY, h.config.STRIPE_API_URL),
        workspaces: h.workspaces,
        access: h.access,
        log: createLogger('silent'),
        config: h.config,
        webhookRelay: relay,
      });
      const workspaceId = uniqueId('ws');
      const event = stripeEvent('customer.subscription.created', subscription({ ...checkoutFixture('plus', 'month'), workspaceId }));
      const res = await deliver(event, app);
      expect(res.status).toBe(503);
      expect(res.body.code).toBe('database_unavailable');
      expect(relay.poke).not.toHaveBeenCalled();
      expect(await h.prisma.stripeEvent.findUnique({ where: { id: event.id } })).toBeNull();
    } finally {
      await deadDatabase.$disconnect();
    }
  });
});
