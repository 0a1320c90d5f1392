// The Temporal Schedule that runs the reconciliation workflow
// (workflows/reconciliation-workflow.ts) on a cron. Ensured by the worker at
// start (RECONCILIATION_SCHEDULE, 'off' to skip): created when missing,
// its spec and action updated when it exists, so a changed cron or task
// queue takes effect at the next worker start. Overlaps are skipped.
import { ScheduleAlreadyRunning, ScheduleOverlapPolicy, type Client, type ScheduleOptionsAction } from '@temporalio/client';

export const RECONCILIATION_SCHEDULE_ID = 'billing-reconciliation';
/** workflows/reconciliation-workflow.ts (not imported: it is workflow code). */
const RECONCILIATION_WORKFLOW_TYPE = 'reconciliationWorkflow';

export async function ensureReconciliationSchedule(
  client: Client,
  { taskQueue, cron }: { taskQueue: string; cron: string },
): Promise<'created' | 'updated'> {
  const action: ScheduleOptionsAction = {
    type: 'startWorkflow',
    workflowType: RECONCILIATION_WORKFLOW_TYPE,
    workflowId: 'billing-reconciliation',
    taskQueue,
    args: [{}],
  };
  const spec = { cronExpressions: [cron] };
  try {
    await client.schedule.create({
      scheduleId: RECONCILIATION_SCHEDULE_ID,
      spec,
      action,
      policies: { overlap: ScheduleOverlapPolicy.SKIP },
    });
    return 'created';
  } catch (err) {
    if (!(err instanceof ScheduleAlreadyRunning)) throw err;
    await client.schedule.getHandle(RECONCILIATION_SCHEDULE_ID).update((previous) => ({ ...previous, spec, action }));
    return 'updated';
  }
}
