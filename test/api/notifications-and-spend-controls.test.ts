// Over HTTP, with real workflows on the test server and real activities:
// the operator routes of outbound webhooks (list with filters and paging,
// redeliver) and Business oversight (GET spend-controls), each refusal a
// problem+json with its code, nothing written on a 4xx. This harness has no
// OUTBOUND_WEBHOOK_URL: notifications are recorded as not_sent.
import request from 'supertest';
import { notificationId } from '../../activities/notification-outbox';
import { notificationListSchema, notificationViewSchema } from '../../src/domain/notification-schemas';
import { spendOversightSchema } from '../../src/domain/spend-oversight';
import { monthKey } from '../../src/domain/spend-rules';
import { uniqueId } from '../support/db';
import { eventually } from '../support/fake-activities';
import { startApiHarness, type ApiHarness } from '../support/api-harness';
import { checkoutFixture, invoice, signedPayload, stripeEvent, subscription, type CheckoutFixture } from '../support/stripe-events';
import { TEST_SECRETS } from '../support/test-env';

let h: ApiHarness;
beforeAll(async () => {
  h = await startApiHarness('api-notifications-test');
}, 120_000);
afterAll(() => h?.close());

const app = { Authorization: `Bearer ${TEST_SECRETS.APP_API_TOKEN}` };
const operator = { Authorization: `Bearer ${TEST_SECRETS.OPERATOR_API_TOKEN}` };
const badTokens = [{}, { Authorization: 'Bearer wrong-token-wrong-token' }];

async function deliver(type: string, object: Record<string, unknown>) {
  const { payload, signature } = signedPayload(stripeEvent(type, object));
  await request(h.app).post('/webhooks/stripe').set('Stripe-Signature', signature).send(payload).expect(200);
}
const billing = (workspaceId: string) => request(h.app).get(`/v1/workspaces/${workspaceId}/billing`).set(app).then((r) => r.body);
const list = (query: Record<string, string | number>) => request(h.app).get('/v1/operator/notifications').query(query).set(operator);

async function activeWorkspace(planId: 'plus' | 'business' = 'plus'): Promise<CheckoutFixture> {
  const f = checkoutFixture(planId, 'month');
  await deliver('customer.subscription.created', subscription(f));
  await eventually(() => billing(f.workspaceId), (b) => b.status === 'active');
  return f;
}

/** An active workspace whose payment failed: checkout.completed, billing.payment_failed and the 0d reminder recorded. */
async function workspaceWithNotifications() {
  const f = await activeWorkspace();
  await deliver('invoice.payment_failed', invoice(f, { status: 'open' }));
  await eventually(() => h.prisma.notification.count({ where: { workspaceId: f.workspaceId } }), (n) => n === 3);
  return f;
}

function expectProblem(res: request.Response, status: number, code: string) {
  expect({ status: res.status, code: res.body.code }).toEqual({ status, code });
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
}

describe('GET /v1/operator/notifications', () => {
  test('lists a workspace’s notifications newest first with their status and attempt log (recorded, not sent without a URL)', async () => {
    const f = await workspaceWithNotifications();
    const res = await list({ workspaceId: f.workspaceId });
    expect(res.status).toBe(200);
    const body = notificationListSchema.parse(res.body);
    expect(new Set(body.notifications.map((n) => n.type))).toEqual(new Set(['checkout.completed', 'billing.payment_failed', 'billing.payment_reminder']));
    expect(body.notifications.at(-1)?.type).toBe('checkout.completed');
    for (const n of body.notifications) {
      expect(n).toMatchObject({ workspaceId: f.workspaceId, status: 'not_sent', round: 1, attempts: 0, nextAttemptAt: null, deliveredAt: null, attemptLog: [] });
      expect(n.body).toMatchObject({ id: n.id, type: n.type, workspaceId: f.workspaceId });
    }
    expect(body.nextCursor).toBeNull();
  });

  test('filters by status and type, and pages with a cursor', async () => {
    const f = await workspaceWithNotifications();
    const failed = await list({ workspaceId: f.workspaceId, type: 'billing.payment_failed' });
    expect(failed.body.notifications.map((n: { type: string }) => n.type)).toEqual(['billing.payment_failed']);
    expect((await list({ workspaceId: f.workspaceId, status: 'pending' })).body.notifications).toEqual([]);
    expect((await list({ workspaceId: f.workspaceId, status: 'not_sent' })).body.notifications).toHaveLength(3);

    const first = await list({ workspaceId: f.workspaceId, limit: 2 });
    expect(first.body.notifications).toHaveLength(2);
    expect(first.body.nextCursor).toEqual(expect.any(String));
    const second = await list({ workspaceId: f.workspaceId, limit: 2, before: first.body.nextCursor });
    expect(second.body.notifications).toHaveLength(1);
    expect(second.body.nextCursor).toBeNull();
    const ids = [...first.body.notifications, ...second.body.notifications].map((n: { id: string }) => n.id);
    expect(new Set(ids).size).toBe(3);
  });

  test('a bad query is a 400 problem listing each field', async () => {
    const res = await list({ status: 'lost', type: 'billing.nothing', limit: 0, before: 'abc', workspaceId: 'not a workspace!' });
    expectProblem(res, 400, 'validation_failed');
    expect(res.body.errors.map((e: { path: string }) => e.path).sort()).toEqual(['query.before', 'query.limit', 'query.status', 'query.type', 'query.workspaceId']);
    expectProblem(await list({ colour: 'red' }), 400, 'validation_failed');
  });

  test('needs the operator token', async () => {
    for (const headers of [...badTokens, app]) {
      const res = await request(h.app).get('/v1/operator/notifications').set(headers);
      expectProblem(res, 401, 'unauthorized');
    }
  });
});

describe('POST /v1/operator/notifications/{id}/redeliver', () => {
  test('starts a new round, due now, with the same id (the webhook-id)', async () => {
    const f = await workspaceWithNotifications();
    const [target] = (await list({ workspaceId: f.workspaceId, type: 'billing.payment_failed' })).body.notifications;
    const res = await request(h.app).post(`/v1/operator/notifications/${target.id}/redeliver`).set(operator);
    expect(res.status).toBe(202);
    const view = notificationViewSchema.parse(res.body);
    expect(view).toMatchObject({ id: target.id, status: 'pending', round: 2, attempts: 0, body: target.body });
    expect(Date.parse(view.nextAttemptAt!)).toBeLessThanOrEqual(Date.now() + 1000);
    // Again: another round; still the same notification.
    const again = await request(h.app).post(`/v1/operator/notifications/${target.id}/redeliver`).set(operator);
    expect(again.body).toMatchObject({ id: target.id, round: 3 });
    // With an Idempotency-Key, a retried request gets the first answer, not another round.
    const key = { 'Idempotency-Key': uniqueId('redeliver') };
    const keyed = await request(h.app).post(`/v1/operator/notifications/${target.id}/redeliver`).set({ ...operator, ...key });
    const retried = await request(h.app).post(`/v1/operator/notifications/${target.id}/redeliver`).set({ ...operator, ...key });
    expect([keyed.status, keyed.body.round, retried.status, retried.body.round]).toEqual([202, 4, 202, 4]);
    expect(retried.headers['idempotent-replayed']).toBe('true');
    expect((await h.prisma.notification.findUniqueOrThrow({ where: { id: target.id } })).round).toBe(4);
    expect(await h.prisma.notification.count({ where: { workspaceId: f.workspaceId } })).toBe(3);
  });

  test('refusals: unknown 404, being sent right now 409, not an id 400, no operator token 401 — and nothing changes', async () => {
    const f = await workspaceWithNotifications();
    const [target] = (await list({ workspaceId: f.workspaceId, type: 'checkout.completed' })).body.notifications;
    const snapshot = () => h.prisma.notification.findUniqueOrThrow({ where: { id: target.id }, select: { status: true, round: true, attempts: true, nextAttemptAt: true } });
    const before = await snapshot();

    expectProblem(await request(h.app).post(`/v1/operator/notifications/${notificationId(uniqueId('none'))}/redeliver`).set(operator), 404, 'notification_not_found');
    const malformed = await request(h.app).post('/v1/operator/notifications/not-an-id/redeliver').set(operator);
    expectProblem(malformed, 400, 'validation_failed');
    expect(malformed.body.errors[0].path).toBe('params.notificationId');
    for (const headers of [...badTokens, app]) {
      expectProblem(await request(h.app).post(`/v1/operator/notifications/${target.id}/redeliver`).set(headers), 401, 'unauthorized');
    }
    expect(await snapshot()).toEqual(before);

    // A worker holds the lease: its attempt decides the status.
    await h.prisma.notification.update({ where: { id: target.id }, data: { status: 'pending', lockedUntil: new Date(Date.now() + 60_000), leaseId: 'lease-1' } });
    expectProblem(await request(h.app).post(`/v1/operator/notifications/${target.id}/redeliver`).set(operator), 409, 'notification_in_flight');
    expect(await h.prisma.notification.findUniqueOrThrow({ where: { id: target.id }, select: { round: true, leaseId: true } })).toEqual({ round: 1, leaseId: 'lease-1' });
  });
});

describe('GET /v1/workspaces/{id}/spend-controls', () => {
  const usage = (quantity: number) => ({
    events: [{ id: uniqueId('e'), projectId: 'proj_1', family: 'email_validation', environment: 'production', quantity, occurredAt: new Date().toISOString() }],
  });
  const oversight = (workspaceId: string) => request(h.app).get(`/v1/workspaces/${workspaceId}/spend-controls`).set(app);

  test('a Business workspace: controls, month-to-date spend, the alerts fired and whether the cap blocks (as /access says)', async () => {
    const f = await activeWorkspace('business');
    await request(h.app).put(`/v1/workspaces/${f.workspaceId}/spend-controls`).set(app).send({ monthlyCapCents: 150, alertThresholdsPercent: [50, 80], action: 'block' }).expect(200);
    const before = await oversight(f.workspaceId);
    expect(spendOversightSchema.parse(before.body)).toEqual({
      workspaceId: f.workspaceId,
      planId: 'business',
      available: true,
      controls: { monthlyCapCents: 150, alertThresholdsPercent: [50, 80], action: 'block' },
      month: monthKey(Date.now()),
      spentCents: 0,
      remainingCents: 150,
      alerts: [],
      capBlocks: false,
    });
    // 1,000 email validations = 100 ¢ (66 %), then 1,000 more = 200 ¢ (past the cap).
    await request(h.app).post(`/v1/workspaces/${f.workspaceId}/usage`).set(app).send(usage(1000)).expect(202);
    // The debit and the alert are two steps of the wallet workflow: wait for both.
    const halfway = await eventually(() => oversight(f.workspaceId).then((r) => r.body), (b) => b.spentCents === 100 && b.alerts.length === 1);
    expect(halfway).toMatchObject({ capBlocks: false, remainingCents: 50, alerts: [{ thresholdPercent: 50, spentCents: 100, capCents: 150 }] });
    await request(h.app).post(`/v1/workspaces/${f.workspaceId}/usage`).set(app).send(usage(1000)).expect(202);
    const blocked = await eventually(() => oversight(f.workspaceId).then((r) => r.body), (b) => b.capBlocks === true && b.alerts.length === 2);
    expect(blocked).toMatchObject({ spentCents: 200, remainingCents: -50 });
    expect(blocked.alerts.map((a: { thresholdPercent: number }) => a.thresholdPercent)).toEqual([50, 80]);
    for (const a of blocked.alerts) expect(Date.parse(a.reachedAt)).toBeLessThanOrEqual(Date.now());
    const access = await request(h.app).get(`/v1/workspaces/${f.workspaceId}/access`).query({ projectId: 'proj_1', environment: 'production' }).set(app);
    expect(access.body.reasons).toContain('spend_cap_reached');
    // The spend notifications were recorded with them.
    const types = (await h.prisma.notification.findMany({ where: { workspaceId: f.workspaceId }, orderBy: { seq: 'asc' } })).map((n) => n.type);
    expect(types.filter((t) => t.startsWith('spend.'))).toEqual(['spend.threshold_reached', 'spend.threshold_reached', 'spend.cap_reached']);
  });

  test('without controls (another plan, or an unknown workspace): controls null, never blocks', async () => {
    const f = await activeWorkspace('plus');
    const res = await oversight(f.workspaceId);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ planId: 'plus', available: false, controls: null, spentCents: 0, remainingCents: null, alerts: [], capBlocks: false });
    const unknown = await oversight(uniqueId('ws'));
    expect(unknown.body).toMatchObject({ planId: 'essential', available: false, controls: null, spentCents: 0, capBlocks: false });
  });

  test('refusals: an invalid workspace id is a 400, no or a wrong token a 401 (the operator token too)', async () => {
    const bad = await request(h.app).get('/v1/workspaces/not%20a%20workspace/spend-controls').set(app);
    expectProblem(bad, 400, 'validation_failed');
    expect(bad.body.errors[0].path).toBe('params.workspaceId');
    for (const headers of [...badTokens, operator]) {
      expectProblem(await request(h.app).get(`/v1/workspaces/${uniqueId('ws')}/spend-controls`).set(headers), 401, 'unauthorized');
    }
  });
});

test('the OpenAPI document describes the outbound webhooks and the new routes', async () => {
  const doc = (await request(h.app).get('/openapi.json')).body;
  expect(doc.openapi).toBe('3.1.0');
  expect(Object.keys(doc.webhooks).sort()).toEqual(
    [
      'billing.grace_expired',
      'billing.payment_failed',
      'billing.payment_reminder',
      'billing.restored',
      'checkout.completed',
      'guest_checkout.unclaimed',
      'spend.cap_reached',
      'spend.threshold_reached',
      'subscription.change_scheduled',
      'subscription.plan_changed',
      'wallet.auto_top_up.failed',
      'wallet.below_minimum',
      'wallet.credited',
    ].sort(),
  );
  const reminder = doc.webhooks['billing.payment_reminder'].post;
  expect(reminder.parameters.map((p: { name: string }) => p.name)).toEqual(['webhook-id', 'webhook-timestamp', 'webhook-signature']);
  expect(reminder.requestBody.content['application/json'].schema.properties.data.properties).toHaveProperty('offset');
  expect(doc.paths['/v1/operator/notifications'].get).toBeDefined();
  expect(doc.paths['/v1/operator/notifications/{notificationId}/redeliver'].post.responses).toHaveProperty('409');
  expect(doc.paths['/v1/workspaces/{workspaceId}/spend-controls'].get).toBeDefined();
});
