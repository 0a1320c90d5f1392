// `npm run demo` end to end on real servers (the dev server, the worker and
// API processes, PostgreSQL, stripe-mock): every demo workspace is in the
// state it promises, seen the ways the demo's report points to — /billing
// (and /access where the gate says more), and a visibility query on the
// search attributes the Web UI link filters by. A second run changes
// nothing: same answers, same wallets, no new workflow and no new history
// event. The states are asserted in terms other work keeps true (plan,
// status, production, grace, pending change), not every field.
import { Client, Connection, type WorkflowHandle } from '@temporalio/client';
import { startTemporalDevServer, type TemporalDevServer } from '../../scripts/lib/dev-servers';
import { runDemo, type DemoEntry, type DemoOptions } from '../../scripts/demo/run';
import { stateQuery, workflowIdFor } from '../../workflows/definitions';
import { uniqueId } from '../support/db';
import { startEngine, type EngineProcesses } from '../support/engine-processes';
import { eventually } from '../support/fake-activities';
import { TEST_SECRETS } from '../support/test-env';

const DAY = 86_400_000;
let temporal: TemporalDevServer;
let engine: EngineProcesses;
let connection: Connection;
let client: Client;
let options: DemoOptions;
let first: DemoEntry[];
const printed: string[] = [];
// Workspace ids must be new to the shared test database (its event log outlives the dev server).
const prefix = uniqueId('demo').replace('_', '-');
const ws = (name: string) => `${prefix}-${name}`;

beforeAll(async () => {
  temporal = await startTemporalDevServer({ headless: true });
  engine = await startEngine({ temporalAddress: temporal.address, taskQueue: 'e2e-demo' });
  connection = await Connection.connect({ address: temporal.address });
  client = new Client({ connection });
  options = {
    apiUrl: engine.apiUrl,
    appToken: TEST_SECRETS.APP_API_TOKEN,
    operatorToken: TEST_SECRETS.OPERATOR_API_TOKEN,
    webhookSecret: TEST_SECRETS.STRIPE_WEBHOOK_SECRET,
    gracePeriodMs: 7 * DAY, // the engine's default BILLING_GRACE_PERIOD
    webUiUrl: 'http://127.0.0.1:8233',
    prefix,
    print: (line) => printed.push(line),
  };
  first = await runDemo(options);
}, 180_000);

afterAll(async () => {
  await connection?.close();
  await engine?.stop();
  await temporal?.stop();
});

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const get = async (path: string, token = TEST_SECRETS.APP_API_TOKEN): Promise<Json> => {
  const res = await fetch(`${engine.apiUrl}${path}`, { headers: { Authorization: `Bearer ${token}` } });
  expect(res.status).toBe(200);
  return (await res.json()) as Json;
};
const billing = (workspaceId: string) => get(`/v1/workspaces/${workspaceId}/billing`);
const wallet = (workspaceId: string) => get(`/v1/workspaces/${workspaceId}/wallet?limit=100`);
const access = (workspaceId: string, projectId: string) => get(`/v1/workspaces/${workspaceId}/access?projectId=${projectId}&environment=production`);

/** Workflow ids the query finds (visibility is eventually consistent: waits until there are `count`). */
async function listed(query: string, count = 1): Promise<string[]> {
  return eventually(
    async () => {
      const ids: string[] = [];
      for await (const wf of client.workflow.list({ query })) ids.push(wf.workflowId);
      return ids.sort();
    },
    (ids) => ids.length === count,
    20_000,
  );
}

/** The workspace's workflow is found by the search attributes its state sets. */
async function findable(workspaceId: string, attributes: string) {
  expect(await listed(`WorkspaceId = '${workspaceId}' AND ${attributes}`)).toEqual([workflowIdFor(workspaceId)]);
}

test('the report gives each workspace its /billing link, a Web UI link filtered by its search attributes and an ops command', () => {
  expect(first.map((e) => e.name)).toEqual(['essential', 'plus', 'family', 'business-capped', 'grace', 'recovery', 'downgrade', 'guest', 'enterprise']);
  const plus = first.find((e) => e.name === 'plus')!;
  expect(plus).toMatchObject({
    id: ws('plus'),
    billingUrl: `${engine.apiUrl}/v1/workspaces/${ws('plus')}/billing`,
    opsCommand: `npm run ops -- show ${ws('plus')}`,
  });
  const ui = new URL(plus.webUiUrl!);
  expect(`${ui.origin}${ui.pathname}`).toBe('http://127.0.0.1:8233/namespaces/default/workflows');
  expect(ui.searchParams.get('query')).toBe(`WorkspaceId = "${ws('plus')}" OR WorkflowId = "wallet/${ws('plus')}"`);
  const guest = first.find((e) => e.name === 'guest')!;
  expect(guest.id).toMatch(/^gco_/);
  expect(guest.opsCommand).toBe(`npm run ops -- show-guest ${guest.id}`);
  expect(new URL(guest.webUiUrl!).searchParams.get('query')).toBe(`WorkflowId = "guest-checkout/${guest.id}"`);
  const report = printed.join('\n');
  for (const e of first) expect(report).toContain(e.webUiUrl!);
});

test('Essential: no subscription, production refused for the plan; its workflow exists (an abandoned checkout)', async () => {
  const b = await billing(ws('essential'));
  expect(b).toMatchObject({ plan: { id: 'essential' }, status: 'none', checkout: null, production: { allowed: false } });
  expect(b.production.reasons).toContain('plan_not_production_capable');
  await findable(ws('essential'), "PlanId = 'essential' AND BillingStatus = 'none'");
});

test('Plus: active, wallet credit after usage, its production project allowed', async () => {
  const b = await billing(ws('plus'));
  expect(b).toMatchObject({ plan: { id: 'plus', interval: 'month' }, status: 'active', production: { allowed: true, reasons: [] } });
  // $50 top-up, less 40,000 rate_limiting (10¢/1000) and 2,000 email_validation (100¢/1000); sandbox traffic is free.
  expect(b.wallet.balanceCents).toBe(5_000 - 400 - 200);
  const ledger = await wallet(ws('plus'));
  expect(ledger.entries.map((e: Json) => e.sourceType).sort()).toEqual(['top_up', 'usage_batch']);
  expect(await access(ws('plus'), 'storefront')).toMatchObject({ allowed: true });
  // Plus has one production project: a second one is refused.
  expect((await access(ws('plus'), 'another-project')).reasons).toEqual(['project_limit']);
  await findable(ws('plus'), "PlanId = 'plus' AND BillingStatus = 'active'");
});

test('Family: active with four production projects', async () => {
  const b = await billing(ws('family'));
  expect(b).toMatchObject({ plan: { id: 'family', interval: 'year' }, status: 'active', production: { allowed: true } });
  for (const project of ['web-shop', 'mobile-app', 'partner-api', 'internal-tools']) {
    expect(await access(ws('family'), project)).toMatchObject({ allowed: true, reasons: [] });
  }
  await findable(ws('family'), "PlanId = 'family' AND BillingStatus = 'active'");
});

test('Business over its spend cap: the gate refuses production with spend_cap_reached', async () => {
  const b = await billing(ws('business-capped'));
  expect(b).toMatchObject({ plan: { id: 'business' }, status: 'active' });
  const answer = await access(ws('business-capped'), 'checkout-service');
  expect(answer.allowed).toBe(false);
  expect(answer.reasons).toContain('spend_cap_reached');
  await findable(ws('business-capped'), "PlanId = 'business' AND BillingStatus = 'active'");
});

test('Grace: past due inside an open window that started half a grace period ago; the first reminders are sent', async () => {
  const b = await billing(ws('grace'));
  expect(b).toMatchObject({ plan: { id: 'family' }, status: 'past_due', grace: { expired: false } });
  expect(b.production.reasons).not.toContain('enforced_recovery');
  const endsAt = Date.parse(b.grace.endsAt);
  expect(endsAt - Date.parse(b.grace.startedAt)).toBe(7 * DAY);
  expect(endsAt).toBeGreaterThan(Date.now());
  await findable(ws('grace'), `BillingStatus = 'past_due' AND BillingMode != 'enforced_recovery' AND GraceEndsAt > '${new Date().toISOString()}'`);
  // Reminders at 0d and 3d (BILLING_DUNNING_REMINDERS 0d,3d,6d) are due 3.5 days in.
  const state = await eventually(() => client.workflow.getHandle(workflowIdFor(ws('grace'))).query(stateQuery), (s) => (s.grace?.remindersSent.length ?? 0) >= 2);
  expect(state.grace!.remindersSent).toEqual([0, 3 * DAY]);
});

test('Recovery: the window anchored at a failure more than a grace period ago has expired: enforced recovery', async () => {
  const b = await billing(ws('recovery'));
  expect(b).toMatchObject({ plan: { id: 'business' }, status: 'past_due', mode: 'enforced_recovery', grace: { expired: true }, production: { allowed: false } });
  expect(b.production.reasons).toContain('enforced_recovery');
  expect(b.unpaidInvoice).not.toBeNull();
  await findable(ws('recovery'), "BillingMode = 'enforced_recovery' AND BillingStatus = 'past_due'");
});

test('Downgrade: Business with a change to Family scheduled for the period end', async () => {
  const b = await billing(ws('downgrade'));
  expect(b).toMatchObject({ plan: { id: 'business' }, status: 'active', pendingChange: { targetPlanId: 'family', interval: 'month' } });
  expect(Date.parse(b.pendingChange.effectiveAt)).toBeGreaterThan(Date.now());
  await findable(ws('downgrade'), "PlanId = 'business' AND BillingStatus = 'active'");
});

test('Guest: a paid guest checkout nobody claimed, as operators list it', async () => {
  const { id } = first.find((e) => e.name === 'guest')!;
  const { guestCheckouts } = await get('/v1/operator/guest-checkouts?status=paid&limit=200', TEST_SECRETS.OPERATOR_API_TOKEN);
  expect(guestCheckouts.filter((g: Json) => g.checkoutId === id)).toEqual([
    expect.objectContaining({ status: 'paid', email: `${ws('guest')}@example.com`, planId: 'plus', interval: 'year', claimedWorkspaceId: null }),
  ]);
  const query = `WorkflowType = 'guestCheckoutWorkflow' AND WorkflowId = 'guest-checkout/${id}' AND BillingStatus = 'active' AND WorkspaceId IS NULL`;
  expect(await listed(query)).toEqual([`guest-checkout/${id}`]);
});

test('Enterprise: active at a contract price, usage rated at the contract unit prices', async () => {
  const b = await billing(ws('enterprise'));
  expect(b).toMatchObject({ plan: { id: 'enterprise', interval: 'year' }, status: 'active', production: { allowed: true } });
  // $1,000 credit, less 250,000 bot_protection at 20¢, 40,000 email_validation at 60¢ and 30,000 ip_intelligence at 35¢ per 1,000
  // (the public rates would be 40¢, 100¢ and 60¢).
  expect(b.wallet.balanceCents).toBe(100_000 - 5_000 - 2_400 - 1_050);
  await findable(ws('enterprise'), "PlanId = 'enterprise' AND BillingStatus = 'active'");
});

/** Every workflow of the demo with its history length, once none has work in flight. */
async function settledWorkflows(): Promise<Record<string, number>> {
  const guestId = first.find((e) => e.name === 'guest')!.id;
  const query = `WorkflowId STARTS_WITH 'workspace/${prefix}' OR WorkflowId STARTS_WITH 'wallet/${prefix}' OR WorkflowId = 'guest-checkout/${guestId}'`;
  const ids = await listed(query, 17); // 8 workspaces, 8 wallets (Essential's too: it reported sandbox usage), 1 guest checkout
  const lengths: Record<string, number> = {};
  for (const id of ids) {
    const handle: WorkflowHandle = client.workflow.getHandle(id);
    const described = await eventually(
      () => handle.describe(),
      (d) => (d.raw.pendingActivities ?? []).length === 0 && !d.raw.pendingWorkflowTask,
      20_000,
    );
    lengths[id] = described.historyLength;
  }
  return lengths;
}

async function answers() {
  const workspaces = first.filter((e) => e.kind === 'workspace').map((e) => e.id);
  return Promise.all(workspaces.map(async (id) => ({ id, billing: await billing(id), wallet: await wallet(id) })));
}

test('a second run changes nothing: same answers, same wallets, no new workflow or history event', async () => {
  const before = { workflows: await settledWorkflows(), answers: await answers() };
  const second = await runDemo({ ...options, print: () => undefined });
  expect(second).toEqual(first);
  expect({ workflows: await settledWorkflows(), answers: await answers() }).toEqual(before);
}, 120_000);
