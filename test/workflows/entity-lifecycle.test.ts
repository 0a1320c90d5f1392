// The workspace entity over a long life, on the time-skipping server:
// continue-as-new (threshold lowered through the workflow's test input)
// never cuts off an accepted Update, and one lock guards the whole entity
// (a guest claim waits while a plan change is with Stripe, and a change
// meant for a subscription that ended meanwhile never lands on its successor).
import { WorkflowUpdateStage } from '@temporalio/client';
import type { BillingFact } from '../../src/domain/billing-facts';
import type { GuestAttachment } from '../../src/domain/guest-checkout';
import { attachGuestCheckoutUpdate, WORKSPACE_WORKFLOW_TYPE, workflowIdFor, type WorkspaceWorkflowInput } from '../../workflows/definitions';
import type { workspaceWorkflow } from '../../workflows/workspace-workflow';
import { uniqueId } from '../support/db';
import { eventually } from '../support/fake-activities';
import { invoiceChanged, subscriptionChanged } from '../support/facts';
import { startWorkflowHarness, type WorkflowHarness } from '../support/workflow-harness';

const TASK_QUEUE = 'entity-lifecycle-test';
let h: WorkflowHarness;
beforeAll(async () => {
  h = await startWorkflowHarness(TASK_QUEUE);
}, 120_000);
afterAll(() => h?.close());

const handleOf = (workspaceId: string) => h.env.client.workflow.getHandle(workflowIdFor(workspaceId));
const preview = { targetPlanId: 'business' as const, interval: 'month' as const };

async function start(workspaceId: string, continueAsNewAfterEvents?: number) {
  const args: [WorkspaceWorkflowInput] = [{ workspaceId, continueAsNewAfterEvents }];
  const handle = await h.env.client.workflow.start<typeof workspaceWorkflow>(WORKSPACE_WORKFLOW_TYPE, { workflowId: workflowIdFor(workspaceId), taskQueue: TASK_QUEUE, args });
  return handle.firstExecutionRunId;
}

/** Delivers a fact and waits until the workflow has applied it. */
async function deliver(workspaceId: string, fact: BillingFact) {
  await h.workspaces.deliverFact(workspaceId, fact);
  await eventually(() => h.stateOf(workspaceId), (s) => s.recentEventIds.includes(fact.eventId));
}

async function activePlus(workspaceId: string) {
  const subscriptionId = uniqueId('sub');
  await deliver(workspaceId, subscriptionChanged({ subscriptionId, occurredAt: await h.serverNow() }));
  return subscriptionId;
}

type HistoryEvent = NonNullable<Awaited<ReturnType<ReturnType<typeof handleOf>['fetchHistory']>>['events']>[number];

/** The newest projection write has completed and a workflow task after it has completed too. */
function lastWriteProcessed(events: HistoryEvent[]): boolean {
  const scheduled = events.filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'saveBillingProjection').pop();
  if (!scheduled) return false;
  const completed = events.findIndex((e) => String(e.activityTaskCompletedEventAttributes?.scheduledEventId) === String(scheduled.eventId));
  return completed >= 0 && events.slice(completed + 1).some((e) => e.workflowTaskCompletedEventAttributes);
}

const currentRunId = async (workspaceId: string) => (await handleOf(workspaceId).describe()).runId;

test('an Update accepted while the last write before continue-as-new is in flight finishes, and the run continues as new after it', async () => {
  const workspaceId = uniqueId('ws');
  const firstRun = await start(workspaceId, 60);
  const subscriptionId = await activePlus(workspaceId);

  // A preview held at Stripe keeps a handler running...
  const releaseFirstPreview = h.fake.hold('previewPlanChange');
  const previewsBefore = h.fake.calls.previews.length;
  const first = h.workspaces.previewPlanChange(workspaceId, preview);
  await eventually(async () => h.fake.calls.previews.length, (n) => n > previewsBefore);

  // ...while facts push the history past the threshold: the run now waits for its handlers to finish.
  while ((await handleOf(workspaceId).describe()).historyLength < 60) {
    await deliver(workspaceId, invoiceChanged({ subscriptionId, invoiceId: uniqueId('in'), occurredAt: await h.serverNow(), status: 'paid' }));
  }

  // One more fact, written while the projection write is held...
  const releaseWrite = h.fake.hold('saveBillingProjection');
  const writesBefore = h.fake.calls.projections.length;
  await deliver(workspaceId, invoiceChanged({ subscriptionId, invoiceId: uniqueId('in'), occurredAt: await h.serverNow(), status: 'paid' }));
  releaseFirstPreview();
  await expect(first).resolves.toMatchObject({ targetPlan: { id: 'business' } });
  await eventually(async () => h.fake.calls.projections.length, (n) => n > writesBefore);

  // ...and an Update accepted during that write, held at Stripe in turn.
  const releaseSecondPreview = h.fake.hold('previewPlanChange');
  const previewsNow = h.fake.calls.previews.length;
  const second = h.workspaces.previewPlanChange(workspaceId, preview);
  await eventually(async () => h.fake.calls.previews.length, (n) => n > previewsNow);
  releaseWrite();
  // Let the run see the write finish (its next workflow task completes) before Stripe answers the second preview.
  await eventually(() => h.env.client.workflow.getHandle(workflowIdFor(workspaceId), firstRun).fetchHistory(), (history) => lastWriteProcessed(history.events ?? []));
  releaseSecondPreview();

  await expect(second).resolves.toMatchObject({ currentPlan: { id: 'plus' }, targetPlan: { id: 'business' } });
  // Answered by the run that accepted it, once (a handler cut off by continue-as-new is run again by the next run).
  expect(h.fake.calls.previews.length).toBe(previewsNow + 1);
  // The run continued as new once everything was answered and written, carrying the state.
  await eventually(() => currentRunId(workspaceId), (runId) => runId !== firstRun);
  expect((await h.stateOf(workspaceId)).subscription?.id).toBe(subscriptionId);
});

test('under a stream of facts and Updates the workflow continues as new again and again, and answers every Update', async () => {
  const workspaceId = uniqueId('ws');
  const firstRun = await start(workspaceId, 40);
  const subscriptionId = await activePlus(workspaceId);
  const invoices: string[] = [];
  const answers: Promise<unknown>[] = [];
  for (let i = 0; i < 12; i++) {
    const invoiceId = uniqueId('in');
    invoices.push(invoiceId);
    await h.workspaces.deliverFact(workspaceId, invoiceChanged({ subscriptionId, invoiceId, occurredAt: await h.serverNow(), status: 'paid' }));
    answers.push(h.workspaces.previewPlanChange(workspaceId, preview));
  }
  const results = await Promise.allSettled(answers);
  expect(results.filter((r) => r.status === 'rejected')).toEqual([]);
  const final = await eventually(() => h.stateOf(workspaceId), (s) => invoices.every((id) => s.invoices.some((i) => i.id === id) || s.invoices.length >= 20));
  expect(final.subscription?.id).toBe(subscriptionId);
  expect(await currentRunId(workspaceId)).not.toBe(firstRun);
  const history = await handleOf(workspaceId).fetchHistory();
  expect(history.events!.length).toBeLessThan(80);
});

test('one lock: a guest claim waits while a plan change is with Stripe, and a cancellation meant for a subscription that ended meanwhile does not land on the claimed one', async () => {
  const workspaceId = uniqueId('ws');
  const own = await activePlus(workspaceId);

  // Cancel to Essential: Stripe's answer is held.
  const release = h.fake.hold('setCancelAtPeriodEnd');
  const cancellationsBefore = h.fake.calls.cancellations.length;
  const change = h.workspaces.applyPlanChange(workspaceId, { targetPlanId: 'essential', interval: 'month' });
  await eventually(async () => h.fake.calls.cancellations.length, (n) => n > cancellationsBefore);

  // Meanwhile the subscription ends in Stripe, and a paid guest checkout is claimed into the workspace.
  await deliver(workspaceId, subscriptionChanged({ subscriptionId: own, status: 'canceled', occurredAt: await h.serverNow() }));
  const guestSubscription = uniqueId('sub_guest');
  const guestCheckoutId = `gco_${uniqueId('x').slice(2).padEnd(32, '0').slice(0, 32)}`;
  const attachment: GuestAttachment = {
    guestCheckoutId,
    email: 'guest@example.com',
    customerId: 'cus_guest',
    checkout: null,
    subscriptionId: guestSubscription,
    facts: [subscriptionChanged({ subscriptionId: guestSubscription, customerId: 'cus_guest', occurredAt: await h.serverNow() })],
  };
  const claim = await handleOf(workspaceId).startUpdate(attachGuestCheckoutUpdate, { args: [attachment], waitForStage: WorkflowUpdateStage.ACCEPTED });

  // Accepted, but waiting for the lock: nothing of the guest is in the state yet.
  const during = await h.stateOf(workspaceId).finally(release);
  expect(during.guestClaims).toEqual([]);
  expect(during.subscription?.id).toBe(own);

  await expect(change).resolves.toMatchObject({ status: 'scheduled' });
  await expect(claim.result()).resolves.toMatchObject({ checkoutId: guestCheckoutId, stripe: { subscriptionId: guestSubscription } });
  const after = await h.stateOf(workspaceId);
  expect(after.subscription?.id).toBe(guestSubscription);
  expect(after.pendingChange).toBeNull();
});
