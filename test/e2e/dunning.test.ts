// Dunning end to end on the dev server with a short grace (seconds): signed
// invoice events through the webhook, /billing and /access from the
// projection, preview refused in enforced recovery, payment restores. The
// server suggests continue-as-new after a few dozen events, so the grace
// windows here span continue-as-new and must still end on time.
import { Client, Connection } from '@temporalio/client';
import { startTemporalDevServer, type TemporalDevServer } from '../../scripts/lib/dev-servers';
import { stateQuery, workflowIdFor } from '../../workflows/definitions';
import { startEngine, type EngineProcesses } from '../support/engine-processes';
import { eventually } from '../support/fake-activities';
import { checkoutFixture, invoice, signedPayload, stripeEvent, subscription } from '../support/stripe-events';
import { TEST_SECRETS } from '../support/test-env';

const GRACE_MS = 12_000;
let temporal: TemporalDevServer;
let engine: EngineProcesses;
let connection: Connection;
let client: Client;

beforeAll(async () => {
  temporal = await startTemporalDevServer({ headless: true, dynamicConfig: { 'limit.historyCount.suggestContinueAsNew': 25 } });
  engine = await startEngine({
    temporalAddress: temporal.address,
    taskQueue: 'e2e-dunning',
    env: { BILLING_GRACE_PERIOD: `${GRACE_MS / 1000}s`, BILLING_DUNNING_REMINDERS: '0s,4s' },
  });
  connection = await Connection.connect({ address: temporal.address });
  client = new Client({ connection });
}, 120_000);

afterAll(async () => {
  await connection?.close();
  await engine?.stop();
  await temporal?.stop();
});

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const api = async (path: string, init: RequestInit = {}): Promise<{ status: number; body: Json }> => {
  const res = await fetch(`${engine.apiUrl}${path}`, {
    ...init,
    headers: { Authorization: `Bearer ${TEST_SECRETS.APP_API_TOKEN}`, 'Content-Type': 'application/json', ...init.headers },
  });
  return { status: res.status, body: (await res.json()) as Json };
};

async function deliver(type: string, object: Record<string, unknown>) {
  const { payload, signature } = signedPayload(stripeEvent(type, object, Math.floor(Date.now() / 1000)));
  const res = await fetch(`${engine.apiUrl}/webhooks/stripe`, { method: 'POST', headers: { 'Stripe-Signature': signature }, body: payload });
  expect(res.status).toBe(200);
  return (await res.json()) as Json;
}

const billing = (workspaceId: string) => api(`/v1/workspaces/${workspaceId}/billing`).then((r) => r.body);

async function activeWorkspace() {
  const f = { ...checkoutFixture('plus', 'month') };
  await deliver('customer.subscription.created', subscription(f));
  await eventually(() => billing(f.workspaceId), (b) => b.status === 'active', 20_000);
  return f;
}

test('failed payment → billing_recovery with a grace end → enforced_recovery, access denied, preview 409 → paid → restored', async () => {
  const f = await activeWorkspace();
  const unpaid = invoice(f, { status: 'open' });
  expect((await deliver('invoice.payment_failed', unpaid)).outcome).toBe('accepted');

  const recovering = await eventually(() => billing(f.workspaceId), (b) => b.mode === 'billing_recovery', 20_000);
  expect(recovering).toMatchObject({ status: 'past_due', unpaidInvoice: { id: unpaid.id, amountDueCents: 2900, hostedInvoiceUrl: unpaid.hosted_invoice_url } });
  const endsAt = Date.parse(recovering.grace.endsAt);
  expect(endsAt - Date.parse(recovering.grace.startedAt)).toBe(GRACE_MS);
  expect(recovering.grace.expired).toBe(false);
  const during = await api(`/v1/workspaces/${f.workspaceId}/access?projectId=p1&environment=production`);
  expect(during.body.reasons).not.toContain('enforced_recovery');
  expect(during.body.graceEndsAt).toBe(recovering.grace.endsAt);
  // Previews are still offered while the window is open.
  expect((await api(`/v1/workspaces/${f.workspaceId}/plan-changes/preview`, { method: 'POST', body: JSON.stringify({ targetPlanId: 'business', interval: 'month' }) })).status).toBe(200);

  const enforced = await eventually(() => billing(f.workspaceId), (b) => b.mode === 'enforced_recovery', GRACE_MS + 15_000);
  // The block is visible right after the recorded end, not before.
  expect(Date.now()).toBeGreaterThanOrEqual(endsAt);
  expect(enforced.grace.expired).toBe(true);
  const access = await api(`/v1/workspaces/${f.workspaceId}/access?projectId=p1&environment=production`);
  expect(access.body).toMatchObject({ allowed: false, graceEndsAt: recovering.grace.endsAt });
  expect(access.body.reasons).toContain('enforced_recovery');
  // Operators find it in the Web UI by its search attributes.
  const listed = await eventually(
    async () => {
      const ids: string[] = [];
      const query = `WorkspaceId = '${f.workspaceId}' AND BillingMode = 'enforced_recovery' AND BillingStatus = 'past_due' AND GraceEndsAt <= '${new Date(endsAt + 1000).toISOString()}'`;
      for await (const wf of client.workflow.list({ query })) ids.push(wf.workflowId);
      return ids;
    },
    (ids) => ids.length === 1,
    20_000,
  );
  expect(listed).toEqual([workflowIdFor(f.workspaceId)]);
  const sandbox = await api(`/v1/workspaces/${f.workspaceId}/access?projectId=p1&environment=sandbox`);
  expect(sandbox.body).toMatchObject({ allowed: true, reasons: [] });
  const preview = await api(`/v1/workspaces/${f.workspaceId}/plan-changes/preview`, { method: 'POST', body: JSON.stringify({ targetPlanId: 'business', interval: 'month' }) });
  expect(preview.status).toBe(409);
  expect(preview.body).toMatchObject({ code: 'enforced_recovery', unpaidInvoice: { id: unpaid.id } });

  await deliver('invoice.paid', invoice(f, { id: unpaid.id, status: 'paid' }));
  const restored = await eventually(() => billing(f.workspaceId), (b) => b.mode === 'self_serve', 20_000);
  expect(restored).toMatchObject({ status: 'active', grace: null, unpaidInvoice: null });
  const after = await api(`/v1/workspaces/${f.workspaceId}/access?projectId=p1&environment=production`);
  expect(after.body.reasons).not.toContain('enforced_recovery');
  expect(after.body.graceEndsAt).toBeUndefined();
});

test('a grace window that spans a continue-as-new still expires at its original end', async () => {
  const f = await activeWorkspace();
  const handle = client.workflow.getHandle(workflowIdFor(f.workspaceId));
  // Bring the history close to the threshold first, so the continue-as-new
  // comes soon after the window opens, however slow the machine is.
  while ((await handle.describe()).historyLength < 15) {
    await deliver('customer.subscription.updated', subscription(f));
  }
  const firstRun = (await handle.describe()).runId;
  await deliver('invoice.payment_failed', invoice(f, { status: 'open' }));
  const opened = await eventually(() => handle.query(stateQuery), (s) => s.grace !== null, 20_000);
  const window = { startedAt: opened.grace!.startedAt, endsAt: opened.grace!.endsAt };

  // Grow the history (each redundant subscription event is a signal and a
  // workflow task) until the server suggests continuing as new.
  for (let i = 0; i < 15 && (await handle.describe()).runId === firstRun; i++) {
    await deliver('customer.subscription.updated', subscription(f, { status: 'past_due' }));
  }
  await eventually(async () => (await handle.describe()).runId, (runId) => runId !== firstRun, 20_000);
  const carried = await handle.query(stateQuery);
  // The new run began inside the window, carrying its timestamps.
  expect(Date.now()).toBeLessThan(window.endsAt);
  expect(carried.grace).toMatchObject(window);

  const expired = await eventually(() => handle.query(stateQuery), (s) => s.grace?.expired === true, GRACE_MS + 15_000);
  expect(Date.now()).toBeGreaterThanOrEqual(window.endsAt);
  expect(expired.grace).toMatchObject({ ...window, expired: true });
  const b = await billing(f.workspaceId);
  expect(b.mode).toBe('enforced_recovery');
  expect(b.grace).toEqual({ startedAt: new Date(window.startedAt).toISOString(), endsAt: new Date(window.endsAt).toISOString(), expired: true });
});
