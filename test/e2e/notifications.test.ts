// Outbound webhooks end to end on real servers: Temporal dev server, the
// worker and API processes from their entry points, PostgreSQL (a database
// of this file's own, so the worker's dispatcher sees only its own
// notifications), stripe-mock, and a real HTTP receiver in the test that
// verifies every signature with standardwebhooks. A failure → reminders →
// expiry → payment lifecycle with a short grace window: every notification
// arrives, none missing, duplicates only ever repeat a webhook-id (the
// receiver refuses each first delivery, so every one is retried).
import { startTemporalDevServer, type TemporalDevServer } from '../../scripts/lib/dev-servers';
import { startEngine, type EngineProcesses } from '../support/engine-processes';
import { eventually } from '../support/fake-activities';
import { createScratchDatabase, type ScratchDatabase } from '../support/scratch-database';
import { checkoutFixture, invoice, signedPayload, stripeEvent, subscription } from '../support/stripe-events';
import { TEST_SECRETS } from '../support/test-env';
import { startWebhookReceiver, TEST_WEBHOOK_SECRET, type ReceivedWebhook, type WebhookReceiver } from '../support/webhook-receiver';

const GRACE_MS = 12_000;
let temporal: TemporalDevServer;
let database: ScratchDatabase;
let receiver: WebhookReceiver;
let engine: EngineProcesses;

beforeAll(async () => {
  [temporal, database, receiver] = await Promise.all([
    startTemporalDevServer({ headless: true }),
    createScratchDatabase('e2e_notifications'),
    // Each notification's first delivery is refused: every one must be retried under its id.
    startWebhookReceiver({ responder: (_d, previous) => (previous === 0 ? 503 : 204) }),
  ]);
  engine = await startEngine({
    temporalAddress: temporal.address,
    taskQueue: 'e2e-notifications',
    env: {
      DATABASE_URL: database.url,
      BILLING_GRACE_PERIOD: `${GRACE_MS / 1000}s`,
      BILLING_DUNNING_REMINDERS: '0s,4s,8s',
      OUTBOUND_WEBHOOK_URL: receiver.url,
      OUTBOUND_WEBHOOK_SECRET: TEST_WEBHOOK_SECRET,
      OUTBOUND_WEBHOOK_RETRY_INITIAL: '200ms',
      OUTBOUND_WEBHOOK_RETRY_MAX: '1s',
    },
  });
}, 180_000);

afterAll(async () => {
  await engine?.stop();
  await receiver?.close();
  await temporal?.stop();
  await database?.drop();
});

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const api = async (path: string, init: RequestInit = {}, token = TEST_SECRETS.APP_API_TOKEN): Promise<{ status: number; body: Json }> => {
  const res = await fetch(`${engine.apiUrl}${path}`, { ...init, headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json', ...init.headers } });
  return { status: res.status, body: (await res.json()) as Json };
};
const billing = (workspaceId: string) => api(`/v1/workspaces/${workspaceId}/billing`).then((r) => r.body);

async function deliver(type: string, object: Record<string, unknown>) {
  const { payload, signature } = signedPayload(stripeEvent(type, object, Math.floor(Date.now() / 1000)));
  const res = await fetch(`${engine.apiUrl}/webhooks/stripe`, { method: 'POST', headers: { 'Stripe-Signature': signature }, body: payload });
  expect(res.status).toBe(200);
}

const label = (d: ReceivedWebhook) => (d.body.type === 'billing.payment_reminder' ? `${d.body.type}@${d.body.data.offset}` : d.body.type);
/** Distinct notifications (by webhook-id) that were delivered (answered 2xx). */
const delivered = (workspaceId: string) => [...new Map(receiver.of(workspaceId).filter((d) => d.answer === 204).map((d) => [d.id, d])).values()];
const labels = (workspaceId: string) => delivered(workspaceId).map(label);

test('failure → reminders → expiry → payment: every notification delivered, signed, none missing, duplicates only under the same webhook-id', async () => {
  const f = checkoutFixture('plus', 'month');
  await deliver('customer.subscription.created', subscription(f));
  await eventually(() => billing(f.workspaceId), (b) => b.status === 'active', 20_000);

  const unpaid = invoice(f, { status: 'open' });
  await deliver('invoice.payment_failed', unpaid);
  const recovering = await eventually(() => billing(f.workspaceId), (b) => b.mode === 'billing_recovery', 20_000);
  await eventually(() => billing(f.workspaceId), (b) => b.mode === 'enforced_recovery', GRACE_MS + 20_000);
  await eventually(async () => labels(f.workspaceId), (l) => l.includes('billing.grace_expired'), 20_000);
  await deliver('invoice.paid', invoice(f, { id: unpaid.id, status: 'paid' }));
  await eventually(() => billing(f.workspaceId), (b) => b.mode === 'self_serve', 20_000);

  const expected = [
    'checkout.completed',
    'billing.payment_failed',
    'billing.payment_reminder@0ms',
    'billing.payment_reminder@4s',
    'billing.payment_reminder@8s',
    'billing.grace_expired',
    'billing.restored',
  ];
  await eventually(async () => labels(f.workspaceId), (l) => l.length === expected.length, 20_000);
  expect([...labels(f.workspaceId)].sort()).toEqual([...expected].sort());

  // Every request verified (standardwebhooks) and parsed with the published schema.
  expect(receiver.rejected).toEqual([]);
  const all = receiver.of(f.workspaceId);
  // Each notification was refused once and delivered under the same id with the same body; no other duplicates.
  for (const d of delivered(f.workspaceId)) {
    const copies = all.filter((x) => x.id === d.id);
    expect(copies.map((c) => c.answer)).toEqual([503, 204]);
    expect(new Set(copies.map((c) => JSON.stringify(c.body))).size).toBe(1);
    expect(d.body.id).toBe(d.id);
  }
  const failed = delivered(f.workspaceId).find((d) => d.body.type === 'billing.payment_failed')!;
  expect(failed.body.data).toMatchObject({ graceEndsAt: recovering.grace.endsAt, unpaidInvoice: { id: unpaid.id } });

  // Operators see them delivered, each with its two attempts.
  // (The receiver has answered; the dispatcher records each delivery right after.)
  const listed = await eventually(
    () => api(`/v1/operator/notifications?workspaceId=${f.workspaceId}`, {}, TEST_SECRETS.OPERATOR_API_TOKEN),
    (r) => r.status === 200 && r.body.notifications.every((n: Json) => n.status === 'delivered'),
  );
  expect(listed.body.notifications).toHaveLength(expected.length);
  for (const n of listed.body.notifications) {
    expect(n).toMatchObject({ status: 'delivered', round: 1, attempts: 2 });
    expect(n.attemptLog.map((a: Json) => a.statusCode)).toEqual([503, 204]);
  }
});
