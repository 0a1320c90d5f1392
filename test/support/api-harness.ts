// The API wired to real things for tests: Express app + PostgreSQL (test
// database) + Temporal (time-skipping server) + a worker running the real
// activities against stripe-mock.
import { Client, Connection } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import type { Express } from 'express';
import { createActivities } from '../../activities';
import { createAccessService, type AccessService } from '../../src/access/access-service';
import { createAccessChangeHub, type AccessChangeHub } from '../../src/access/change-hub';
import { createApp } from '../../src/api/app';
import type { Config } from '../../src/config';
import { createLogger } from '../../src/infra/logger';
import { createStripeClient } from '../../src/infra/stripe-client';
import { createPrisma, type PrismaClient } from '../../src/infra/prisma';
import { WorkspaceClient } from '../../src/temporal/workspace-client';
import type { NotificationDispatcher } from '../../src/notifications/dispatcher';
import { notificationDispatcherFrom, outboxFrom, settingsFrom } from '../../src/worker';
import { createWebhookRelay, type WebhookRelay } from '../../src/webhooks/webhook-relay';
import { testPrisma } from './db';
import { timeSkippingEnv, workflowBundle } from './temporal';
import { TEST_DATABASE_URL, testConfig } from './test-env';

export interface ApiHarness {
  app: Express;
  env: TestWorkflowEnvironment;
  prisma: PrismaClient;
  config: Config;
  workspaces: WorkspaceClient;
  /** The started access service behind /access (LISTENing on the test database). */
  access: AccessService;
  /**
   * The outbound webhook dispatcher, started when OUTBOUND_WEBHOOK_URL is
   * among the overrides; it sends only the notifications of workspaces whose
   * id starts with `notificationsOf` (test files share one database).
   */
  notifications: NotificationDispatcher | null;
  /** The webhook relay of this harness's task queue (signals recorded webhook events; started). */
  relay: WebhookRelay;
  /** An app whose Temporal address answers nothing, for "Temporal down" cases. */
  appWithoutTemporal(): Express;
  close(): Promise<void>;
}

export async function startApiHarness(
  taskQueue: string,
  overrides: Record<string, string> = {},
  options: {
    notificationsOf?: string;
    /** Serve GET /v1/access/changes (else it answers 503). */
    changeStream?: boolean;
    /** Another database than the test database (a scratch one, migrated). */
    databaseUrl?: string;
  } = {},
): Promise<ApiHarness> {
  const databaseUrl = options.databaseUrl ?? TEST_DATABASE_URL;
  const config = testConfig({ TEMPORAL_TASK_QUEUE: taskQueue, DATABASE_URL: databaseUrl, ...overrides });
  const prisma = options.databaseUrl === undefined ? testPrisma() : createPrisma(databaseUrl, 4);
  const stripe = createStripeClient(config.STRIPE_SECRET_KEY, config.STRIPE_API_URL);
  const env = await timeSkippingEnv();
  const workspaces = new WorkspaceClient(env.client, taskQueue);
  const worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue,
    workflowBundle: await workflowBundle(),
    activities: createActivities({ prisma, stripe, settings: settingsFrom(config), workspaces, outbox: outboxFrom(config) }),
  });
  const running = worker.run();
  const log = createLogger('silent');
  const access = createAccessService({ prisma, databaseUrl, walletMinimumCents: config.WALLET_MINIMUM_CENTS });
  await access.start();
  if (config.OUTBOUND_WEBHOOK_URL && options.notificationsOf === undefined) {
    throw new Error('startApiHarness: with OUTBOUND_WEBHOOK_URL, name the workspace id prefix whose notifications this harness sends (notificationsOf)');
  }
  const notifications = notificationDispatcherFrom(config, prisma, { scope: { workspaceIdPrefix: options.notificationsOf } });
  await notifications?.start();
  // Short retry delays: a test that takes Temporal away sees the relay catch up quickly once it is back.
  const relay = createWebhookRelay({ databaseUrl, taskQueue, workspaces, retryMinMs: 50, retryMaxMs: 1_000, leaderRetryMs: 500 });
  await relay.start();
  let changes: AccessChangeHub | undefined;
  if (options.changeStream) {
    changes = createAccessChangeHub({ prisma, access, walletMinimumCents: config.WALLET_MINIMUM_CENTS });
    changes.start();
  }
  const app = createApp({ prisma, stripe, workspaces, access, log, config, webhookRelay: relay, changes });
  const deadConnections: Connection[] = [];
  return {
    app,
    env,
    prisma,
    config,
    workspaces,
    access,
    notifications,
    relay,
    appWithoutTemporal() {
      const connection = Connection.lazy({ address: '127.0.0.1:1', connectTimeout: 500 });
      deadConnections.push(connection);
      const unreachable = new WorkspaceClient(new Client({ connection }), taskQueue);
      return createApp({ prisma, stripe, workspaces: unreachable, access, log, config });
    },
    async close() {
      changes?.stop();
      await notifications?.stop();
      await relay.stop();
      worker.shutdown();
      await running;
      await Promise.all(deadConnections.map((c) => c.close().catch(() => undefined)));
      await env.teardown();
      await access.stop();
      await prisma.$disconnect();
    },
  };
}
