// Scheduled reconciliation on the dev server with the real worker and API
// processes: the worker ensures the `billing-reconciliation` Schedule at
// start; a reconciliation run resyncs every workspace with a Stripe
// subscription through its workspace workflow and reports what changed.
// stripe-mock keeps no state: its subscription is always `active` with no
// failed invoice, so a workspace left `past_due` by a payment failure
// Stripe has since recovered from (the paid webhook was missed) is drift
// the run must heal.
import { Client, Connection } from '@temporalio/client';
import { startTemporalDevServer, type TemporalDevServer } from '../../scripts/lib/dev-servers';
import type { ReconciliationReport } from '../../workflows/reconciliation-workflow';
import { testPrisma } from '../support/db';
import { startEngine, type EngineProcesses } from '../support/engine-processes';
import { eventually } from '../support/fake-activities';
import { checkoutFixture, invoice, signedPayload, stripeEvent, subscription } from '../support/stripe-events';
import { TEST_SECRETS } from '../support/test-env';

const TASK_QUEUE = 'e2e-reconciliation';
let temporal: TemporalDevServer;
let engine: EngineProcesses;
let connection: Connection;
let client: Client;
const prisma = testPrisma();
/** Workspaces whose projection took stripe-mock's one customer id (unique): removed after the run. */
const cleanup: string[] = [];

beforeAll(async () => {
  temporal = await startTemporalDevServer({ headless: true });
  engine = await startEngine({ temporalAddress: temporal.address, taskQueue: TASK_QUEUE, env: { RECONCILIATION_SCHEDULE: '0 3 * * *' } });
  connection = await Connection.connect({ address: temporal.address });
  client = new Client({ connection });
}, 120_000);

afterAll(async () => {
  await engine?.stop();
  await prisma.workspaceBilling.deleteMany({ where: { workspaceId: { in: cleanup } } });
  await connection?.close();
  await temporal?.stop();
  await prisma.$disconnect();
});

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const billing = async (workspaceId: string): Promise<Json> => {
  const res = await fetch(`${engine.apiUrl}/v1/workspaces/${workspaceId}/billing`, { headers: { Authorization: `Bearer ${TEST_SECRETS.APP_API_TOKEN}` } });
  return (await res.json()) as Json;
};

async function deliver(type: string, object: Record<string, unknown>) {
  const { payload, signature } = signedPayload(stripeEvent(type, object, Math.floor(Date.now() / 1000)));
  const res = await fetch(`${engine.apiUrl}/webhooks/stripe`, { method: 'POST', headers: { 'Stripe-Signature': signature }, body: payload });
  expect(res.status).toBe(200);
}

test('the worker ensures the reconciliation schedule at start', async () => {
  const description = await eventually(
    () => client.schedule.getHandle('billing-reconciliation').describe().catch(() => null),
    (d) => d !== null,
    30_000,
  );
  expect(description!.spec.calendars?.length ?? 0).toBeGreaterThan(0);
  expect(description!.action).toMatchObject({ type: 'startWorkflow', workflowType: 'reconciliationWorkflow', taskQueue: TASK_QUEUE });
  expect(description!.policies.overlap).toBe('SKIP');
}, 60_000);

test('a reconciliation run heals drift from Stripe and reports what it changed', async () => {
  const drifted = checkoutFixture('plus', 'month');
  cleanup.push(drifted.workspaceId);
  await deliver('customer.subscription.created', subscription(drifted));
  await eventually(() => billing(drifted.workspaceId), (b) => b.status === 'active', 20_000);
  // The payment failed; Stripe recovered (stripe-mock: active, no failed invoice) but the paid webhook never came.
  await deliver('invoice.payment_failed', invoice(drifted, { status: 'open' }));
  await eventually(() => billing(drifted.workspaceId), (b) => b.status === 'past_due' && b.mode === 'billing_recovery', 20_000);

  const workflowId = `reconciliation-test-${drifted.workspaceId}`;
  const report: ReconciliationReport = await client.workflow.execute('reconciliationWorkflow', {
    taskQueue: TASK_QUEUE,
    workflowId,
    // Only this test's workspaces (the shared test database holds other files' workspaces), and one
    // without a workflow. One live workspace only: stripe-mock answers every subscription with the same
    // customer, which is unique in the projection.
    args: [{ workspaceIds: [drifted.workspaceId, 'ws_without_workflow'] }],
    workflowExecutionTimeout: '60 seconds',
  });
  expect(report).toEqual({
    startedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
    checked: 2,
    changed: [{ workspaceId: drifted.workspaceId, before: { status: 'past_due', mode: 'billing_recovery', plan: 'plus' }, after: expect.objectContaining({ status: 'active' }) }],
    failed: [{ workspaceId: 'ws_without_workflow', error: expect.stringContaining('workspace_not_found') }],
    changedCount: 1,
    failedCount: 1,
  });
  // Healed through the workspace workflow: the projection and the audit trail show it.
  await eventually(() => billing(drifted.workspaceId), (b) => b.status === 'active', 20_000);
  const runId = (await client.workflow.getHandle(workflowId).describe()).runId;
  const audit = await prisma.operatorAudit.findMany({ where: { workspaceId: drifted.workspaceId } });
  expect(audit).toEqual([
    expect.objectContaining({ action: 'resync_from_stripe', reason: 'scheduled reconciliation', actor: 'reconciliation', requestId: `reconcile:${runId}:${drifted.workspaceId}` }),
  ]);
}, 120_000);
