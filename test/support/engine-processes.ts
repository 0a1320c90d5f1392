// The engine as real processes for end-to-end tests: the worker and the API
// started from their entry points (src/worker.ts, src/server.ts) with a
// composed environment, exactly as `npm start` runs them.
import path from 'node:path';
import { freePort, spawnManaged, waitForHttp, type ManagedProcess } from '../../scripts/lib/dev-servers';
import { projectRoot } from '../../scripts/lib/binaries';
import { TEST_DATABASE_URL, TEST_SECRETS } from './test-env';

export interface EngineProcesses {
  apiUrl: string;
  worker: ManagedProcess;
  api: ManagedProcess;
  stop(): Promise<void>;
}

export async function startEngine(options: { temporalAddress: string; taskQueue: string; env?: Record<string, string> }): Promise<EngineProcesses> {
  const port = await freePort();
  // Its own worker metrics port: e2e files run in parallel, each with a worker.
  const workerMetricsPort = await freePort();
  const env = {
    ...process.env,
    ...TEST_SECRETS,
    DATABASE_URL: TEST_DATABASE_URL,
    TEMPORAL_ADDRESS: options.temporalAddress,
    TEMPORAL_TASK_QUEUE: options.taskQueue,
    PORT: String(port),
    WORKER_METRICS_PORT: String(workerMetricsPort),
    LOG_LEVEL: 'warn',
    ...options.env,
  };
  const run = (name: string, entry: string) =>
    spawnManaged(name, process.execPath, ['--import', 'tsx', path.join('src', entry)], { env, cwd: projectRoot, output: 'quiet' });
  const worker = run('worker', 'worker.ts');
  const api = run('api', 'server.ts');
  const apiUrl = `http://127.0.0.1:${port}`;
  const stop = async () => {
    await Promise.all([api.stop(15_000), worker.stop(15_000)]);
  };
  try {
    await waitForHttp(`${apiUrl}/readyz`, { timeoutMs: 60_000, process: api, what: 'API' });
  } catch (err) {
    await stop();
    throw err;
  }
  return { apiUrl, worker, api, stop };
}
