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
  /**
   * Stops the worker (its workflows' tasks wait on the server, as when the
   * worker process is down) and starts a fresh one (empty cache: it replays).
   */
  stopWorker(): Promise<void>;
  startWorker(): Promise<void>;
  close(): Promise<void>;
}

export interface HarnessOptions {
  /**
   * Cached workflows per worker (the SDK's default when absent). 0 turns
   * sticky execution off: needed to stop and start workers, because the
   * time-skipping server never times out a stopped worker's sticky queue
   * (time is locked), so its workflows' next tasks would wait there forever.
   */
  maxCachedWorkflows?: number;
}

export async function startWorkflowHarness(taskQueue: string, options: HarnessOptions = {}): Promise<WorkflowHarness> {
  const env = await timeSkippingEnv();
  const fake = fakeActivities();
  const bundle = await workflowBundle();
  const createWorker = () =>
    Worker.create({ connection: env.nativeConnection, taskQueue, workflowBundle: bundle, activities: fake.activities, ...options });
  let worker: Worker | null = await createWorker();
  let running: Promise<void> = worker.run();
  const stopWorker = async () => {
    if (!worker) return;
    worker.shutdown();
    worker = null;
    await running;
  };
  const workspaces = new WorkspaceClient(env.client, taskQueue);
  fake.world.workspaces = workspaces;
  return {
    env,
    fake,
    workspaces,
    stateOf: (workspaceId) => env.client.workflow.getHandle(workflowIdFor(workspaceId)).query(stateQuery),
    serverNow: async () => Number(await env.currentTimeMs()),
    stopWorker,
    async startWorker() {
      if (worker) return;
      worker = await createWorker();
      running = worker.run();
    },
    async close() {
      await stopWorker();
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
