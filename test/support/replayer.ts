// Replays workflow histories on a worker thread (replay-thread.cjs), never on
// the caller's. A replay worker runs workflow code on the thread that creates
// it and leaves the SDK's promise hook installed there for good: it records a
// stack trace for every promise the thread creates afterwards. On a jest
// worker that slowed every later test file; on the simulator's main thread,
// which also serves the API and runs the activities, restarts took half the
// time. On a thread of its own the hook stays in that thread's isolate.
import { join } from 'node:path';
import { Worker as Thread } from 'node:worker_threads';
import { temporal } from '@temporalio/proto';
import type { WorkflowBundleWithSourceMap } from '@temporalio/worker';

export interface ReplayFailure {
  workflowId: string;
  error: string;
}

export interface Replayer {
  /** Replays the histories with the bundle; returns those that did not replay (empty: all did). */
  replay(histories: { workflowId: string; history: temporal.api.history.v1.IHistory }[]): Promise<ReplayFailure[]>;
  close(): Promise<void>;
}

type Answer = { id: number; failed?: ReplayFailure[]; error?: string };

export function startReplayer(bundle: WorkflowBundleWithSourceMap): Replayer {
  const thread = new Thread(join(__dirname, 'replay-thread.cjs'), { workerData: { bundle } });
  // Idle between requests: it must not keep the process alive.
  thread.unref();
  const waiting = new Map<number, { resolve: (failed: ReplayFailure[]) => void; reject: (err: Error) => void }>();
  let next = 0;
  /** Why the thread is gone (an error, or an exit): later requests are refused with it instead of waiting forever. */
  let gone: Error | undefined;
  const fail = (err: Error) => {
    gone ??= err;
    for (const request of waiting.values()) request.reject(err);
    waiting.clear();
  };
  thread.on('message', ({ id, failed, error }: Answer) => {
    const request = waiting.get(id);
    waiting.delete(id);
    if (error !== undefined) request?.reject(new Error(`replay thread: ${error}`));
    else request?.resolve(failed ?? []);
  });
  thread.on('error', fail);
  thread.on('exit', (code) => fail(new Error(`replay thread exited (code ${code})`)));
  return {
    replay(histories) {
      const id = next++;
      const encoded = histories.map(({ workflowId, history }) => ({ workflowId, bytes: temporal.api.history.v1.History.encode(history).finish() }));
      return new Promise((resolve, reject) => {
        if (gone) return reject(gone);
        waiting.set(id, { resolve, reject });
        thread.postMessage({ id, histories: encoded });
      });
    },
    async close() {
      await thread.terminate();
    },
  };
}
