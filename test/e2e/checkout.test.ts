// End to end on real servers: Temporal dev server, the worker and API as
// processes started from their entry points, PostgreSQL, stripe-mock. A
// workspace goes from Essential to Plus: checkout over HTTP, a signed
// checkout.session.completed to the webhook, /billing reports it active,
// and an operator finds it by search attributes.
import { Client, Connection } from '@temporalio/client';
import { startTemporalDevServer, type TemporalDevServer } from '../../scripts/lib/dev-servers';
import { uniqueId } from '../support/db';
import { startEngine, type EngineProcesses } from '../support/engine-processes';
import { eventually } from '../support/fake-activities';
import { checkoutFixture, checkoutSession, signedPayload, stripeEvent } from '../support/stripe-events';
import { TEST_SECRETS } from '../support/test-env';

let temporal: TemporalDevServer;
let engine: EngineProcesses;
let connection: Connection;

beforeAll(async () => {
  temporal = await startTemporalDevServer({ headless: true });
  engine = await startEngine({ temporalAddress: temporal.address, taskQueue: 'e2e-checkout' });
  connection = await Connection.connect({ address: temporal.address });
}, 120_000);

afterAll(async () => {
  await connection?.close();
  await engine?.stop();
  await temporal?.stop();
});

const api = (path: string, init: RequestInit = {}) =>
  fetch(`${engine.apiUrl}${path}`, {
    ...init,
    headers: { Authorization: `Bearer ${TEST_SECRETS.APP_API_TOKEN}`, 'Content-Type': 'application/json', ...init.headers },
  });

test('a workspace goes from Essential to Plus through checkout, webhook and workflow', async () => {
  const workspaceId = uniqueId('ws');
  const before = await (await api(`/v1/workspaces/${workspaceId}/billing`)).json();
  expect(before).toMatchObject({ plan: { id: 'essential' }, status: 'none', mode: 'self_serve' });

  const started = await api(`/v1/workspaces/${workspaceId}/checkout`, {
    method: 'POST',
    body: JSON.stringify({ planId: 'plus', interval: 'month', successUrl: 'https://app.example.com/ok', cancelUrl: 'https://app.example.com/no' }),
  });
  expect(started.status).toBe(201);
  const checkout = (await started.json()) as { checkoutId: string };
  expect(checkout.checkoutId).toMatch(/^cs_/);

  const f = { ...checkoutFixture('plus', 'month'), workspaceId, checkoutId: checkout.checkoutId };
  const { payload, signature } = signedPayload(stripeEvent('checkout.session.completed', checkoutSession(f)));
  const webhook = await fetch(`${engine.apiUrl}/webhooks/stripe`, {
    method: 'POST',
    headers: { 'Stripe-Signature': signature, 'Content-Type': 'application/json' },
    body: payload,
  });
  expect(webhook.status).toBe(200);
  expect(await webhook.json()).toMatchObject({ outcome: 'accepted', workspaceId });

  const active = await eventually(
    async () => (await (await api(`/v1/workspaces/${workspaceId}/billing`)).json()) as { status: string },
    (b) => b.status === 'active',
    20_000,
  );
  expect(active).toMatchObject({
    plan: { id: 'plus', interval: 'month' },
    status: 'active',
    mode: 'self_serve',
    checkout: null,
    stripe: { subscriptionId: f.subscriptionId },
  });

  // What an operator sees in the Web UI: the workflow found by its search attributes.
  const client = new Client({ connection });
  const query = `WorkspaceId = '${workspaceId}' AND PlanId = 'plus' AND BillingStatus = 'active' AND BillingMode = 'self_serve'`;
  const found = await eventually(
    async () => {
      const ids: string[] = [];
      for await (const wf of client.workflow.list({ query })) ids.push(wf.workflowId);
      return ids;
    },
    (ids) => ids.length === 1,
    20_000,
  );
  expect(found).toEqual([`workspace/${workspaceId}`]);
});

test('a guest pays, then claims into a new workspace through the worker process (its activity updates the workspace workflow)', async () => {
  const email = `${uniqueId('guest')}@example.com`;
  const started = await api('/v1/checkout/guest', {
    method: 'POST',
    body: JSON.stringify({ email, planId: 'family', interval: 'month', successUrl: 'https://app.example.com/ok', cancelUrl: 'https://app.example.com/no' }),
  });
  expect(started.status).toBe(201);
  const { checkoutId } = (await started.json()) as { checkoutId: string };
  const client = new Client({ connection });
  const guest = client.workflow.getHandle(`guest-checkout/${checkoutId}`);
  expect((await guest.describe()).status.name).toBe('RUNNING');

  const f = { ...checkoutFixture('family', 'month'), workspaceId: '', checkoutId: 'cs_guest_session', customerId: uniqueId('cus_guest') };
  const session = checkoutSession(f, { metadata: { guestCheckoutId: checkoutId, planId: 'family', interval: 'month' } });
  const { payload, signature } = signedPayload(stripeEvent('checkout.session.completed', session));
  const webhook = await fetch(`${engine.apiUrl}/webhooks/stripe`, { method: 'POST', headers: { 'Stripe-Signature': signature, 'Content-Type': 'application/json' }, body: payload });
  expect(await webhook.json()).toMatchObject({ outcome: 'accepted', guestCheckoutId: checkoutId });

  // Operators find the paid, unclaimed guest checkout by its search attributes.
  const listed = (query: string) =>
    eventually(
      async () => {
        const ids: string[] = [];
        for await (const wf of client.workflow.list({ query })) ids.push(wf.workflowId);
        return ids;
      },
      (ids) => ids.includes(`guest-checkout/${checkoutId}`),
      20_000,
    );
  await listed(`WorkflowType = 'guestCheckoutWorkflow' AND ExecutionStatus = 'Running' AND BillingStatus = 'active' AND PlanId = 'family' AND WorkspaceId IS NULL`);

  const workspaceId = uniqueId('ws');
  const claimed = await api(`/v1/checkout/${checkoutId}/claim`, { method: 'POST', body: JSON.stringify({ workspaceId, verifiedEmail: email }) });
  expect(claimed.status).toBe(200);
  expect(await claimed.json()).toMatchObject({ checkoutId, workspaceId, status: 'active', plan: { id: 'family', interval: 'month' }, stripe: { subscriptionId: f.subscriptionId } });
  const billing = await eventually(
    async () => (await (await api(`/v1/workspaces/${workspaceId}/billing`)).json()) as { status: string },
    (b) => b.status === 'active',
    20_000,
  );
  expect(billing).toMatchObject({ plan: { id: 'family' }, stripe: { subscriptionId: f.subscriptionId } });
  // Once claimed, the guest checkout names its workspace.
  expect(await listed(`WorkflowType = 'guestCheckoutWorkflow' AND WorkspaceId = '${workspaceId}'`)).toEqual([`guest-checkout/${checkoutId}`]);
});

test('the worker and the API stop cleanly on SIGTERM', async () => {
  await engine.stop();
  expect(await engine.api.exited).toEqual({ code: 0, signal: null });
  expect(await engine.worker.exited).toEqual({ code: 0, signal: null });
});
