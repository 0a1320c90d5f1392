// Dunning on the time-skipping server: a failed payment opens the grace
// window, reminders go out at each offset, expiry hard-blocks, payment
// restores; payment at the last moment (even as the timer fires) never blocks.
import { billingMode, billingStatus, type WorkspaceState } from '../../src/domain/billing-state';
import { toProjection } from '../../src/domain/projection';
import { uniqueId } from '../support/db';
import { eventually, TEST_SETTINGS } from '../support/fake-activities';
import { invoiceChanged, subscriptionChanged } from '../support/facts';
import { startWorkflowHarness, type WorkflowHarness } from '../support/workflow-harness';

const DAY = 86_400_000;
let h: WorkflowHarness;
let env: WorkflowHarness['env'];
let workspaces: WorkflowHarness['workspaces'];
let fake: WorkflowHarness['fake'];
beforeAll(async () => {
  h = await startWorkflowHarness('dunning-test');
  ({ env, workspaces, fake } = h);
}, 120_000);
afterAll(() => h?.close());

const stateOf = (workspaceId: string) => h.stateOf(workspaceId);
const serverNow = () => h.serverNow();

const subscriptionFact = (subscriptionId: string, status: 'active' | 'past_due', at: number) =>
  subscriptionChanged({ subscriptionId, status, occurredAt: at, itemId: 'si_1', customerId: 'cus_1' });
const invoiceFact = (subscriptionId: string, invoiceId: string, status: 'open' | 'paid', paymentFailed: boolean, at: number) =>
  invoiceChanged({ subscriptionId, invoiceId, status, paymentFailed, occurredAt: at });

async function activeWorkspace() {
  const workspaceId = uniqueId('ws');
  const subscriptionId = uniqueId('sub');
  const t0 = await serverNow();
  await workspaces.deliverFact(workspaceId, subscriptionFact(subscriptionId, 'active', t0));
  await eventually(() => stateOf(workspaceId), (s) => billingStatus(s) === 'active');
  return { workspaceId, subscriptionId };
}

const view = (s: WorkspaceState) => ({ status: billingStatus(s), mode: billingMode(s), expired: s.grace?.expired ?? null });
const remindersOf = (workspaceId: string) => fake.calls.reminders.filter((r) => r.workspaceId === workspaceId).map((r) => r.offsetMs);

test('payment failure → grace with reminders at each offset → expiry hard-blocks → payment restores', async () => {
  const { workspaceId, subscriptionId } = await activeWorkspace();
  const failedAt = await serverNow();
  await workspaces.deliverFact(workspaceId, invoiceFact(subscriptionId, 'in_1', 'open', true, failedAt));

  const inGrace = await eventually(() => stateOf(workspaceId), (s) => s.grace !== null && s.grace.remindersSent.length === 1);
  expect(view(inGrace)).toEqual({ status: 'past_due', mode: 'billing_recovery', expired: false });
  expect(inGrace.grace).toMatchObject({ startedAt: failedAt, endsAt: failedAt + TEST_SETTINGS.gracePeriodMs });
  expect(remindersOf(workspaceId)).toEqual([0]);
  const reminder = fake.calls.reminders.find((r) => r.workspaceId === workspaceId)!;
  expect(reminder.invoice).toEqual({ id: 'in_1', amountDueCents: 2900, currency: 'usd', hostedInvoiceUrl: 'https://invoice.stripe.test/in_1' });

  await env.sleep(3 * DAY);
  await eventually(() => stateOf(workspaceId), (s) => s.grace?.remindersSent.length === 2);
  expect(remindersOf(workspaceId)).toEqual([0, 3 * DAY]);

  await env.sleep(3 * DAY);
  const lastDay = await eventually(() => stateOf(workspaceId), (s) => s.grace?.remindersSent.length === 3);
  expect(view(lastDay)).toEqual({ status: 'past_due', mode: 'billing_recovery', expired: false });
  expect(remindersOf(workspaceId)).toEqual([0, 3 * DAY, 6 * DAY]);

  await env.sleep(DAY);
  const blocked = await eventually(() => stateOf(workspaceId), (s) => s.grace?.expired === true);
  expect(view(blocked)).toEqual({ status: 'past_due', mode: 'enforced_recovery', expired: true });
  const blockedProjection = await eventually(
    async () => fake.calls.projections.filter((p) => p.workspaceId === workspaceId).at(-1)!,
    (p) => p.mode === 'enforced_recovery',
  );
  expect(blockedProjection.grace).toEqual({ startedAt: failedAt, endsAt: failedAt + 7 * DAY, expired: true });

  await workspaces.deliverFact(workspaceId, invoiceFact(subscriptionId, 'in_1', 'paid', false, await serverNow()));
  const restored = await eventually(() => stateOf(workspaceId), (s) => s.grace === null);
  expect(view(restored)).toEqual({ status: 'active', mode: 'self_serve', expired: null });
  expect(toProjection(restored).unpaidInvoice).toBeNull();
  // Each reminder was recorded exactly once.
  expect(remindersOf(workspaceId)).toEqual([0, 3 * DAY, 6 * DAY]);
});

test('payment on the last day of grace closes the window: never blocked', async () => {
  const { workspaceId, subscriptionId } = await activeWorkspace();
  await workspaces.deliverFact(workspaceId, invoiceFact(subscriptionId, 'in_2', 'open', true, await serverNow()));
  await eventually(() => stateOf(workspaceId), (s) => s.grace !== null);
  await env.sleep(7 * DAY - 60_000);
  expect(view(await stateOf(workspaceId))).toEqual({ status: 'past_due', mode: 'billing_recovery', expired: false });

  await workspaces.deliverFact(workspaceId, invoiceFact(subscriptionId, 'in_2', 'paid', false, await serverNow()));
  await eventually(() => stateOf(workspaceId), (s) => s.grace === null);
  await env.sleep(2 * DAY);
  const after = await stateOf(workspaceId);
  expect(view(after)).toEqual({ status: 'active', mode: 'self_serve', expired: null });
  expect(fake.calls.projections.filter((p) => p.workspaceId === workspaceId).some((p) => p.mode === 'enforced_recovery')).toBe(false);
});

test('payment stamped at the exact moment the grace timer fires: never blocked, and the workflow keeps running', async () => {
  const { workspaceId, subscriptionId } = await activeWorkspace();
  const failedAt = await serverNow();
  await workspaces.deliverFact(workspaceId, invoiceFact(subscriptionId, 'in_3', 'open', true, failedAt));
  const grace = (await eventually(() => stateOf(workspaceId), (s) => s.grace !== null)).grace!;
  // Deliver the payment while the timer for the window's end is due: both
  // land in the same workflow task or in adjacent ones, in either order.
  await env.sleep(grace.endsAt - (await serverNow()));
  await workspaces.deliverFact(workspaceId, invoiceFact(subscriptionId, 'in_3', 'paid', false, grace.endsAt - 1));
  const after = await eventually(() => stateOf(workspaceId), (s) => s.grace === null);
  expect(view(after)).toEqual({ status: 'active', mode: 'self_serve', expired: null });
  // Still responsive afterwards (no hung workflow task).
  await workspaces.deliverFact(workspaceId, subscriptionFact(subscriptionId, 'active', (await serverNow()) + 1));
  await eventually(() => stateOf(workspaceId), (s) => s.recentEventIds.length >= 4);
});

test('invoice.paid before invoice.payment_failed of the same invoice never opens a window', async () => {
  const { workspaceId, subscriptionId } = await activeWorkspace();
  const t = await serverNow();
  await workspaces.deliverFact(workspaceId, invoiceFact(subscriptionId, 'in_4', 'paid', false, t + 2000));
  await workspaces.deliverFact(workspaceId, invoiceFact(subscriptionId, 'in_4', 'open', true, t + 1000));
  const s = await eventually(() => stateOf(workspaceId), (x) => x.recentEventIds.length === 3);
  expect(view(s)).toEqual({ status: 'active', mode: 'self_serve', expired: null });
  expect(s.grace).toBeNull();
  await env.sleep(8 * DAY);
  expect(view(await stateOf(workspaceId))).toEqual({ status: 'active', mode: 'self_serve', expired: null });
  expect(remindersOf(workspaceId)).toEqual([]);
});
