// Operators' answers over HTTP (src/api/routes/operator-answers.ts) with real
// workflows on the time-skipping server and real activities (PostgreSQL,
// stripe-mock): the timeline of a workspace (token, validation, unknown
// workspace, one fact from several sources as one entry, order, bounds) and
// the rate-card back-test (token, every malformed field named, unknown
// workspace, exact figures, nothing written), plus the ops CLI's back-test
// (exit status 2 naming the field of a malformed rate file).
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import request from 'supertest';
import { backtestResultSchema } from '../../src/domain/backtest';
import { timelineSchema, type TimelineEntry } from '../../src/domain/timeline/timeline';
import type { UsageEvent } from '../../src/domain/usage';
import { projectRoot } from '../../scripts/lib/binaries';
import { recordUsage } from '../../src/metering/record-usage';
import { workflowIdFor } from '../../workflows/definitions';
import { walletWorkflowIdFor } from '../../workflows/wallet-definitions';
import { startApiHarness, type ApiHarness } from '../support/api-harness';
import { uniqueId } from '../support/db';
import { eventually } from '../support/fake-activities';
import { checkoutFixture, invoice, signedPayload, stripeEvent, subscription } from '../support/stripe-events';
import { TEST_DATABASE_URL, TEST_SECRETS } from '../support/test-env';

const DAY = 86_400_000;
let h: ApiHarness;
beforeAll(async () => {
  h = await startApiHarness('api-operator-answers-test');
}, 120_000);
afterAll(() => h?.close());

const app = { Authorization: `Bearer ${TEST_SECRETS.APP_API_TOKEN}` };
const operator = { Authorization: `Bearer ${TEST_SECRETS.OPERATOR_API_TOKEN}` };
const billing = (workspaceId: string) => request(h.app).get(`/v1/workspaces/${workspaceId}/billing`).set(app).then((r) => r.body);
const timeline = (workspaceId: string, query: Record<string, string> = {}) => request(h.app).get(`/v1/operator/workspaces/${workspaceId}/timeline`).query(query).set(operator);
const paths = (res: request.Response) => (res.body.errors as { path: string }[] | undefined)?.map((e) => e.path).sort();

/** Delivers a signed Stripe event and returns its id. */
async function deliver(type: string, object: Record<string, unknown>, created?: number): Promise<string> {
  const event = stripeEvent(type, object, created);
  const { payload, signature } = signedPayload(event);
  await request(h.app).post('/webhooks/stripe').set('Stripe-Signature', signature).send(payload).expect(200);
  return event.id;
}

describe('GET /v1/operator/workspaces/{id}/timeline', () => {
  test('a workspace in grace: the failed invoice with its Stripe event, the grace end, the operator\'s extension with actor and reason, a grant — one entry per fact, in order', async () => {
    const nowSeconds = Math.floor(Date.now() / 1000);
    const f = checkoutFixture('plus', 'month');
    const created = await deliver('customer.subscription.created', subscription(f), nowSeconds - 120);
    await eventually(() => billing(f.workspaceId), (b) => b.status === 'active');
    const unpaid = invoice(f, { status: 'open' });
    const failedEvent = await deliver('invoice.payment_failed', unpaid, nowSeconds - 60);
    const grace = (await eventually(() => billing(f.workspaceId), (b) => b.grace !== null)).grace as { endsAt: string };

    const extended = await request(h.app)
      .post(`/v1/operator/workspaces/${f.workspaceId}/grace/extend`)
      .set(operator)
      .send({ reason: 'customer promised a wire transfer (ticket 4711)', requestId: uniqueId('req'), byMs: 2 * DAY });
    expect(extended.status).toBe(200);
    const newEnd = extended.body.details.endsAt as string;
    await eventually(() => billing(f.workspaceId), (b) => b.grace?.endsAt === newEnd);
    const reference = uniqueId('ref');
    await request(h.app).post(`/v1/operator/workspaces/${f.workspaceId}/credits`).set(operator).send({ amountCents: 2500, reason: 'goodwill for the outage', reference }).expect(201);

    const res = await eventually(
      () => timeline(f.workspaceId),
      (r) => r.status === 200 && (r.body.entries as TimelineEntry[]).some((e) => e.kind === 'wallet.credited' && e.source.rows !== undefined),
    );
    const t = timelineSchema.parse(res.body);
    expect(t).toMatchObject({ workspaceId: f.workspaceId, truncated: false, bounds: { limit: 200, from: null, to: null } });
    const one = (kind: string) => {
      const found = t.entries.filter((e) => e.kind === kind);
      expect({ kind, count: found.length }).toEqual({ kind, count: 1 });
      return found[0];
    };
    const index = (e: TimelineEntry) => t.entries.indexOf(e);

    const subscribed = one('subscription.updated');
    expect(subscribed.source).toMatchObject({ stripeEventId: created, rows: [{ table: 'stripe_event', id: created }] });
    const failed = one('invoice.payment_failed');
    expect(failed.summary).toBe(`Payment of invoice ${unpaid.id} failed: 29.00 USD due (Stripe invoice.payment_failed)`);
    expect(failed.source).toMatchObject({
      stripeEventId: failedEvent,
      workflow: { workflowId: workflowIdFor(f.workspaceId) },
      rows: [{ table: 'stripe_event', id: failedEvent }],
    });
    const opened = one('grace.opened');
    expect(opened.summary).toContain(`until ${grace.endsAt}`);
    expect(opened.summary).toContain(`unless invoice ${unpaid.id} is paid`);
    const reminder = t.entries.find((e) => e.kind === 'dunning.reminder')!;
    expect(reminder.summary).toMatch(/^Payment reminder \(start of the grace window ending .*\) recorded for invoice .* \(29.00 USD\) \(not sent by the mailer yet\)$/);
    expect(reminder.source.rows?.[0].table).toBe('dunning_reminder');

    const operatorEntry = one('operator.extend_grace');
    expect(operatorEntry.summary).toBe(`Operator operator-api extended the grace window to ${newEnd} (was ${grace.endsAt}): "customer promised a wire transfer (ticket 4711)"`);
    const audit = await h.prisma.operatorAudit.findFirstOrThrow({ where: { workspaceId: f.workspaceId, action: 'extend_grace' } });
    expect(operatorEntry.source).toMatchObject({ workflow: { workflowId: workflowIdFor(f.workspaceId) }, rows: [{ table: 'operator_audit', id: String(audit.id) }] });
    const moved = one('grace.moved');
    expect(moved.summary).toBe(`Grace window now ends ${newEnd} (was ${grace.endsAt})`);

    const grant = one('operator.grant_credit');
    expect(grant.summary).toBe(`Operator operator-api granted 25.00 USD of credit (reference ${reference}): "goodwill for the outage"`);
    expect(grant.source.workflow?.workflowId).toBe(walletWorkflowIdFor(f.workspaceId));
    expect(grant.source.rows?.[0].table).toBe('operator_audit');
    const credited = one('wallet.credited');
    expect(credited.summary).toBe(`Wallet credited 25.00 USD (operator grant ${reference}); balance 25.00 USD`);
    expect(credited.source.rows?.[0].table).toBe('wallet_entry');

    expect(index(subscribed)).toBeLessThan(index(failed));
    expect(index(failed)).toBeLessThan(index(opened));
    expect(index(opened)).toBeLessThan(index(operatorEntry));
    expect(index(operatorEntry)).toBeLessThan(index(moved));
    expect(index(moved)).toBeLessThan(index(grant));
    const times = t.entries.map((e) => Date.parse(e.at));
    expect(times).toEqual([...times].sort((a, b) => a - b));

    // Bounds: the newest N, and a time range.
    const newest = timelineSchema.parse((await timeline(f.workspaceId, { limit: '2' })).body);
    expect(newest.entries).toEqual(t.entries.slice(-2));
    expect(newest.truncated).toBe(true);
    const range = timelineSchema.parse((await timeline(f.workspaceId, { from: opened.at, to: moved.at })).body);
    expect(range.entries[0].at >= opened.at).toBe(true);
    expect(range.entries.every((e) => e.at >= opened.at && e.at < moved.at)).toBe(true);
    expect(range.entries.map((e) => e.kind)).toContain('operator.extend_grace');
    expect(range.entries.map((e) => e.kind)).not.toContain('grace.moved');
    const future = timelineSchema.parse((await timeline(f.workspaceId, { from: new Date(Date.now() + 365 * DAY).toISOString() })).body);
    expect(future.entries).toEqual([]);
    // A window with to at or before from is empty, not an error (the document cannot state a rule comparing two parameters).
    const inverted = await timeline(f.workspaceId, { from: moved.at, to: opened.at });
    expect(inverted.status).toBe(200);
    expect(timelineSchema.parse(inverted.body).entries).toEqual([]);
  });

  test('401 without the operator token (the app token is not enough)', async () => {
    for (const headers of [{}, app, { Authorization: 'Bearer wrong-token-wrong-token' }]) {
      const res = await request(h.app).get(`/v1/operator/workspaces/${uniqueId('ws')}/timeline`).set(headers);
      expect(res.status).toBe(401);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(res.body.code).toBe('unauthorized');
    }
  });

  test('400 listing every malformed field: workspace id, limit, from, to', async () => {
    const bad = await request(h.app).get('/v1/operator/workspaces/bad%20id!/timeline').set(operator);
    expect(bad.status).toBe(400);
    expect(paths(bad)).toEqual(['params.workspaceId']);
    const workspaceId = uniqueId('ws');
    const cases: [Record<string, string>, string[]][] = [
      [{ limit: '0' }, ['query.limit']],
      [{ limit: '1001' }, ['query.limit']],
      [{ limit: 'many', from: 'yesterday' }, ['query.from', 'query.limit']],
    ];
    for (const [query, expected] of cases) {
      const res = await timeline(workspaceId, query);
      expect({ query, status: res.status, code: res.body.code, paths: paths(res) }).toEqual({ query, status: 400, code: 'validation_failed', paths: expected });
    }
  });

  test('404 workspace_not_found for a workspace nothing is recorded about', async () => {
    const res = await timeline(uniqueId('ws'));
    expect(res.status).toBe(404);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.body).toMatchObject({ code: 'workspace_not_found', status: 404 });
  });
});

// Usage in 2033, a year no other test file records usage in, so totals over the window are this file's own.
const WINDOW = { from: '2033-01-01T00:00:00Z', to: '2033-02-01T00:00:00Z' };
let n = 0;
const usage = (family: UsageEvent['family'], quantity: number, environment: UsageEvent['environment'] = 'production', occurredAt = '2033-01-10T10:00:00Z'): UsageEvent => ({
  id: `u${++n}`,
  projectId: 'p1',
  family,
  environment,
  quantity,
  occurredAt,
});

async function usageFixtures() {
  const plus = uniqueId('bt_plus');
  const enterprise = uniqueId('bt_ent');
  await recordUsage(h.prisma, plus, [
    usage('waf', 1000), // 25,000 thousandths of a cent today; 30,000 proposed
    usage('waf', 3), // 75 → 90
    usage('email_validation', 2500), // 250,000 → 225,000
    usage('bot_protection', 1_000_000, 'sandbox'), // free
    usage('waf', 1_000_000, 'production', '2032-12-31T23:59:59Z'), // before the window
  ]);
  await recordUsage(h.prisma, enterprise, [usage('waf', 10_000), usage('email_validation', 1000)]);
  await h.prisma.contractPrice.create({ data: { workspaceId: enterprise, family: 'waf', centsPer1000: 12 } });
  const row = (workspaceId: string, planId: string, interval: string) => ({ workspaceId, planId, interval, status: 'active', mode: 'self_serve', version: 1 });
  await h.prisma.workspaceBilling.createMany({ data: [row(plus, 'plus', 'month'), row(enterprise, 'enterprise', 'year')] });
  return { plus, enterprise };
}

const RATES = { requestFamilies: { waf: 30, email_validation: 90 }, plans: { plus: { month: 3900 } } };
const backtest = (body: unknown, headers: Record<string, string> = operator) => request(h.app).post('/v1/operator/backtests').set(headers).send(body as object);

describe('POST /v1/operator/backtests', () => {
  test('current, proposed and difference per workspace and in total, exact; Enterprise contract prices kept; plan prices per period', async () => {
    const { plus, enterprise } = await usageFixtures();
    const res = await backtest({ rates: RATES, ...WINDOW });
    expect(res.status).toBe(200);
    const r = backtestResultSchema.parse(res.body);
    expect(r.window).toEqual(WINDOW);
    const line = (id: string) => r.workspaces.find((w) => w.workspaceId === id)!;
    expect(line(plus)).toEqual({
      workspaceId: plus,
      events: 4,
      productionEvents: 3,
      contractPrices: false,
      current: { cents: 275, carryThousandths: 75 },
      proposed: { cents: 255, carryThousandths: 90 },
      differenceCents: -20,
      plan: { planId: 'plus', interval: 'month', currentCents: 2900, proposedCents: 3900, differenceCents: 1000 },
    });
    expect(line(enterprise)).toEqual({
      workspaceId: enterprise,
      events: 2,
      productionEvents: 2,
      contractPrices: true,
      current: { cents: 220, carryThousandths: 0 },
      proposed: { cents: 210, carryThousandths: 0 },
      differenceCents: -10,
      plan: null,
    });
    const inWindow = r.workspaces.filter((w) => w.events > 0);
    expect(r.totals.usage).toEqual({
      currentCents: inWindow.reduce((s, w) => s + w.current.cents, 0),
      proposedCents: inWindow.reduce((s, w) => s + w.proposed.cents, 0),
      differenceCents: inWindow.reduce((s, w) => s + w.differenceCents, 0),
    });

    const only = backtestResultSchema.parse((await backtest({ rates: RATES, workspaceId: plus })).body);
    expect(only.workspaces.map((w) => w.workspaceId)).toEqual([plus]);
    // Without a window, the event before it counts too: 1,000,000 waf = 25,000 ¢ today, 30,000 proposed.
    expect(only.workspaces[0]).toMatchObject({ events: 5, current: { cents: 25275, carryThousandths: 75 }, proposed: { cents: 30255, carryThousandths: 90 } });
    expect(only.totals).toEqual({
      workspaces: 1,
      events: 5,
      usage: { currentCents: 25275, proposedCents: 30255, differenceCents: 4980 },
      plans: { month: { subscriptions: 1, currentCents: 2900, proposedCents: 3900, differenceCents: 1000 }, year: { subscriptions: 0, currentCents: 0, proposedCents: 0, differenceCents: 0 } },
    });
  });

  test('writes nothing: no rating, no ledger, no balance, nothing else changed', async () => {
    const { plus } = await usageFixtures();
    const snapshot = async () => ({
      usage: await h.prisma.usageEvent.findMany({ where: { workspaceId: plus }, orderBy: { seq: 'asc' } }),
      entries: await h.prisma.walletEntry.count({ where: { workspaceId: plus } }),
      balance: await h.prisma.walletBalance.findUnique({ where: { workspaceId: plus } }),
      spend: await h.prisma.monthlySpend.count({ where: { workspaceId: plus } }),
      billing: await h.prisma.workspaceBilling.findUnique({ where: { workspaceId: plus } }),
    });
    const before = await snapshot();
    expect((await backtest({ rates: RATES, workspaceId: plus })).status).toBe(200);
    expect(await snapshot()).toEqual(before);
    expect(before.usage.every((u) => u.ratedAt === null && u.ratedThousandths === null)).toBe(true);
    expect(before.balance).toBeNull();
  });

  test('401 without the operator token', async () => {
    for (const headers of [{}, app]) {
      const res = await backtest({ rates: RATES }, headers);
      expect(res.status).toBe(401);
      expect(res.body.code).toBe('unauthorized');
    }
  });

  test('400 problem+json listing every malformed field', async () => {
    const res = await backtest({
      rates: { requestFamilies: { wafx: 1, waf: -1, email_validation: 1.5 }, plans: { enterprise: { month: 100 } }, discount: 5 },
      from: 'last week',
      to: '2026-01-01T00:00:00Z',
      workspaceId: 'not a workspace',
      dryRun: true,
    });
    expect(res.status).toBe(400);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.body).toMatchObject({ code: 'validation_failed', status: 400 });
    expect(paths(res)).toEqual(
      ['body', 'body.from', 'body.rates', 'body.rates.plans.enterprise', 'body.rates.requestFamilies.email_validation', 'body.rates.requestFamilies.waf', 'body.rates.requestFamilies.wafx', 'body.workspaceId'].sort(),
    );
    const message = (p: string) => (res.body.errors as { path: string; message: string }[]).find((e) => e.path === p)!.message;
    expect(message('body.rates.requestFamilies.wafx')).toMatch(/is not a request family/);
    expect(message('body.rates.plans.enterprise')).toMatch(/Enterprise prices are contracts/);

    // A window with to before from is empty, not an error (the document cannot state a rule comparing two fields).
    const order = await backtest({ rates: {}, from: '2026-02-01T00:00:00Z', to: '2026-01-01T00:00:00Z' });
    expect(order.status).toBe(200);
    expect((order.body.workspaces as { events: number }[]).every((w) => w.events === 0)).toBe(true);
    const missing = await backtest({});
    expect(paths(missing)).toEqual(['body.rates']);
    const json = await request(h.app).post('/v1/operator/backtests').set(operator).set('Content-Type', 'application/json').send('{"rates":');
    expect(json.status).toBe(400);
    expect(json.body.code).toBe('validation_failed');
  });

  test('404 workspace_not_found for a workspace with no billing record and no usage', async () => {
    const res = await backtest({ rates: RATES, workspaceId: uniqueId('ws') });
    expect(res.status).toBe(404);
    expect(res.body).toMatchObject({ code: 'workspace_not_found', status: 404 });
  });
});

describe('npm run ops -- backtest', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'backtest-'));
  const ops = (...args: string[]) =>
    new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      execFile(process.execPath, ['--import', 'tsx', 'scripts/ops.ts', 'backtest', ...args], { cwd: projectRoot, env: { ...process.env, DATABASE_URL: TEST_DATABASE_URL } }, (err, stdout, stderr) =>
        resolve({ code: err ? Number(err.code) : 0, stdout, stderr }),
      );
    });
  const file = (name: string, text: string) => {
    const p = path.join(dir, name);
    writeFileSync(p, text);
    return p;
  };

  test('a malformed rate file: exit status 2, each offending field named', async () => {
    const bad = file('bad.json', JSON.stringify({ requestFamilies: { wafx: 3, waf: 'thirty' } }));
    const res = await ops('--rates', bad);
    expect(res.code).toBe(2);
    expect(res.stderr).toContain(`${bad}: requestFamilies.wafx: is not a request family`);
    expect(res.stderr).toContain(`${bad}: requestFamilies.waf: must be a whole number of cents per 1,000 requests`);
    const notJson = await ops('--rates', file('broken.json', '{ "requestFamilies": '));
    expect(notJson.code).toBe(2);
    expect(notJson.stderr).toMatch(/broken\.json: not valid JSON/);
    const badFlag = await ops('--rates', file('ok.json', '{}'), '--from', 'yesterday');
    expect(badFlag.code).toBe(2);
    expect(badFlag.stderr).toContain('--from: must be an ISO 8601 date-time');
    expect((await ops()).code).toBe(2);
  }, 60_000);

  test('prints the table, and --json answers what the route answers', async () => {
    const { plus } = await usageFixtures();
    const rates = file('rates.json', JSON.stringify(RATES));
    const table = await ops('--rates', rates, '--workspace', plus, '--from', WINDOW.from, '--to', WINDOW.to);
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(new RegExp(`${plus}\\s+4\\s+275\\s+255\\s+-20\\s+75/90`));
    expect(table.stdout).toMatch(/plus\/month\s+2900\s+3900\s+\+1000/);
    const json = await ops('--rates', rates, '--workspace', plus, '--from', WINDOW.from, '--to', WINDOW.to, '--json');
    expect(json.code).toBe(0);
    const route = await backtest({ rates: RATES, workspaceId: plus, ...WINDOW });
    expect(JSON.parse(json.stdout)).toEqual(route.body);
    const unknown = await ops('--rates', rates, '--workspace', uniqueId('ws'));
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/^refused: workspace_not_found/);
  }, 60_000);
});
