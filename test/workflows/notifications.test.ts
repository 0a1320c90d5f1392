// Notifications across the grace window on the time-skipping server with the
// real activities, the API and a real HTTP receiver (test/support/api-harness):
// a failed payment → reminders at 0d/3d/6d → expiry → payment, each told
// once, signed, in order, dated by workflow time; and a receiver that fails
// meanwhile holds up nothing (the lifecycle runs on, its notifications are
// delivered once it answers again, with the same webhook-ids).
import request from 'supertest';
import { uniqueId } from '../support/db';
import { eventually } from '../support/fake-activities';
import { startApiHarness, type ApiHarness } from '../support/api-harness';
import { checkoutFixture, invoice, signedPayload, stripeEvent, subscription } from '../support/stripe-events';
import { TEST_SECRETS } from '../support/test-env';
import { startWebhookReceiver, TEST_WEBHOOK_SECRET, type ReceivedWebhook, type WebhookReceiver } from '../support/webhook-receiver';

const DAY = 86_400_000;
const PREFIX = `${uniqueId('ntf')}_`;
let h: ApiHarness;
let receiver: WebhookReceiver;
beforeAll(async () => {
  receiver = await startWebhookReceiver();
  h = await startApiHarness(
    'notifications-grace-test',
    {
      OUTBOUND_WEBHOOK_URL: receiver.url,
      OUTBOUND_WEBHOOK_SECRET: TEST_WEBHOOK_SECRET,
      OUTBOUND_WEBHOOK_RETRY_INITIAL: '50ms',
      OUTBOUND_WEBHOOK_RETRY_MAX: '500ms',
      OUTBOUND_WEBHOOK_MAX_ATTEMPTS: '100',
    },
    { notificationsOf: PREFIX },
  );
}, 120_000);
afterAll(async () => {
  await h?.close();
  await receiver?.close();
});

const app = { Authorization: `Bearer ${TEST_SECRETS.APP_API_TOKEN}` };
const billing = (workspaceId: string) => request(h.app).get(`/v1/workspaces/${workspaceId}/billing`).set(app).then((r) => r.body);
let n = 0;
const fixture = () => ({ ...checkoutFixture('plus', 'month'), workspaceId: `${PREFIX}${++n}` });
/** Server (workflow) time in epoch seconds: event times follow the skipped clock. */
const serverSeconds = async () => Math.floor(Number(await h.env.currentTimeMs()) / 1000);

async function deliver(type: string, object: Record<string, unknown>) {
  const { payload, signature } = signedPayload(stripeEvent(type, object, await serverSeconds()));
  await request(h.app).post('/webhooks/stripe').set('Stripe-Signature', signature).send(payload).expect(200);
}

/** The distinct notifications of a workspace in the order they first arrived: [type, offset?]. */
function told(workspaceId: string): ReceivedWebhook[] {
  const seen = new Set<string>();
  return receiver.of(workspaceId).filter((d) => !seen.has(d.id) && (seen.add(d.id), true));
}
const labels = (workspaceId: string) =>
  told(workspaceId).map((d) => (d.body.type === 'billing.payment_reminder' ? `${d.body.type}@${d.body.data.offset}` : d.body.type));
const waitFor = (workspaceId: string, label: string) => eventually(async () => labels(workspaceId), (l) => l.includes(label), 20_000);

test('failure → reminders at 0d, 3d, 6d → expiry → payment: every notification once, signed, in order, at workflow time', async () => {
  const f = fixture();
  await deliver('customer.subscription.created', subscription(f));
  await waitFor(f.workspaceId, 'checkout.completed');

  const failedAt = (await serverSeconds()) * 1000;
  const unpaid = invoice(f, { status: 'open' });
  await deliver('invoice.payment_failed', unpaid);
  await waitFor(f.workspaceId, 'billing.payment_failed');
  await waitFor(f.workspaceId, 'billing.payment_reminder@0ms');
  await h.env.sleep(3 * DAY);
  await waitFor(f.workspaceId, 'billing.payment_reminder@3d');
  await h.env.sleep(3 * DAY);
  await waitFor(f.workspaceId, 'billing.payment_reminder@6d');
  await h.env.sleep(1 * DAY + 60_000);
  await waitFor(f.workspaceId, 'billing.grace_expired');
  expect((await billing(f.workspaceId)).mode).toBe('enforced_recovery');
  await deliver('invoice.paid', invoice(f, { id: unpaid.id, status: 'paid' }));
  await waitFor(f.workspaceId, 'billing.restored');

  // The window's opening and its 0d reminder are recorded in the same workflow step, in either order.
  const sequence = labels(f.workspaceId);
  expect(new Set(sequence.slice(1, 3))).toEqual(new Set(['billing.payment_failed', 'billing.payment_reminder@0ms']));
  expect([sequence[0], ...sequence.slice(3)]).toEqual([
    'checkout.completed',
    'billing.payment_reminder@3d',
    'billing.payment_reminder@6d',
    'billing.grace_expired',
    'billing.restored',
  ]);
  expect(receiver.rejected).toEqual([]);
  // Duplicates, if any, only ever repeat a webhook-id (never a second id for one event).
  const byId = new Map(receiver.of(f.workspaceId).map((d) => [d.id, JSON.stringify(d.body)]));
  for (const d of receiver.of(f.workspaceId)) expect(JSON.stringify(d.body)).toBe(byId.get(d.id));

  const body = (label: string) => told(f.workspaceId)[sequence.indexOf(label)].body;
  const [failed, r0, r3, r6, expired, restored] = [
    'billing.payment_failed',
    'billing.payment_reminder@0ms',
    'billing.payment_reminder@3d',
    'billing.payment_reminder@6d',
    'billing.grace_expired',
    'billing.restored',
  ].map(body);
  const endsAt = failedAt + 7 * DAY;
  expect(failed.data).toMatchObject({ graceStartedAt: new Date(failedAt).toISOString(), graceEndsAt: new Date(endsAt).toISOString(), unpaidInvoice: { id: unpaid.id } });
  // Dated by the workflow's (skipped) clock: the reminders three days apart, the expiry at the window's end.
  const at = (b: { occurredAt: string }) => Date.parse(b.occurredAt);
  expect(at(r3) - at(r0)).toBeGreaterThanOrEqual(3 * DAY - 60_000);
  expect(at(r6) - at(r3)).toBeGreaterThanOrEqual(3 * DAY - 60_000);
  expect(at(expired)).toBeGreaterThanOrEqual(endsAt);
  expect(r3.data).toMatchObject({ offset: '3d', dueAt: new Date(failedAt + 3 * DAY).toISOString(), graceEndsAt: new Date(endsAt).toISOString() });
  expect(restored.data).toMatchObject({ previousMode: 'enforced_recovery', plan: { id: 'plus', interval: 'month' } });

  // The receiver has answered; the dispatcher records the delivery right after.
  const rows = await eventually(
    () => h.prisma.notification.findMany({ where: { workspaceId: f.workspaceId }, select: { status: true } }),
    (r) => r.every((x) => x.status === 'delivered'),
  );
  expect(rows).toHaveLength(7);
});

test('a receiver answering 503 holds up nothing: the lifecycle runs on and everything arrives, once it answers, under the same ids', async () => {
  const f = fixture();
  receiver.respondWith((d) => (d.body.workspaceId === f.workspaceId ? 503 : 204));
  await deliver('customer.subscription.created', subscription(f));
  await eventually(() => billing(f.workspaceId), (b) => b.status === 'active');
  const unpaid = invoice(f, { status: 'open' });
  await deliver('invoice.payment_failed', unpaid);
  await eventually(() => billing(f.workspaceId), (b) => b.mode === 'billing_recovery');
  await h.env.sleep(7 * DAY + 60_000);
  await eventually(() => billing(f.workspaceId), (b) => b.mode === 'enforced_recovery');
  await deliver('invoice.paid', invoice(f, { id: unpaid.id, status: 'paid' }));
  await eventually(() => billing(f.workspaceId), (b) => b.mode === 'self_serve' && b.status === 'active');

  // Meanwhile every notification was refused and is still owed.
  const owed = await h.prisma.notification.findMany({ where: { workspaceId: f.workspaceId } });
  expect(owed.map((r) => r.status)).toEqual(Array(7).fill('pending'));
  const refusedIds = new Set(receiver.of(f.workspaceId).map((d) => d.id));
  expect(refusedIds.size).toBeGreaterThan(0);

  receiver.respondWith(() => 204);
  await eventually(
    () => h.prisma.notification.findMany({ where: { workspaceId: f.workspaceId }, select: { status: true } }),
    (rows) => rows.every((r) => r.status === 'delivered'),
    20_000,
  );
  expect(labels(f.workspaceId)).toEqual(expect.arrayContaining(['checkout.completed', 'billing.payment_failed', 'billing.grace_expired', 'billing.restored']));
  expect(told(f.workspaceId)).toHaveLength(7);
  // Every id refused earlier was delivered later under the same id.
  const delivered = new Set(receiver.of(f.workspaceId).filter((d) => d.answer === 204).map((d) => d.id));
  for (const id of refusedIds) expect(delivered.has(id)).toBe(true);
  expect(new Set(owed.map((r) => r.id))).toEqual(delivered);
});
