// The operator routes over HTTP (src/api/routes/operator.ts), with real
// workflows on the time-skipping server and real activities (PostgreSQL,
// stripe-mock): the operator token, validation before anything reaches a
// workflow, unknown workspaces, each action's answer and its operator_audit
// row, and idempotency by request id (a repeat is applied:false, one row).
import request from 'supertest';
import { uniqueId } from '../support/db';
import { eventually } from '../support/fake-activities';
import { startApiHarness, type ApiHarness } from '../support/api-harness';
import { checkoutFixture, invoice, signedPayload, stripeEvent, subscription, type CheckoutFixture } from '../support/stripe-events';
import { TEST_SECRETS } from '../support/test-env';

const DAY = 86_400_000;
let h: ApiHarness;
beforeAll(async () => {
  h = await startApiHarness('api-operator-routes-test');
}, 120_000);
afterAll(() => h?.close());

const app = { Authorization: `Bearer ${TEST_SECRETS.APP_API_TOKEN}` };
const operator = { Authorization: `Bearer ${TEST_SECRETS.OPERATOR_API_TOKEN}` };
const why = (requestId = uniqueId('req')) => ({ reason: 'customer promised a wire transfer (ticket 4711)', requestId });
const audits = (workspaceId: string) => h.prisma.operatorAudit.findMany({ where: { workspaceId }, orderBy: { id: 'asc' } });
const billing = (workspaceId: string) => request(h.app).get(`/v1/workspaces/${workspaceId}/billing`).set(app).then((r) => r.body);
const post = (path: string, body: object, headers: Record<string, string> = operator) => request(h.app).post(`/v1/operator${path}`).set(headers).send(body);

/** Delivers a signed event; `created` (epoch seconds) defaults to the support module's ever-increasing clock. */
async function deliver(type: string, object: Record<string, unknown>, created?: number) {
  const { payload, signature } = signedPayload(stripeEvent(type, object, created));
  await request(h.app).post('/webhooks/stripe').set('Stripe-Signature', signature).send(payload).expect(200);
}

async function activeWorkspace(planId: 'plus' | 'business' = 'plus', created?: number): Promise<CheckoutFixture> {
  const f = checkoutFixture(planId, 'month');
  await deliver('customer.subscription.created', subscription(f), created);
  await eventually(() => billing(f.workspaceId), (b) => b.status === 'active');
  return f;
}

/**
 * An active workspace whose invoice payment failed: past_due, billing_recovery, a grace window open.
 * The events are dated a little in the past (wall clock), not by the support module's clock, which
 * runs ahead of the wall clock by one second per event built in this file: a resync's facts are
 * dated with the workflow's now and must come after them.
 */
async function workspaceInGrace() {
  const nowSeconds = Math.floor(Date.now() / 1000);
  const f = await activeWorkspace('plus', nowSeconds - 120);
  await deliver('invoice.payment_failed', invoice(f, { status: 'open' }), nowSeconds - 60);
  const b = await eventually(() => billing(f.workspaceId), (x) => x.grace !== null && x.mode === 'billing_recovery');
  return { ...f, grace: b.grace as { startedAt: string; endsAt: string; expired: boolean } };
}

/** Every operator route: method, path (for one workspace) and a body that would be valid. */
const routes = (workspaceId: string) =>
  [
    ['post', `/v1/operator/workspaces/${workspaceId}/grace/extend`, { ...why(), byMs: DAY }],
    ['post', `/v1/operator/workspaces/${workspaceId}/grace/end`, why()],
    ['post', `/v1/operator/workspaces/${workspaceId}/resync`, why()],
    ['post', `/v1/operator/workspaces/${workspaceId}/scheduled-change/cancel`, why()],
    ['post', `/v1/operator/workspaces/${workspaceId}/credits`, { amountCents: 100, reason: 'goodwill', reference: uniqueId('ref') }],
    ['put', `/v1/operator/workspaces/${workspaceId}/contract-prices`, { prices: { waf: 12 } }],
    ['put', `/v1/operator/workspaces/${workspaceId}/invoicing`, { collectionMethod: 'charge_automatically' }],
    ['get', '/v1/operator/sales-leads', {}],
  ] as const;

describe('authentication', () => {
  test('every operator route refuses no token, a wrong token and the app token with 401, and acts on nothing', async () => {
    const f = await workspaceInGrace();
    for (const [method, path, body] of routes(f.workspaceId)) {
      for (const headers of [{}, { Authorization: 'Bearer wrong-token-wrong-token' }, app, { Authorization: TEST_SECRETS.OPERATOR_API_TOKEN }]) {
        const res = await request(h.app)[method](path).set(headers).send(body);
        expect({ method, path, status: res.status, code: res.body.code }).toEqual({ method, path, status: 401, code: 'unauthorized' });
        expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
        expect(res.headers['www-authenticate']).toBe('Bearer realm="billing-operator"');
      }
    }
    expect(await audits(f.workspaceId)).toEqual([]);
    const after = await billing(f.workspaceId);
    expect(after.grace).toEqual(f.grace);
  });

  test('an unknown path under /v1/operator is 404 not_found with the operator token, 401 without it', async () => {
    const found = await request(h.app).post('/v1/operator/workspaces/ws_x/grace/shorten').set(operator).send(why());
    expect(found.status).toBe(404);
    expect(found.body.code).toBe('not_found');
    const anonymous = await request(h.app).post('/v1/operator/workspaces/ws_x/grace/shorten').send(why());
    expect(anonymous.status).toBe(401);
  });
});

describe('validation', () => {
  const actions = ['grace/extend', 'grace/end', 'resync', 'scheduled-change/cancel'];

  test.each(actions)('%s without a reason is 400 naming it (the request id may come from Idempotency-Key); nothing is audited', async (action) => {
    const f = await workspaceInGrace();
    const extra = action === 'grace/extend' ? { byMs: DAY } : {};
    const res = await post(`/workspaces/${f.workspaceId}/${action}`, extra);
    expect(res.status).toBe(400);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.body).toMatchObject({ code: 'validation_failed', status: 400 });
    expect(res.body.errors.map((e: { path: string }) => e.path).sort()).toEqual(['body.reason']);

    const short = await post(`/workspaces/${f.workspaceId}/${action}`, { ...extra, reason: ' ok ', requestId: '   ' });
    expect(short.status).toBe(400);
    expect(short.body.errors).toEqual(
      expect.arrayContaining([
        { path: 'body.reason', message: 'A reason of at least 3 characters is required' },
        { path: 'body.requestId', message: 'A requestId is required' },
      ]),
    );
    const unknownField = await post(`/workspaces/${f.workspaceId}/${action}`, { ...extra, ...why(), force: true });
    expect(unknownField.status).toBe(400);
    expect(unknownField.body.code).toBe('validation_failed');
    expect(await audits(f.workspaceId)).toEqual([]);
  });

  test('grace/extend needs exactly one of byMs and untilMs, each a positive integer within bounds', async () => {
    const workspaceId = uniqueId('ws');
    const cases: [object, string[]][] = [
      [{}, ['body.byMs']],
      [{ byMs: DAY, untilMs: Date.now() + 10 * DAY }, ['body.byMs']],
      [{ byMs: -5 }, ['body.byMs']],
      [{ byMs: 91 * DAY }, ['body.byMs']],
      [{ byMs: 1.5 }, ['body.byMs']],
      [{ untilMs: 'tomorrow' }, ['body.untilMs']],
    ];
    for (const [body, paths] of cases) {
      const res = await post(`/workspaces/${workspaceId}/grace/extend`, { ...why(), ...body });
      expect({ body, status: res.status, paths: res.body.errors?.map((e: { path: string }) => e.path) }).toEqual({ body, status: 400, paths });
    }
  });

  test('a malformed workspace id is 400 on params; malformed JSON is 400', async () => {
    const res = await post('/workspaces/bad%20id!/grace/end', why());
    expect(res.status).toBe(400);
    expect(res.body.errors.map((e: { path: string }) => e.path)).toEqual(['params.workspaceId']);
    const json = await request(h.app).post(`/v1/operator/workspaces/${uniqueId('ws')}/resync`).set(operator).set('Content-Type', 'application/json').send('{"reason":');
    expect(json.status).toBe(400);
    expect(json.body.code).toBe('validation_failed');
  });

  test('credits: amount, reason and reference are required; sales-leads: limit between 1 and 200', async () => {
    const workspaceId = uniqueId('ws');
    const grant = await post(`/workspaces/${workspaceId}/credits`, { amountCents: 0 });
    expect(grant.status).toBe(400);
    expect(grant.body.errors.map((e: { path: string }) => e.path).sort()).toEqual(['body.amountCents', 'body.reason', 'body.reference']);
    expect(await audits(workspaceId)).toEqual([]);
    for (const limit of ['0', '201', 'many']) {
      const res = await request(h.app).get('/v1/operator/sales-leads').query({ limit }).set(operator);
      expect({ limit, status: res.status, paths: res.body.errors?.map((e: { path: string }) => e.path) }).toEqual({ limit, status: 400, paths: ['query.limit'] });
    }
  });

  test('credits: a NUL character in reason, reference or actor is 400 naming it (PostgreSQL text cannot hold it; the grant hung until a 503)', async () => {
    const workspaceId = uniqueId('ws');
    const cases: [string, object][] = [
      ['body.reason', { reason: 'goodwill \u0000 credit', reference: uniqueId('ref') }],
      ['body.reference', { reason: 'goodwill credit', reference: 'ticket\u0000' }],
      ['body.actor', { reason: 'goodwill credit', reference: uniqueId('ref'), actor: '\u0000' }],
    ];
    for (const [path, body] of cases) {
      const res = await post(`/workspaces/${workspaceId}/credits`, { amountCents: 100, ...body }, { ...operator, 'Idempotency-Key': uniqueId('key') });
      expect({ path, status: res.status, errors: res.body.errors }).toEqual({ path, status: 400, errors: [{ path, message: 'must not contain NUL characters' }] });
    }
    expect(await audits(workspaceId)).toEqual([]);
    expect(await h.prisma.walletEntry.count({ where: { workspaceId } })).toBe(0);
  });
});

describe('unknown workspace', () => {
  test.each(['grace/extend', 'grace/end', 'resync', 'scheduled-change/cancel'])('%s on a workspace without a workflow is 404 workspace_not_found', async (action) => {
    const workspaceId = uniqueId('ws');
    const res = await post(`/workspaces/${workspaceId}/${action}`, { ...why(), ...(action === 'grace/extend' ? { byMs: DAY } : {}) });
    expect(res.status).toBe(404);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.body).toMatchObject({ code: 'workspace_not_found', status: 404, title: 'Workspace not found' });
    expect(await audits(workspaceId)).toEqual([]);
  });
});

describe('grace window', () => {
  test('extend moves the end by byMs, is audited once, and a repeat of the request id is applied:false', async () => {
    const f = await workspaceInGrace();
    const endsAt = Date.parse(f.grace.endsAt);
    const request1 = why();
    const res = await post(`/workspaces/${f.workspaceId}/grace/extend`, { ...request1, byMs: 3 * DAY });
    expect(res.status).toBe(200);
    const newEnd = new Date(endsAt + 3 * DAY).toISOString();
    expect(res.body).toMatchObject({
      action: 'extend_grace',
      requestId: request1.requestId,
      applied: true,
      details: { previousEndsAt: f.grace.endsAt, wasExpired: false, endsAt: newEnd },
      state: { workspaceId: f.workspaceId, status: 'past_due', mode: 'billing_recovery', grace: { startedAt: f.grace.startedAt, endsAt: newEnd, expired: false } },
    });

    const again = await post(`/workspaces/${f.workspaceId}/grace/extend`, { ...request1, byMs: 5 * DAY });
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ action: 'extend_grace', requestId: request1.requestId, applied: false, details: {}, state: { grace: { endsAt: newEnd } } });

    const rows = await audits(f.workspaceId);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ action: 'extend_grace', reason: request1.reason, actor: 'operator-api', requestId: request1.requestId, details: res.body.details });
    await eventually(() => billing(f.workspaceId), (b) => b.grace?.endsAt === newEnd);
  });

  // Handlers waiting on the entity's lock are released in the same workflow task when it frees; each
  // must re-check after waking (createLock), or concurrent copies of one request each apply it.
  test('the same request sent several times at once is applied once and audited once', async () => {
    const f = await workspaceInGrace();
    const same = { ...why(), byMs: 2 * DAY };
    const results = await Promise.all([1, 2, 3].map(() => post(`/workspaces/${f.workspaceId}/grace/extend`, same)));
    expect(results.map((r) => r.status)).toEqual([200, 200, 200]);
    expect(results.map((r) => r.body.applied).sort()).toEqual([false, false, true]);
    const newEnd = new Date(Date.parse(f.grace.endsAt) + 2 * DAY).toISOString();
    for (const r of results) expect(r.body.state.grace.endsAt).toBe(newEnd);
    expect((await h.workspaces.state(f.workspaceId)).operatorRequestIds).toEqual([same.requestId]);
    expect(await audits(f.workspaceId)).toHaveLength(1);
  });

  test('extend with untilMs and a named actor; an end not later than the current one is refused', async () => {
    const f = await workspaceInGrace();
    const endsAt = Date.parse(f.grace.endsAt);
    const earlier = await post(`/workspaces/${f.workspaceId}/grace/extend`, { ...why(), untilMs: endsAt - DAY });
    expect(earlier.status).toBe(400);
    expect(earlier.body.code).toBe('validation_failed');

    const untilMs = endsAt + 10 * DAY;
    const ok = await post(`/workspaces/${f.workspaceId}/grace/extend`, { ...why(), untilMs, actor: 'alice@ops' });
    expect(ok.status).toBe(200);
    expect(ok.body.details.endsAt).toBe(new Date(untilMs).toISOString());
    const rows = await audits(f.workspaceId);
    expect(rows.map((r) => [r.action, r.actor])).toEqual([['extend_grace', 'alice@ops']]);
  });

  test('end forgives the window, is audited once, a repeat is applied:false, a new request is 409 no_grace_window', async () => {
    const f = await workspaceInGrace();
    const first = why();
    const res = await post(`/workspaces/${f.workspaceId}/grace/end`, first);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      action: 'end_grace',
      requestId: first.requestId,
      applied: true,
      details: { forgivenAt: expect.any(String), previousGrace: f.grace },
      state: { grace: null, status: 'past_due', mode: 'billing_recovery' },
    });

    const again = await post(`/workspaces/${f.workspaceId}/grace/end`, first);
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ applied: false, state: { grace: null } });

    const other = await post(`/workspaces/${f.workspaceId}/grace/end`, why());
    expect(other.status).toBe(409);
    expect(other.body.code).toBe('no_grace_window');
    const extend = await post(`/workspaces/${f.workspaceId}/grace/extend`, { ...why(), byMs: DAY });
    expect(extend.status).toBe(409);
    expect(extend.body.code).toBe('no_grace_window');

    const rows = await audits(f.workspaceId);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ action: 'end_grace', reason: first.reason, actor: 'operator-api', requestId: first.requestId, details: res.body.details });
    await eventually(() => billing(f.workspaceId), (b) => b.grace === null);
  });

  test('grace actions on an active workspace (no window) are 409 no_grace_window and not audited', async () => {
    const f = await activeWorkspace();
    const extend = await post(`/workspaces/${f.workspaceId}/grace/extend`, { ...why(), byMs: DAY });
    expect(extend.status).toBe(409);
    expect(extend.body).toMatchObject({ code: 'no_grace_window', title: 'No grace window open' });
    const end = await post(`/workspaces/${f.workspaceId}/grace/end`, why());
    expect(end.status).toBe(409);
    expect(end.body.code).toBe('no_grace_window');
    expect(await audits(f.workspaceId)).toEqual([]);
  });
});

describe('resync from Stripe', () => {
  // stripe-mock answers every subscription with the same customer id, which is unique in the
  // projection: a resynced workspace's row is removed after its test so the next resync (here or in
  // another file, e.g. test/e2e/reconciliation.test.ts) can take that customer.
  const resynced: string[] = [];
  afterEach(async () => {
    await h.prisma.workspaceBilling.deleteMany({ where: { workspaceId: { in: resynced.splice(0) } } });
  });
  test('reads the live subscription, is audited once, and a repeat of the request id is applied:false', async () => {
    const f = await activeWorkspace();
    resynced.push(f.workspaceId);
    const first = why();
    const res = await post(`/workspaces/${f.workspaceId}/resync`, first);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      action: 'resync_from_stripe',
      requestId: first.requestId,
      applied: true,
      // stripe-mock has no invoice for it (its fixture is a draft, which carries no fact): one subscription fact.
      details: { subscriptionId: f.subscriptionId, facts: [`resync:${first.requestId}:${f.subscriptionId}`], changed: expect.any(Boolean) },
      state: { workspaceId: f.workspaceId, subscriptionId: f.subscriptionId, planId: 'plus', status: 'active', mode: 'self_serve' },
    });
    const again = await post(`/workspaces/${f.workspaceId}/resync`, first);
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ applied: false, requestId: first.requestId });

    const rows = await audits(f.workspaceId);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ action: 'resync_from_stripe', reason: first.reason, actor: 'operator-api', requestId: first.requestId, details: res.body.details });
  });

  test('on a past_due workspace whose subscription Stripe reports active, the drift is healed', async () => {
    const f = await workspaceInGrace();
    resynced.push(f.workspaceId);
    const res = await post(`/workspaces/${f.workspaceId}/resync`, why());
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      applied: true,
      details: { subscriptionId: f.subscriptionId, changed: true },
      state: { status: 'active', mode: 'self_serve', grace: null },
    });
    expect(res.body.state.grace).toBeNull();
    const rows = await audits(f.workspaceId);
    expect(rows.map((r) => [r.action, r.actor])).toEqual([['resync_from_stripe', 'operator-api']]);
    await eventually(() => billing(f.workspaceId), (b) => b.status === 'active' && b.mode === 'self_serve' && b.grace === null);
  });

  test('a workspace with a workflow but no subscription is 409 no_active_subscription', async () => {
    const workspaceId = uniqueId('ws');
    await request(h.app)
      .post(`/v1/workspaces/${workspaceId}/checkout`)
      .set(app)
      .send({ planId: 'plus', interval: 'month', successUrl: 'https://example.com/ok', cancelUrl: 'https://example.com/cancel', email: 'owner@example.com' })
      .expect(201);
    const res = await post(`/workspaces/${workspaceId}/resync`, why());
    expect(res.status).toBe(409);
    expect(res.body.code).toBe('no_active_subscription');
    expect(await audits(workspaceId)).toEqual([]);
  });
});

describe('scheduled change', () => {
  test('cancel clears the scheduled downgrade, is audited once, a repeat is applied:false, then 404 no_pending_change', async () => {
    const f = await activeWorkspace('business');
    const scheduled = await request(h.app).post(`/v1/workspaces/${f.workspaceId}/plan-changes`).set(app).send({ targetPlanId: 'plus', interval: 'month', timing: 'period_end' });
    expect(scheduled.body.status).toBe('scheduled');
    await eventually(() => billing(f.workspaceId), (b) => b.pendingChange !== null);

    const first = why();
    const res = await post(`/workspaces/${f.workspaceId}/scheduled-change/cancel`, first);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      action: 'cancel_scheduled_change',
      requestId: first.requestId,
      applied: true,
      details: { canceled: { targetPlanId: 'plus', interval: 'month', effectiveAt: scheduled.body.effectiveAt } },
      state: { pendingChange: null, planId: 'business' },
    });
    const again = await post(`/workspaces/${f.workspaceId}/scheduled-change/cancel`, first);
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ applied: false, state: { pendingChange: null } });
    const other = await post(`/workspaces/${f.workspaceId}/scheduled-change/cancel`, why());
    expect(other.status).toBe(404);
    expect(other.body.code).toBe('no_pending_change');

    const rows = await audits(f.workspaceId);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ action: 'cancel_scheduled_change', reason: first.reason, actor: 'operator-api', requestId: first.requestId, details: res.body.details });
    await eventually(() => billing(f.workspaceId), (b) => b.pendingChange === null);
  });
});

describe('credits and sales leads', () => {
  test('a grant is audited once (request id from the reference), with the actor from the body', async () => {
    const workspaceId = uniqueId('ws');
    const grant = { amountCents: 1234, reason: 'Goodwill after incident 9', reference: uniqueId('INC'), actor: 'bob@ops' };
    const first = await post(`/workspaces/${workspaceId}/credits`, grant);
    expect(first.status).toBe(201);
    expect(first.body).toEqual({ credited: true, balanceCents: 1234 });
    const again = await post(`/workspaces/${workspaceId}/credits`, grant);
    expect(again.status).toBe(200);
    expect(again.body).toEqual({ credited: false, balanceCents: 1234 });
    const rows = await audits(workspaceId);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      action: 'grant_credit',
      reason: grant.reason,
      actor: 'bob@ops',
      requestId: `grant:${grant.reference}`,
      details: { amountCents: 1234, reference: grant.reference, credited: true, balanceCents: 1234 },
    });
  });

  test('sales leads list refused Enterprise checkouts newest first, at most limit', async () => {
    const workspaceId = uniqueId('ws');
    const refused = await request(h.app)
      .post(`/v1/workspaces/${workspaceId}/checkout`)
      .set(app)
      .send({ planId: 'enterprise', interval: 'year', successUrl: 'https://example.com/ok', cancelUrl: 'https://example.com/cancel', email: 'cto@example.com' });
    expect(refused.status).toBe(422);
    const all = await request(h.app).get('/v1/operator/sales-leads').query({ limit: 200 }).set(operator);
    expect(all.status).toBe(200);
    expect(all.body.leads.filter((l: { workspaceId: string }) => l.workspaceId === workspaceId)).toEqual([
      { id: expect.any(String), workspaceId, email: 'cto@example.com', planId: 'enterprise', interval: 'year', source: 'checkout', createdAt: expect.any(String) },
    ]);
    const ids = all.body.leads.map((l: { id: string }) => BigInt(l.id));
    expect(ids).toEqual([...ids].sort((a, b) => (a > b ? -1 : a < b ? 1 : 0)));
    const one = await request(h.app).get('/v1/operator/sales-leads').query({ limit: 1 }).set(operator);
    expect(one.body.leads).toHaveLength(1);
  });
});
