// The pricing page's rules in the workflow, on the time-skipping server:
// Enterprise stays sales-assisted both ways and still goes through recovery;
// an unpaid invoice (failed first payment, send_invoice past its due date)
// refuses a second checkout; at the grace end previews and changes are
// refused by the clock, even when the workflow has not processed its timer.
import { billingMode, billingStatus, type WorkspaceState } from '../../src/domain/billing-state';
import { uniqueId } from '../support/db';
import { eventually, TEST_SETTINGS } from '../support/fake-activities';
import { invoiceChanged, subscriptionChanged } from '../support/facts';
import { rejection, startWorkflowHarness, type WorkflowHarness } from '../support/workflow-harness';

const DAY = 86_400_000;
let h: WorkflowHarness;
beforeAll(async () => {
  // No sticky cache: the last test stops the worker and starts another.
  h = await startWorkflowHarness('pricing-rules-test', { maxCachedWorkflows: 0 });
}, 120_000);
afterAll(() => h?.close());

const checkout = { planId: 'plus' as const, interval: 'month' as const, successUrl: 'https://a.example/ok', cancelUrl: 'https://a.example/no' };
const upgrade = { targetPlanId: 'business' as const, interval: 'month' as const };
/** The mode the workflow's state has at the server's current time. */
const modeNow = async (s: WorkspaceState) => billingMode(s, await h.serverNow());
const sessionsOf = (workspaceId: string) => h.fake.calls.sessions.filter((s) => s.workspaceId === workspaceId);
const changesOf = (subscriptionId: string) => h.fake.calls.changes.filter((c) => c.subscriptionId === subscriptionId);
const previewsOf = (subscriptionId: string) => h.fake.calls.previews.filter((p) => p.subscriptionId === subscriptionId);

async function subscribed(planId: 'plus' | 'enterprise', status: 'active' | 'incomplete' = 'active') {
  const workspaceId = uniqueId('ws');
  const subscriptionId = uniqueId('sub');
  const at = await h.serverNow();
  await h.workspaces.deliverFact(
    workspaceId,
    subscriptionChanged({ subscriptionId, status, planId, interval: planId === 'enterprise' ? 'year' : 'month', occurredAt: at }),
  );
  await eventually(() => h.stateOf(workspaceId), (s) => s.subscription?.status === status);
  return { workspaceId, subscriptionId };
}

test('Enterprise: preview, apply and checkout are sales_assisted; a failed payment is billing_recovery, then enforced_recovery', async () => {
  const w = await subscribed('enterprise');
  for (const request of [upgrade, { targetPlanId: 'essential' as const, interval: 'month' as const }]) {
    const preview = await rejection(h.workspaces.previewPlanChange(w.workspaceId, request));
    expect(preview).toMatchObject({ code: 'sales_assisted', details: { currentPlanId: 'enterprise' } });
    expect((await rejection(h.workspaces.applyPlanChange(w.workspaceId, request))).code).toBe('sales_assisted');
  }
  expect((await rejection(h.workspaces.startCheckout(w.workspaceId, checkout))).code).toBe('sales_assisted');
  expect(previewsOf(w.subscriptionId)).toEqual([]);
  expect(changesOf(w.subscriptionId)).toEqual([]);
  expect(sessionsOf(w.workspaceId)).toEqual([]);
  expect(await modeNow(await h.stateOf(w.workspaceId))).toBe('sales_assisted');

  const failedAt = await h.serverNow();
  await h.workspaces.deliverFact(w.workspaceId, invoiceChanged({ subscriptionId: w.subscriptionId, invoiceId: 'in_contract', paymentFailed: true, occurredAt: failedAt }));
  const recovering = await eventually(() => h.stateOf(w.workspaceId), (s) => s.grace !== null);
  expect({ status: billingStatus(recovering), mode: await modeNow(recovering) }).toEqual({ status: 'past_due', mode: 'billing_recovery' });
  // What the workflow wrote for /billing and the search attributes says so too.
  await eventually(async () => h.fake.calls.projections.filter((p) => p.workspaceId === w.workspaceId).at(-1)?.mode, (m) => m === 'billing_recovery');

  await h.env.sleep(TEST_SETTINGS.gracePeriodMs + 60_000);
  const enforced = await eventually(() => h.stateOf(w.workspaceId), (s) => s.grace?.expired === true);
  expect(await modeNow(enforced)).toBe('enforced_recovery');
  const refused = await rejection(h.workspaces.previewPlanChange(w.workspaceId, upgrade));
  expect(refused).toMatchObject({ code: 'enforced_recovery', details: { unpaidInvoice: { id: 'in_contract' } } });
  await eventually(async () => h.fake.calls.projections.filter((p) => p.workspaceId === w.workspaceId).at(-1)?.mode, (m) => m === 'enforced_recovery');
});

test('an incomplete subscription whose first payment failed: checkout 409 payment_recovery_required with the invoice, no second session', async () => {
  const w = await subscribed('plus', 'incomplete');
  const at = await h.serverNow();
  await h.workspaces.deliverFact(w.workspaceId, invoiceChanged({ subscriptionId: w.subscriptionId, invoiceId: 'in_first', paymentFailed: true, occurredAt: at }));
  const state = await eventually(() => h.stateOf(w.workspaceId), (s) => s.invoices.length === 1);
  expect({ status: billingStatus(state), mode: await modeNow(state) }).toEqual({ status: 'incomplete', mode: 'billing_recovery' });
  const refused = await rejection(h.workspaces.startCheckout(w.workspaceId, checkout));
  expect(refused).toMatchObject({
    code: 'payment_recovery_required',
    details: { subscriptionId: w.subscriptionId, unpaidInvoice: { id: 'in_first', hostedInvoiceUrl: 'https://invoice.stripe.test/in_first' } },
  });
  expect(sessionsOf(w.workspaceId)).toEqual([]);
});

test('a send_invoice invoice past its due date: apply and checkout refused by the clock, with no timer and no new event', async () => {
  const w = await subscribed('plus');
  const now = await h.serverNow();
  await h.workspaces.deliverFact(
    w.workspaceId,
    invoiceChanged({ subscriptionId: w.subscriptionId, invoiceId: 'in_net30', collectionMethod: 'send_invoice', dueAt: now + 3 * DAY, occurredAt: now }),
  );
  await eventually(() => h.stateOf(w.workspaceId), (s) => s.invoices.length === 1);
  // Finalized and not due yet: not a recovery; previews and changes go ahead.
  expect(await modeNow(await h.stateOf(w.workspaceId))).toBe('self_serve');
  await expect(h.workspaces.previewPlanChange(w.workspaceId, upgrade)).resolves.toMatchObject({ timing: 'immediate' });

  await h.env.sleep(4 * DAY);
  expect(await modeNow(await h.stateOf(w.workspaceId))).toBe('billing_recovery');
  // Previews are still shown in billing recovery; applying is refused until paid.
  await expect(h.workspaces.previewPlanChange(w.workspaceId, upgrade)).resolves.toMatchObject({ timing: 'immediate' });
  const apply = await rejection(h.workspaces.applyPlanChange(w.workspaceId, upgrade));
  expect(apply).toMatchObject({ code: 'payment_recovery_required', details: { unpaidInvoice: { id: 'in_net30' } } });
  expect((await rejection(h.workspaces.startCheckout(w.workspaceId, checkout))).code).toBe('payment_recovery_required');
  expect(changesOf(w.subscriptionId)).toEqual([]);
});

test('at the grace end a preview is refused at once, even when the workflow has not processed its timer yet (worker down)', async () => {
  const w = await subscribed('plus');
  const failedAt = await h.serverNow();
  await h.workspaces.deliverFact(w.workspaceId, invoiceChanged({ subscriptionId: w.subscriptionId, invoiceId: 'in_late', paymentFailed: true, occurredAt: failedAt }));
  const opened = await eventually(() => h.stateOf(w.workspaceId), (s) => s.grace !== null && s.grace.remindersSent.length === 1);
  await expect(h.workspaces.previewPlanChange(w.workspaceId, upgrade)).resolves.toMatchObject({ timing: 'immediate' });

  // The last reminder goes out with the worker up; then the worker is down
  // across the end: the end's timer fires on the server (which holds its
  // clock there until a worker takes the task), and the preview arrives in
  // the same workflow task as that timer. Update handlers run before timer
  // callbacks in an activation, so only the clock can refuse it.
  await h.env.sleep(6 * DAY);
  await eventually(() => h.stateOf(w.workspaceId), (s) => s.grace?.remindersSent.length === 3);
  await h.stopWorker();
  await h.env.sleep(opened.grace!.endsAt - (await h.serverNow()));
  expect(await h.serverNow()).toBeGreaterThanOrEqual(opened.grace!.endsAt);
  const preview = rejection(h.workspaces.previewPlanChange(w.workspaceId, upgrade));
  const apply = rejection(h.workspaces.applyPlanChange(w.workspaceId, upgrade));
  await h.startWorker();
  expect(await preview).toMatchObject({ code: 'enforced_recovery', details: { unpaidInvoice: { id: 'in_late' } } });
  expect((await apply).code).toBe('enforced_recovery');
  expect(previewsOf(w.subscriptionId)).toHaveLength(1);
  expect(changesOf(w.subscriptionId)).toEqual([]);
  await eventually(() => h.stateOf(w.workspaceId), (s) => s.grace?.expired === true);
});
