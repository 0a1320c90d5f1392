// One time-skipping environment per workflow test file, with a worker
// running the fake activities and the API's own WorkspaceClient.
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import type { WorkspaceState } from '../../src/domain/billing-state';
import { DomainError } from '../../src/domain/errors';
import { WorkspaceClient } from '../../src/temporal/workspace-client';
import { stateQuery, workflowIdFor } from '../../workflows/definitions';
import { fakeActivities } from './fake-activities';
import { timeSkippingEnv, workflowBundle } from './temporal';

export interface WorkflowHarness {
  env: TestWorkflowEnvironment;
  workspaces: WorkspaceClient;
  fake: ReturnType<typeof fakeActivities>;
  stateOf(workspaceId: string): Promise<WorkspaceState>;
  /** The server's clock: time-skipping moves it, the test's own clock does not. */
  serverNow(): Promise<number>;
  close(): Promise<void>;
}

export async function startWorkflowHarness(taskQueue: string): Promise<WorkflowHarness> {
  const env = await timeSkippingEnv();
  const fake = fakeActivities();
  const worker = await Worker.create({ connection: env.nativeConnection, taskQueue, workflowBundle: await workflowBundle(), activities: fake.activities });
  const running = worker.run();
  const workspaces = new WorkspaceClient(env.client, taskQueue);
  fake.world.workspaces = workspaces;
  return {
    env,
    fake,
    workspaces,
    stateOf: (workspaceId) => env.client.workflow.getHandle(workflowIdFor(workspaceId)).query(stateQuery),
    serverNow: async () => Number(await env.currentTimeMs()),
    async close() {
      worker.shutdown();
      await running;
      await env.teardown();
    },
  };
}

/** The DomainError a request was refused with (fails the test if it was not). */
export async function rejection(promise: Promise<unknown>): Promise<DomainError> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof DomainError) return err;
    throw err;
  }
  throw new Error('expected the request to be refused');
}
