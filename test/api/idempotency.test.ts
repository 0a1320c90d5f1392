// Idempotency-Key on the app's and operators' requests that start something:
// a retry gets the first answer and starts nothing new at Stripe, also after
// the workflow behind it was terminated and started afresh; another request
// under the same key is 409; bad keys are 400; refusals are not kept.
import request from 'supertest';
import { keyHashOf, pruneIdempotencyKeys, requestIdForKey } from '../../src/api/idempotency';
import { workflowIdFor } from '../../workflows/definitions';
import { startApiHarness, type ApiHarness } from '../support/api-harness';
import { uniqueId } from '../support/db';
import { eventually } from '../support/fake-activities';
import { checkoutFixture, invoice, signedPayload, stripeEvent, subscription } from '../support/stripe-events';
import { startStripeRecorder, type StripeRecorder } from '../support/stripe-recorder';
import { TEST_SECRETS } from '../support/test-env';

let h: ApiHarness;
let recorder: StripeRecorder;
beforeAll(async () => {
  recorder = await startStripeRecorder();
  h = await startApiHarness('idempotency-test', { STRIPE_API_URL: recorder.url });
}, 120_000);
afterAll(async () => {
  await h?.close();
  await recorder?.close();
});

const auth = { Authorization: `Bearer ${TEST_SECRETS.APP_API_TOKEN}` };
const operator = { Authorization: `Bearer ${TEST_SECRETS.OPERATOR_API_TOKEN}` };
const checkout = { planId: 'plus', interval: 'month', successUrl: 'https://app.example.com/ok', cancelUrl: 'https://app.example.com/no' };
const topUp = { amountCents: 2500, successUrl: 'https://app.example.com/ok', cancelUrl: 'https://app.example.com/no' };

const sessionsOf = (workspaceId: string) => recorder.requests.filter((r) => r.path === '/v1/checkout/sessions' && r.form['metadata[workspaceId]'] === workspaceId);

async function webhook(event: unknown) {
  const { payload, signature } = signedPayload(event);
  const res = await request(h.app).post('/webhooks/stripe').set('Stripe-Signature', signature).set('Content-Type', 'application/json').send(payload);
  expect(res.status).toBe(200);
}

test('a checkout retried with the same key gets the first answer, and Stripe sees one session; another body under the key is 409', async () => {
  const workspaceId = uniqueId('ws');
  const key = uniqueId('key');
  const post = (body: object) => request(h.app).post(`/v1/workspaces/${workspaceId}/checkout`).set(auth).set('Idempotency-Key', key).send(body);
  const first = await post(checkout);
  expect(first.status).toBe(201);
  const retry = await post(checkout);
  expect(retry.status).toBe(201);
  expect(retry.headers['idempotent-replayed']).toBe('true');
  expect(retry.body).toEqual(first.body);
  expect(sessionsOf(workspaceId)).toHaveLength(1);
  expect(sessionsOf(workspaceId)[0].idempotencyKey).toBe(`${workflowIdFor(workspaceId)}:checkout:${requestIdForKey('app', key)}`);

  const other = await post({ ...checkout, planId: 'business' });
  expect(other.status).toBe(409);
  expect(other.headers['content-type']).toMatch(/^application\/problem\+json/);
  expect(other.body.code).toBe('idempotency_key_reused');
  expect(sessionsOf(workspaceId)).toHaveLength(1);
});

test('a top-up retried after its workflow was terminated and started afresh is answered the same, and a new top-up gets a new id that is credited', async () => {
  const workspaceId = uniqueId('ws');
  const key = uniqueId('key');
  const first = await request(h.app).post(`/v1/workspaces/${workspaceId}/wallet/top-ups`).set(auth).set('Idempotency-Key', key).send(topUp);
  expect(first.status).toBe(201);
  expect(first.body.topUpId).toBe(`tu_${requestIdForKey('app', key)}`);
  await h.env.client.workflow.getHandle(workflowIdFor(workspaceId)).terminate('operator restarts the workflow');

  const retry = await request(h.app).post(`/v1/workspaces/${workspaceId}/wallet/top-ups`).set(auth).set('Idempotency-Key', key).send(topUp);
  expect(retry.body).toEqual(first.body);
  const second = await request(h.app).post(`/v1/workspaces/${workspaceId}/wallet/top-ups`).set(auth).set('Idempotency-Key', uniqueId('key')).send(topUp);
  expect(second.status).toBe(201);
  expect(second.body.topUpId).not.toBe(first.body.topUpId);

  // Both are paid: each is credited, once.
  for (const t of [first.body, second.body]) {
    const metadata = { workspaceId, kind: 'wallet_top_up', topUpId: t.topUpId };
    await webhook(stripeEvent('checkout.session.completed', { id: t.checkoutId, object: 'checkout.session', mode: 'payment', payment_status: 'paid', amount_total: 2500, currency: 'usd', customer: 'cus_x', metadata }));
  }
  const wallet = await eventually(
    async () => (await request(h.app).get(`/v1/workspaces/${workspaceId}/wallet`).set(auth)).body,
    (w) => w.balanceCents === 5000,
  );
  expect(wallet.entries.map((e: { sourceId: string }) => e.sourceId).sort()).toEqual([first.body.topUpId, second.body.topUpId].sort());
});

test('a plan change retried under the same key sends Stripe the same idempotency key, derived from the key, not from workflow state', async () => {
  const f = checkoutFixture('plus', 'month');
  await webhook(stripeEvent('customer.subscription.created', subscription(f)));
  await eventually(async () => (await request(h.app).get(`/v1/workspaces/${f.workspaceId}/billing`).set(auth)).body, (b) => b.status === 'active');
  const key = uniqueId('key');
  const change = { targetPlanId: 'business', interval: 'month' };
  const first = await request(h.app).post(`/v1/workspaces/${f.workspaceId}/plan-changes`).set(auth).set('Idempotency-Key', key).send(change);
  expect(first.status).toBe(200);
  // The stored answer is lost (as when the first attempt's answer never arrived and the row expired): the retry runs again.
  await h.prisma.idempotencyKey.deleteMany({ where: { keyHash: keyHashOf('app', key) } });
  const retry = await request(h.app).post(`/v1/workspaces/${f.workspaceId}/plan-changes`).set(auth).set('Idempotency-Key', key).send(change);
  expect(retry.status).toBe(200);
  const updates = recorder.requests.filter((r) => r.method === 'POST' && r.path === `/v1/subscriptions/${f.subscriptionId}`);
  expect(updates).toHaveLength(2);
  const expected = `${workflowIdFor(f.workspaceId)}:plan-change:${requestIdForKey('app', key)}`;
  expect(updates.map((u) => u.idempotencyKey)).toEqual([expected, expected]);
});

test('an operator action under Idempotency-Key needs no requestId in the body and is applied once', async () => {
  const f = checkoutFixture('plus', 'month');
  await webhook(stripeEvent('customer.subscription.created', subscription(f)));
  await webhook(stripeEvent('invoice.payment_failed', invoice(f, { status: 'open' })));
  await eventually(async () => (await request(h.app).get(`/v1/workspaces/${f.workspaceId}/billing`).set(auth)).body, (b) => b.grace !== null);
  const key = uniqueId('key');
  const post = () => request(h.app).post(`/v1/operator/workspaces/${f.workspaceId}/grace/end`).set(operator).set('Idempotency-Key', key).send({ reason: 'customer paid by wire' });
  const first = await post();
  expect(first.status).toBe(200);
  expect(first.body).toMatchObject({ action: 'end_grace', requestId: requestIdForKey('operator', key), applied: true });
  const retry = await post();
  expect(retry.body).toEqual(first.body);
  const audits = await h.prisma.operatorAudit.findMany({ where: { workspaceId: f.workspaceId } });
  expect(audits).toHaveLength(1);
});

test('a refused request is not kept: the same key may be retried once the refusal no longer holds', async () => {
  const workspaceId = uniqueId('ws');
  const key = uniqueId('key');
  const refused = await request(h.app).post(`/v1/workspaces/${workspaceId}/checkout`).set(auth).set('Idempotency-Key', key).send({ ...checkout, planId: 'essential' });
  expect(refused.status).toBe(422);
  expect(await h.prisma.idempotencyKey.count({ where: { keyHash: keyHashOf('app', key) } })).toBe(0);
  const again = await request(h.app).post(`/v1/workspaces/${workspaceId}/checkout`).set(auth).set('Idempotency-Key', key).send({ ...checkout, planId: 'essential' });
  expect(again.status).toBe(422);
  expect(again.headers['idempotent-replayed']).toBeUndefined();
});

test.each([
  ['an empty key', ''],
  ['a key longer than 255 characters', 'k'.repeat(256)],
  ['a key with spaces', 'two words'],
])('%s is 400 naming the header, and nothing starts', async (_what, key) => {
  const workspaceId = uniqueId('ws');
  const res = await request(h.app).post(`/v1/workspaces/${workspaceId}/checkout`).set(auth).set('Idempotency-Key', key).send(checkout);
  expect(res.status).toBe(400);
  expect(res.body.errors.map((e: { path: string }) => e.path)).toEqual(['headers.idempotency-key']);
  expect(sessionsOf(workspaceId)).toHaveLength(0);
});

test('kept answers are pruned after their lifetime; a younger one stays', async () => {
  const [old, young] = [keyHashOf('app', uniqueId('old')), keyHashOf('app', uniqueId('young'))];
  const row = { principal: 'app', fingerprint: 'f', status: 'completed', responseStatus: 200, responseBody: {} };
  await h.prisma.idempotencyKey.createMany({
    data: [
      { ...row, keyHash: old, createdAt: new Date(Date.now() - 8 * 86_400_000) },
      { ...row, keyHash: young, createdAt: new Date() },
    ],
  });
  await pruneIdempotencyKeys(h.prisma, 7 * 86_400_000);
  expect((await h.prisma.idempotencyKey.findMany({ where: { keyHash: { in: [old, young] } } })).map((r) => r.keyHash)).toEqual([young]);
});
