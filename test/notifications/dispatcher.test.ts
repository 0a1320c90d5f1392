// Delivery of outbound webhooks (src/notifications/dispatcher.ts) to a real
// HTTP receiver in the test, on real PostgreSQL: signatures verified with
// standardwebhooks' Webhook.verify, every retry with the same webhook-id,
// bounded exponential backoff, 4xx → failed after the last attempt (and a
// redelivery's new round), timeouts and a receiver that is down retried
// without holding up anything else, and two dispatchers never sending one
// notification twice at once.
import { enqueueNotifications, notificationId } from '../../activities/notification-outbox';
import { reminderNotification, type AnyNotificationDraft } from '../../src/domain/notifications';
import { retryDelayMs, type RetryPolicy } from '../../src/domain/webhook-delivery';
import { freePort } from '../../scripts/lib/dev-servers';
import type { PrismaClient } from '../../src/infra/prisma';
import { createNotificationDispatcher, type NotificationDispatcher } from '../../src/notifications/dispatcher';
import { redeliverNotification } from '../../src/notifications/notification-store';
import { testPrisma, uniqueId } from '../support/db';
import { eventually } from '../support/fake-activities';
import { TEST_DATABASE_URL } from '../support/test-env';
import { startWebhookReceiver, TEST_WEBHOOK_SECRET, type WebhookReceiver } from '../support/webhook-receiver';

const RETRY: RetryPolicy = { maxAttempts: 4, initialDelayMs: 100, maxDelayMs: 300, jitter: 0.2 };
/** Generous, so a loaded machine never times out a receiver that answers; the hanging receiver's test uses a shorter one. */
const TIMEOUT_MS = 5_000;
const HANG_TIMEOUT_MS = 1_000;
const DAY = 86_400_000;

let prisma: PrismaClient;
const cleanups: (() => Promise<unknown>)[] = [];
beforeAll(() => {
  prisma = testPrisma();
});
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});
afterAll(() => prisma.$disconnect());

/** A receiver and a dispatcher sending only this test's workspaces' notifications to it. */
async function setup(options: { url?: string; receiver?: WebhookReceiver; dispatchers?: number; timeoutMs?: number } = {}) {
  const prefix = `${uniqueId('dlv')}_`;
  const receiver = options.receiver ?? (await startWebhookReceiver());
  cleanups.push(() => receiver.close());
  const dispatchers: NotificationDispatcher[] = [];
  for (let i = 0; i < (options.dispatchers ?? 1); i++) {
    const dispatcher = createNotificationDispatcher({
      prisma,
      databaseUrl: TEST_DATABASE_URL,
      url: options.url ?? receiver.url,
      secret: TEST_WEBHOOK_SECRET,
      timeoutMs: options.timeoutMs ?? TIMEOUT_MS,
      retry: RETRY,
      pollMs: 1_000,
      scope: { workspaceIdPrefix: prefix },
    });
    await dispatcher.start();
    cleanups.push(() => dispatcher.stop());
    dispatchers.push(dispatcher);
  }
  let n = 0;
  /** Records a notification for a new workspace of this test, as an activity would. */
  const enqueue = async (): Promise<{ id: string; workspaceId: string; draft: AnyNotificationDraft }> => {
    const workspaceId = `${prefix}${++n}`;
    const start = Date.parse('2026-11-20T10:00:00Z');
    const draft = reminderNotification({ workspaceId, graceStartedAt: start, graceEndsAt: start + 7 * DAY, offsetMs: 3 * DAY, invoice: null }, Date.now());
    await prisma.$transaction((tx) => enqueueNotifications(tx, [draft]));
    return { id: notificationId(draft.sourceKey), workspaceId, draft };
  };
  return { receiver, dispatchers, enqueue };
}

async function stateOf(id: string) {
  const row = await prisma.notification.findUniqueOrThrow({ where: { id }, include: { deliveryAttempts: { orderBy: { id: 'asc' } } } });
  return {
    status: row.status,
    round: row.round,
    attempts: row.attempts,
    nextAttemptAt: row.nextAttemptAt?.getTime() ?? null,
    deliveredAt: row.deliveredAt?.getTime() ?? null,
    log: row.deliveryAttempts.map((a) => ({ round: a.round, attempt: a.attempt, statusCode: a.statusCode, error: a.error })),
  };
}
const settled = (id: string) => eventually(() => stateOf(id), (s) => s.status === 'delivered' || s.status === 'failed', 30_000);

test('a notification is POSTed signed (verified by the receiver) with its id as webhook-id, and recorded as delivered', async () => {
  const { receiver, enqueue } = await setup();
  const { id, workspaceId, draft } = await enqueue();
  const state = await settled(id);
  expect(state).toMatchObject({ status: 'delivered', round: 1, attempts: 1, nextAttemptAt: null, log: [{ round: 1, attempt: 1, statusCode: 204, error: null }] });
  expect(receiver.rejected).toEqual([]);
  expect(receiver.of(workspaceId)).toEqual([
    expect.objectContaining({
      id,
      answer: 204,
      body: { id, type: 'billing.payment_reminder', occurredAt: new Date(draft.occurredAt).toISOString(), workspaceId, data: draft.data },
    }),
  ]);
  // The signing time is the attempt's own (receivers refuse stale timestamps).
  const [delivery] = receiver.of(workspaceId);
  expect(Math.abs(delivery.timestamp * 1000 - delivery.receivedAt)).toBeLessThan(5 * 60_000);
});

test('5xx answers are retried with the same webhook-id after backoff delays, until a 2xx', async () => {
  const { receiver, enqueue } = await setup();
  receiver.respondWith((_d, previous) => (previous < 2 ? 503 : 200));
  const { id, workspaceId } = await enqueue();
  const state = await settled(id);
  expect(state.status).toBe('delivered');
  expect(state.log.map((a) => [a.attempt, a.statusCode, a.error])).toEqual([
    [1, 503, 'HTTP 503'],
    [2, 503, 'HTTP 503'],
    [3, 200, null],
  ]);
  const deliveries = receiver.of(workspaceId);
  expect(deliveries.map((d) => d.id)).toEqual([id, id, id]);
  expect(receiver.rejected).toEqual([]);
  // No retry came before its backoff (the shortest a jittered delay can be).
  for (let i = 1; i < deliveries.length; i++) {
    const earliest = retryDelayMs(i, RETRY, 0.999999);
    expect(deliveries[i].receivedAt - deliveries[i - 1].receivedAt).toBeGreaterThanOrEqual(earliest - 5);
  }
});

test('a 4xx receiver is retried up to the bound, then the notification is failed; a redelivery starts a new round with the same webhook-id', async () => {
  const { receiver, enqueue } = await setup();
  receiver.respondWith(() => 400);
  const { id, workspaceId } = await enqueue();
  const failed = await settled(id);
  expect(failed).toMatchObject({ status: 'failed', round: 1, attempts: RETRY.maxAttempts, nextAttemptAt: null });
  expect(failed.log).toEqual([1, 2, 3, 4].map((attempt) => ({ round: 1, attempt, statusCode: 400, error: 'HTTP 400' })));
  expect(receiver.of(workspaceId)).toHaveLength(RETRY.maxAttempts);

  receiver.respondWith(() => 202);
  await expect(redeliverNotification(prisma, id)).resolves.toBe('redelivered');
  const delivered = await settled(id);
  expect(delivered).toMatchObject({ status: 'delivered', round: 2, attempts: 1 });
  expect(delivered.log.at(-1)).toEqual({ round: 2, attempt: 1, statusCode: 202, error: null });
  expect(new Set(receiver.of(workspaceId).map((d) => d.id))).toEqual(new Set([id]));
  // Unknown notification.
  await expect(redeliverNotification(prisma, notificationId(uniqueId('nothing')))).resolves.toBe('not_found');
});

test('a receiver that does not answer times out and is retried; it holds up no other notification meanwhile', async () => {
  const { receiver, enqueue } = await setup({ timeoutMs: HANG_TIMEOUT_MS });
  let hung = 0;
  receiver.respondWith((d, previous) => (d.body.workspaceId?.endsWith('_1') && previous === 0 ? (hung++, 'hang') : 204));
  const slow = await enqueue();
  await eventually(async () => hung, (n) => n === 1);
  // While the first POST hangs, another notification goes straight through.
  const fast = await enqueue();
  const fastState = await settled(fast.id);
  expect(fastState.status).toBe('delivered');
  expect((await stateOf(slow.id)).status).toBe('pending');

  const slowState = await settled(slow.id);
  expect(slowState.status).toBe('delivered');
  expect(slowState.log).toEqual([
    { round: 1, attempt: 1, statusCode: null, error: `timeout after ${HANG_TIMEOUT_MS} ms` },
    { round: 1, attempt: 2, statusCode: 204, error: null },
  ]);
  expect(receiver.of(slow.workspaceId).map((d) => d.id)).toEqual([slow.id, slow.id]);
});

test('a receiver that is down is retried (connection refused) until it is back, with the same webhook-id', async () => {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}/hooks/billing`;
  const placeholder = await startWebhookReceiver(); // only to satisfy setup; deliveries go to `url`
  const { enqueue } = await setup({ url, receiver: placeholder });
  const { id, workspaceId } = await enqueue();
  const refused = await eventually(() => stateOf(id), (s) => s.log.length >= 2);
  expect(refused.status).toBe('pending');
  expect(refused.log[0]).toMatchObject({ statusCode: null, error: expect.stringMatching(/^ECONNREFUSED/) });
  const back = await startWebhookReceiver({ port });
  cleanups.push(() => back.close());
  const state = await settled(id);
  // Either the receiver came back within the round, or the round ran out first (then an operator redelivers).
  if (state.status === 'failed') {
    await redeliverNotification(prisma, id);
    await settled(id);
  }
  expect((await stateOf(id)).status).toBe('delivered');
  expect(back.of(workspaceId).map((d) => d.id)).toEqual([id]);
  expect(back.rejected).toEqual([]);
});

test('two dispatchers share the outbox without sending a notification twice', async () => {
  const { receiver, enqueue } = await setup({ dispatchers: 2 });
  const ids = (await Promise.all(Array.from({ length: 30 }, () => enqueue()))).map((e) => e.id);
  await Promise.all(ids.map(settled));
  for (const id of ids) expect((await stateOf(id)).log).toHaveLength(1);
  const delivered = receiver.received.map((d) => d.id).sort();
  expect(delivered).toEqual([...ids].sort());
});
