// The wallet workflow on the time-skipping server: Business spend controls
// (alerts once per threshold, block at the cap, unblocked at the month
// boundary or by a raised cap), top-ups credited once, operator grants.
import { monthKey, nextMonthStart } from '../../src/domain/spend-rules';
import { WALLET_WORKFLOW_TYPE, walletStateQuery, walletWorkflowIdFor, type WalletWorkflowInput } from '../../workflows/wallet-definitions';
import type { walletWorkflow } from '../../workflows/wallet-workflow';
import { uniqueId } from '../support/db';
import { eventually } from '../support/fake-activities';
import { rejection, startWorkflowHarness, type WorkflowHarness } from '../support/workflow-harness';

let h: WorkflowHarness;
beforeAll(async () => {
  h = await startWorkflowHarness('wallet-test');
}, 120_000);
afterAll(() => h?.close());

const walletOf = (workspaceId: string) => h.env.client.workflow.getHandle(walletWorkflowIdFor(workspaceId)).query(walletStateQuery);
const blocksOf = (workspaceId: string) => h.fake.calls.spendBlocks.filter((b) => b.workspaceId === workspaceId).map((b) => b.blockedMonth);
const alertsOf = (workspaceId: string) => h.fake.calls.spendAlerts.filter((a) => a.workspaceId === workspaceId).map((a) => `${a.month}:${a.thresholdPercent}`);
const controls = { monthlyCapCents: 10_000, alertThresholdsPercent: [80, 50], action: 'block' as const };

async function businessWorkspace() {
  const workspaceId = uniqueId('ws');
  h.fake.world.planOf.set(workspaceId, 'business');
  return workspaceId;
}

async function spend(workspaceId: string, cents: number) {
  const month = monthKey(await h.serverNow());
  h.fake.world.spendOf.set(`${workspaceId}|${month}`, cents);
  const passes = (await walletOf(workspaceId).catch(() => ({ ratingPasses: 0 }))).ratingPasses;
  await h.workspaces.usageRecorded(workspaceId);
  await eventually(() => walletOf(workspaceId), (s) => s.ratingPasses > passes && s.spend?.spentCents === cents);
  return month;
}

test('a Business workspace crosses its cap mid-month, is blocked, and is unblocked at the month boundary', async () => {
  const workspaceId = await businessWorkspace();
  const state = await h.workspaces.setSpendControls(workspaceId, controls);
  const month = monthKey(await h.serverNow());
  expect(state).toEqual({ month, spentCents: 0, alerted: [], blocked: false });

  await spend(workspaceId, 6_000);
  expect(alertsOf(workspaceId)).toEqual([`${month}:50`]);
  expect(blocksOf(workspaceId)).toEqual([]);

  await spend(workspaceId, 10_500);
  expect(alertsOf(workspaceId)).toEqual([`${month}:50`, `${month}:80`]);
  expect(blocksOf(workspaceId)).toEqual([month]);
  expect((await walletOf(workspaceId)).spend).toMatchObject({ blocked: true, alerted: [50, 80] });

  // More usage in the same month: no second alert, no second block.
  await spend(workspaceId, 11_000);
  expect(alertsOf(workspaceId)).toHaveLength(2);
  expect(blocksOf(workspaceId)).toEqual([month]);

  const boundary = nextMonthStart(await h.serverNow());
  await h.env.sleep(boundary - (await h.serverNow()) + 1_000);
  const next = await eventually(() => walletOf(workspaceId), (s) => s.spend?.month !== month);
  expect(next.spend).toEqual({ month: monthKey(boundary), spentCents: 0, alerted: [], blocked: false });
  expect(blocksOf(workspaceId)).toEqual([month, null]);
});

test('raising the cap mid-month lifts the block at once', async () => {
  const workspaceId = await businessWorkspace();
  await h.workspaces.setSpendControls(workspaceId, controls);
  const month = await spend(workspaceId, 12_000);
  expect(blocksOf(workspaceId)).toEqual([month]);
  const raised = await h.workspaces.setSpendControls(workspaceId, { ...controls, monthlyCapCents: 50_000 });
  expect(raised).toMatchObject({ blocked: false, spentCents: 12_000 });
  expect(blocksOf(workspaceId)).toEqual([month, null]);
});

test('"alert" controls never block', async () => {
  const workspaceId = await businessWorkspace();
  await h.workspaces.setSpendControls(workspaceId, { ...controls, action: 'alert' });
  await spend(workspaceId, 20_000);
  expect(blocksOf(workspaceId)).toEqual([]);
  expect(alertsOf(workspaceId)).toHaveLength(2);
});

test('spend controls are refused on other plans; invalid controls are refused before reaching history', async () => {
  const plus = uniqueId('ws');
  h.fake.world.planOf.set(plus, 'plus');
  expect((await rejection(h.workspaces.setSpendControls(plus, controls))).code).toBe('not_available_on_plan');
  const business = await businessWorkspace();
  const invalid = await rejection(h.workspaces.setSpendControls(business, { ...controls, alertThresholdsPercent: [50, 50] }));
  expect(invalid.code).toBe('validation_failed');
});

test('a top-up reported twice (session completed and payment intent succeeded) is credited once; grants carry their reason', async () => {
  const workspaceId = uniqueId('ws');
  const fact = (eventId: string) => ({ kind: 'top_up_paid' as const, eventId, occurredAt: Date.now(), topUpId: `tu_${workspaceId}_1`, amountCents: 5_000, currency: 'usd' });
  await h.workspaces.deliverFact(workspaceId, fact('evt_session'));
  await h.workspaces.deliverFact(workspaceId, fact('evt_intent'));
  await eventually(async () => h.fake.calls.credits.filter((c) => c.workspaceId === workspaceId), (c) => c.length === 2);
  const credits = h.fake.calls.credits.filter((c) => c.workspaceId === workspaceId);
  expect(credits.map((c) => [c.kind, c.sourceType, c.sourceId, c.amountCents])).toEqual([
    ['top_up', 'top_up', `tu_${workspaceId}_1`, 5_000],
    ['top_up', 'top_up', `tu_${workspaceId}_1`, 5_000],
  ]);

  const grant = await h.workspaces.grantCredit(workspaceId, { amountCents: 25_000, reason: 'Contract signing credit', reference: 'CTR-42' });
  expect(grant.credited).toBe(true);
  const again = await h.workspaces.grantCredit(workspaceId, { amountCents: 25_000, reason: 'Contract signing credit', reference: 'CTR-42' });
  expect(again.credited).toBe(false);
  expect(h.fake.calls.credits.filter((c) => c.sourceType === 'operator_grant' && c.workspaceId === workspaceId)[0]).toMatchObject({
    kind: 'grant',
    sourceId: 'CTR-42',
    reason: 'Contract signing credit',
  });
});

describe('a wallet that lives for years', () => {
  const TASK_QUEUE = 'wallet-test';
  const handleOf = (workspaceId: string) => h.env.client.workflow.getHandle(walletWorkflowIdFor(workspaceId));
  async function startWallet(workspaceId: string, continueAsNewAfterEvents?: number) {
    const args: [WalletWorkflowInput] = [{ workspaceId, continueAsNewAfterEvents }];
    return (await h.env.client.workflow.start<typeof walletWorkflow>(WALLET_WORKFLOW_TYPE, { workflowId: walletWorkflowIdFor(workspaceId), taskQueue: TASK_QUEUE, args }))
      .firstExecutionRunId;
  }

  test('under usage that never stops it continues as new by size anyway, carrying pending work: every nudge is rated, every top-up credited once', async () => {
    const workspaceId = uniqueId('ws');
    const firstRun = await startWallet(workspaceId, 40);
    const topUpIds: string[] = [];
    for (let i = 0; i < 60; i++) {
      await h.workspaces.usageRecorded(workspaceId);
      if (i % 12 === 0) {
        const topUpId = `tu_${uniqueId('r')}`;
        topUpIds.push(topUpId);
        await h.workspaces.deliverFact(workspaceId, { kind: 'top_up_paid', eventId: uniqueId('evt'), occurredAt: Date.now(), topUpId, amountCents: 1_000, currency: 'usd' });
      }
    }
    const ratingsAfterLastNudge = h.fake.calls.ratings.filter((r) => r.workspaceId === workspaceId).length;
    await h.workspaces.usageRecorded(workspaceId);
    await eventually(async () => h.fake.calls.ratings.filter((r) => r.workspaceId === workspaceId).length, (n) => n > ratingsAfterLastNudge);
    const credited = await eventually(
      async () => h.fake.calls.credits.filter((c) => c.workspaceId === workspaceId).map((c) => c.sourceId),
      (ids) => ids.length >= topUpIds.length,
    );
    expect([...credited].sort()).toEqual([...topUpIds].sort());
    expect((await handleOf(workspaceId).describe()).runId).not.toBe(firstRun);
    expect((await handleOf(workspaceId).fetchHistory()).events!.length).toBeLessThan(120);
  });

  test('a run started afresh (the workflow was terminated) still knows the Business spend controls', async () => {
    const workspaceId = await businessWorkspace();
    await h.workspaces.setSpendControls(workspaceId, controls);
    await handleOf(workspaceId).terminate('operator restarts the wallet');
    await spend(workspaceId, 6_000);
    expect((await walletOf(workspaceId)).controls).toEqual(controls);
    expect(alertsOf(workspaceId)).toEqual([`${monthKey(await h.serverNow())}:50`]);
  });

  test('a pass that fails for a reason retries cannot fix does not end the wallet: it tries again later', async () => {
    const workspaceId = uniqueId('ws');
    await startWallet(workspaceId);
    h.fake.world.ratingFailures = 1;
    const ratings = () => h.fake.calls.ratings.filter((r) => r.workspaceId === workspaceId).length;
    await h.workspaces.usageRecorded(workspaceId);
    await eventually(async () => ratings(), (n) => n === 1);
    await h.env.sleep(2 * 60_000);
    await eventually(async () => ratings(), (n) => n >= 2);
    expect((await handleOf(workspaceId).describe()).status.name).toBe('RUNNING');
    expect((await walletOf(workspaceId)).ratingPasses).toBeGreaterThanOrEqual(1);
  });
});
