// What operators see and do, on the dev server with a short grace: the
// README's list queries (src/temporal/operator-queries.ts) run through the
// real `temporal workflow list` binary and find exactly the expected
// workspaces; the workflow carries a readable summary (current details); an operator
// action through the API is recorded in operator_audit (PostgreSQL); the ops
// CLI lists and shows.
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { binaryPath, projectRoot } from '../../scripts/lib/binaries';
import { startTemporalDevServer, type TemporalDevServer } from '../../scripts/lib/dev-servers';
import { operatorQueries } from '../../src/temporal/operator-queries';
import { workflowIdFor } from '../../workflows/definitions';
import { testPrisma } from '../support/db';
import { startEngine, type EngineProcesses } from '../support/engine-processes';
import { eventually } from '../support/fake-activities';
import { checkoutFixture, invoice, signedPayload, stripeEvent, subscription } from '../support/stripe-events';
import { TEST_SECRETS } from '../support/test-env';

const run = promisify(execFile);
const GRACE_MS = 10_000;
const HOUR = 3_600_000;
let temporal: TemporalDevServer;
let engine: EngineProcesses;
const prisma = testPrisma();

beforeAll(async () => {
  temporal = await startTemporalDevServer({ headless: true });
  engine = await startEngine({ temporalAddress: temporal.address, taskQueue: 'e2e-operator', env: { BILLING_GRACE_PERIOD: `${GRACE_MS / 1000}s`, BILLING_DUNNING_REMINDERS: '0s' } });
}, 240_000);

afterAll(async () => {
  await engine?.stop();
  await temporal?.stop();
  await prisma.$disconnect();
});

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const call = async (path: string, token: string, init: RequestInit = {}): Promise<{ status: number; body: Json }> => {
  const res = await fetch(`${engine.apiUrl}${path}`, { ...init, headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' } });
  return { status: res.status, body: (await res.json()) as Json };
};
const billing = (workspaceId: string) => call(`/v1/workspaces/${workspaceId}/billing`, TEST_SECRETS.APP_API_TOKEN).then((r) => r.body);

async function deliver(type: string, object: Record<string, unknown>) {
  const { payload, signature } = signedPayload(stripeEvent(type, object, Math.floor(Date.now() / 1000)));
  const res = await fetch(`${engine.apiUrl}/webhooks/stripe`, { method: 'POST', headers: { 'Stripe-Signature': signature }, body: payload });
  expect(res.status).toBe(200);
}

async function activeWorkspace() {
  const f = checkoutFixture('plus', 'month');
  await deliver('customer.subscription.created', subscription(f));
  return f;
}

/** Workflow ids a list query finds, through the real CLI binary. */
async function listed(query: string): Promise<string[]> {
  const { stdout } = await run(binaryPath('temporal'), ['workflow', 'list', '--address', temporal.address, '--query', query, '-o', 'json']);
  const rows = JSON.parse(stdout || '[]') as { execution: { workflowId: string } }[];
  return rows.map((r) => r.execution.workflowId).sort();
}

const ops = (...args: string[]) =>
  run(process.execPath, ['--import', 'tsx', path.join('scripts', 'ops.ts'), ...args], {
    cwd: projectRoot,
    env: { ...process.env, TEMPORAL_ADDRESS: temporal.address, TEMPORAL_TASK_QUEUE: 'e2e-operator' },
  });

test('the documented list queries find exactly the expected workspaces; an API action is audited', async () => {
  const [healthy, endingSoon, enforced, extendedLong] = await Promise.all([activeWorkspace(), activeWorkspace(), activeWorkspace(), activeWorkspace()]);
  const all = [healthy, endingSoon, enforced, extendedLong];
  await Promise.all(all.map((f) => eventually(() => billing(f.workspaceId), (b) => b.status === 'active', 45_000)));
  await Promise.all([endingSoon, enforced, extendedLong].map((f) => deliver('invoice.payment_failed', invoice(f, { status: 'open' }))));
  await Promise.all([endingSoon, enforced, extendedLong].map((f) => eventually(() => billing(f.workspaceId), (b) => b.mode === 'billing_recovery', 45_000)));

  const extend = (workspaceId: string, byMs: number, requestId: string) =>
    call(`/v1/operator/workspaces/${workspaceId}/grace/extend`, TEST_SECRETS.OPERATOR_API_TOKEN, {
      method: 'POST',
      body: JSON.stringify({ byMs, reason: 'customer promised to pay by wire', requestId }),
    });
  const soon = await extend(endingSoon.workspaceId, 2 * HOUR, `req-${endingSoon.workspaceId}`);
  expect(soon.status).toBe(200);
  expect(soon.body).toMatchObject({ action: 'extend_grace', applied: true, state: { mode: 'billing_recovery', grace: { expired: false } } });
  expect((await extend(extendedLong.workspaceId, 72 * HOUR, `req-${extendedLong.workspaceId}`)).status).toBe(200);
  // No reason → 400 before anything reaches the workflow.
  const refused = await call(`/v1/operator/workspaces/${healthy.workspaceId}/grace/end`, TEST_SECRETS.OPERATOR_API_TOKEN, { method: 'POST', body: JSON.stringify({ requestId: 'x' }) });
  expect(refused).toMatchObject({ status: 400, body: { code: 'validation_failed' } });
  // The app token is not an operator token.
  expect((await call(`/v1/operator/workspaces/${healthy.workspaceId}/grace/end`, TEST_SECRETS.APP_API_TOKEN, { method: 'POST', body: '{}' })).status).toBe(401);

  await eventually(() => billing(enforced.workspaceId), (b) => b.mode === 'enforced_recovery', GRACE_MS + 45_000);

  const audit = await prisma.operatorAudit.findMany({ where: { workspaceId: endingSoon.workspaceId } });
  expect(audit).toEqual([
    expect.objectContaining({ action: 'extend_grace', reason: 'customer promised to pay by wire', actor: 'operator-api', requestId: `req-${endingSoon.workspaceId}` }),
  ]);

  const queries = operatorQueries(Date.now());
  const ids = (...fs: { workspaceId: string }[]) => fs.map((f) => workflowIdFor(f.workspaceId)).sort();
  const expectations: [string, string[]][] = [
    [queries['enforced-recovery'], ids(enforced)],
    [queries['grace-ending-24h'], ids(endingSoon)],
    [queries['past-due'], ids(endingSoon, enforced, extendedLong)],
    [queries['billing-recovery'], ids(endingSoon, extendedLong)],
  ];
  for (const [query, expected] of expectations) {
    await eventually(() => listed(query), (found) => JSON.stringify(found) === JSON.stringify(expected), 45_000);
  }

  // A readable summary of the state (the Web UI's current details; `ops show`).
  const shown = await ops('show', enforced.workspaceId);
  expect(shown.stdout).toMatch(/Plus \(month\) · past_due · enforced_recovery · grace ended \d{4}-\d\d-\d\dT\d\d:\d\dZ/);

  // The ops CLI: list by name and show one workspace.
  const list = await ops('list', 'enforced-recovery');
  expect(list.stdout).toContain(workflowIdFor(enforced.workspaceId));
  expect(list.stdout).toContain('1 workspace');
  const show = await ops('show', endingSoon.workspaceId);
  expect(show.stdout).toMatch(/mode\s+billing_recovery/);
  const unknown = await ops('end-grace', 'ws_nobody_here', '--reason', 'testing the cli').catch((err: { code: number; stderr: string }) => err);
  expect(unknown).toMatchObject({ code: 1, stderr: expect.stringContaining('workspace_not_found') });
}, 240_000);

test('each operator action through the ops CLI is applied once and audited with its reason and actor', async () => {
  const f = await activeWorkspace();
  const id = f.workspaceId;
  await deliver('invoice.payment_failed', invoice(f, { status: 'open' }));
  await eventually(() => billing(id), (b) => b.grace !== null && b.mode === 'billing_recovery');

  const extended = await ops('extend-grace', id, '--by', '2h', '--reason', 'customer promised to pay (ticket 7)', '--request-id', `cli-extend-${id}`);
  expect(extended.stdout).toContain(`✓ extend_grace applied to ${id}`);
  const again = await ops('extend-grace', id, '--by', '2h', '--reason', 'customer promised to pay (ticket 7)', '--request-id', `cli-extend-${id}`);
  expect(again.stdout).toContain('was already applied; nothing done again');
  const ended = await ops('end-grace', id, '--reason', 'paid by wire, confirmed by finance');
  expect(ended.stdout).toContain(`✓ end_grace applied to ${id}`);
  expect((await billing(id)).grace).toBeNull();

  // A healthy workspace: a scheduled change (through the app API) cancelled by the operator, and a credit grant.
  const healthy = (await activeWorkspace()).workspaceId;
  await eventually(() => billing(healthy), (b) => b.status === 'active');
  const scheduled = await call(`/v1/workspaces/${healthy}/plan-changes`, TEST_SECRETS.APP_API_TOKEN, {
    method: 'POST',
    body: JSON.stringify({ targetPlanId: 'plus', interval: 'year', timing: 'period_end' }),
  });
  expect(scheduled.body).toMatchObject({ status: 'scheduled' });
  const cancelled = await ops('cancel-change', healthy, '--reason', 'customer changed their mind');
  expect(cancelled.stdout).toContain(`✓ cancel_scheduled_change applied to ${healthy}`);
  expect((await billing(healthy)).pendingChange).toBeNull();

  const granted = await ops('grant-credit', healthy, '--amount', '2500', '--reason', 'goodwill after the outage', '--reference', `INC-${healthy}`);
  expect(granted.stdout).toContain(`✓ granted 2500 cents to ${healthy}`);
  const regranted = await ops('grant-credit', healthy, '--amount', '2500', '--reason', 'goodwill after the outage', '--reference', `INC-${healthy}`);
  expect(regranted.stdout).toContain('was already granted');

  const auditOf = async (workspaceId: string) =>
    (await prisma.operatorAudit.findMany({ where: { workspaceId }, orderBy: { id: 'asc' } })).map((a) => [a.action, a.actor, a.reason]);
  expect(await auditOf(id)).toEqual([
    ['extend_grace', 'ops-cli', 'customer promised to pay (ticket 7)'],
    ['end_grace', 'ops-cli', 'paid by wire, confirmed by finance'],
  ]);
  expect(await auditOf(healthy)).toEqual([
    ['cancel_scheduled_change', 'ops-cli', 'customer changed their mind'],
    ['grant_credit', 'ops-cli', 'goodwill after the outage'],
  ]);
}, 240_000);
