// The worker process: builds activities with their dependencies (Prisma,
// Stripe, settings from the validated config) and runs the workspace
// workflows on the task queue.
import { NativeConnection, Worker } from '@temporalio/worker';
import { createActivities } from '../activities';
import { loadConfig, type Config } from './config';
import { createLogger } from './infra/logger';
import { createPrisma } from './infra/prisma';
import { createStripeClient } from './infra/stripe-client';

export function settingsFrom(config: Config) {
  return {
    checkoutTtlMs: config.CHECKOUT_SESSION_TTL,
    gracePeriodMs: config.BILLING_GRACE_PERIOD,
    dunningReminderOffsetsMs: config.BILLING_DUNNING_REMINDERS,
    walletMinimumCents: config.WALLET_MINIMUM_CENTS,
  };
}

export async function createWorker(config: Config, connection: NativeConnection) {
  const prisma = createPrisma(config.DATABASE_URL);
  const stripe = createStripeClient(config.STRIPE_SECRET_KEY, config.STRIPE_API_URL);
  const worker = await Worker.create({
    connection,
    namespace: config.TEMPORAL_NAMESPACE,
    taskQueue: config.TEMPORAL_TASK_QUEUE,
    workflowsPath: require.resolve('../workflows'),
    activities: createActivities({ prisma, stripe, settings: settingsFrom(config) }),
  });
  return { worker, close: () => prisma.$disconnect() };
}

async function main(): Promise<void> {
  const config = loadConfig();
  const log = createLogger(config.LOG_LEVEL, 'worker');
  const connection = await NativeConnection.connect({ address: config.TEMPORAL_ADDRESS });
  const { worker, close } = await createWorker(config, connection);
  log.info({ taskQueue: config.TEMPORAL_TASK_QUEUE, namespace: config.TEMPORAL_NAMESPACE }, 'worker started');
  // Worker.run() resolves after SIGINT/SIGTERM once in-flight tasks finish.
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
