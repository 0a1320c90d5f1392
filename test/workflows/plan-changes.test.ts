// Plan changes on the time-skipping server: previews, upgrades now,
// downgrades held by the workflow until the period end, cancellation of a
// scheduled change, cancel-to-Essential, interval changes, and refusals.
import type { BillingFact } from '../../src/domain/billing-facts';
import { billingMode, currentPlan } from '../../src/domain/billing-state';
import type { Interval, PlanId } from '../../src/domain/plans';
import { SCHEDULED_CHANGE_LEAD_MS } from '../../workflows/plan-change-handlers';
import { uniqueId } from '../support/db';
import { eventually } from '../support/fake-activities';
import { invoiceChanged, subscriptionChanged } from '../support/facts';
import { rejection, startWorkflowHarness, type WorkflowHarness } from '../support/workflow-harness';

const DAY = 86_400_000;
let h: WorkflowHarness;
let env: WorkflowHarness['env'];
let workspaces: WorkflowHarness['workspaces'];
let fake: WorkflowHarness['fake'];
beforeAll(async () => {
  h = await startWorkflowHarness('plan-change-test');
  ({ env, workspaces, fake } = h);
}, 120_000);
afterAll(() => h?.close());

const stateOf = (workspaceId: string) => h.stateOf(workspaceId);
const serverNow = () => h.serverNow();
function subscriptionFact(w: Workspace, planId: PlanId, interval: Interval, at: number): BillingFact {
  return subscriptionChanged({ subscriptionId: w.subscriptionId, planId, interval, occurredAt: at, currentPeriodEnd: w.periodEnd });
}

interface Workspace {
  workspaceId: string;
  subscriptionId: string;
  periodEnd: number;
}

async function activeOn(planId: PlanId, interval: Interval): Promise<Workspace> {
  const now = await serverNow();
  const w = { workspaceId: uniqueId('ws'), subscriptionId: uniqueId('sub'), periodEnd: now + 20 * DAY };
  await workspaces.deliverFact(w.workspaceId, subscriptionFact(w, planId, interval, now));
  await eventually(() => stateOf(w.workspaceId), (s) => currentPlan(s).id === planId);
  return w;
}


const changesOf = (w: Workspace) => fake.calls.changes.filter((c) => c.subscriptionId === w.subscriptionId);

test('upgrade now: the preview shows the prorated invoice and monthly delta; applying reuses its proration date', async () => {
  const w = await activeOn('plus', 'month');
  const preview = await workspaces.previewPlanChange(w.workspaceId, { targetPlanId: 'business', interval: 'month' });
  const now = await serverNow();
  expect(preview).toMatchObject({
    currentPlan: { id: 'plus', interval: 'month' },
    targetPlan: { id: 'business', interval: 'month' },
    monthlyEquivalentDelta: { amountCents: 49900 - 2900, currency: 'usd' },
    timing: 'immediate',
  });
  expect(Math.abs(preview.prorationDate! * 1000 - now)).toBeLessThan(5_000);
  // The fake preview derives its amount from the proration date it was given.
  expect(preview.estimatedInvoiceDue).toEqual({ amountCents: preview.prorationDate! % 100_000, currency: 'usd' });

  const change = await workspaces.applyPlanChange(w.workspaceId, { targetPlanId: 'business', interval: 'month', prorationDate: preview.prorationDate! });
  expect(change).toMatchObject({ status: 'applied', timing: 'immediate', targetPlan: { id: 'business', interval: 'month' } });
  expect(changesOf(w)).toEqual([
    expect.objectContaining({ timing: 'immediate', planId: 'business', itemId: 'si_main', prorationDate: preview.prorationDate, idempotencyKey: `workspace/${w.workspaceId}:plan-change:1` }),
  ]);
  // Stripe's webhook confirms the new plan.
  await workspaces.deliverFact(w.workspaceId, subscriptionFact(w, 'business', 'month', await serverNow()));
  const s = await eventually(() => stateOf(w.workspaceId), (x) => currentPlan(x).id === 'business');
  expect(s.pendingChange).toBeNull();
});

test('downgrade at period end: held by the workflow and sent to Stripe just before the period ends', async () => {
  const w = await activeOn('business', 'month');
  const preview = await workspaces.previewPlanChange(w.workspaceId, { targetPlanId: 'plus', interval: 'month' });
  expect(preview).toMatchObject({ timing: 'period_end', effectiveAt: new Date(w.periodEnd).toISOString(), prorationDate: null });
  expect(preview.monthlyEquivalentDelta.amountCents).toBe(2900 - 49900);

  const change = await workspaces.applyPlanChange(w.workspaceId, { targetPlanId: 'plus', interval: 'month' });
  expect(change).toMatchObject({ status: 'scheduled', timing: 'period_end', effectiveAt: new Date(w.periodEnd).toISOString() });
  expect((await stateOf(w.workspaceId)).pendingChange).toMatchObject({ targetPlanId: 'plus', interval: 'month', effectiveAt: w.periodEnd });
  expect(changesOf(w)).toEqual([]);

  await env.sleep(w.periodEnd - SCHEDULED_CHANGE_LEAD_MS - (await serverNow()) - 60_000);
  expect(changesOf(w)).toEqual([]);
  await env.sleep(2 * 60_000);
  await eventually(async () => changesOf(w), (c) => c.length === 1);
  expect(changesOf(w)[0]).toMatchObject({ timing: 'period_end', planId: 'plus', idempotencyKey: `workspace/${w.workspaceId}:plan-change:1` });
  const s = await eventually(() => stateOf(w.workspaceId), (x) => x.pendingChange === null);
  expect(currentPlan(s).id).toBe('business'); // until Stripe's webhook confirms
});

test('a scheduled change can be cancelled, and then nothing reaches Stripe', async () => {
  const w = await activeOn('family', 'month');
  await workspaces.applyPlanChange(w.workspaceId, { targetPlanId: 'plus', interval: 'month', timing: 'auto' });
  const canceled = await workspaces.cancelPendingChange(w.workspaceId);
  expect(canceled).toEqual({ targetPlanId: 'plus', interval: 'month', effectiveAt: new Date(w.periodEnd).toISOString() });
  expect((await rejection(workspaces.cancelPendingChange(w.workspaceId))).code).toBe('no_pending_change');
  await env.sleep(w.periodEnd - (await serverNow()) + DAY);
  expect(changesOf(w)).toEqual([]);
  expect((await stateOf(w.workspaceId)).pendingChange).toBeNull();
});

test('to essential cancels at period end; cancelling that pending change keeps the subscription', async () => {
  const w = await activeOn('plus', 'year');
  const preview = await workspaces.previewPlanChange(w.workspaceId, { targetPlanId: 'essential', interval: 'month' });
  expect(preview).toMatchObject({ timing: 'period_end', estimatedInvoiceDue: { amountCents: 0 }, monthlyEquivalentDelta: { amountCents: -2417 } });
  const change = await workspaces.applyPlanChange(w.workspaceId, { targetPlanId: 'essential', interval: 'month' });
  expect(change).toMatchObject({ status: 'scheduled', targetPlan: { id: 'essential', interval: null } });
  const cancels = () => fake.calls.cancellations.filter((c) => c.subscriptionId === w.subscriptionId);
  expect(cancels()).toEqual([{ subscriptionId: w.subscriptionId, cancel: true, idempotencyKey: `workspace/${w.workspaceId}:plan-change:1` }]);
  await workspaces.cancelPendingChange(w.workspaceId);
  expect(cancels()[1]).toEqual({ subscriptionId: w.subscriptionId, cancel: false, idempotencyKey: `workspace/${w.workspaceId}:plan-change:1:revoke` });
});

test('interval changes: month → year upgrades now, year → month waits for the period end', async () => {
  const monthly = await activeOn('plus', 'month');
  const toYear = await workspaces.previewPlanChange(monthly.workspaceId, { targetPlanId: 'plus', interval: 'year' });
  expect(toYear).toMatchObject({ timing: 'immediate', monthlyEquivalentDelta: { amountCents: -483 } });
  expect((await workspaces.applyPlanChange(monthly.workspaceId, { targetPlanId: 'plus', interval: 'year' })).status).toBe('applied');
  expect(changesOf(monthly)[0]).toMatchObject({ timing: 'immediate', interval: 'year' });

  const yearly = await activeOn('plus', 'year');
  const toMonth = await workspaces.applyPlanChange(yearly.workspaceId, { targetPlanId: 'plus', interval: 'month' });
  expect(toMonth).toMatchObject({ status: 'scheduled', timing: 'period_end' });
});

test('refusals: same plan, enterprise, no subscription, past due, enforced recovery', async () => {
  const w = await activeOn('plus', 'month');
  expect((await rejection(workspaces.previewPlanChange(w.workspaceId, { targetPlanId: 'plus', interval: 'month' }))).code).toBe('no_change');
  expect((await rejection(workspaces.applyPlanChange(w.workspaceId, { targetPlanId: 'enterprise', interval: 'year' }))).code).toBe('sales_assisted');
  expect((await rejection(workspaces.previewPlanChange(uniqueId('ws'), { targetPlanId: 'plus', interval: 'month' }))).code).toBe('no_active_subscription');

  const failedAt = await serverNow();
  await workspaces.deliverFact(
    w.workspaceId,
    invoiceChanged({ subscriptionId: w.subscriptionId, invoiceId: 'in_unpaid', paymentFailed: true, occurredAt: failedAt }),
  );
  await eventually(() => stateOf(w.workspaceId), (s) => s.grace !== null);
  // Previews are still shown during billing recovery; applying is refused.
  await expect(workspaces.previewPlanChange(w.workspaceId, { targetPlanId: 'business', interval: 'month' })).resolves.toMatchObject({ timing: 'immediate' });
  expect((await rejection(workspaces.applyPlanChange(w.workspaceId, { targetPlanId: 'business', interval: 'month' }))).code).toBe('payment_recovery_required');

  await env.sleep(8 * DAY);
  await eventually(() => stateOf(w.workspaceId), (s) => billingMode(s) === 'enforced_recovery');
  const enforced = await rejection(workspaces.previewPlanChange(w.workspaceId, { targetPlanId: 'business', interval: 'month' }));
  expect(enforced.code).toBe('enforced_recovery');
  expect(enforced.details).toMatchObject({ unpaidInvoice: { id: 'in_unpaid', hostedInvoiceUrl: 'https://invoice.stripe.test/in_unpaid' } });
  expect(changesOf(w)).toEqual([]);
});
