// The real engine for the simulator: the time-skipping Temporal server, a
// worker running the real workflows and activities (PostgreSQL, Stripe
// calls to stripe-mock through the recording proxy), and the real API on a
// local port whose clock is the server's. Nothing is faked but Stripe's
// state and events, which the simulator plays itself.
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { createActivities } from '../../activities';
import { createAccessService, type AccessService } from '../../src/access/access-service';
import { createApp } from '../../src/api/app';
import type { Config } from '../../src/config';
import { createLogger } from '../../src/infra/logger';
import { createPrisma, type PrismaClient } from '../../src/infra/prisma';
import { createStripeClient } from '../../src/infra/stripe-client';
import { WorkspaceClient } from '../../src/temporal/workspace-client';
import { createWebhookRelay } from '../../src/webhooks/webhook-relay';
import { settingsFrom } from '../../src/worker';
import { startReplayer, type Replayer } from '../support/replayer';
import { startStripeRecorder, type StripeRecorder } from '../support/stripe-recorder';
import { timeSkippingEnv, workflowBundle } from '../support/temporal';
import { TEST_DATABASE_URL, testConfig } from '../support/test-env';

export interface SimEngine {
  env: TestWorkflowEnvironment;
  prisma: PrismaClient;
  recorder: StripeRecorder;
  workspaces: WorkspaceClient;
  config: Config;
  apiUrl: string;
  /** The server's clock (what workflows and the API read), advanced only by sleep(). */
  now(): number;
  sleep(ms: number): Promise<void>;
  /** Waits until the worker has nothing in flight for a few consecutive looks. */
  settle(): Promise<void>;
  /**
   * What a worker restart or deploy does to these workflows: their current
   * runs are replayed from history with the worker's bundle, on a thread of
   * the replayer's own (test/support/replayer.ts). Returns the ones that did not
   * replay, with the error. (The
   * time-skipping server cannot restart the live worker: it never releases
   * a stopped worker's sticky queue while time is locked, and has no
   * ResetStickyTaskQueue, so the next timer would hang.)
   */
  replay(workflowIds: string[]): Promise<{ workflowId: string; error: string }[]>;
  close(): Promise<void>;
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function startSimEngine(taskQueue: string, overrides: Record<string, string> = {}): Promise<SimEngine> {
  const recorder = await startStripeRecorder();
  const config = testConfig({ TEMPORAL_TASK_QUEUE: taskQueue, STRIPE_API_URL: recorder.url, ...overrides });
  // The worker's activities and the API (with the checks) each get their own pool, as in production.
  const prisma = createPrisma(TEST_DATABASE_URL, 10);
  const workerPrisma = createPrisma(TEST_DATABASE_URL, 10);
  const stripe = createStripeClient(config.STRIPE_SECRET_KEY, config.STRIPE_API_URL);
  const env = await timeSkippingEnv();
  const workspaces = new WorkspaceClient(env.client, taskQueue);
  let clock = Number(await env.currentTimeMs());
  const now = () => clock;
  const activities = createActivities({ prisma: workerPrisma, stripe, settings: settingsFrom(config), workspaces });
  const bundle = await workflowBundle();
  let replayer: Replayer | undefined;

  const worker = await Worker.create({ connection: env.nativeConnection, taskQueue, workflowBundle: bundle, activities, maxConcurrentActivityTaskExecutions: 50 });
  const running = worker.run();

  const access: AccessService = createAccessService({ prisma, databaseUrl: TEST_DATABASE_URL, walletMinimumCents: config.WALLET_MINIMUM_CENTS, now });
  await access.start();
  // Webhooks are acknowledged once recorded; the relay signals them (as src/server.ts runs it).
  const relay = createWebhookRelay({ databaseUrl: TEST_DATABASE_URL, taskQueue, workspaces, retryMinMs: 50, retryMaxMs: 1_000, leaderRetryMs: 200, readDelayMs: 1 });
  await relay.start();
  const app = createApp({ prisma, stripe, workspaces, access, log: createLogger('silent'), config: { ...config, METRICS_ENABLED: false }, now, webhookRelay: relay });
  const server: Server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  // Longer than the client's idle sockets live: fewer resets of a reused connection.
  server.keepAliveTimeout = 65_000;
  const apiUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  /** Webhook events recorded and not signalled yet (the relay's backlog). */
  const unsignalled = async () => {
    const [row] = await prisma.$queryRaw<{ n: bigint }[]>`
      SELECT count(*) AS n FROM stripe_event WHERE task_queue = ${taskQueue} AND delivered_at IS NULL AND fact IS NOT NULL`;
    return Number(row.n);
  };

  async function settle(): Promise<void> {
    let quiet = 0;
    const since = Date.now();
    let warned = false;
    while (quiet < 3) {
      await pause(15);
      if (!warned && Date.now() - since > 60_000) {
        warned = true;
        console.error('settle: still busy after 60 s', JSON.stringify(worker.getStatus()), JSON.stringify(relay.stats()), await unsignalled());
      }
      const s = worker.getStatus();
      const r = relay.stats();
      const idle = s.numInFlightWorkflowActivations === 0 && s.numInFlightActivities === 0 && r.held === 0 && r.inFlight === 0;
      quiet = idle && (quiet > 0 || (await unsignalled()) === 0) ? quiet + 1 : 0;
    }
  }

  return {
    env,
    prisma,
    recorder,
    workspaces,
    config,
    apiUrl,
    now,
    async sleep(ms) {
      const watchdog = setTimeout(() => console.error('sleep: time has not moved for 60 s', JSON.stringify(worker.getStatus())), 60_000);
      await env.sleep(ms);
      clearTimeout(watchdog);
      clock = Number(await env.currentTimeMs());
    },
    settle,
    async replay(workflowIds) {
      const fetched = await Promise.all(
        workflowIds.map(async (workflowId) => ({
          workflowId,
          history: await env.client.workflow
            .getHandle(workflowId)
            .fetchHistory()
            .catch(() => null),
        })),
      );
      const histories = fetched.flatMap(({ workflowId, history }) => (history?.events?.length ? [{ workflowId, history }] : []));
      replayer ??= startReplayer(bundle);
      return replayer.replay(histories);
    },
    async close() {
      await replayer?.close();
      await relay.stop();
      worker.shutdown();
      await running;
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await access.stop();
      await env.teardown();
      await prisma.$disconnect();
      await workerPrisma.$disconnect();
      await recorder.close();
    },
  };
}
