// Shared by the bench scripts that measure the engine as it runs in
// production: the API and the worker as separate processes (as `npm run
// start:api` and `npm run start:worker` run them) against a dev server and
// the bench database, Stripe unreachable, reconciliation off.
import { Client, Connection } from '@temporalio/client';
import { BENCH_DATABASE_URL } from './bench-database';
import { projectRoot } from './binaries';
import { freePort, spawnManaged, startTemporalDevServer, waitForHttp, type ManagedProcess, type TemporalDevServer } from './dev-servers';

export interface BenchEngineOptions {
  temporal: TemporalDevServer;
  port: number;
  taskQueue: string;
  /** STRIPE_SECRET_KEY, STRIPE_WEBHOOK_SECRET, APP_API_TOKEN, OPERATOR_API_TOKEN. */
  secrets: Record<string, string>;
}

function startBenchEngine({ temporal, port, taskQueue, secrets }: BenchEngineOptions): { api: ManagedProcess; worker: ManagedProcess } {
  const env = {
    ...process.env,
    ...secrets,
    DATABASE_URL: BENCH_DATABASE_URL,
    TEMPORAL_ADDRESS: temporal.address,
    TEMPORAL_TASK_QUEUE: taskQueue,
    STRIPE_API_URL: 'http://127.0.0.1:1',
    RECONCILIATION_SCHEDULE: 'off',
    PORT: String(port),
    LOG_LEVEL: process.env.BENCH_LOG_LEVEL || 'warn',
  };
  const run = (name: string, argv: string[], extra: Record<string, string> = {}) =>
    spawnManaged(name, process.execPath, argv, { env: { ...env, ...extra }, cwd: projectRoot, output: 'quiet' });
  return {
    api: run('api', ['--max-semi-space-size=32', '--import', 'tsx', 'src/server.ts']),
    worker: run('worker', ['--import', 'tsx', 'src/worker.ts'], { METRICS_ENABLED: 'false' }),
  };
}

export interface BenchStack {
  temporal: TemporalDevServer;
  /** The API's base URL, answering /readyz. */
  apiUrl: string;
  /** A client of the dev server. */
  client: Client;
  /** Closes the client, stops the API and the worker, then the dev server. */
  stop(): Promise<void>;
}

/** A dev server, then the API and worker processes; resolves once the API is ready. A failed start stops what was started. */
export async function startBenchStack({ taskQueue, secrets }: Omit<BenchEngineOptions, 'temporal' | 'port'>): Promise<BenchStack> {
  const temporal = await startTemporalDevServer({ headless: true, logLevel: 'error' });
  let processes: { api: ManagedProcess; worker: ManagedProcess } | undefined;
  let connection: Connection | undefined;
  const stop = async () => {
    await connection?.close().catch(() => undefined);
    await Promise.all([processes?.api.stop(15_000), processes?.worker.stop(25_000)]);
    await temporal.stop();
  };
  try {
    const port = await freePort();
    processes = startBenchEngine({ temporal, port, taskQueue, secrets });
    const apiUrl = `http://127.0.0.1:${port}`;
    await waitForHttp(`${apiUrl}/readyz`, { timeoutMs: 60_000, process: processes.api, what: 'API', accept: (s) => s === 200 });
    connection = await Connection.connect({ address: temporal.address });
    return { temporal, apiUrl, client: new Client({ connection }), stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
