// reconciliationWorkflow on the time-skipping server over more than one page
// of workspaces (a page is 50): every workspace is resynced exactly once with
// its stable request id, drift is reported as the resyncs say, a resync that
// fails (refused, or still failing after its retries) is reported without
// stopping the run, and the state carried across continue-as-new is used.
// The listing and the resync are this file's own activities (a fake world of
// workspaces), on the fake activities for everything else.
import { ApplicationFailure } from '@temporalio/common';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import type { Activities } from '../../activities';
import type { ReconciledState, ResyncWorkspaceInput, ResyncWorkspaceResult } from '../../activities/reconciliation';
import { RECONCILIATION_REASON, REPORT_ENTRIES_KEPT, reconciliationWorkflow, type ReconciliationInput, type ReconciliationReport } from '../../workflows/reconciliation-workflow';
import { uniqueId } from '../support/db';
import { fakeActivities } from '../support/fake-activities';
import { timeSkippingEnv, workflowBundle } from '../support/temporal';

const PAGE_SIZE = 50;
const TASK_QUEUE = 'reconciliation-workflow-test';
const healthy: ReconciledState = { status: 'active', mode: 'self_serve', plan: 'plus' };
const drifted: ReconciledState = { status: 'past_due', mode: 'billing_recovery', plan: 'plus' };

/** What a workspace's resync does in the fake world. */
type Behaviour =
  | { kind: 'in_sync' }
  | { kind: 'drift' }
  | { kind: 'refused'; code: string; message: string }
  | { kind: 'flaky'; failures: number }
  | { kind: 'down' };

/** One test's world: the reconcilable workspaces (by id) and what their resync does, plus every call made. */
function world() {
  const behaviour = new Map<string, Behaviour>();
  const listCalls: { afterWorkspaceId?: string | null; limit: number }[] = [];
  const resyncCalls: ResyncWorkspaceInput[] = [];
  const attempts = new Map<string, number>();
  return {
    behaviour,
    listCalls,
    resyncCalls,
    /** Adds `count` workspaces with ids sharing one fresh prefix, in sorted order; all in sync unless told. */
    add(count: number): string[] {
      const prefix = uniqueId('ws');
      const ids = Array.from({ length: count }, (_, i) => `${prefix}_${String(i).padStart(4, '0')}`);
      for (const id of ids) behaviour.set(id, { kind: 'in_sync' });
      return ids;
    },
    async listReconcilableWorkspaces(input: { afterWorkspaceId?: string | null; limit: number }): Promise<string[]> {
      listCalls.push(input);
      return [...behaviour.keys()].sort().filter((id) => !input.afterWorkspaceId || id > input.afterWorkspaceId).slice(0, input.limit);
    },
    async resyncWorkspace(input: ResyncWorkspaceInput): Promise<ResyncWorkspaceResult> {
      resyncCalls.push(input);
      const attempt = (attempts.get(input.workspaceId) ?? 0) + 1;
      attempts.set(input.workspaceId, attempt);
      const b = behaviour.get(input.workspaceId) ?? { kind: 'refused', code: 'workspace_not_found', message: 'The workspace has no billing workflow.' };
      switch (b.kind) {
        case 'in_sync':
          return { workspaceId: input.workspaceId, changed: false, applied: true, before: healthy, after: healthy };
        case 'drift':
          return { workspaceId: input.workspaceId, changed: true, applied: true, before: drifted, after: healthy };
        case 'refused':
          throw ApplicationFailure.nonRetryable(b.message, b.code);
        case 'flaky':
          if (attempt <= b.failures) throw new Error(`temporal_unavailable on attempt ${attempt}`);
          return { workspaceId: input.workspaceId, changed: true, applied: true, before: drifted, after: healthy };
        case 'down':
          throw new Error('The workflow service could not be reached; try again.');
      }
    },
  };
}

let env: TestWorkflowEnvironment;
let current: ReturnType<typeof world>;
let worker: Worker;
let running: Promise<void>;

beforeAll(async () => {
  env = await timeSkippingEnv();
  // The fake activities for everything else; the listing and the resync read `current`, the running test's world.
  const activities: Activities = {
    ...fakeActivities().activities,
    listReconcilableWorkspaces: (input) => current.listReconcilableWorkspaces(input),
    resyncWorkspace: (input) => current.resyncWorkspace(input),
  };
  worker = await Worker.create({ connection: env.nativeConnection, taskQueue: TASK_QUEUE, workflowBundle: await workflowBundle(), activities });
  running = worker.run();
}, 120_000);

afterAll(async () => {
  worker?.shutdown();
  await running;
  await env?.teardown();
});

beforeEach(() => {
  current = world();
});

async function reconcile(input: ReconciliationInput = {}) {
  const handle = await env.client.workflow.start(reconciliationWorkflow, { taskQueue: TASK_QUEUE, workflowId: uniqueId('reconciliation'), args: [input] });
  const report: ReconciliationReport = await handle.result();
  const description = await handle.describe();
  return { report, firstRunId: handle.firstExecutionRunId, lastRunId: description.runId, historyLength: description.historyLength };
}

/** How many times each workspace was resynced. */
function visits(calls: ResyncWorkspaceInput[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const c of calls) counts.set(c.workspaceId, (counts.get(c.workspaceId) ?? 0) + 1);
  return counts;
}

test('a pass over three pages resyncs every workspace once and reports drift and failures without stopping', async () => {
  const ids = current.add(123); // pages of 50, 50 and 23
  const drift = [ids[0], ids[49], ids[50], ids[77], ids[122]]; // on page edges and inside
  for (const id of drift) current.behaviour.set(id, { kind: 'drift' });
  const refused = ids[3];
  current.behaviour.set(refused, { kind: 'refused', code: 'no_active_subscription', message: 'The workspace has no Stripe subscription to resync.' });
  const down = ids[60]; // fails every attempt (3, the resync's retry policy)
  current.behaviour.set(down, { kind: 'down' });
  const flaky = ids[101]; // fails once, then heals
  current.behaviour.set(flaky, { kind: 'flaky', failures: 1 });

  const { report, firstRunId } = await reconcile();

  // Paging: by id after the last of the previous page; the short third page ends the pass.
  expect(current.listCalls).toEqual([
    { afterWorkspaceId: null, limit: PAGE_SIZE },
    { afterWorkspaceId: ids[49], limit: PAGE_SIZE },
    { afterWorkspaceId: ids[99], limit: PAGE_SIZE },
  ]);
  // Every workspace visited once (retries of the same activity aside), each with the pass's stable request id.
  const expectedVisits = new Map(ids.map((id) => [id, id === down ? 3 : id === flaky ? 2 : 1]));
  expect(visits(current.resyncCalls)).toEqual(expectedVisits);
  for (const call of current.resyncCalls) {
    expect(call).toEqual({ workspaceId: call.workspaceId, requestId: `reconcile:${firstRunId}:${call.workspaceId}`, reason: RECONCILIATION_REASON });
  }

  expect(report.checked).toBe(123);
  expect(report.changed).toEqual([...drift, flaky].sort().map((workspaceId) => ({ workspaceId, before: drifted, after: healthy })));
  expect(report.failed).toEqual(
    [
      { workspaceId: refused, error: 'no_active_subscription: The workspace has no Stripe subscription to resync.' },
      // A plain Error reaches the workflow as an ApplicationFailure of type Error.
      { workspaceId: down, error: 'Error: The workflow service could not be reached; try again.' },
    ].sort((a, b) => (a.workspaceId < b.workspaceId ? -1 : 1)),
  );
  expect(Number.isNaN(Date.parse(report.startedAt))).toBe(false);
});

test('a last page that is exactly full is followed by one more (empty) listing, and nothing is visited twice', async () => {
  const ids = current.add(2 * PAGE_SIZE);
  const { report } = await reconcile();
  expect(current.listCalls.map((c) => c.afterWorkspaceId)).toEqual([null, ids[49], ids[99]]);
  expect(visits(current.resyncCalls)).toEqual(new Map(ids.map((id) => [id, 1])));
  expect(report).toEqual({ startedAt: expect.any(String), checked: 100, changed: [], failed: [], changedCount: 0, failedCount: 0 });
});

test('a targeted pass over more than a page of given ids resyncs exactly those, sorted, without listing', async () => {
  const ids = current.add(57);
  for (const id of ids.slice(0, 3)) current.behaviour.set(id, { kind: 'drift' });
  const gone = `${ids[0]}_gone`; // no workflow: refused as workspace_not_found
  const given = [...ids, gone].reverse();
  const { report, firstRunId } = await reconcile({ workspaceIds: given });
  expect(current.listCalls).toEqual([]);
  expect(visits(current.resyncCalls)).toEqual(new Map([...ids, gone].map((id) => [id, 1])));
  // The first page is the first 50 ids in sorted order.
  const sorted = [...given].sort();
  expect(new Set(current.resyncCalls.slice(0, PAGE_SIZE).map((c) => c.workspaceId))).toEqual(new Set(sorted.slice(0, PAGE_SIZE)));
  expect(current.resyncCalls.every((c) => c.requestId === `reconcile:${firstRunId}:${c.workspaceId}`)).toBe(true);
  expect(report.checked).toBe(58);
  expect(report.changed.map((c) => c.workspaceId)).toEqual(ids.slice(0, 3));
  expect(report.failed).toEqual([{ workspaceId: gone, error: 'workspace_not_found: The workspace has no billing workflow.' }]);
});

test('state carried across continue-as-new: resumes after the cursor, keeps the report and the first run id', async () => {
  const ids = current.add(70);
  current.behaviour.set(ids[65], { kind: 'drift' });
  const carried: ReconciliationReport = {
    startedAt: '2026-11-28T03:00:00.012Z',
    checked: 50,
    changed: [{ workspaceId: ids[10], before: drifted, after: healthy }],
    failed: [{ workspaceId: ids[20], error: 'workspace_not_found: The workspace has no billing workflow.' }],
  };
  const { report } = await reconcile({ runId: 'first-run', afterWorkspaceId: ids[49], report: carried });
  expect(current.listCalls).toEqual([{ afterWorkspaceId: ids[49], limit: PAGE_SIZE }]);
  expect([...visits(current.resyncCalls).keys()].sort()).toEqual(ids.slice(50));
  expect(current.resyncCalls.every((c) => c.requestId === `reconcile:first-run:${c.workspaceId}`)).toBe(true);
  expect(report).toEqual({
    startedAt: carried.startedAt,
    checked: 70,
    changed: [carried.changed[0], { workspaceId: ids[65], before: drifted, after: healthy }],
    failed: carried.failed,
    // A report carried from an older run has no counts: its lists were complete.
    changedCount: 2,
    failedCount: 1,
  });
});

test('a pass long enough to continue as new visits every workspace once, under the first run id', async () => {
  const ids = current.add(40 * PAGE_SIZE);
  const drift = ids.filter((_, i) => i % 97 === 0);
  for (const id of drift) current.behaviour.set(id, { kind: 'drift' });
  const { report, firstRunId, lastRunId } = await reconcile();
  // The history limit (5,000 events) was crossed: the report came from a later run of the chain.
  expect(lastRunId).not.toBe(firstRunId);
  expect(visits(current.resyncCalls)).toEqual(new Map(ids.map((id) => [id, 1])));
  expect(current.resyncCalls.every((c) => c.requestId === `reconcile:${firstRunId}:${c.workspaceId}`)).toBe(true);
  expect(current.listCalls.map((c) => c.afterWorkspaceId)).toEqual([null, ...Array.from({ length: 40 }, (_, i) => ids[(i + 1) * PAGE_SIZE - 1])]);
  expect(report.checked).toBe(ids.length);
  expect(report.changed.map((c) => c.workspaceId)).toEqual(drift);
  expect(report.failed).toEqual([]);
}, 180_000);

test('the report stays bounded: at most REPORT_ENTRIES_KEPT changed and failed workspaces are listed, the counts are exact', async () => {
  const ids = current.add(2 * REPORT_ENTRIES_KEPT + 30);
  const changed = ids.filter((_, i) => i % 2 === 0);
  const failed = ids.filter((_, i) => i % 2 === 1);
  for (const id of changed) current.behaviour.set(id, { kind: 'drift' });
  for (const id of failed) current.behaviour.set(id, { kind: 'refused', code: 'no_active_subscription', message: 'gone' });
  const { report } = await reconcile();
  expect(report.checked).toBe(ids.length);
  expect(report).toMatchObject({ changedCount: changed.length, failedCount: failed.length });
  expect(report.changed).toHaveLength(REPORT_ENTRIES_KEPT);
  expect(report.failed).toHaveLength(REPORT_ENTRIES_KEPT);
  expect(JSON.stringify(report).length).toBeLessThan(64_000);
}, 120_000);
