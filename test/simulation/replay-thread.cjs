// The simulator's replayer, on a thread of its own. A replay worker runs
// workflow code in the thread that creates it and installs the SDK's promise
// hook there for good (it records a stack for every promise): on the
// simulator's main thread, which also serves the API and runs the
// activities, every promise after the first replay paid for it. Here the
// hook stays in this thread's isolate, and replays run beside the engine.
// Plain CommonJS: worker threads do not pass through jest's or tsx's compiler.
const { parentPort, workerData } = require('node:worker_threads');
const { DefaultLogger, Runtime, Worker } = require('@temporalio/worker');
const { temporal } = require('@temporalio/proto');

Runtime.install({ logger: new DefaultLogger('ERROR') });

/** { id, histories: [{ workflowId, bytes }] } → { id, failed: [{ workflowId, error }] } or { id, error }. */
parentPort.on('message', async ({ id, histories }) => {
  try {
    const decoded = histories.map(({ workflowId, bytes }) => ({ workflowId, history: temporal.api.history.v1.History.decode(bytes) }));
    const failed = [];
    for await (const result of Worker.runReplayHistories({ workflowBundle: workerData.bundle }, decoded)) {
      if (result.error) failed.push({ workflowId: result.workflowId, error: String(result.error) });
    }
    parentPort.postMessage({ id, failed });
  } catch (err) {
    parentPort.postMessage({ id, error: String(err && err.stack ? err.stack : err) });
  }
});
