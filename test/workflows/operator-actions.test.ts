// Operator actions on the time-skipping server: extend grace (also after it
// expired), end grace as forgiven, cancel the scheduled change, resync from
// Stripe; each audited once per request id, each refused without a reason.
import { billingMode, billingStatus, currentPlan } from '../../src/domain/billing-state';
import type { Interval, PlanId } from '../../src/domain/plans';
import { uniqueId } from '../support/db';
import { eventually, TEST_SETTINGS } from '../support/fake-activities';
import { invoiceChanged, subscriptionChanged } from '../support/facts';
import { rejection, startWorkflowHarness, type WorkflowHarness } from '../support/workflow-harness';

const DAY = 86_400_000;
let h: WorkflowHarness;
let env: WorkflowHarness['env'];
let workspaces: WorkflowHarness['workspaces'];
let fake: WorkflowHarness['fake'];
beforeAll(async () => {
  h = await startWorkflowHarness('operator-actions-test');
  ({ env, workspaces, fake } = h);
}, 120_000);
afterAll(() => h?.close());

const stateOf = (workspaceId: string) => h.stateOf(workspaceId);
const auditsOf = (workspaceId: string) => fake.calls.audits.filter((a) => a.workspaceId === workspaceId);
const why = (requestId = uniqueId('req')) => ({ reason: 'customer promised payment (ticket 42)', requestId, actor: 'test' });

async function active(planId: PlanId = 'plus', interval: Interval = 'month') {
  const workspaceId = uniqueId('ws');
  const subscriptionId = uniqueId('sub');
  const now = await h.serverNow();
  await workspaces.deliverFact(workspaceId, subscriptionChanged({ subscriptionId, planId, interval, occurredAt: now, currentPeriodEnd: now + 20 * DAY }));
  await eventually(() => stateOf(workspaceId), (s) => currentPlan(s).id === planId);
  return { workspaceId, subscriptionId };
}

async function inGrace() {
  const w = await active();
  const failedAt = await h.serverNow();
  await workspaces.deliverFact(w.workspaceId, invoiceChanged({ subscriptionId: w.subscriptionId, invoiceId: uniqueId('in'), paymentFailed: true, occurredAt: failedAt }));
  const s = await eventually(() => stateOf(w.workspaceId), (x) => x.grace !== null);
  return { ...w, grace: s.grace! };
}

test('extendGrace moves the end later, is audited once per request id, and the window expires at the new end', async () => {
  const w = await inGrace();
  const request = why();
  const result = await workspaces.extendGrace(w.workspaceId, { ...request, byMs: 3 * DAY });
  expect(result).toMatchObject({ action: 'extend_grace', applied: true, details: { previousEndsAt: new Date(w.grace.endsAt).toISOString(), endsAt: new Date(w.grace.endsAt + 3 * DAY).toISOString() } });
  expect(result.state).toMatchObject({ status: 'past_due', mode: 'billing_recovery', grace: { endsAt: new Date(w.grace.endsAt + 3 * DAY).toISOString(), expired: false } });
  expect(result.state.text).toContain('grace ends');
  // The same request again: nothing moves twice, one audit row.
  const again = await workspaces.extendGrace(w.workspaceId, { ...request, byMs: 3 * DAY });
  expect(again.applied).toBe(false);
  expect((await stateOf(w.workspaceId)).grace!.endsAt).toBe(w.grace.endsAt + 3 * DAY);
  expect(auditsOf(w.workspaceId)).toEqual([
    expect.objectContaining({ action: 'extend_grace', reason: request.reason, actor: 'test', requestId: request.requestId }),
  ]);

  await env.sleep(w.grace.endsAt + DAY - (await h.serverNow()));
  expect((await stateOf(w.workspaceId)).grace!.expired).toBe(false);
  await env.sleep(3 * DAY);
  const expired = await eventually(() => stateOf(w.workspaceId), (s) => s.grace?.expired === true);
  expect(billingMode(expired)).toBe('enforced_recovery');
});

test('extendGrace on an expired window reopens it (billing_recovery) until the new end', async () => {
  const w = await inGrace();
  await env.sleep(TEST_SETTINGS.gracePeriodMs + DAY);
  await eventually(() => stateOf(w.workspaceId), (s) => s.grace?.expired === true);
  const result = await workspaces.extendGrace(w.workspaceId, { ...why(), byMs: 2 * DAY });
  expect(result.state).toMatchObject({ mode: 'billing_recovery', grace: { expired: false } });
  const projected = await eventually(
    async () => fake.calls.projections.filter((p) => p.workspaceId === w.workspaceId).at(-1)!,
    (p) => p.mode === 'billing_recovery' && p.grace?.expired === false,
  );
  expect(projected.grace!.endsAt).toBe(Date.parse(result.state.grace!.endsAt));
  await env.sleep(2 * DAY + 60_000);
  await eventually(() => stateOf(w.workspaceId), (s) => s.grace?.expired === true);
});

test('endGrace forgives: no window, never blocked; newer delinquency opens a new window', async () => {
  const w = await inGrace();
  const result = await workspaces.endGrace(w.workspaceId, why());
  expect(result).toMatchObject({ action: 'end_grace', applied: true, state: { grace: null, status: 'past_due', mode: 'billing_recovery' } });
  await env.sleep(TEST_SETTINGS.gracePeriodMs + DAY);
  const after = await stateOf(w.workspaceId);
  expect(after.grace).toBeNull();
  expect(billingMode(after)).toBe('billing_recovery');
  expect(fake.calls.projections.filter((p) => p.workspaceId === w.workspaceId).some((p) => p.mode === 'enforced_recovery')).toBe(false);
  expect(auditsOf(w.workspaceId).map((a) => a.action)).toEqual(['end_grace']);

  const failedAgainAt = await h.serverNow();
  await workspaces.deliverFact(w.workspaceId, invoiceChanged({ subscriptionId: w.subscriptionId, invoiceId: uniqueId('in'), paymentFailed: true, occurredAt: failedAgainAt }));
  const reopened = await eventually(() => stateOf(w.workspaceId), (s) => s.grace !== null);
  expect(reopened.grace).toMatchObject({ startedAt: failedAgainAt, expired: false });
});

test('cancelScheduledChange cancels the pending downgrade with the plan-change logic, audited', async () => {
  const w = await active('business', 'month');
  await workspaces.applyPlanChange(w.workspaceId, { targetPlanId: 'plus', interval: 'month', timing: 'auto' });
  await eventually(() => stateOf(w.workspaceId), (s) => s.pendingChange !== null);
  const result = await workspaces.cancelScheduledChange(w.workspaceId, why());
  expect(result).toMatchObject({ action: 'cancel_scheduled_change', applied: true, details: { canceled: { targetPlanId: 'plus', interval: 'month' } }, state: { pendingChange: null } });
  expect((await rejection(workspaces.cancelScheduledChange(w.workspaceId, why()))).code).toBe('no_pending_change');
  expect(auditsOf(w.workspaceId).map((a) => a.action)).toEqual(['cancel_scheduled_change']);
});

test('resyncFromStripe applies the live subscription and invoice as facts', async () => {
  const w = await active();
  const invoiceId = uniqueId('in');
  fake.world.liveFactsOf.set(w.subscriptionId, [
    subscriptionChanged({ subscriptionId: w.subscriptionId, status: 'past_due', occurredAt: 0 }),
    invoiceChanged({ subscriptionId: w.subscriptionId, invoiceId, paymentFailed: true, occurredAt: 0 }),
  ]);
  const request = why();
  const result = await workspaces.resyncFromStripe(w.workspaceId, request);
  expect(result).toMatchObject({ action: 'resync_from_stripe', applied: true, details: { subscriptionId: w.subscriptionId, changed: true }, state: { status: 'past_due', mode: 'billing_recovery' } });
  expect(result.state.grace).not.toBeNull();
  const call = fake.calls.resyncs.find((r) => r.subscriptionId === w.subscriptionId)!;
  expect(call.requestId).toBe(request.requestId);
  const s = await stateOf(w.workspaceId);
  expect(billingStatus(s)).toBe('past_due');
  expect(s.recentEventIds).toContain(`resync:${request.requestId}:0`);
});

test('validation: a reason (≥ 3 characters) and a request id are required; no window, unknown workspace', async () => {
  const w = await inGrace();
  const refused = [
    workspaces.extendGrace(w.workspaceId, { requestId: 'r1', byMs: DAY } as never),
    workspaces.extendGrace(w.workspaceId, { reason: 'ab', requestId: 'r1', byMs: DAY }),
    workspaces.extendGrace(w.workspaceId, { reason: 'a good reason', requestId: 'r1' } as never),
    workspaces.endGrace(w.workspaceId, { reason: 'a good reason' } as never),
    workspaces.resyncFromStripe(w.workspaceId, { reason: ' ', requestId: 'r2' }),
    workspaces.cancelScheduledChange(w.workspaceId, {} as never),
  ];
  for (const p of refused) expect((await rejection(p)).code).toBe('validation_failed');
  const plain = await active();
  expect((await rejection(workspaces.extendGrace(plain.workspaceId, { ...why(), byMs: DAY }))).code).toBe('no_grace_window');
  expect((await rejection(workspaces.endGrace(plain.workspaceId, why()))).code).toBe('no_grace_window');
  expect((await rejection(workspaces.endGrace(uniqueId('ws_unknown'), why()))).code).toBe('workspace_not_found');
  // Nothing was recorded for refused requests.
  expect(auditsOf(w.workspaceId)).toEqual([]);
  expect(auditsOf(plain.workspaceId)).toEqual([]);
});

test('grantCredit (wallet workflow) is audited too, once per reference', async () => {
  const workspaceId = uniqueId('ws');
  const grant = { amountCents: 2500, reason: 'goodwill after the outage', reference: uniqueId('ref'), actor: 'test' };
  await workspaces.grantCredit(workspaceId, grant);
  await workspaces.grantCredit(workspaceId, grant);
  await eventually(async () => auditsOf(workspaceId), (a) => a.length === 2);
  expect(new Set(auditsOf(workspaceId).map((a) => a.requestId))).toEqual(new Set([`grant:${grant.reference}`]));
  expect(auditsOf(workspaceId)[0]).toMatchObject({ action: 'grant_credit', reason: grant.reason, actor: 'test', details: { amountCents: 2500, credited: true } });
});

test('the same request sent several times at once is applied once: handlers waiting for the lock re-check when it frees', async () => {
  const w = await inGrace();
  // A first action holds the lock while the duplicates queue behind it.
  const first = workspaces.extendGrace(w.workspaceId, { ...why(), byMs: DAY });
  const request = { ...why(), byMs: 2 * DAY };
  const results = await Promise.all([first, ...Array.from({ length: 4 }, () => workspaces.extendGrace(w.workspaceId, request))]);
  expect(results.slice(1).filter((r) => r.applied)).toHaveLength(1);
  const s = await stateOf(w.workspaceId);
  expect(s.grace!.endsAt).toBe(w.grace.endsAt + 3 * DAY);
  expect(s.operatorRequestIds.filter((id) => id === request.requestId)).toHaveLength(1);
  expect(auditsOf(w.workspaceId).filter((a) => a.requestId === request.requestId)).toHaveLength(1);
});
