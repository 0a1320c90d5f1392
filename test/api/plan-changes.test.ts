// Plan changes and the access check over HTTP, with real activities against
// stripe-mock: validation, refusals with stable codes, preview and apply.
import request from 'supertest';
import { uniqueId } from '../support/db';
import { eventually } from '../support/fake-activities';
import { startApiHarness, type ApiHarness } from '../support/api-harness';
import { checkoutFixture, signedPayload, stripeEvent, subscription } from '../support/stripe-events';
import { TEST_SECRETS } from '../support/test-env';
import { accessResponseSchema, planChangePreviewSchema, planChangeResultSchema } from '../../src/domain/response-schemas';

let h: ApiHarness;
beforeAll(async () => {
  h = await startApiHarness('api-plan-change-test');
}, 120_000);
afterAll(() => h?.close());

const auth = { Authorization: `Bearer ${TEST_SECRETS.APP_API_TOKEN}` };

async function activeWorkspace(planId: 'plus' | 'business' = 'plus') {
  const f = checkoutFixture(planId, 'month');
  const { payload, signature } = signedPayload(stripeEvent('customer.subscription.created', subscription(f)));
  await request(h.app).post('/webhooks/stripe').set('Stripe-Signature', signature).send(payload).expect(200);
  await eventually(
    () => request(h.app).get(`/v1/workspaces/${f.workspaceId}/billing`).set(auth).then((r) => r.body),
    (b) => b.status === 'active',
  );
  return f;
}

test('an unknown workspace has nothing to preview, change or cancel', async () => {
  const workspaceId = uniqueId('ws');
  const preview = await request(h.app).post(`/v1/workspaces/${workspaceId}/plan-changes/preview`).set(auth).send({ targetPlanId: 'plus', interval: 'month' });
  expect(preview.status).toBe(409);
  expect(preview.body.code).toBe('no_active_subscription');
  const change = await request(h.app).post(`/v1/workspaces/${workspaceId}/plan-changes`).set(auth).send({ targetPlanId: 'plus', interval: 'month' });
  expect(change.body.code).toBe('no_active_subscription');
  const cancel = await request(h.app).delete(`/v1/workspaces/${workspaceId}/plan-changes/pending`).set(auth);
  expect(cancel.status).toBe(404);
  expect(cancel.body.code).toBe('no_pending_change');
});

test('invalid plan-change bodies list the offending fields', async () => {
  const res = await request(h.app)
    .post(`/v1/workspaces/${uniqueId('ws')}/plan-changes`)
    .set(auth)
    .send({ targetPlanId: 'platinum', interval: 'month', timing: 'tomorrow', prorationDate: -5 });
  expect(res.status).toBe(400);
  expect(res.body.errors.map((e: { path: string }) => e.path).sort()).toEqual(['body.prorationDate', 'body.targetPlanId', 'body.timing']);
});

test('preview and apply an upgrade, schedule a downgrade, cancel it', async () => {
  const f = await activeWorkspace('plus');
  const preview = await request(h.app).post(`/v1/workspaces/${f.workspaceId}/plan-changes/preview`).set(auth).send({ targetPlanId: 'business', interval: 'month' });
  expect(preview.status).toBe(200);
  expect(preview.body).toMatchObject({
    currentPlan: { id: 'plus', interval: 'month' },
    targetPlan: { id: 'business', interval: 'month' },
    monthlyEquivalentDelta: { amountCents: 47000, currency: 'usd' },
    timing: 'immediate',
  });
  expect(Number.isInteger(preview.body.estimatedInvoiceDue.amountCents)).toBe(true);
  expect(Number.isInteger(preview.body.prorationDate)).toBe(true);
  expect(planChangePreviewSchema.parse(preview.body)).toEqual(preview.body);

  const applied = await request(h.app)
    .post(`/v1/workspaces/${f.workspaceId}/plan-changes`)
    .set(auth)
    .send({ targetPlanId: 'business', interval: 'month', prorationDate: preview.body.prorationDate });
  expect(applied.status).toBe(200);
  // stripe-mock's subscription fixture always carries a pending_update, which
  // is what Stripe returns when the proration invoice is not paid yet.
  expect(applied.body).toMatchObject({ status: 'payment_pending', timing: 'immediate', targetPlan: { id: 'business' } });
  expect(planChangeResultSchema.parse(applied.body)).toEqual(applied.body);

  const scheduled = await request(h.app).post(`/v1/workspaces/${f.workspaceId}/plan-changes`).set(auth).send({ targetPlanId: 'plus', interval: 'year', timing: 'period_end' });
  expect(scheduled.status).toBe(200);
  expect(scheduled.body).toMatchObject({ status: 'scheduled', timing: 'period_end' });
  const billing = await eventually(
    () => request(h.app).get(`/v1/workspaces/${f.workspaceId}/billing`).set(auth).then((r) => r.body),
    (b) => b.pendingChange !== null,
  );
  expect(billing.pendingChange).toEqual({ targetPlanId: 'plus', interval: 'year', effectiveAt: scheduled.body.effectiveAt });

  const canceled = await request(h.app).delete(`/v1/workspaces/${f.workspaceId}/plan-changes/pending`).set(auth);
  expect(canceled.status).toBe(200);
  expect(canceled.body).toEqual({ canceled: billing.pendingChange });
  await eventually(
    () => request(h.app).get(`/v1/workspaces/${f.workspaceId}/billing`).set(auth).then((r) => r.body),
    (b) => b.pendingChange === null,
  );
});

test('same plan is 409 no_change; enterprise is 422 sales_assisted', async () => {
  const f = await activeWorkspace('business');
  const same = await request(h.app).post(`/v1/workspaces/${f.workspaceId}/plan-changes`).set(auth).send({ targetPlanId: 'business', interval: 'month' });
  expect(same.status).toBe(409);
  expect(same.body.code).toBe('no_change');
  const enterprise = await request(h.app).post(`/v1/workspaces/${f.workspaceId}/plan-changes/preview`).set(auth).send({ targetPlanId: 'enterprise', interval: 'year' });
  expect(enterprise.status).toBe(422);
  expect(enterprise.body.code).toBe('sales_assisted');
});

test('access: production needs a capable plan and credit; other environments are always allowed', async () => {
  const workspaceId = uniqueId('ws');
  const prod = await request(h.app).get(`/v1/workspaces/${workspaceId}/access`).query({ projectId: 'p1', environment: 'production' }).set(auth);
  expect(prod.body).toEqual({ allowed: false, reasons: ['plan_not_production_capable', 'wallet_below_minimum'] });
  expect(accessResponseSchema.parse(prod.body)).toEqual(prod.body);
  const staging = await request(h.app).get(`/v1/workspaces/${workspaceId}/access`).query({ projectId: 'p1', environment: 'staging' }).set(auth);
  expect(staging.body).toEqual({ allowed: true, reasons: [] });
  const bad = await request(h.app).get(`/v1/workspaces/${workspaceId}/access`).query({ environment: 'moon' }).set(auth);
  expect(bad.status).toBe(400);
  expect(bad.body.errors[0].path).toBe('query.environment');
});
