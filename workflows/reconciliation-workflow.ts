// Scheduled reconciliation (Temporal Schedule `billing-reconciliation`,
// src/temporal/reconciliation-schedule.ts): pages through the workspaces
// that have a Stripe subscription and resyncs each one through its
// workspace workflow's resyncFromStripe operator Update (an activity does the
// call: a workflow cannot update another workflow). The result is the
// report of what changed and what failed; it is also logged. A few resyncs
// run at a time; the run continues as new between pages when the history
// grows, carrying the report so far.
import { ActivityFailure, ApplicationFailure, continueAsNew, log, proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { ReconciledState, ResyncWorkspaceResult } from '../activities/reconciliation';

export const RECONCILIATION_WORKFLOW_TYPE = 'reconciliationWorkflow';
export const RECONCILIATION_REASON = 'scheduled reconciliation';
const PAGE_SIZE = 50;
const CONCURRENCY = 5;
/** Continue as new past this many history events even if the server does not suggest it yet. */
const HISTORY_LIMIT = 5_000;

/** At most this many changed and this many failed workspaces are listed; the counts are exact. */
export const REPORT_ENTRIES_KEPT = 100;

export interface ReconciliationReport {
  startedAt: string;
  checked: number;
  /** The first REPORT_ENTRIES_KEPT changed workspaces (by workspace id once finished). */
  changed: { workspaceId: string; before: ReconciledState; after: ReconciledState }[];
  failed: { workspaceId: string; error: string }[];
  /** How many changed and failed in all (absent in reports carried over from older runs: then the lists are complete). */
  changedCount?: number;
  failedCount?: number;
}

/** Adds an entry to a bounded list of the report and counts it. */
function note<T>(list: T[], entry: T): void {
  if (list.length < REPORT_ENTRIES_KEPT) list.push(entry);
}

export interface ReconciliationInput {
  /** Names the pass in request ids (reconcile:<runId>:<workspaceId>); the first run's id by default. */
  runId?: string;
  /** Only these workspaces (an operator's targeted pass), instead of every reconcilable one. */
  workspaceIds?: string[];
  /** Carried across continue-as-new. */
  afterWorkspaceId?: string | null;
  report?: ReconciliationReport;
}

const lists = proxyActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '30 seconds', maximumAttempts: 5 },
});

const resyncs = proxyActivities<Activities>({
  // Two Temporal calls, each under a 60 s deadline (src/temporal/workspace-client.ts).
  startToCloseTimeout: '150 seconds',
  retry: { initialInterval: '2 seconds', maximumInterval: '30 seconds', maximumAttempts: 3 },
});

function errorText(err: unknown): string {
  const cause = err instanceof ActivityFailure ? err.cause : err;
  if (cause instanceof ApplicationFailure) return cause.type ? `${cause.type}: ${cause.message}` : cause.message;
  return cause instanceof Error ? cause.message : String(cause);
}

/** Runs `work` over `items`, at most `limit` at a time, in workflow-deterministic order. */
async function inBatches<T>(items: T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const lanes = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const item = items[next++];
      await work(item);
    }
  });
  await Promise.all(lanes);
}

export async function reconciliationWorkflow(input: ReconciliationInput = {}): Promise<ReconciliationReport> {
  const info = workflowInfo();
  const runId = input.runId ?? info.firstExecutionRunId;
  const report: ReconciliationReport = input.report ?? { startedAt: new Date(Date.now()).toISOString(), checked: 0, changed: [], failed: [], changedCount: 0, failedCount: 0 };
  let after = input.afterWorkspaceId ?? null;

  for (;;) {
    const page = input.workspaceIds
      ? [...new Set(input.workspaceIds)].sort().filter((id) => after === null || id > after).slice(0, PAGE_SIZE)
      : await lists.listReconcilableWorkspaces({ afterWorkspaceId: after, limit: PAGE_SIZE });
    await inBatches(page, CONCURRENCY, async (workspaceId) => {
      try {
        const result: ResyncWorkspaceResult = await resyncs.resyncWorkspace({ workspaceId, requestId: `reconcile:${runId}:${workspaceId}`, reason: RECONCILIATION_REASON });
        report.checked += 1;
        if (result.changed) {
          report.changedCount = (report.changedCount ?? report.changed.length) + 1;
          note(report.changed, { workspaceId, before: result.before, after: result.after });
        }
      } catch (err) {
        report.checked += 1;
        report.failedCount = (report.failedCount ?? report.failed.length) + 1;
        note(report.failed, { workspaceId, error: errorText(err) });
      }
    });
    if (page.length < PAGE_SIZE) break;
    after = page[page.length - 1];
    const current = workflowInfo();
    if (current.continueAsNewSuggested || current.historyLength > HISTORY_LIMIT) {
      await continueAsNew<typeof reconciliationWorkflow>({ runId, workspaceIds: input.workspaceIds, afterWorkspaceId: after, report });
    }
  }

  // Deterministic order in the report, whatever order the resyncs finished in.
  const byId = (a: { workspaceId: string }, b: { workspaceId: string }) => (a.workspaceId < b.workspaceId ? -1 : a.workspaceId > b.workspaceId ? 1 : 0);
  report.changed.sort(byId);
  report.failed.sort(byId);
  report.changedCount ??= report.changed.length;
  report.failedCount ??= report.failed.length;
  log.info('reconciliation finished', { checked: report.checked, changed: report.changedCount, failed: report.failedCount, report });
  return report;
}
