// The API process: validated config, Prisma, a lazy Temporal client (the API
// starts and answers /readyz even while Temporal is down), graceful shutdown.
import { Client, Connection } from '@temporalio/client';
import type { Server } from 'node:http';
import { createAccessService } from './access/access-service';
import { createAccessChangeHub } from './access/change-hub';
import { createApp } from './api/app';
import { createApiMetrics } from './api/metrics';
import { pruneIdempotencyKeys } from './api/idempotency';
import { ConfigError, loadConfig } from './config';
import { createLogger } from './infra/logger';
import { describeTemporalConnection, temporalConnectionOptions } from './infra/temporal-connection';
import { createPrisma } from './infra/prisma';
import { createStripeClient } from './infra/stripe-client';
import { WorkspaceClient } from './temporal/workspace-client';
import { createWebhookRelay } from './webhooks/webhook-relay';

async function main(): Promise<void> {
  const config = loadConfig();
  const log = createLogger(config.LOG_LEVEL, 'api');
  const prisma = createPrisma(config.DATABASE_URL);
  const connection = Connection.lazy(temporalConnectionOptions(config));
  const client = new Client({ connection, namespace: config.TEMPORAL_NAMESPACE });
  const workspaces = new WorkspaceClient(client, config.TEMPORAL_TASK_QUEUE);
  const stripe = createStripeClient(config.STRIPE_SECRET_KEY, config.STRIPE_API_URL);
  const access = createAccessService({
    prisma,
    databaseUrl: config.DATABASE_URL,
    walletMinimumCents: config.WALLET_MINIMUM_CENTS,
    log: log.child({ component: 'access' }),
  });
  await access.start();
  const changes = createAccessChangeHub({
    prisma,
    access,
    walletMinimumCents: config.WALLET_MINIMUM_CENTS,
    log: log.child({ component: 'access-changes' }),
  });
  changes.start();
  const metrics = config.METRICS_ENABLED ? createApiMetrics() : undefined;
  // Signals the webhook events this and the other API processes record (one relay active per task queue).
  const webhookRelay = createWebhookRelay({
    databaseUrl: config.DATABASE_URL,
    taskQueue: config.TEMPORAL_TASK_QUEUE,
    workspaces,
    log: log.child({ component: 'webhook-relay' }),
    onSignal: (outcome) => metrics?.webhookSignals.inc({ outcome }),
  });
  metrics?.observeRelay(() => webhookRelay.stats());
  await webhookRelay.start();
  const app = createApp({ prisma, stripe, workspaces, access, changes, log, config, metrics, webhookRelay });
  // Answers kept for Idempotency-Key retries are bounded by their lifetime.
  const pruning = setInterval(() => {
    pruneIdempotencyKeys(prisma, config.IDEMPOTENCY_KEY_TTL).catch((err: unknown) => log.warn({ err }, 'pruning idempotency keys failed'));
  }, 3_600_000);
  pruning.unref();

  const server: Server = app.listen(config.PORT, () =>
    log.info(
      { port: config.PORT, metrics: config.METRICS_ENABLED ? '/metrics' : 'off', temporal: describeTemporalConnection(config) },
      'api listening',
    ),
  );
  // Graceful shutdown: stop accepting connections, let in-flight requests
  // finish (a keep-alive client is told to close after its answer and idle
  // sockets are closed as they go idle), then release PostgreSQL and
  // Temporal. Whatever is still running after 15 s is cut off (exit 1).
  let stopping = false;
  server.on('request', (_req, res) => {
    if (stopping && !res.headersSent) res.setHeader('Connection', 'close');
  });
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'api stopping: finishing in-flight requests');
    // Change streams never finish by themselves: end them (their clients reconnect elsewhere and resume or resync).
    changes.stop();
    const idleSweep = setInterval(() => server.closeIdleConnections(), 250);
    idleSweep.unref();
    server.close(async () => {
      clearInterval(idleSweep);
      clearInterval(pruning);
      await webhookRelay.stop();
      await access.stop();
      await prisma.$disconnect();
      await connection.close();
      log.info('api stopped');
      process.exit(0);
    });
    server.closeIdleConnections();
    setTimeout(() => {
      log.error('api stop timed out after 15 s: exiting with requests still open');
      process.exit(1);
    }, 15_000).unref();
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

main().catch((err) => {
  console.error(err instanceof ConfigError ? err.message : err);
  process.exit(1);
});
