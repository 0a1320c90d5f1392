// "Why is this workspace blocked?" end to end on the dev server: a real
// worker and API process, signed Stripe events through the webhook, a short
// grace window that expires into the hard block, and a continue-as-new in
// between (the server suggests it after a few dozen events). The timeline —
// from the operator route and from `npm run ops -- timeline` — names the
// failed invoice, the grace end and the expiry, in order, across both runs.
import { execFile } from 'node:child_process';
import { Client, Connection } from '@temporalio/client';
import { timelineSchema, type Timeline } from '../../src/domain/timeline/timeline';
import { startTemporalDevServer, type TemporalDevServer } from '../../scripts/lib/dev-servers';
import { projectRoot } from '../../scripts/lib/binaries';
import { workflowIdFor } from '../../workflows/definitions';
import { startEngine, type EngineProcesses } from '../support/engine-processes';
import { eventually } from '../support/fake-activities';
import { checkoutFixture, invoice, signedPayload, stripeEvent, subscription } from '../support/stripe-events';
import { TEST_DATABASE_URL, TEST_SECRETS } from '../support/test-env';

const GRACE_MS = 12_000;
const TASK_QUEUE = 'e2e-timeline';
let temporal: TemporalDevServer;
let engine: EngineProcesses;
let connection: Connection;
let client: Client;

beforeAll(async () => {
  temporal = await startTemporalDevServer({ headless: true, dynamicConfig: { 'limit.historyCount.suggestContinueAsNew': 25 } });
  engine = await startEngine({
    temporalAddress: temporal.address,
    taskQueue: TASK_QUEUE,
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
const api = async (path: string, token = TEST_SECRETS.APP_API_TOKEN): Promise<{ status: number; body: Json }> => {
  const res = await fetch(`${engine.apiUrl}${path}`, { headers: { Authorization: `Bearer ${token}` } });
  return { status: res.status, body: (await res.json()) as Json };
};
const billing = (workspaceId: string) => api(`/v1/workspaces/${workspaceId}/billing`).then((r) => r.body);

async function deliver(type: string, object: Record<string, unknown>): Promise<string> {
  const event = stripeEvent(type, object, Math.floor(Date.now() / 1000));
  const { payload, signature } = signedPayload(event);
  const res = await fetch(`${engine.apiUrl}/webhooks/stripe`, { method: 'POST', headers: { 'Stripe-Signature': signature }, body: payload });
  expect(res.status).toBe(200);
  return event.id;
}

function ops(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', 'scripts/ops.ts', ...args],
      { cwd: projectRoot, env: { ...process.env, TEMPORAL_ADDRESS: temporal.address, TEMPORAL_TASK_QUEUE: TASK_QUEUE, DATABASE_URL: TEST_DATABASE_URL } },
      (err, stdout, stderr) => resolve({ code: err ? Number(err.code) : 0, stdout, stderr }),
    );
  });
}

test('the timeline of a blocked workspace names the failed invoice, the grace end and the expiry, in order, across a continue-as-new', async () => {
  const f = checkoutFixture('plus', 'month');
  await deliver('customer.subscription.created', subscription(f));
  await eventually(() => billing(f.workspaceId), (b) => b.status === 'active', 20_000);
  const handle = client.workflow.getHandle(workflowIdFor(f.workspaceId));
  const firstRun = (await handle.describe()).runId;

  const unpaid = invoice(f, { status: 'open' });
  const failedEvent = await deliver('invoice.payment_failed', unpaid);
  const recovering = await eventually(() => billing(f.workspaceId), (b) => b.mode === 'billing_recovery', 20_000);
  const graceEnd: string = recovering.grace.endsAt;
  // Redundant subscription events grow the history until the server suggests continuing as new.
  for (let i = 0; i < 30 && (await handle.describe()).runId === firstRun; i++) {
    await deliver('customer.subscription.updated', subscription(f, { status: 'past_due' }));
  }
  await eventually(async () => (await handle.describe()).runId, (runId) => runId !== firstRun, 20_000);
  await eventually(() => billing(f.workspaceId), (b) => b.mode === 'enforced_recovery', GRACE_MS + 20_000);

  const route = await eventually(
    () => api(`/v1/operator/workspaces/${f.workspaceId}/timeline`, TEST_SECRETS.OPERATOR_API_TOKEN),
    (r) => r.status === 200 && (r.body.entries as Json[]).some((e) => e.kind === 'grace.expired'),
    20_000,
  );
  const t: Timeline = timelineSchema.parse(route.body);
  const indexOf = (kind: string) => t.entries.findIndex((e) => e.kind === kind);
  const failed = t.entries[indexOf('invoice.payment_failed')];
  const opened = t.entries[indexOf('grace.opened')];
  const expired = t.entries[indexOf('grace.expired')];
  expect(failed.summary).toContain(`Payment of invoice ${unpaid.id} failed: 29.00 USD due`);
  expect(failed.source.stripeEventId).toBe(failedEvent);
  expect(opened.summary).toContain(`until ${graceEnd}`);
  expect(expired.summary).toContain(`Grace window ended at ${graceEnd} unpaid: production traffic is hard-blocked (enforced recovery)`);
  expect(indexOf('invoice.payment_failed')).toBeLessThan(indexOf('grace.opened'));
  expect(indexOf('grace.opened')).toBeLessThan(indexOf('grace.expired'));
  // Read across continue-as-new: the failure was recorded by the first run, the expiry by a later one.
  expect(failed.source.workflow).toMatchObject({ workflowId: workflowIdFor(f.workspaceId), runId: firstRun });
  expect(expired.source.workflow?.runId).not.toBe(firstRun);
  expect(t.entries.filter((e) => e.kind === 'dunning.reminder').map((e) => e.summary.match(/\((start|second \d+) of the grace window/)?.[1])).toEqual(['start', 'second 4']);
  expect(t.truncated).toBe(false);

  // The same answer from the ops CLI: a readable table, and --json for scripts.
  const table = await ops('timeline', f.workspaceId);
  expect(table.code).toBe(0);
  const lines = table.stdout.split('\n');
  const line = (kind: string) => lines.findIndex((l) => new RegExp(`^\\S+\\s+${kind.replace('.', '\\.')}\\s`).test(l));
  expect(lines[line('invoice.payment_failed')]).toContain(unpaid.id);
  expect(lines[line('invoice.payment_failed')]).toContain(failedEvent);
  expect(lines[line('grace.opened')]).toContain(graceEnd);
  expect(line('invoice.payment_failed')).toBeLessThan(line('grace.opened'));
  expect(line('grace.opened')).toBeLessThan(line('grace.expired'));
  const json = await ops('timeline', f.workspaceId, '--json');
  expect(json.code).toBe(0);
  expect(timelineSchema.parse(JSON.parse(json.stdout)).entries).toEqual(t.entries);
  const missing = await ops('timeline', 'nobody-at-all');
  expect(missing.code).toBe(1);
  expect(missing.stderr).toMatch(/^refused: workspace_not_found/);
}, 150_000);
