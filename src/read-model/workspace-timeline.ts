// "Why is this workspace in this state?": the workspace's timeline, read from
// the histories of its two workflows (`workspace/{id}` and `wallet/{id}`,
// back through continue-as-new) and from the tables in
// timeline-sources.ts, assembled by the pure code of src/domain/timeline.
// Bounded: the newest `limit` entries within [from, to); older runs are read
// only while they can still contribute to that answer.
import type { PrismaClient } from '@prisma/client';
import { DomainError } from '../domain/errors';
import type { HistoryRun, WorkflowHistory } from '../domain/timeline/history-records';
import { assembleTimeline, type Timeline, type TimelineBounds, type TimelineCandidate, type TimelineQuery } from '../domain/timeline/timeline';
import { workflowCandidates } from '../domain/timeline/workflow-entries';
import { HISTORY_VOCABULARY } from '../temporal/history-vocabulary';
import type { HistoryReadOptions } from '../temporal/workflow-history';
import { workflowIdFor } from '../../workflows/definitions';
import { walletWorkflowIdFor } from '../../workflows/wallet-definitions';
import { TIMELINE_TABLE_SOURCES, type TimelineTableSource } from './timeline-sources';

export interface TimelinePorts {
  prisma: PrismaClient;
  /** WorkspaceClient.workflowHistory: a workflow's runs (null when it never existed). */
  histories: { workflowHistory(workflowId: string, options: HistoryReadOptions): Promise<WorkflowHistory | null> };
  /** The tables read (default: every table source). */
  tables?: readonly TimelineTableSource[];
}

function startedAt(run: HistoryRun): number {
  return run.records.find((r) => r.type === 'started')?.atMs ?? 0;
}

async function database<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    throw new DomainError('database_unavailable', 'The timeline could not be read from the database; try again.', {
      cause: err instanceof Error ? err.message : String(err),
    });
  }
}

export async function readWorkspaceTimeline(ports: TimelinePorts, workspaceId: string, query: TimelineQuery): Promise<Timeline> {
  const bounds: TimelineBounds = {
    limit: query.limit,
    fromMs: query.from === undefined ? null : Date.parse(query.from),
    toMs: query.to === undefined ? null : Date.parse(query.to),
  };
  const inBounds = (c: TimelineCandidate) => (bounds.fromMs === null || c.atMs >= bounds.fromMs) && (bounds.toMs === null || c.atMs < bounds.toMs);

  /** Candidates of one workflow, and whether its history covers the bounds. */
  async function fromWorkflow(workflowId: string): Promise<{ found: boolean; candidates: TimelineCandidate[]; complete: boolean }> {
    let counted = 0;
    const history = await ports.histories.workflowHistory(workflowId, {
      wantOlder(run) {
        counted += workflowCandidates({ workflowId, runs: [run], complete: true }, HISTORY_VOCABULARY).filter(inBounds).length;
        return counted < bounds.limit && (bounds.fromMs === null || startedAt(run) >= bounds.fromMs);
      },
    });
    if (!history) return { found: false, candidates: [], complete: true };
    const oldest = history.runs[0];
    const coversFrom = bounds.fromMs !== null && oldest !== undefined && startedAt(oldest) < bounds.fromMs;
    return { found: true, candidates: workflowCandidates(history, HISTORY_VOCABULARY), complete: history.complete || coversFrom };
  }

  const window = { fromMs: bounds.fromMs, toMs: bounds.toMs, limit: bounds.limit };
  const [workspace, wallet, ...tables] = await Promise.all([
    fromWorkflow(workflowIdFor(workspaceId)),
    fromWorkflow(walletWorkflowIdFor(workspaceId)),
    ...(ports.tables ?? TIMELINE_TABLE_SOURCES).map((t) => database(() => t.read(ports.prisma, workspaceId, window))),
  ]);
  const candidates = [...workspace.candidates, ...wallet.candidates, ...tables.flatMap((t) => t.candidates)];
  if (!workspace.found && !wallet.found && candidates.length === 0) {
    const known = await database(() => ports.prisma.workspaceBilling.findUnique({ where: { workspaceId }, select: { workspaceId: true } }));
    if (!known) throw new DomainError('workspace_not_found', 'Nothing is recorded about this workspace: no billing workflow and no billing records.');
  }
  const complete = workspace.complete && wallet.complete && tables.every((t) => t.complete);
  return assembleTimeline(workspaceId, candidates, bounds, complete);
}
