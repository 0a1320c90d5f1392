// One long-running workflow per workspace owns its billing lifecycle. The
// entity (workspace-entity.ts) holds the state and the one lock; the
// handlers (workspace-handlers.ts) change it; this function loads the run's
// context, re-arms the timers the state implies, and runs the main loop:
// persist the projection, run due dunning steps, tag claimed Stripe objects,
// and continue as new when the history grows — only once every accepted
// handler has finished and everything is written.
import { allHandlersFinished, condition, continueAsNew, log, patched, workflowInfo } from '@temporalio/workflow';
import { untaggedStripeIds } from '../src/domain/guest-attach';
import type { WorkspaceWorkflowInput } from './definitions';
import { tagOwnership } from './guest-attach-handler';
import { armScheduledChange } from './plan-change-handlers';
import { registerWorkspaceHandlers } from './workspace-handlers';
import { WorkspaceEntity } from './workspace-entity';
import { local, quiesce } from './workflow-support';

/**
 * Patch of the one-lock entity: runs started before it keep their group
 * locks and their old continue-as-new order until they continue as new.
 */
export const ENTITY_PATCH = 'workspace-entity-v2';
/** Continue as new past this many events even if the server has not suggested it (well under the 10,240 warning). */
export const MAX_EVENTS_PER_RUN = 8_000;

export async function workspaceWorkflow(input: WorkspaceWorkflowInput): Promise<void> {
  const v2 = patched(ENTITY_PATCH);
  const entity = new WorkspaceEntity(input, v2);
  registerWorkspaceHandlers(entity);

  entity.begin(await local.loadRunContext(input.workspaceId), !input.state);
  if (entity.state.checkout) entity.armCheckoutExpiry(entity.state.checkout);
  armScheduledChange(entity);
  // Timers re-armed from the recorded absolute timestamps: a window that
  // spans a continue-as-new still ends when it was set to.
  entity.armDunning();
  entity.publish();

  const doWork = async () => {
    if (entity.dunningDue) await entity.runDunning();
    if (untaggedStripeIds(entity.state)) await tagOwnership(entity);
    await entity.persist();
  };
  const shouldContinueAsNew = () => {
    const info = workflowInfo();
    const limit = input.continueAsNewAfterEvents ?? (v2 ? MAX_EVENTS_PER_RUN : undefined);
    return info.continueAsNewSuggested || (limit !== undefined && info.historyLength >= limit);
  };

  for (;;) {
    await condition(() => entity.hasWork() || shouldContinueAsNew());
    await doWork();
    if (shouldContinueAsNew()) {
      if (v2) {
        await quiesce(doWork, () => entity.hasWork());
      } else {
        await condition(allHandlersFinished);
        await entity.persist();
      }
      log.info('continuing as new', { workspaceId: input.workspaceId, version: entity.state.version });
      await continueAsNew<typeof workspaceWorkflow>({ workspaceId: input.workspaceId, state: entity.state, continueAsNewAfterEvents: input.continueAsNewAfterEvents });
    }
  }
}
