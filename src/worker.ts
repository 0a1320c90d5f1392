// The worker process: builds activities with their dependencies (Prisma,
// Stripe, settings from the validated config) and runs the workspace
// workflows on the task queue. The SDK's logs (workflow and activity context
// loggers, and Temporal core's own) go to pino as JSON lines carrying the
// SDK's metadata (workflowId, workflowType, runId, activityType, taskQueue…);
// Temporal core's metrics are served for Prometheus on WORKER_METRICS_BIND:
// WORKER_METRICS_PORT.
import { DefaultLogger, NativeConnection, Runtime, Worker, type LogLevel } from '@temporalio/worker';
import { createActivities, type GuestClaimPort, type OutboxSettings } from '../activities';
import { loadConfig, type Config } from './config';
import { createLogger, type Logger } from './infra/logger';
import { createPrisma, type PrismaClient } from './infra/prisma';
import { createStripeClient } from './infra/stripe-client';
import { createNotificationDispatcher, type NotificationDispatcher } from './notifications/dispatcher';
import type { StoreScope } from './notifications/notification-store';
import { describeTemporalConnection, temporalConnectionOptions } from './infra/temporal-connection';
import { ensureReconciliationSchedule } from './temporal/reconciliation-schedule';
import { WorkspaceClient } from './temporal/workspace-client';

/** Retry delays are shortened at random by up to this fraction (so receivers coming back are not hit in lockstep). */
export const OUTBOUND_WEBHOOK_JITTER = 0.2;

/** In-flight activities get this long to finish after SIGTERM before they are cancelled. */
export const SHUTDOWN_GRACE_MS = 20_000;

export function settingsFrom(config: Config) {
  return {
    checkoutTtlMs: config.CHECKOUT_SESSION_TTL,
    gracePeriodMs: config.BILLING_GRACE_PERIOD,
    dunningReminderOffsetsMs: config.BILLING_DUNNING_REMINDERS,
    walletMinimumCents: config.WALLET_MINIMUM_CENTS,
    guestFlagAfterMs: config.GUEST_CHECKOUT_FLAG_AFTER,
    autoTopUpMaxPerDay: config.AUTO_TOP_UP_MAX_PER_DAY,
  };
}

/** Notifications are sent when OUTBOUND_WEBHOOK_URL is set; otherwise recorded as not_sent. */
export function outboxFrom(config: Config): OutboxSettings {
  return { deliver: config.OUTBOUND_WEBHOOK_URL !== undefined };
}

/** The outbound webhook dispatcher as the configuration describes it (not started); null without OUTBOUND_WEBHOOK_URL. */
export function notificationDispatcherFrom(
  config: Config,
  prisma: PrismaClient,
  options: { log?: Logger; scope?: StoreScope } = {},
): NotificationDispatcher | null {
  if (config.OUTBOUND_WEBHOOK_URL === undefined || config.OUTBOUND_WEBHOOK_SECRET === undefined) return null;
  return createNotificationDispatcher({
    prisma,
    databaseUrl: config.DATABASE_URL,
    url: config.OUTBOUND_WEBHOOK_URL,
    secret: config.OUTBOUND_WEBHOOK_SECRET,
    timeoutMs: config.OUTBOUND_WEBHOOK_TIMEOUT,
    retry: {
      maxAttempts: config.OUTBOUND_WEBHOOK_MAX_ATTEMPTS,
      initialDelayMs: config.OUTBOUND_WEBHOOK_RETRY_INITIAL,
      maxDelayMs: config.OUTBOUND_WEBHOOK_RETRY_MAX,
      jitter: OUTBOUND_WEBHOOK_JITTER,
    },
    log: options.log,
    scope: options.scope,
  });
}

export async function createWorker(config: Config, connection: NativeConnection, log?: Logger) {
  const prisma = createPrisma(config.DATABASE_URL);
  const stripe = createStripeClient(config.STRIPE_SECRET_KEY, config.STRIPE_API_URL);
  // Guest claims update workspace workflows through the worker's own client (known once the worker exists).
  const late: { client?: WorkspaceClient } = {};
  const workspaces: GuestClaimPort = {
    attachGuestCheckout: (workspaceId, attachment) => late.client!.attachGuestCheckout(workspaceId, attachment),
  };
  const worker = await Worker.create({
    connection,
    namespace: config.TEMPORAL_NAMESPACE,
    taskQueue: config.TEMPORAL_TASK_QUEUE,
    workflowsPath: require.resolve('../workflows'),
    activities: createActivities({ prisma, stripe, settings: settingsFrom(config), workspaces, outbox: outboxFrom(config) }),
    shutdownGraceTime: SHUTDOWN_GRACE_MS,
  });
  if (!worker.client) throw new Error('the worker has no Temporal client (needed by guest claims)');
  late.client = new WorkspaceClient(worker.client, config.TEMPORAL_TASK_QUEUE);
  // Outbound webhooks are sent beside the worker, never from an activity: a receiver can never hold up a workflow.
  const notifications = notificationDispatcherFrom(config, prisma, { log });
  return {
    worker,
    notifications,
    close: async () => {
      await notifications?.stop();
      await prisma.$disconnect();
    },
  };
}

const SDK_LEVEL: Record<Config['LOG_LEVEL'], LogLevel> = {
  trace: 'TRACE',
  debug: 'DEBUG',
  info: 'INFO',
  warn: 'WARN',
  error: 'ERROR',
  fatal: 'ERROR',
  silent: 'ERROR',
};
const PINO_LEVEL = { TRACE: 'trace', DEBUG: 'debug', INFO: 'info', WARN: 'warn', ERROR: 'error' } as const;

/** The SDK's logger, writing through pino: one JSON line per entry, the SDK's metadata as fields. */
export function sdkLogger(log: Logger, level: Config['LOG_LEVEL']): DefaultLogger {
  return new DefaultLogger(SDK_LEVEL[level], ({ level: entryLevel, message, meta }) => {
    const { sdkComponent, ...fields } = meta ?? {};
    log[PINO_LEVEL[entryLevel]]({ ...fields, ...(sdkComponent ? { component: String(sdkComponent) } : {}) }, message);
  });
}

/** Once per process, before any connection: the SDK logger and core's Prometheus exporter. */
export function installRuntime(config: Config, log: Logger): void {
  Runtime.install({
    logger: sdkLogger(log, config.LOG_LEVEL),
    telemetryOptions: {
      logging: { forward: {}, filter: { core: 'WARN', other: 'ERROR' } },
      ...(config.METRICS_ENABLED
        ? { metrics: { prometheus: { bindAddress: `${config.WORKER_METRICS_BIND}:${config.WORKER_METRICS_PORT}` } } }
        : {}),
    },
  });
}

async function main(): Promise<void> {
  const config = loadConfig();
  const log = createLogger(config.LOG_LEVEL, 'worker');
  installRuntime(config, log);
  const connection = await NativeConnection.connect(temporalConnectionOptions(config));
  const { worker, notifications, close } = await createWorker(config, connection, log);
  if (notifications) await notifications.start();
  else log.info('OUTBOUND_WEBHOOK_URL is not set: notifications are recorded (status not_sent), not sent');
  if (config.RECONCILIATION_SCHEDULE !== 'off') {
    if (!worker.client) throw new Error('the worker has no Temporal client to ensure the reconciliation schedule with');
    const outcome = await ensureReconciliationSchedule(worker.client, { taskQueue: config.TEMPORAL_TASK_QUEUE, cron: config.RECONCILIATION_SCHEDULE });
    log.info({ schedule: 'billing-reconciliation', cron: config.RECONCILIATION_SCHEDULE, outcome }, 'reconciliation schedule ensured');
  }
  log.info(
    {
      taskQueue: config.TEMPORAL_TASK_QUEUE,
      namespace: config.TEMPORAL_NAMESPACE,
      temporal: describeTemporalConnection(config),
      metrics: config.METRICS_ENABLED ? `http://${config.WORKER_METRICS_BIND}:${config.WORKER_METRICS_PORT}/metrics` : 'off',
    },
    'worker started',
  );
  // Worker.run() resolves after SIGINT/SIGTERM once in-flight tasks finish
  // (activities get SHUTDOWN_GRACE_MS, then are cancelled).
  await worker.run();
  await close();
  await connection.close();
  log.info('worker stopped');
}

if (require.main === module) {
  main().catch((err) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  });
}
