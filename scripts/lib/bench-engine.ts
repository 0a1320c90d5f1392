// Shared by the bench scripts that measure the engine as it runs in
// production: the API and the worker as separate processes (as `npm run
// start:api` and `npm run start:worker` run them) against a dev server and
// the bench database, Stripe unreachable, reconciliation off.
import { BENCH_DATABASE_URL } from './bench-database';
import { projectRoot } from './binaries';
import { spawnManaged, type ManagedProcess, type TemporalDevServer } from './dev-servers';

export interface BenchEngineOptions {
  temporal: TemporalDevServer;
  port: number;
  taskQueue: string;
  /** STRIPE_SECRET_KEY, STRIPE_WEBHOOK_SECRET, APP_API_TOKEN, OPERATOR_API_TOKEN. */
  secrets: Record<string, string>;
}

export function startBenchEngine({ temporal, port, taskQueue, secrets }: BenchEngineOptions): { api: ManagedProcess; worker: ManagedProcess } {
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
