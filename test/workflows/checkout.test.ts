// Checkout lifecycle of the workspace workflow on the time-skipping server:
// start or join with update-with-start, expiry without a webhook, completion,
// and duplicate or out-of-order Stripe facts.
import { billingMode, billingStatus, currentPlan, type WorkspaceState } from '../../src/domain/billing-state';
import { factFromEvent, stripeEventEnvelope } from '../../src/domain/stripe-events';
import type { BillingFact } from '../../src/domain/billing-facts';
import { uniqueId } from '../support/db';
import { eventually, TEST_SETTINGS } from '../support/fake-activities';
import { checkoutFixture, checkoutSession, stripeEvent, subscription, type CheckoutFixture } from '../support/stripe-events';
import { rejection, startWorkflowHarness, type WorkflowHarness } from '../support/workflow-harness';

let h: WorkflowHarness;
let env: WorkflowHarness['env'];
let workspaces: WorkflowHarness['workspaces'];
let fake: WorkflowHarness['fake'];
beforeAll(async () => {
  h = await startWorkflowHarness('checkout-test');
  ({ env, workspaces, fake } = h);
}, 120_000);
afterAll(() => h?.close());

const request = (planId: 'plus' | 'family' | 'business' | 'enterprise' | 'essential' = 'plus', interval: 'month' | 'year' = 'month') => ({
  planId,
  interval,
  successUrl: 'https://app.example.com/billing/success',
  cancelUrl: 'https://app.example.com/billing/cancel',
});

const stateOf = (workspaceId: string) => h.stateOf(workspaceId);

function fact(type: string, object: Record<string, unknown>, created?: number): BillingFact {
  const f = factFromEvent(stripeEventEnvelope.parse(stripeEvent(type, object, created)));
  if (!f) throw new Error(`no fact for ${type}`);
  return f as BillingFact;
}


function summary(s: WorkspaceState) {
  return {
    status: billingStatus(s),
    mode: billingMode(s),
    plan: currentPlan(s),
    periodEnd: s.subscription?.currentPeriodEnd ?? null,
    checkout: s.checkout?.id ?? null,
  };
}

test('a checkout opens once: repeating the request returns the same session', async () => {
  const workspaceId = uniqueId('ws');
  const first = await workspaces.startCheckout(workspaceId, request('plus', 'year'));
  const again = await workspaces.startCheckout(workspaceId, request('plus', 'year'));

  expect(first.created).toBe(true);
  expect(again).toEqual({ ...first, created: false });
  const sessions = fake.calls.sessions.filter((s) => s.workspaceId === workspaceId);
  expect(sessions).toHaveLength(1);
  expect(sessions[0]).toMatchObject({ planId: 'plus', interval: 'year', idempotencyKey: `workspace/${workspaceId}:checkout:1` });
  expect(fake.calls.customers.filter((c) => c.workspaceId === workspaceId)).toHaveLength(1);

  const state = await stateOf(workspaceId);
  expect(summary(state)).toMatchObject({ status: 'incomplete', mode: 'checkout_pending', checkout: first.checkoutId });
  const saved = await eventually(
    async () => fake.calls.projections.filter((p) => p.workspaceId === workspaceId).at(-1),
    (p) => p?.status === 'incomplete',
  );
  expect(saved?.checkout?.id).toBe(first.checkoutId);
});

test('enterprise, essential and a second plan while one is open are refused with stable codes', async () => {
  const workspaceId = uniqueId('ws');
  expect((await rejection(workspaces.startCheckout(workspaceId, { ...request('enterprise'), email: 'cto@example.com' }))).code).toBe('sales_assisted');
  // The refused Enterprise request is kept as a sales lead, once.
  expect(fake.calls.salesLeads.filter((l) => l.workspaceId === workspaceId)).toEqual([
    { requestId: `workspace/${workspaceId}:checkout:1:lead`, workspaceId, email: 'cto@example.com', planId: 'enterprise', interval: 'month', source: 'checkout' },
  ]);
  expect((await rejection(workspaces.startCheckout(workspaceId, request('essential')))).code).toBe('not_purchasable');
  await workspaces.startCheckout(workspaceId, request('plus'));
  const other = await rejection(workspaces.startCheckout(workspaceId, request('business')));
  expect(other.code).toBe('checkout_in_progress');
  expect(fake.calls.sessions.filter((s) => s.workspaceId === workspaceId)).toHaveLength(1);
});

test('a checkout that gets no webhook expires after its lifetime and the workspace is self-serve again', async () => {
  const workspaceId = uniqueId('ws');
  const opened = await workspaces.startCheckout(workspaceId, request('family'));
  await env.sleep(TEST_SETTINGS.checkoutTtlMs - 60_000);
  expect((await stateOf(workspaceId)).checkout?.id).toBe(opened.checkoutId);

  await env.sleep(120_000);
  const state = await eventually(() => stateOf(workspaceId), (s) => s.checkout === null);
  expect(summary(state)).toEqual({ status: 'none', mode: 'self_serve', plan: { id: 'essential', interval: null }, periodEnd: null, checkout: null });
  expect(state.closedCheckoutIds).toContain(opened.checkoutId);

  // A new checkout can start, with a new idempotency key.
  const next = await workspaces.startCheckout(workspaceId, request('family'));
  expect(next.created).toBe(true);
  expect(fake.calls.sessions.filter((s) => s.workspaceId === workspaceId).map((s) => s.idempotencyKey)).toEqual([
    `workspace/${workspaceId}:checkout:1`,
    `workspace/${workspaceId}:checkout:2`,
  ]);
});

async function openCheckoutFor(planId: 'plus' | 'business' = 'plus'): Promise<CheckoutFixture> {
  const workspaceId = uniqueId('ws');
  const opened = await workspaces.startCheckout(workspaceId, request(planId));
  return { ...checkoutFixture(planId, 'month'), workspaceId, checkoutId: opened.checkoutId, customerId: `cus_for_${workspaceId}` };
}

test('checkout completed makes the workspace active on the purchased plan; a new checkout is then refused', async () => {
  const f = await openCheckoutFor('business');
  await workspaces.deliverFact(f.workspaceId, fact('checkout.session.completed', checkoutSession(f)));
  const active = await eventually(() => stateOf(f.workspaceId), (s) => billingStatus(s) === 'active');
  expect(summary(active)).toMatchObject({ status: 'active', mode: 'self_serve', plan: { id: 'business', interval: 'month' }, checkout: null });

  const periodEnd = Math.floor(Date.now() / 1000) + 30 * 86_400;
  await workspaces.deliverFact(f.workspaceId, fact('customer.subscription.created', subscription(f, { currentPeriodEnd: periodEnd })));
  const withPeriod = await eventually(() => stateOf(f.workspaceId), (s) => s.subscription?.currentPeriodEnd != null);
  expect(withPeriod.subscription?.currentPeriodEnd).toBe(periodEnd * 1000);

  expect((await rejection(workspaces.startCheckout(f.workspaceId, request('plus')))).code).toBe('subscription_active');
  // The expiry timer of the completed checkout fires later and changes nothing.
  await env.sleep(TEST_SETTINGS.checkoutTtlMs + 60_000);
  expect(summary(await stateOf(f.workspaceId))).toMatchObject({ status: 'active', plan: { id: 'business' } });
});

test('duplicate and out-of-order Stripe facts end in the same state as in-order delivery', async () => {
  const inOrder = await openCheckoutFor('plus');
  const shuffled = { ...(await openCheckoutFor('plus')) };
  const t0 = Math.floor(Date.now() / 1000);
  const facts = (f: CheckoutFixture) => {
    const completed = fact('checkout.session.completed', checkoutSession(f), t0);
    const created = fact('customer.subscription.created', subscription(f, { currentPeriodEnd: t0 + 100 }), t0 + 1);
    const updated = fact('customer.subscription.updated', subscription(f, { currentPeriodEnd: t0 + 200 }), t0 + 2);
    const expired = fact('checkout.session.expired', checkoutSession(f, { status: 'expired' }), t0 + 3);
    return { completed, created, updated, expired };
  };
  const a = facts(inOrder);
  for (const f of [a.completed, a.created, a.updated, a.expired]) await workspaces.deliverFact(inOrder.workspaceId, f);
  const b = facts(shuffled);
  for (const f of [b.updated, b.expired, b.updated, b.completed, b.created, b.completed, b.created]) {
    await workspaces.deliverFact(shuffled.workspaceId, f);
  }
  const done = (s: WorkspaceState) => s.recentEventIds.length >= 4;
  const x = await eventually(() => stateOf(inOrder.workspaceId), done);
  const y = await eventually(() => stateOf(shuffled.workspaceId), done);
  expect(summary(x)).toEqual({ status: 'active', mode: 'self_serve', plan: { id: 'plus', interval: 'month' }, periodEnd: (t0 + 200) * 1000, checkout: null });
  expect(summary(y)).toEqual(summary(x));
});
