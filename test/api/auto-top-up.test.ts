// Auto top-up end to end through the API, with real workflows on the test
// server and real activities (PostgreSQL, stripe-mock): settings are
// validated and idempotent; the first hosted top-up's payment saves the card;
// usage that takes the balance below the threshold charges it off-session,
// once, and credits the wallet; a declined card turns auto top-up off and
// notifies the app. stripe-mock keeps no state and never declines, so the
// recording proxy in front of it answers PaymentIntents the way Stripe's test
// cards do (pm_card_chargeDeclined declines, any other card succeeds).
import request from 'supertest';
import { uniqueId } from '../support/db';
import { eventually } from '../support/fake-activities';
import { startApiHarness, type ApiHarness } from '../support/api-harness';
import { signedPayload, stripeEvent } from '../support/stripe-events';
import { startStripeRecorder, type StripeAnswer, type StripeRecorder } from '../support/stripe-recorder';
import { TEST_SECRETS } from '../support/test-env';

const DECLINED = 'pm_card_chargeDeclined';

/** Stripe test-card outcomes for confirmed PaymentIntents. */
const testCards: StripeAnswer = (req, response) => {
  if (req.method !== 'POST' || req.path !== '/v1/payment_intents' || req.form.confirm !== 'true') return undefined;
  if (req.form.payment_method === DECLINED) {
    return {
      status: 402,
      body: { error: { type: 'card_error', code: 'card_declined', decline_code: 'generic_decline', message: 'Your card was declined.', payment_intent: { ...(response as object), status: 'requires_payment_method' } } },
    };
  }
  return { status: 200, body: { ...(response as object), status: 'succeeded', amount_received: Number(req.form.amount) } };
};

let h: ApiHarness;
let stripe: StripeRecorder;
beforeAll(async () => {
  stripe = await startStripeRecorder(undefined, { answer: testCards });
  h = await startApiHarness('api-auto-top-up-test', { STRIPE_API_URL: stripe.url });
}, 120_000);
afterAll(async () => {
  await h?.close();
  await stripe?.close();
});

const auth = { Authorization: `Bearer ${TEST_SECRETS.APP_API_TOKEN}` };
const settingsUrl = (workspaceId: string) => `/v1/workspaces/${workspaceId}/wallet/auto-top-up`;
const wallet = (workspaceId: string) => request(h.app).get(`/v1/workspaces/${workspaceId}/wallet?limit=100`).set(auth).then((r) => r.body);
const autoTopUp = (workspaceId: string) => request(h.app).get(settingsUrl(workspaceId)).set(auth).then((r) => r.body);

async function deliver(type: string, object: Record<string, unknown>) {
  const { payload, signature } = signedPayload(stripeEvent(type, object));
  for (let attempt = 1; ; attempt++) {
    const res = await request(h.app).post('/webhooks/stripe').set('Stripe-Signature', signature).send(payload);
    if (res.status < 500 || attempt === 3) return res;
  }
}

/** A hosted top-up through the API, paid with `paymentMethod` (as Stripe reports it: the session, then its payment intent). */
async function paidHostedTopUp(workspaceId: string, amountCents: number, paymentMethod: string) {
  const res = await request(h.app)
    .post(`/v1/workspaces/${workspaceId}/wallet/top-ups`)
    .set(auth)
    .send({ amountCents, successUrl: 'https://app.example.com/ok', cancelUrl: 'https://app.example.com/no' });
  expect(res.status).toBe(201);
  const metadata = { workspaceId, kind: 'wallet_top_up', topUpId: res.body.topUpId };
  const intentId = uniqueId('pi');
  const customer = `cus_${workspaceId}`;
  const session = { id: res.body.checkoutId, object: 'checkout.session', mode: 'payment', payment_status: 'paid', amount_total: amountCents, currency: 'usd', customer, payment_intent: intentId, metadata };
  const intent = { id: intentId, object: 'payment_intent', amount_received: amountCents, currency: 'usd', customer, payment_method: paymentMethod, metadata };
  expect((await deliver('checkout.session.completed', session)).status).toBe(200);
  expect((await deliver('payment_intent.succeeded', intent)).status).toBe(200);
  await eventually(() => autoTopUp(workspaceId), (s) => s.paymentMethodSaved === true);
  return res.body.topUpId as string;
}

/** Production usage worth `cents` (email validation: 100 ¢ per 1,000). */
async function spend(workspaceId: string, cents: number) {
  const events = [{ id: uniqueId('e'), projectId: 'p1', family: 'email_validation', environment: 'production', quantity: cents * 10, occurredAt: new Date().toISOString() }];
  expect((await request(h.app).post(`/v1/workspaces/${workspaceId}/usage`).set(auth).send({ events })).status).toBe(202);
}

test('the OpenAPI document states the route, its bounds and the failure webhook', async () => {
  const doc = (await request(h.app).get('/openapi.json')).body;
  const put = doc.paths['/v1/workspaces/{workspaceId}/wallet/auto-top-up'].put;
  const schema = put.requestBody.content['application/json'].schema;
  expect(schema.properties.thresholdCents).toMatchObject({ type: 'integer', minimum: 0, maximum: 10_000_000 });
  expect(schema.properties.amountCents).toMatchObject({ type: 'integer', minimum: 500, maximum: 1_000_000 });
  expect(schema.required.sort()).toEqual(['amountCents', 'enabled', 'thresholdCents']);
  expect(Object.keys(put.responses)).toEqual(expect.arrayContaining(['200', '400', '401', '409']));
  expect(put.responses['400'].content).toHaveProperty(['application/problem+json']);
  expect(doc.paths['/v1/workspaces/{workspaceId}/wallet/auto-top-up'].get.responses).toHaveProperty('200');
  expect(doc.webhooks['wallet.auto_top_up.failed'].post.requestBody.content['application/json'].schema.properties.data.properties).toHaveProperty('reason');
});

describe('settings', () => {
  test('never set: off with zeros; PUT saves and answers them; GET reads them back', async () => {
    const workspaceId = uniqueId('ws');
    expect(await autoTopUp(workspaceId)).toEqual({
      workspaceId,
      enabled: false,
      thresholdCents: 0,
      amountCents: 0,
      paymentMethodSaved: false,
      disabledReason: null,
      chargesToday: 0,
      maxPerDay: 3,
    });
    const put = await request(h.app).put(settingsUrl(workspaceId)).set(auth).send({ thresholdCents: 1_000, amountCents: 2_500, enabled: true });
    expect(put.status).toBe(200);
    expect(put.body).toMatchObject({ workspaceId, enabled: true, thresholdCents: 1_000, amountCents: 2_500, paymentMethodSaved: false });
    expect(await autoTopUp(workspaceId)).toEqual(put.body);
  });

  test('invalid settings are a 400 listing every field, and nothing is written; no token is a 401', async () => {
    const workspaceId = uniqueId('ws');
    const bad = await request(h.app).put(settingsUrl(workspaceId)).set(auth).send({ thresholdCents: -5, amountCents: 100.5, enabled: 'yes' });
    expect(bad.status).toBe(400);
    expect(bad.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(bad.body.code).toBe('validation_failed');
    expect(bad.body.errors.map((e: { path: string }) => e.path).sort()).toEqual(['body.amountCents', 'body.enabled', 'body.thresholdCents']);
    const unauthenticated = await request(h.app).put(settingsUrl(workspaceId)).send({ thresholdCents: 1_000, amountCents: 2_500, enabled: true });
    expect(unauthenticated.status).toBe(401);
    expect(await h.prisma.walletAutoTopUp.count({ where: { workspaceId } })).toBe(0);
  });

  test('idempotent like the other writes: the same key and body replays, another body is a 409', async () => {
    const workspaceId = uniqueId('ws');
    const key = uniqueId('key');
    const body = { thresholdCents: 1_000, amountCents: 2_500, enabled: true };
    const first = await request(h.app).put(settingsUrl(workspaceId)).set(auth).set('Idempotency-Key', key).send(body);
    const again = await request(h.app).put(settingsUrl(workspaceId)).set(auth).set('Idempotency-Key', key).send(body);
    expect(again.status).toBe(200);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.body).toEqual(first.body);
    const reused = await request(h.app).put(settingsUrl(workspaceId)).set(auth).set('Idempotency-Key', key).send({ ...body, enabled: false });
    expect(reused.status).toBe(409);
    expect(reused.body.code).toBe('idempotency_key_reused');
    expect((await autoTopUp(workspaceId)).enabled).toBe(true);
  });
});

test('the first hosted top-up saves the card; usage below the threshold charges it off-session once and credits the wallet once', async () => {
  const workspaceId = uniqueId('ws');
  await request(h.app).put(settingsUrl(workspaceId)).set(auth).send({ thresholdCents: 1_000, amountCents: 2_500, enabled: true }).expect(200);
  await paidHostedTopUp(workspaceId, 5_000, 'pm_card_visa');
  expect(stripe.requests.find((r) => r.path === '/v1/checkout/sessions' && r.form['metadata[workspaceId]'] === workspaceId)?.form).toMatchObject({
    'payment_intent_data[setup_future_usage]': 'off_session',
  });
  await eventually(() => wallet(workspaceId), (w) => w.balanceCents === 5_000);

  await spend(workspaceId, 4_100); // 5,000 → 900: crosses 1,000
  const topped = await eventually(() => wallet(workspaceId), (w) => w.balanceCents === 3_400);
  const auto = topped.entries.find((e: { sourceId: string }) => e.sourceId.startsWith('tu_a'));
  expect(auto).toMatchObject({ kind: 'top_up', amountCents: 2_500, sourceType: 'top_up' });
  const charges = stripe.requests.filter((r) => r.path === '/v1/payment_intents' && r.form['metadata[workspaceId]'] === workspaceId);
  expect(charges).toHaveLength(1);
  expect(charges[0]).toMatchObject({
    status: 200,
    idempotencyKey: `wallet/${workspaceId}:auto-top-up:${auto.sourceId.slice('tu_a'.length)}`,
    form: expect.objectContaining({ amount: '2500', currency: 'usd', confirm: 'true', off_session: 'true', customer: `cus_${workspaceId}`, payment_method: 'pm_card_visa' }),
  });

  // Stripe then reports the auto top-up's PaymentIntent as succeeded: the same top-up id, not credited twice.
  const intent = charges[0].response as { id: string };
  const metadata = { workspaceId, kind: 'wallet_top_up', topUpId: auto.sourceId };
  expect((await deliver('payment_intent.succeeded', { id: intent.id, object: 'payment_intent', amount_received: 2_500, currency: 'usd', customer: `cus_${workspaceId}`, payment_method: 'pm_card_visa', metadata })).status).toBe(200);
  // More usage above the threshold, then a spend that stays above: no further charge.
  await spend(workspaceId, 1_000);
  const later = await eventually(() => wallet(workspaceId), (w) => w.balanceCents === 2_400);
  expect(later.entries.filter((e: { sourceId: string }) => e.sourceId === auto.sourceId)).toHaveLength(1);
  expect(stripe.requests.filter((r) => r.path === '/v1/payment_intents' && r.form['metadata[workspaceId]'] === workspaceId)).toHaveLength(1);
  expect(await autoTopUp(workspaceId)).toMatchObject({ enabled: true, chargesToday: 1, disabledReason: null });
});

test('a declined card turns auto top-up off and notifies the app (wallet.auto_top_up.failed) once; no retry', async () => {
  const workspaceId = uniqueId('ws');
  await request(h.app).put(settingsUrl(workspaceId)).set(auth).send({ thresholdCents: 1_000, amountCents: 2_500, enabled: true }).expect(200);
  await paidHostedTopUp(workspaceId, 5_000, DECLINED);
  await eventually(() => wallet(workspaceId), (w) => w.balanceCents === 5_000);

  await spend(workspaceId, 4_100);
  const off = await eventually(() => autoTopUp(workspaceId), (s) => s.enabled === false);
  expect(off).toMatchObject({ enabled: false, disabledReason: 'card_declined', chargesToday: 1, paymentMethodSaved: true });
  const notifications = await eventually(
    () => h.prisma.notification.findMany({ where: { workspaceId, type: 'wallet.auto_top_up.failed' } }),
    (n) => n.length === 1,
  );
  expect(JSON.parse(String(notifications[0].body)).data).toMatchObject({ amountCents: 2_500, reason: 'card_declined', enabled: false });
  expect((await wallet(workspaceId)).balanceCents).toBe(900);

  // The customer pays by hand and spends below the threshold again: off, so no charge.
  await paidHostedTopUp(workspaceId, 5_000, DECLINED);
  await eventually(() => wallet(workspaceId), (w) => w.balanceCents === 5_900);
  await spend(workspaceId, 5_000);
  await eventually(() => wallet(workspaceId), (w) => w.balanceCents === 900);
  // Wait for the wallet's next pass to be sure nothing more happens after it.
  await spend(workspaceId, 100);
  await eventually(() => wallet(workspaceId), (w) => w.balanceCents === 800);
  expect(stripe.requests.filter((r) => r.path === '/v1/payment_intents' && r.form['metadata[workspaceId]'] === workspaceId)).toHaveLength(1);
  expect(await h.prisma.notification.count({ where: { workspaceId, type: 'wallet.auto_top_up.failed' } })).toBe(1);
});
