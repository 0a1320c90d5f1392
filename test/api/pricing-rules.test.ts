// The pricing page's refusals over HTTP, with signed Stripe events through
// the webhook and real activities (stripe-mock, PostgreSQL): an Enterprise
// workspace is 422 sales_assisted for preview, apply and checkout; billing
// recovery (past due, failed first payment, unpaid Checkout, send_invoice
// past due) refuses checkout and changes with 409 payment_recovery_required
// carrying the invoice; /billing and /access evaluate the same snapshot by
// the clock (grace end, send_invoice due date, Business spend cap). Every
// refusal is problem+json and writes nothing.
import request from 'supertest';
import { createApp } from '../../src/api/app';
import { billingViewSchema, conflictProblemSchema, salesAssistedProblemSchema } from '../../src/domain/response-schemas';
import { createLogger } from '../../src/infra/logger';
import { createStripeClient } from '../../src/infra/stripe-client';
import { uniqueId } from '../support/db';
import { eventually } from '../support/fake-activities';
import { startApiHarness, type ApiHarness } from '../support/api-harness';
import { checkoutFixture, checkoutSession, invoice, signedPayload, stripeEvent, subscription, type CheckoutFixture } from '../support/stripe-events';
import { TEST_SECRETS } from '../support/test-env';

let h: ApiHarness;
beforeAll(async () => {
  h = await startApiHarness('api-pricing-rules-test');
}, 120_000);
afterAll(() => h?.close());

const auth = { Authorization: `Bearer ${TEST_SECRETS.APP_API_TOKEN}` };
const checkoutBody = { planId: 'plus', interval: 'month', successUrl: 'https://app.example.com/ok', cancelUrl: 'https://app.example.com/no' };
const upgrade = { targetPlanId: 'business', interval: 'month' };
const SEC = 1000;

async function deliver(type: string, object: Record<string, unknown>) {
  const { payload, signature } = signedPayload(stripeEvent(type, object));
  const res = await request(h.app).post('/webhooks/stripe').set('Stripe-Signature', signature).set('Content-Type', 'application/json').send(payload);
  expect(res.status).toBe(200);
}

const billing = async (workspaceId: string, app = h.app) => {
  const res = await request(app).get(`/v1/workspaces/${workspaceId}/billing`).set(auth);
  expect(res.status).toBe(200);
  expect(billingViewSchema.parse(res.body)).toEqual(res.body);
  return res.body;
};
const access = (workspaceId: string) =>
  request(h.app).get(`/v1/workspaces/${workspaceId}/access`).query({ projectId: 'p1', environment: 'production' }).set(auth).then((r) => r.body);
const post = (workspaceId: string, path: string, body: object) => request(h.app).post(`/v1/workspaces/${workspaceId}/${path}`).set(auth).send(body);
const version = async (workspaceId: string) => (await h.prisma.workspaceBilling.findUnique({ where: { workspaceId } }))?.version ?? null;

/** A refusal: the status and code, as problem+json described by the OpenAPI schema, and nothing written to the projection. */
async function refused(workspaceId: string, call: () => Promise<request.Response>, status: number, code: string) {
  const before = await version(workspaceId);
  const res = await call();
  expect({ status: res.status, code: res.body.code }).toEqual({ status, code });
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  // Every field of the body is in the documented schema (parsing drops unknown ones).
  expect((status === 422 ? salesAssistedProblemSchema : conflictProblemSchema).parse(res.body)).toEqual(res.body);
  expect(await version(workspaceId)).toBe(before);
  return res.body;
}

async function subscribed(f: CheckoutFixture, status = 'active', metadata?: Record<string, string>) {
  const object = subscription(f, { status });
  if (metadata) object.metadata = metadata;
  await deliver('customer.subscription.created', object);
  await eventually(() => billing(f.workspaceId), (b) => b.stripe?.subscriptionId === f.subscriptionId);
}

test('an Enterprise workspace (sales-created: metadata.planId=enterprise, a public price) is 422 sales_assisted for preview, apply and checkout', async () => {
  const f = checkoutFixture('business', 'year');
  await subscribed(f, 'active', { workspaceId: f.workspaceId, planId: 'enterprise' });
  expect(await billing(f.workspaceId)).toMatchObject({ plan: { id: 'enterprise' }, status: 'active', mode: 'sales_assisted' });
  for (const [path, body] of [
    ['plan-changes/preview', { targetPlanId: 'plus', interval: 'month' }],
    ['plan-changes', { targetPlanId: 'plus', interval: 'month' }],
    ['plan-changes', { targetPlanId: 'essential', interval: 'month' }],
    ['checkout', checkoutBody],
  ] as const) {
    const problem = await refused(f.workspaceId, () => post(f.workspaceId, path, body), 422, 'sales_assisted');
    expect(problem).toMatchObject({ contactUrl: h.config.PUBLIC_SALES_CONTACT_URL, currentPlanId: 'enterprise' });
  }
});

test('past due (also on Enterprise): billing_recovery; checkout and apply 409 payment_recovery_required with the invoice; previews still shown for self-serve', async () => {
  for (const planId of ['plus', 'enterprise'] as const) {
    const f = checkoutFixture(planId, planId === 'plus' ? 'month' : 'year');
    await subscribed(f);
    const unpaid = invoice(f, { id: uniqueId('in') });
    await deliver('invoice.payment_failed', unpaid);
    const b = await eventually(() => billing(f.workspaceId), (v) => v.status === 'past_due');
    expect(b).toMatchObject({ mode: 'billing_recovery', grace: { expired: false }, unpaidInvoice: { id: unpaid.id, hostedInvoiceUrl: unpaid.hosted_invoice_url } });
    const checkout = await refused(f.workspaceId, () => post(f.workspaceId, 'checkout', checkoutBody), 409, 'payment_recovery_required');
    expect(checkout).toMatchObject({ unpaidInvoice: { id: unpaid.id, amountDueCents: 2900, currency: 'usd', hostedInvoiceUrl: unpaid.hosted_invoice_url } });
    if (planId === 'plus') {
      const apply = await refused(f.workspaceId, () => post(f.workspaceId, 'plan-changes', upgrade), 409, 'payment_recovery_required');
      expect(apply.unpaidInvoice).toMatchObject({ id: unpaid.id });
      expect((await post(f.workspaceId, 'plan-changes/preview', upgrade)).status).toBe(200);
    } else {
      await refused(f.workspaceId, () => post(f.workspaceId, 'plan-changes/preview', upgrade), 422, 'sales_assisted');
    }
  }
});

test('an incomplete subscription whose first payment failed: billing_recovery with the invoice; checkout 409 payment_recovery_required, never a second subscription', async () => {
  const f = checkoutFixture('plus', 'month');
  await subscribed(f, 'incomplete');
  const first = invoice(f, { id: uniqueId('in'), billingReason: 'subscription_create' });
  await deliver('invoice.payment_failed', first);
  const b = await eventually(() => billing(f.workspaceId), (v) => v.mode === 'billing_recovery');
  expect(b).toMatchObject({ status: 'incomplete', plan: { id: 'essential' }, unpaidInvoice: { id: first.id } });
  const problem = await refused(f.workspaceId, () => post(f.workspaceId, 'checkout', checkoutBody), 409, 'payment_recovery_required');
  expect(problem).toMatchObject({ subscriptionId: f.subscriptionId, unpaidInvoice: { id: first.id, hostedInvoiceUrl: first.hosted_invoice_url } });
  expect(b.checkout).toBeNull();
});

test('a Checkout completed with payment_status=unpaid: billing_recovery; checkout refused; paid → active', async () => {
  const f = checkoutFixture('plus', 'month');
  const opened = await post(f.workspaceId, 'checkout', checkoutBody);
  expect(opened.status).toBe(201);
  f.checkoutId = opened.body.checkoutId;
  const first = invoice(f, { id: uniqueId('in'), billingReason: 'subscription_create' });
  await deliver('customer.subscription.created', subscription(f, { status: 'incomplete' }));
  await deliver('invoice.finalized', first);
  await deliver('checkout.session.completed', checkoutSession(f, { payment_status: 'unpaid' }));
  const b = await eventually(() => billing(f.workspaceId), (v) => v.mode === 'billing_recovery');
  expect(b).toMatchObject({ status: 'incomplete', checkout: null, unpaidInvoice: { id: first.id } });
  await refused(f.workspaceId, () => post(f.workspaceId, 'checkout', checkoutBody), 409, 'payment_recovery_required');

  await deliver('invoice.paid', invoice(f, { id: first.id, status: 'paid' }));
  await deliver('customer.subscription.updated', subscription(f));
  expect(await eventually(() => billing(f.workspaceId), (v) => v.status === 'active')).toMatchObject({ mode: 'self_serve', unpaidInvoice: null });
});

test('a send_invoice invoice: finalized and not due is not recovery; past its due date /billing says billing_recovery by the clock and apply is refused', async () => {
  const f = checkoutFixture('plus', 'month');
  await subscribed(f);
  const dueAt = Math.floor(Date.now() / 1000) + 3600;
  const net = invoice(f, { id: uniqueId('in'), collectionMethod: 'send_invoice', dueDate: dueAt });
  await deliver('invoice.finalized', net);
  const b = await eventually(() => billing(f.workspaceId), (v) => v.unpaidInvoice?.id === net.id);
  expect(b.mode).toBe('self_serve');
  // The dashboard read after the due date (the same stored snapshot, a later clock).
  const later = createApp({
    prisma: h.prisma,
    stripe: createStripeClient(h.config.STRIPE_SECRET_KEY, h.config.STRIPE_API_URL),
    workspaces: h.workspaces,
    access: h.access,
    log: createLogger('silent'),
    config: h.config,
    now: () => dueAt * 1000,
  });
  expect(await billing(f.workspaceId, later)).toMatchObject({ mode: 'billing_recovery', unpaidInvoice: { id: net.id } });

  // Already past due when it arrives: recovery at once, on both sides.
  const g = checkoutFixture('plus', 'month');
  await subscribed(g);
  const overdue = invoice(g, { id: uniqueId('in'), collectionMethod: 'send_invoice', dueDate: Math.floor(Date.now() / 1000) - 60 });
  await deliver('invoice.overdue', overdue);
  expect(await eventually(() => billing(g.workspaceId), (v) => v.unpaidInvoice?.id === overdue.id)).toMatchObject({ mode: 'billing_recovery' });
  const apply = await refused(g.workspaceId, () => post(g.workspaceId, 'plan-changes', upgrade), 409, 'payment_recovery_required');
  expect(apply.unpaidInvoice).toMatchObject({ id: overdue.id });
});

test('/billing and /access: one evaluation of one snapshot by the clock (grace end passed before the workflow wrote it; Business spend cap)', async () => {
  const workspaceId = uniqueId('ws');
  const endsAt = new Date(Date.now() - SEC);
  await h.prisma.workspaceBilling.create({
    data: {
      workspaceId,
      planId: 'business',
      interval: 'month',
      status: 'past_due',
      mode: 'billing_recovery',
      graceStartedAt: new Date(endsAt.getTime() - 7 * 86_400_000),
      graceEndsAt: endsAt,
      graceExpired: false,
      version: 3,
    },
  });
  await h.prisma.walletBalance.create({ data: { workspaceId, balanceCents: 5000n } });
  const month = new Date().toISOString().slice(0, 7);
  await h.prisma.spendControl.create({ data: { workspaceId, monthlyCapCents: 1000n, alertThresholdsPercent: [50], action: 'block', blockedMonth: month } });
  const b = await billing(workspaceId);
  expect(b).toMatchObject({ mode: 'enforced_recovery', grace: { endsAt: endsAt.toISOString(), expired: true } });
  expect(b.production).toEqual({ allowed: false, reasons: ['enforced_recovery', 'spend_cap_reached'] });
  expect(await access(workspaceId)).toEqual({ allowed: false, reasons: ['enforced_recovery', 'spend_cap_reached'], graceEndsAt: endsAt.toISOString() });
});
