// Reads a workflow's history through the Temporal client, following
// continue-as-new back from the newest run, and decodes the events the
// timeline needs into plain records (src/domain/timeline/history-records.ts):
// signals and accepted Updates with their decoded arguments and outcomes,
// completed or failed activities with their input, named timers that fired.
// Payloads are decoded with the client's payload converter; a payload it
// cannot read decodes to undefined and the record is kept (tolerant of
// histories written by other code).
import { isGrpcServiceError, WorkflowNotFoundError, type Client } from '@temporalio/client';
import { defaultPayloadConverter, type PayloadConverter } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import type { HistoryOutcome, HistoryRecord, HistoryRun, WorkflowHistory } from '../domain/timeline/history-records';

const EventType = temporal.api.enums.v1.EventType;
type HistoryEvent = temporal.api.history.v1.IHistoryEvent;
type Payload = temporal.api.common.v1.IPayload;
type Failure = temporal.api.failure.v1.IFailure;

const GRPC_NOT_FOUND = 5;
/**
 * At most this many runs of one workflow are read per request (a run is at
 * most some thousands of events: the server suggests continue-as-new);
 * older ones are reported as `truncated` — narrow the range with `from`.
 */
export const MAX_HISTORY_RUNS = 10;

const toNumber = (value: unknown): number => (typeof value === 'number' ? value : value == null ? 0 : Number(String(value)));

function timeOf(event: HistoryEvent): number {
  const t = event.eventTime;
  return t ? toNumber(t.seconds) * 1000 + Math.floor((t.nanos ?? 0) / 1_000_000) : 0;
}

function decoder(converter: PayloadConverter) {
  const one = (payload: Payload | null | undefined): unknown => {
    if (!payload) return undefined;
    try {
      return converter.fromPayload(payload as never);
    } catch {
      return undefined;
    }
  };
  return { one, all: (payloads: Payload[] | null | undefined): unknown[] => (payloads ?? []).map(one) };
}

function failureOutcome(failure: Failure | null | undefined, fallback: string): HistoryOutcome {
  return { ok: false, code: failure?.applicationFailureInfo?.type || null, message: failure?.message || fallback };
}

/** One run's events → records, in history order (an Update at its acceptance, an activity at its completion). */
export function decodeHistoryEvents(events: readonly HistoryEvent[], converter: PayloadConverter = defaultPayloadConverter): HistoryRecord[] {
  const { one, all } = decoder(converter);
  const records: HistoryRecord[] = [];
  const activities = new Map<number, { name: string; input: unknown[] }>();
  const updates = new Map<string, Extract<HistoryRecord, { type: 'update' }>>();
  const timers = new Map<string, string | null>();

  for (const event of events) {
    const eventId = toNumber(event.eventId);
    const atMs = timeOf(event);
    switch (event.eventType) {
      case EventType.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED: {
        const a = event.workflowExecutionStartedEventAttributes;
        records.push({ type: 'started', eventId, atMs, input: all(a?.input?.payloads)[0], previousRunId: a?.continuedExecutionRunId || null });
        break;
      }
      case EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED: {
        const a = event.workflowExecutionSignaledEventAttributes;
        records.push({ type: 'signal', eventId, atMs, name: a?.signalName ?? '', args: all(a?.input?.payloads) });
        break;
      }
      case EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED: {
        const a = event.workflowExecutionUpdateAcceptedEventAttributes;
        const input = a?.acceptedRequest?.input;
        const record = { type: 'update' as const, eventId, atMs, name: input?.name ?? '', args: all(input?.args?.payloads), outcome: null };
        records.push(record);
        const updateId = a?.acceptedRequest?.meta?.updateId || a?.protocolInstanceId;
        if (updateId) updates.set(updateId, record);
        break;
      }
      case EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED: {
        const a = event.workflowExecutionUpdateCompletedEventAttributes;
        const record = updates.get(a?.meta?.updateId ?? '');
        if (!record) break;
        record.outcome = a?.outcome?.failure ? failureOutcome(a.outcome.failure, 'update failed') : { ok: true, result: one(a?.outcome?.success?.payloads?.[0]) };
        break;
      }
      case EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED: {
        const a = event.activityTaskScheduledEventAttributes;
        activities.set(eventId, { name: a?.activityType?.name ?? '', input: all(a?.input?.payloads) });
        break;
      }
      case EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED: {
        const a = event.activityTaskCompletedEventAttributes;
        const scheduled = activities.get(toNumber(a?.scheduledEventId));
        if (scheduled) records.push({ type: 'activity', eventId, atMs, ...scheduled, outcome: { ok: true, result: one(a?.result?.payloads?.[0]) } });
        break;
      }
      case EventType.EVENT_TYPE_ACTIVITY_TASK_FAILED:
      case EventType.EVENT_TYPE_ACTIVITY_TASK_TIMED_OUT: {
        const a = event.activityTaskFailedEventAttributes ?? event.activityTaskTimedOutEventAttributes;
        const scheduled = activities.get(toNumber(a?.scheduledEventId));
        const timedOut = event.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_TIMED_OUT;
        if (scheduled) records.push({ type: 'activity', eventId, atMs, ...scheduled, outcome: failureOutcome(a?.failure, timedOut ? 'timed out' : 'failed') });
        break;
      }
      case EventType.EVENT_TYPE_TIMER_STARTED: {
        const summary = one(event.userMetadata?.summary);
        timers.set(event.timerStartedEventAttributes?.timerId ?? '', typeof summary === 'string' ? summary : null);
        break;
      }
      case EventType.EVENT_TYPE_TIMER_FIRED: {
        const timerId = event.timerFiredEventAttributes?.timerId ?? '';
        records.push({ type: 'timer', eventId, atMs, summary: timers.get(timerId) ?? null });
        break;
      }
      case EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW:
        records.push({ type: 'continued_as_new', eventId, atMs, nextRunId: event.workflowExecutionContinuedAsNewEventAttributes?.newExecutionRunId || null });
        break;
      default:
        break;
    }
  }
  return records;
}

export interface HistoryReadOptions {
  /**
   * Called with each run read, newest first: return false when older runs
   * are not needed (enough entries, or the run began before the time range).
   */
  wantOlder(run: HistoryRun): boolean;
  maxRuns?: number;
}

const isNotFound = (err: unknown) => err instanceof WorkflowNotFoundError || (isGrpcServiceError(err) && err.code === GRPC_NOT_FOUND);

/**
 * The workflow's runs, oldest first, from the newest back through
 * continue-as-new as far as `wantOlder` asks (and at most `maxRuns`); null
 * when no workflow with this id exists. A run removed by the namespace's
 * retention ends the walk (the history is then incomplete).
 */
export async function readWorkflowHistory(client: Client, workflowId: string, options: HistoryReadOptions): Promise<WorkflowHistory | null> {
  const converter = client.options.loadedDataConverter.payloadConverter;
  let runId: string | null;
  try {
    runId = (await client.workflow.getHandle(workflowId).describe()).runId;
  } catch (err) {
    if (isNotFound(err)) return null;
    throw err;
  }
  const runs: HistoryRun[] = [];
  const maxRuns = options.maxRuns ?? MAX_HISTORY_RUNS;
  while (runId) {
    let events: HistoryEvent[];
    try {
      events = (await client.workflow.getHandle(workflowId, runId).fetchHistory()).events ?? [];
    } catch (err) {
      if (isNotFound(err) && runs.length > 0) return { workflowId, runs: runs.reverse(), complete: false };
      throw err;
    }
    const run: HistoryRun = { runId, records: decodeHistoryEvents(events, converter) };
    runs.push(run);
    const started = run.records.find((r) => r.type === 'started');
    const previous: string | null = started?.type === 'started' ? started.previousRunId : null;
    if (!previous || !options.wantOlder(run)) return { workflowId, runs: runs.reverse(), complete: !previous };
    if (runs.length >= maxRuns) return { workflowId, runs: runs.reverse(), complete: false };
    runId = previous;
  }
  return { workflowId, runs: runs.reverse(), complete: true };
}
