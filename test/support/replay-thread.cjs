// The replayer's thread (replayer.ts says why replays run here).
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
