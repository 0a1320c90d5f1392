// The pricing page's rules end to end on the dev server, with the worker and
// API as processes and a short grace window (seconds): an Enterprise
// workspace is refused self-serve and still goes through recovery; an
// incomplete subscription with an open hosted invoice is in recovery and
// refuses a second checkout; and with the worker stopped before the grace
// end, /billing and /access both turn to enforced_recovery at the deadline,
// by the clock, though nothing was written.
import { startTemporalDevServer, type TemporalDevServer } from '../../scripts/lib/dev-servers';
import type { PrismaClient } from '../../src/infra/prisma';
import { testPrisma, uniqueId } from '../support/db';
import { startEngine, type EngineProcesses } from '../support/engine-processes';
import { eventually } from '../support/fake-activities';
import { checkoutFixture, invoice, signedPayload, stripeEvent, subscription, type CheckoutFixture } from '../support/stripe-events';
import { TEST_SECRETS, testConfig } from '../support/test-env';

const GRACE_MS = 15_000;
let temporal: TemporalDevServer;
let engine: EngineProcesses;
let prisma: PrismaClient;

beforeAll(async () => {
  temporal = await startTemporalDevServer({ headless: true });
  engine = await startEngine({
    temporalAddress: temporal.address,
    taskQueue: 'e2e-pricing-rules',
    env: { BILLING_GRACE_PERIOD: `${GRACE_MS / 1000}s`, BILLING_DUNNING_REMINDERS: '0s' },
  });
  prisma = testPrisma();
}, 120_000);

afterAll(async () => {
  await prisma?.$disconnect();
  await engine?.stop();
  await temporal?.stop();
});

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
async function api(path: string, body?: object): Promise<{ status: number; body: Json }> {
  const res = await fetch(`${engine.apiUrl}${path}`, {
    method: body ? 'POST' : 'GET',
    headers: { Authorization: `Bearer ${TEST_SECRETS.APP_API_TOKEN}`, 'Content-Type': 'application/json' },
    body: body ? JSON.stringify(body) : undefined,
  });
  return { status: res.status, body: (await res.json()) as Json };
}

async function deliver(type: string, object: Record<string, unknown>) {
  const { payload, signature } = signedPayload(stripeEvent(type, object, Math.floor(Date.now() / 1000)));
  const res = await fetch(`${engine.apiUrl}/webhooks/stripe`, { method: 'POST', headers: { 'Stripe-Signature': signature }, body: payload });
  expect(res.status).toBe(200);
}

const billing = (workspaceId: string) => api(`/v1/workspaces/${workspaceId}/billing`).then((r) => r.body);
const access = (workspaceId: string) => api(`/v1/workspaces/${workspaceId}/access?projectId=p1&environment=production`).then((r) => r.body);
const checkoutBody = { planId: 'plus', interval: 'month', successUrl: 'https://app.example.com/ok', cancelUrl: 'https://app.example.com/no' };

async function subscribed(f: CheckoutFixture, status = 'active', metadata?: Record<string, string>) {
  const object = subscription(f, { status });
  if (metadata) object.metadata = metadata;
  await deliver('customer.subscription.created', object);
  return eventually(() => billing(f.workspaceId), (b) => b.stripe?.subscriptionId === f.subscriptionId, 20_000);
}

test('(a) Enterprise: preview, apply and checkout are 422 sales_assisted; a failed payment is billing_recovery, then enforced_recovery', async () => {
  const f = checkoutFixture('business', 'year');
  // Sales created it: metadata.planId=enterprise, with a public price.
  const active = await subscribed(f, 'active', { workspaceId: f.workspaceId, planId: 'enterprise' });
  expect(active).toMatchObject({ plan: { id: 'enterprise' }, status: 'active', mode: 'sales_assisted' });
  for (const [path, body] of [
    ['plan-changes/preview', { targetPlanId: 'plus', interval: 'month' }],
    ['plan-changes', { targetPlanId: 'family', interval: 'year' }],
    ['checkout', checkoutBody],
  ] as const) {
    const res = await api(`/v1/workspaces/${f.workspaceId}/${path}`, body);
    expect({ path, status: res.status, code: res.body.code, contactUrl: res.body.contactUrl }).toEqual({
      path,
      status: 422,
      code: 'sales_assisted',
      contactUrl: testConfig().PUBLIC_SALES_CONTACT_URL,
    });
  }

  const unpaid = invoice(f, { id: uniqueId('in'), amountDue: 250_000 });
  await deliver('invoice.payment_failed', unpaid);
  const recovering = await eventually(() => billing(f.workspaceId), (b) => b.status === 'past_due', 20_000);
  expect(recovering).toMatchObject({ mode: 'billing_recovery', grace: { expired: false }, unpaidInvoice: { id: unpaid.id, amountDueCents: 250_000 } });
  const endsAt = Date.parse(recovering.grace.endsAt);
  const checkout = await api(`/v1/workspaces/${f.workspaceId}/checkout`, checkoutBody);
  expect(checkout).toMatchObject({ status: 409, body: { code: 'payment_recovery_required', unpaidInvoice: { id: unpaid.id } } });

  const enforced = await eventually(() => billing(f.workspaceId), (b) => b.mode === 'enforced_recovery', GRACE_MS + 20_000);
  expect(Date.now()).toBeGreaterThanOrEqual(endsAt);
  expect(enforced).toMatchObject({ grace: { expired: true }, production: { allowed: false } });
  expect(enforced.production.reasons).toContain('enforced_recovery');
  expect((await access(f.workspaceId)).reasons).toContain('enforced_recovery');
  const preview = await api(`/v1/workspaces/${f.workspaceId}/plan-changes/preview`, { targetPlanId: 'plus', interval: 'month' });
  expect(preview).toMatchObject({ status: 409, body: { code: 'enforced_recovery', unpaidInvoice: { id: unpaid.id } } });
});

test('(b) an incomplete subscription with an open hosted invoice whose first payment failed: billing_recovery, checkout 409 with the invoice', async () => {
  const f = checkoutFixture('plus', 'month');
  await subscribed(f, 'incomplete');
  const first = invoice(f, { id: uniqueId('in'), billingReason: 'subscription_create' });
  await deliver('invoice.payment_failed', first);
  const b = await eventually(() => billing(f.workspaceId), (v) => v.mode === 'billing_recovery', 20_000);
  expect(b).toMatchObject({ status: 'incomplete', checkout: null, unpaidInvoice: { id: first.id, hostedInvoiceUrl: first.hosted_invoice_url } });
  const refused = await api(`/v1/workspaces/${f.workspaceId}/checkout`, checkoutBody);
  expect(refused).toMatchObject({
    status: 409,
    body: { code: 'payment_recovery_required', subscriptionId: f.subscriptionId, unpaidInvoice: { id: first.id, hostedInvoiceUrl: first.hosted_invoice_url } },
  });
  // Never a second subscription: no checkout was opened.
  expect((await billing(f.workspaceId)).checkout).toBeNull();
});

// Last in this file: it stops the worker.
test('one truth by the clock: with the worker stopped before the grace end, /billing and /access turn to enforced_recovery at the deadline', async () => {
  const f = checkoutFixture('plus', 'month');
  await subscribed(f);
  await prisma.walletBalance.create({ data: { workspaceId: f.workspaceId, balanceCents: 5_000n } });
  await deliver('invoice.payment_failed', invoice(f, { id: uniqueId('in') }));
  const recovering = await eventually(() => billing(f.workspaceId), (b) => b.mode === 'billing_recovery', 20_000);
  const endsAt = Date.parse(recovering.grace.endsAt);

  await engine.worker.stop(15_000);
  expect(Date.now()).toBeLessThan(endsAt);
  // Before the deadline: inside grace, production allowed, on both paths.
  const before = await billing(f.workspaceId);
  expect(before).toMatchObject({ mode: 'billing_recovery', grace: { expired: false }, production: { allowed: true, reasons: [] } });
  expect(await access(f.workspaceId)).toEqual({ allowed: true, reasons: [], graceEndsAt: recovering.grace.endsAt });

  // At the deadline: the first reads once the clock has reached it.
  await eventually(async () => Date.now(), (now) => now >= endsAt, GRACE_MS + 5_000);
  const [atBilling, atAccess] = await Promise.all([billing(f.workspaceId), access(f.workspaceId)]);
  const blocked = { allowed: false, reasons: ['enforced_recovery'] };
  expect(atBilling).toMatchObject({ mode: 'enforced_recovery', grace: { endsAt: recovering.grace.endsAt, expired: true }, production: blocked });
  expect(atAccess).toEqual({ ...blocked, graceEndsAt: recovering.grace.endsAt });

  // After it: still so, and nothing was written — the worker is down, the
  // stored projection still says what it said inside the window.
  await eventually(async () => Date.now(), (now) => now >= endsAt + 1_000, 5_000);
  expect(await billing(f.workspaceId)).toMatchObject({ mode: 'enforced_recovery', grace: { expired: true }, production: blocked });
  expect(await access(f.workspaceId)).toEqual({ ...blocked, graceEndsAt: recovering.grace.endsAt });
  const stored = await prisma.workspaceBilling.findUniqueOrThrow({ where: { workspaceId: f.workspaceId } });
  expect(stored).toMatchObject({ mode: 'billing_recovery', graceExpired: false });
});
