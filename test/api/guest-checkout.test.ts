// Guest checkout and claim over HTTP on real servers: the API, the
// time-skipping Temporal server with the real activities against stripe-mock
// (behind a recorder, to read what was sent), PostgreSQL, and signed
// Stripe-shaped webhook events carrying the guest's metadata.
import request from 'supertest';
import { claimResultSchema, guestCheckoutResponseSchema, problemSchema } from '../../src/domain/response-schemas';
import { startApiHarness, type ApiHarness } from '../support/api-harness';
import { uniqueId } from '../support/db';
import { eventually } from '../support/fake-activities';
import { checkoutSession, invoice, signedPayload, stripeEvent, subscription } from '../support/stripe-events';
import { startStripeRecorder, type StripeRecorder } from '../support/stripe-recorder';
import { TEST_SECRETS } from '../support/test-env';

let h: ApiHarness;
let recorder: StripeRecorder;
beforeAll(async () => {
  recorder = await startStripeRecorder();
  h = await startApiHarness('api-guest-checkout-test', { STRIPE_API_URL: recorder.url });
}, 120_000);
afterAll(async () => {
  await h?.close();
  await recorder?.close();
});

const auth = { Authorization: `Bearer ${TEST_SECRETS.APP_API_TOKEN}` };
const operator = { Authorization: `Bearer ${TEST_SECRETS.OPERATOR_API_TOKEN}` };
const DAY = 86_400_000;

function guestBody(overrides: Record<string, unknown> = {}) {
  return {
    email: `${uniqueId('visitor')}@example.com`,
    planId: 'plus',
    interval: 'month',
    successUrl: 'https://app.example.com/welcome',
    cancelUrl: 'https://app.example.com/pricing',
    ...overrides,
  };
}

function deliver(event: unknown) {
  const { payload, signature } = signedPayload(event);
  return request(h.app).post('/webhooks/stripe').set('Stripe-Signature', signature).set('Content-Type', 'application/json').send(payload);
}

const billing = (workspaceId: string) => request(h.app).get(`/v1/workspaces/${workspaceId}/billing`).set(auth).then((r) => r.body);
const claim = (checkoutId: string, workspaceId: string, verifiedEmail: string) =>
  request(h.app).post(`/v1/checkout/${checkoutId}/claim`).set(auth).send({ workspaceId, verifiedEmail });

/** A guest checkout started over HTTP, with the Stripe ids its workflow holds and webhook payload builders. */
async function startGuest(overrides: Record<string, unknown> = {}) {
  const body = guestBody(overrides);
  const res = await request(h.app).post('/v1/checkout/guest').set(auth).send(body);
  expect(res.status).toBe(201);
  const { checkoutId } = res.body as { checkoutId: string };
  const state = await h.workspaces.guestState(checkoutId);
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
  return { checkoutId, email: body.email, link: res.body, f, events };
}

async function pay(g: Awaited<ReturnType<typeof startGuest>>) {
  for (const event of [g.events.created(), g.events.completed(), g.events.paid()]) {
    const res = await deliver(event);
    expect(res.status).toBe(200);
  }
}

describe('POST /v1/checkout/guest', () => {
  test('201 with the hosted checkout; Stripe gets a customer with the email and a session tagged with the guest checkout id, no workspace', async () => {
    const body = guestBody({ planId: 'family', interval: 'year' });
    const res = await request(h.app).post('/v1/checkout/guest').set(auth).send(body);
    expect(res.status).toBe(201);
    expect(guestCheckoutResponseSchema.parse(res.body)).toEqual(res.body);
    const { checkoutId } = res.body;

    const customer = recorder.requests.find((r) => r.method === 'POST' && r.path === '/v1/customers' && r.form['metadata[guestCheckoutId]'] === checkoutId);
    expect(customer).toMatchObject({ status: 200, idempotencyKey: `guest-checkout/${checkoutId}:customer`, form: expect.objectContaining({ email: body.email }) });
    expect(customer?.form['metadata[workspaceId]']).toBeUndefined();
    const session = recorder.requests.find((r) => r.path === '/v1/checkout/sessions' && r.form['metadata[guestCheckoutId]'] === checkoutId);
    expect(session).toMatchObject({ status: 200, idempotencyKey: `guest-checkout/${checkoutId}:session` });
    expect(session?.form).toMatchObject({ mode: 'subscription', client_reference_id: checkoutId, 'subscription_data[metadata][guestCheckoutId]': checkoutId, 'metadata[planId]': 'family', 'metadata[interval]': 'year' });
    expect(session?.form['metadata[workspaceId]']).toBeUndefined();

    const row = await eventually(() => h.prisma.guestCheckout.findUnique({ where: { checkoutId } }), (r) => r !== null);
    expect(row).toMatchObject({ status: 'open', email: body.email, planId: 'family', interval: 'year', claimedWorkspaceId: null });
  });

  test('400 lists every bad field; Enterprise is 422 sales_assisted and a sales lead; Essential is 422 not_purchasable', async () => {
    const bad = await request(h.app).post('/v1/checkout/guest').set(auth).send({ email: 'not-an-email', planId: 'gold', successUrl: 'ftp://x' });
    expect(bad.status).toBe(400);
    expect(problemSchema.parse(bad.body).code).toBe('validation_failed');
    expect(bad.body.errors.map((e: { path: string }) => e.path).sort()).toEqual(['body.cancelUrl', 'body.email', 'body.interval', 'body.planId', 'body.successUrl']);

    const body = guestBody({ planId: 'enterprise' });
    const enterprise = await request(h.app).post('/v1/checkout/guest').set(auth).send(body);
    expect(enterprise.status).toBe(422);
    expect(enterprise.body).toMatchObject({ code: 'sales_assisted', contactUrl: h.config.PUBLIC_SALES_CONTACT_URL });
    const leads = await request(h.app).get('/v1/operator/sales-leads').set(operator);
    expect(leads.body.leads.filter((l: { email: string }) => l.email === body.email)).toEqual([
      expect.objectContaining({ workspaceId: null, planId: 'enterprise', interval: 'month', source: 'guest_checkout' }),
    ]);
    const essential = await request(h.app).post('/v1/checkout/guest').set(auth).send(guestBody({ planId: 'essential' }));
    expect(essential.status).toBe(422);
    expect(essential.body.code).toBe('not_purchasable');
  });

  test('the app token is required', async () => {
    expect((await request(h.app).post('/v1/checkout/guest').send(guestBody())).status).toBe(401);
    expect((await request(h.app).post('/v1/checkout/guest').set(operator).send(guestBody())).status).toBe(401);
  });
});

describe('POST /v1/checkout/:checkoutId/claim', () => {
  test('paid before the claim: webhooks reach the guest, operators see it unclaimed, the claim makes the workspace active and tags Stripe metadata', async () => {
    const g = await startGuest();
    const first = await deliver(g.events.created());
    expect(first.body).toMatchObject({ outcome: 'accepted', guestCheckoutId: g.checkoutId });
    await deliver(g.events.completed());
    await deliver(g.events.paid());
    await eventually(() => h.prisma.guestCheckout.findUnique({ where: { checkoutId: g.checkoutId } }), (r) => r?.status === 'paid');
    const unclaimed = await request(h.app).get('/v1/operator/guest-checkouts').set(operator);
    expect(unclaimed.status).toBe(200);
    expect(unclaimed.body.guestCheckouts.find((c: { checkoutId: string }) => c.checkoutId === g.checkoutId)).toMatchObject({
      status: 'paid',
      email: g.email,
      flagged: false,
      stripe: { customerId: g.f.customerId, subscriptionId: g.f.subscriptionId },
      claimedWorkspaceId: null,
    });

    const workspaceId = uniqueId('ws');
    const res = await claim(g.checkoutId, workspaceId, g.email.toUpperCase());
    expect(res.status).toBe(200);
    expect(claimResultSchema.parse(res.body)).toEqual(res.body);
    expect(res.body).toMatchObject({ checkoutId: g.checkoutId, workspaceId, status: 'active', plan: { id: 'plus', interval: 'month' }, stripe: { customerId: g.f.customerId, subscriptionId: g.f.subscriptionId } });

    const view = await eventually(() => billing(workspaceId), (b) => b.status === 'active');
    expect(view).toMatchObject({ plan: { id: 'plus', interval: 'month' }, mode: 'self_serve', stripe: { customerId: g.f.customerId, subscriptionId: g.f.subscriptionId } });
    const row = await eventually(() => h.prisma.guestCheckout.findUnique({ where: { checkoutId: g.checkoutId } }), (r) => r?.status === 'claimed');
    expect(row?.claimedWorkspaceId).toBe(workspaceId);
    await eventually(
      async () => recorder.requests.filter((r) => r.form['metadata[workspaceId]'] === workspaceId).map((r) => r.path),
      (paths) => paths.includes(`/v1/customers/${g.f.customerId}`) && paths.includes(`/v1/subscriptions/${g.f.subscriptionId}`),
    );

    // The same claim again answers the same; a renewal invoice that only names the guest now routes to the workspace.
    const again = await claim(g.checkoutId, workspaceId, g.email);
    expect(again.body).toEqual(res.body);
    const renewal = await deliver(g.events.paid());
    expect(renewal.body).toMatchObject({ outcome: 'accepted', workspaceId });
  });

  test('claimed before paying: the workspace holds the open session, and the payment webhooks route to it', async () => {
    const g = await startGuest();
    const workspaceId = uniqueId('ws');
    const res = await claim(g.checkoutId, workspaceId, g.email);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: 'incomplete', plan: { id: 'essential' }, stripe: { customerId: g.f.customerId, subscriptionId: null } });
    const pending = await eventually(() => billing(workspaceId), (b) => b.status === 'incomplete');
    expect(pending).toMatchObject({ mode: 'checkout_pending', checkout: { checkoutId: g.f.checkoutId, url: g.link.url } });
    await eventually(() => h.prisma.guestCheckout.findUnique({ where: { checkoutId: g.checkoutId } }), (r) => r?.status === 'claimed');

    const completed = await deliver(g.events.completed());
    expect(completed.body).toMatchObject({ outcome: 'accepted', workspaceId });
    await deliver(g.events.created());
    const active = await eventually(() => billing(workspaceId), (b) => b.status === 'active');
    expect(active).toMatchObject({ plan: { id: 'plus', interval: 'month' }, checkout: null, stripe: { subscriptionId: g.f.subscriptionId } });
  });

  test('payment webhooks racing the claim are applied exactly once, whichever lands first', async () => {
    for (let round = 0; round < 3; round++) {
      const g = await startGuest();
      const workspaceId = uniqueId('ws');
      const events = [g.events.created(), g.events.completed(), g.events.paid()];
      const [claimed, ...deliveries] = await Promise.all([claim(g.checkoutId, workspaceId, g.email), ...events.map((e) => deliver(e))]);
      expect(claimed.status).toBe(200);
      // Stripe redelivers everything once more after the claim.
      for (const e of events) deliveries.push(await deliver(e));
      for (const d of deliveries) expect(d.status).toBe(200);
      const state = await eventually(() => h.workspaces.state(workspaceId), (s) => s.subscription?.status === 'active' && s.invoices.length === 1);
      expect(state.invoices.map((i) => i.status)).toEqual(['paid']);
      for (const e of events) expect(state.recentEventIds.filter((id) => id === e.id)).toHaveLength(1);
      expect((await eventually(() => billing(workspaceId), (b) => b.status === 'active')).plan.id).toBe('plus');
    }
  });

  test('403 email_mismatch, 409 already_claimed, 404 unknown checkout, 400 malformed id', async () => {
    const g = await startGuest();
    const mismatch = await claim(g.checkoutId, uniqueId('ws'), 'intruder@example.com');
    expect(mismatch.status).toBe(403);
    expect(mismatch.body.code).toBe('email_mismatch');

    expect((await claim(g.checkoutId, uniqueId('ws'), g.email)).status).toBe(200);
    const other = await claim(g.checkoutId, uniqueId('ws'), g.email);
    expect(other.status).toBe(409);
    expect(other.body.code).toBe('already_claimed');

    const unknown = await claim(`gco_${'0'.repeat(32)}`, uniqueId('ws'), g.email);
    expect(unknown.status).toBe(404);
    expect(unknown.body.code).toBe('guest_checkout_not_found');
    const malformed = await request(h.app).post('/v1/checkout/cs_123/claim').set(auth).send({ workspaceId: 'ws_1', verifiedEmail: g.email });
    expect(malformed.status).toBe(400);
    expect(malformed.body.errors[0].path).toBe('params.checkoutId');
  });

  test('409 workspace_already_subscribed names both subscriptions and changes nothing', async () => {
    const workspaceId = uniqueId('ws');
    const own = await request(h.app).post(`/v1/workspaces/${workspaceId}/checkout`).set(auth).send({ planId: 'business', interval: 'month', successUrl: 'https://a.example.com/s', cancelUrl: 'https://a.example.com/c' });
    const ownSub = uniqueId('sub_own');
    const ownFixture = { workspaceId, checkoutId: own.body.checkoutId, customerId: (await billing(workspaceId)).stripe.customerId, subscriptionId: ownSub, planId: 'business' as const, interval: 'month' as const };
    await deliver(stripeEvent('customer.subscription.created', subscription(ownFixture)));
    const before = await eventually(() => billing(workspaceId), (b) => b.status === 'active');

    const g = await startGuest();
    await pay(g);
    await eventually(() => h.prisma.guestCheckout.findUnique({ where: { checkoutId: g.checkoutId } }), (r) => r?.status === 'paid');
    const res = await claim(g.checkoutId, workspaceId, g.email);
    expect(res.status).toBe(409);
    expect(res.body).toMatchObject({ code: 'workspace_already_subscribed', workspaceSubscriptionId: ownSub, guestSubscriptionId: g.f.subscriptionId });
    expect(res.body.detail).toContain(ownSub);
    expect(res.body.detail).toContain(g.f.subscriptionId);

    expect(await billing(workspaceId)).toEqual(before);
    const row = await h.prisma.guestCheckout.findUnique({ where: { checkoutId: g.checkoutId } });
    expect(row).toMatchObject({ status: 'paid', claimedWorkspaceId: null });
  });

  test('a lapsed guest checkout: its late events are accepted and ignored once its workflow has ended', async () => {
    const g = await startGuest();
    expect((await deliver(g.events.expired())).body).toMatchObject({ outcome: 'accepted', guestCheckoutId: g.checkoutId });
    await eventually(() => h.prisma.guestCheckout.findUnique({ where: { checkoutId: g.checkoutId } }), (r) => r?.status === 'expired');
    expect((await claim(g.checkoutId, uniqueId('ws'), g.email)).body.code).toBe('nothing_to_claim');

    await h.env.sleep(8 * DAY);
    await h.env.client.workflow.getHandle(`guest-checkout/${g.checkoutId}`).result();
    const late = await deliver(g.events.expired());
    expect(late.status).toBe(200);
    // Recorded like any event; the relay finds the workflow ended and no claim, and closes it.
    expect(late.body).toMatchObject({ outcome: 'accepted', guestCheckoutId: g.checkoutId });
    const recorded = await eventually(() => h.prisma.stripeEvent.findUnique({ where: { id: late.body.eventId } }), (r) => r?.deliveredAt != null);
    expect(recorded).toMatchObject({ guestCheckoutId: g.checkoutId, outcome: 'guest_checkout_closed' });
    expect((await claim(g.checkoutId, uniqueId('ws'), g.email)).status).toBe(404);
  });
});

describe('Idempotency-Key on POST /v1/checkout/guest', () => {
  test('a retried request with the same key gets the same checkout; other details under the key are 409', async () => {
    const key = uniqueId('idem');
    const body = guestBody();
    const first = await request(h.app).post('/v1/checkout/guest').set(auth).set('Idempotency-Key', key).send(body);
    const retry = await request(h.app).post('/v1/checkout/guest').set(auth).set('Idempotency-Key', key).send(body);
    expect(first.status).toBe(201);
    expect(retry.body).toEqual(first.body);
    expect(retry.headers['idempotent-replayed']).toBe('true');
    expect(recorder.requests.filter((r) => r.path === '/v1/checkout/sessions' && r.form['metadata[guestCheckoutId]'] === first.body.checkoutId)).toHaveLength(1);

    const other = await request(h.app).post('/v1/checkout/guest').set(auth).set('Idempotency-Key', key).send({ ...body, planId: 'business' });
    expect(other.status).toBe(409);
    expect(other.body.code).toBe('idempotency_key_reused');
    // Without a key every request is a new guest checkout.
    const fresh = await request(h.app).post('/v1/checkout/guest').set(auth).send(body);
    expect(fresh.body.checkoutId).not.toBe(first.body.checkoutId);
  });
});
