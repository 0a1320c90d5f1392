// Usage, wallet, top-ups, spend controls and operator routes over HTTP, with
// real workflows on the test server and real activities (PostgreSQL,
// stripe-mock).
import request from 'supertest';
import { uniqueId } from '../support/db';
import { eventually } from '../support/fake-activities';
import { startApiHarness, type ApiHarness } from '../support/api-harness';
import { checkoutFixture, signedPayload, stripeEvent, subscription } from '../support/stripe-events';
import { TEST_SECRETS } from '../support/test-env';

let h: ApiHarness;
beforeAll(async () => {
  h = await startApiHarness('api-wallet-test');
}, 120_000);
afterAll(() => h?.close());

const auth = { Authorization: `Bearer ${TEST_SECRETS.APP_API_TOKEN}` };
const operator = { Authorization: `Bearer ${TEST_SECRETS.OPERATOR_API_TOKEN}` };
const now = new Date().toISOString();
const event = (id: string, overrides: Record<string, unknown> = {}) => ({
  id,
  projectId: 'proj_1',
  family: 'email_validation',
  environment: 'production',
  quantity: 1500,
  occurredAt: now,
  ...overrides,
});
const wallet = (workspaceId: string) => request(h.app).get(`/v1/workspaces/${workspaceId}/wallet`).set(auth).then((r) => r.body);

/** Delivers like Stripe: the same event again after a 5xx (the engine answers 503 when it could not record or signal in time). */
async function deliver(type: string, object: Record<string, unknown>) {
  const { payload, signature } = signedPayload(stripeEvent(type, object));
  for (let attempt = 1; ; attempt++) {
    const res = await request(h.app).post('/webhooks/stripe').set('Stripe-Signature', signature).send(payload);
    if (res.status < 500 || attempt === 3) return res;
  }
}

describe('usage', () => {
  test('a batch is recorded once, rated and debited; a redelivery counts as duplicates', async () => {
    const workspaceId = uniqueId('ws');
    const events = [event('e1'), event('e2', { quantity: 500 }), event('e3', { environment: 'sandbox', quantity: 1_000_000 })];
    const first = await request(h.app).post(`/v1/workspaces/${workspaceId}/usage`).set(auth).send({ events });
    expect(first.status).toBe(202);
    expect(first.body).toEqual({ accepted: 3, duplicates: 0, rejected: 0 });
    const again = await request(h.app).post(`/v1/workspaces/${workspaceId}/usage`).set(auth).send({ events });
    expect(again.body).toEqual({ accepted: 0, duplicates: 3, rejected: 0 });

    // 2,000 production email validations at 100 cents per 1,000 = 200 cents; sandbox is free.
    const w = await eventually(() => wallet(workspaceId), (x) => x.entries.length === 1);
    expect(w).toMatchObject({ balanceCents: -200, minimumCents: 1000 });
    expect(w.entries[0]).toMatchObject({ kind: 'usage', amountCents: -200, sourceType: 'usage_batch' });
  });

  test('an invalid batch is rejected whole, listing each offending event, and nothing is written', async () => {
    const workspaceId = uniqueId('ws');
    const res = await request(h.app)
      .post(`/v1/workspaces/${workspaceId}/usage`)
      .set(auth)
      .send({ events: [event('ok'), event('bad1', { family: 'teleport' }), event('bad2', { quantity: -1 }), event('bad3', { quantity: 1.5, environment: 'moon' })] });
    expect(res.status).toBe(400);
    expect(res.body.code).toBe('validation_failed');
    const byEvent = res.body.errors.map((e: { index: number; id: string; path: string }) => `${e.index}:${e.id}:${e.path}`);
    expect(byEvent).toEqual(
      expect.arrayContaining(['1:bad1:body.events.1.family', '2:bad2:body.events.2.quantity', '3:bad3:body.events.3.quantity', '3:bad3:body.events.3.environment']),
    );
    expect(byEvent.some((e: string) => e.startsWith('0:'))).toBe(false);
    expect(await h.prisma.usageEvent.count({ where: { workspaceId } })).toBe(0);
  });

  test('more than 1,000 events is a 400', async () => {
    const events = Array.from({ length: 1001 }, (_, i) => event(`e${i}`));
    const res = await request(h.app).post(`/v1/workspaces/${uniqueId('ws')}/usage`).set(auth).send({ events });
    expect(res.status).toBe(400);
    expect(res.body.errors[0].path).toBe('body.events');
  });
});

describe('top-ups', () => {
  test('a top-up opens a payment-mode checkout and its payment is credited exactly once', async () => {
    const workspaceId = uniqueId('ws');
    const res = await request(h.app)
      .post(`/v1/workspaces/${workspaceId}/wallet/top-ups`)
      .set(auth)
      .send({ amountCents: 5000, successUrl: 'https://app.example.com/ok', cancelUrl: 'https://app.example.com/no' });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ topUpId: expect.stringMatching(/^tu_r[0-9a-f]{32}$/), checkoutId: expect.stringMatching(/^cs_/), url: expect.stringMatching(/^https:/) });
    const metadata = { workspaceId, kind: 'wallet_top_up', topUpId: res.body.topUpId };
    const session = { id: res.body.checkoutId, object: 'checkout.session', mode: 'payment', payment_status: 'paid', amount_total: 5000, currency: 'usd', customer: 'cus_x', metadata };
    const intent = { id: uniqueId('pi'), object: 'payment_intent', amount_received: 5000, currency: 'usd', metadata };
    const deliveries = await Promise.all([deliver('checkout.session.completed', session), deliver('payment_intent.succeeded', intent), deliver('checkout.session.completed', session)]);
    expect(deliveries.map((d) => d.status)).toEqual([200, 200, 200]);
    const w = await eventually(() => wallet(workspaceId), (x) => x.balanceCents === 5000);
    await new Promise((r) => setTimeout(r, 500));
    const settled = await wallet(workspaceId);
    expect(settled.balanceCents).toBe(5000);
    expect(settled.entries).toEqual([expect.objectContaining({ kind: 'top_up', amountCents: 5000, sourceType: 'top_up', sourceId: res.body.topUpId })]);
    expect(w.entries).toHaveLength(1);
  });

  test('invalid amounts are refused', async () => {
    const res = await request(h.app).post(`/v1/workspaces/${uniqueId('ws')}/wallet/top-ups`).set(auth).send({ amountCents: 99.5, successUrl: 'https://a.example/', cancelUrl: 'nope' });
    expect(res.status).toBe(400);
    expect(res.body.errors.map((e: { path: string }) => e.path).sort()).toEqual(['body.amountCents', 'body.cancelUrl']);
  });
});

describe('spend controls', () => {
  test('only Business workspaces have them; invalid controls list their fields', async () => {
    const f = checkoutFixture('plus', 'month');
    await deliver('customer.subscription.created', subscription(f));
    await eventually(() => request(h.app).get(`/v1/workspaces/${f.workspaceId}/billing`).set(auth).then((r) => r.body), (b) => b.status === 'active');
    const body = { monthlyCapCents: 10_000, alertThresholdsPercent: [50, 90], action: 'block' };
    const refused = await request(h.app).put(`/v1/workspaces/${f.workspaceId}/spend-controls`).set(auth).send(body);
    expect(refused.status).toBe(409);
    expect(refused.body.code).toBe('not_available_on_plan');
    const invalid = await request(h.app).put(`/v1/workspaces/${f.workspaceId}/spend-controls`).set(auth).send({ monthlyCapCents: 0, alertThresholdsPercent: [150], action: 'shout' });
    expect(invalid.status).toBe(400);
    expect(invalid.body.errors.map((e: { path: string }) => e.path).sort()).toEqual(['body.action', 'body.alertThresholdsPercent.0', 'body.monthlyCapCents']);
  });

  test('a Business workspace that crosses its blocking cap is refused production access', async () => {
    const f = checkoutFixture('business', 'month');
    await deliver('customer.subscription.created', subscription(f));
    await eventually(() => request(h.app).get(`/v1/workspaces/${f.workspaceId}/billing`).set(auth).then((r) => r.body), (b) => b.status === 'active');
    await request(h.app).post(`/v1/operator/workspaces/${f.workspaceId}/credits`).set(operator).send({ amountCents: 100_000, reason: 'Trial credit', reference: 'T-1' }).expect(201);
    const set = await request(h.app).put(`/v1/workspaces/${f.workspaceId}/spend-controls`).set(auth).send({ monthlyCapCents: 150, alertThresholdsPercent: [50], action: 'block' });
    expect(set.status).toBe(200);
    expect(set.body.spend).toMatchObject({ spentCents: 0, blocked: false });
    await request(h.app).post(`/v1/workspaces/${f.workspaceId}/usage`).set(auth).send({ events: [event(uniqueId('e'), { quantity: 2000 })] }).expect(202);
    const access = await eventually(
      () => request(h.app).get(`/v1/workspaces/${f.workspaceId}/access`).query({ projectId: 'proj_1', environment: 'production' }).set(auth).then((r) => r.body),
      (a) => a.reasons.includes('spend_cap_reached'),
    );
    expect(access.allowed).toBe(false);
    expect(await h.prisma.spendAlert.count({ where: { workspaceId: f.workspaceId } })).toBe(1);
  });
});

describe('operator routes', () => {
  test('need the operator token: none, wrong or the app token is a 401', async () => {
    for (const headers of [{}, { Authorization: 'Bearer wrong-token-wrong-token' }, auth]) {
      const res = await request(h.app).post(`/v1/operator/workspaces/${uniqueId('ws')}/credits`).set(headers).send({ amountCents: 100, reason: 'x', reference: 'y' });
      expect(res.status).toBe(401);
      expect(res.body.code).toBe('unauthorized');
    }
  });

  test('a grant is recorded once with its reason; contract prices and invoicing are Enterprise-only', async () => {
    const workspaceId = uniqueId('ws');
    const grant = { amountCents: 2500, reason: 'Goodwill after incident 7', reference: 'INC-7' };
    const first = await request(h.app).post(`/v1/operator/workspaces/${workspaceId}/credits`).set(operator).send(grant);
    expect(first.status).toBe(201);
    expect(first.body).toEqual({ credited: true, balanceCents: 2500 });
    const second = await request(h.app).post(`/v1/operator/workspaces/${workspaceId}/credits`).set(operator).send(grant);
    expect(second.status).toBe(200);
    expect(second.body).toEqual({ credited: false, balanceCents: 2500 });
    const w = await wallet(workspaceId);
    expect(w.entries).toEqual([expect.objectContaining({ kind: 'grant', amountCents: 2500, reason: 'Goodwill after incident 7', sourceId: 'INC-7' })]);

    const prices = await request(h.app).put(`/v1/operator/workspaces/${workspaceId}/contract-prices`).set(operator).send({ prices: { waf: 12 } });
    expect(prices.status).toBe(409);
    expect(prices.body.code).toBe('not_available_on_plan');
    const invoicing = await request(h.app).put(`/v1/operator/workspaces/${workspaceId}/invoicing`).set(operator).send({ collectionMethod: 'send_invoice', daysUntilDue: 30 });
    expect(invoicing.status).toBe(409);
    expect(invoicing.body.code).toBe('no_active_subscription');
    const badPrices = await request(h.app).put(`/v1/operator/workspaces/${workspaceId}/contract-prices`).set(operator).send({ prices: { teleport: 5 } });
    expect(badPrices.status).toBe(400);
  });

  test('an Enterprise workspace gets contract prices used by rating, and invoicing controls in Stripe', async () => {
    const f = { ...checkoutFixture('plus', 'year'), planId: 'enterprise' as const };
    const sub = subscription({ ...f, planId: 'plus' }, {});
    (sub.metadata as Record<string, string>).planId = 'enterprise';
    sub.items.data[0].price.lookup_key = 'enterprise_contract_2026';
    await deliver('customer.subscription.created', sub);
    await eventually(() => request(h.app).get(`/v1/workspaces/${f.workspaceId}/billing`).set(auth).then((r) => r.body), (b) => b.plan.id === 'enterprise');

    await request(h.app).put(`/v1/operator/workspaces/${f.workspaceId}/contract-prices`).set(operator).send({ prices: { email_validation: 40 } }).expect(200);
    await request(h.app).post(`/v1/workspaces/${f.workspaceId}/usage`).set(auth).send({ events: [event(uniqueId('e'), { quantity: 10_000 })] }).expect(202);
    const w = await eventually(() => wallet(f.workspaceId), (x) => x.entries.length === 1);
    expect(w.entries[0]).toMatchObject({ kind: 'usage', amountCents: -400 });

    const invoicing = await request(h.app).put(`/v1/operator/workspaces/${f.workspaceId}/invoicing`).set(operator).send({ collectionMethod: 'send_invoice', daysUntilDue: 30 });
    expect(invoicing.status).toBe(200);
    expect(invoicing.body).toHaveProperty('collectionMethod');
  });
});
