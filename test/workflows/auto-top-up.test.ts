// Auto top-up in the wallet workflow on the time-skipping server (fake
// activities keep the balance, the settings and the charge rows): a paid
// top-up saves its card; one crossing charges once and is credited once; a
// further debit while below does not charge again; a failed charge turns auto
// top-up off and notifies once; the daily limit holds, also for a new run.
import { utcDayKey } from '../../src/domain/auto-top-up';
import { walletStateQuery, walletWorkflowIdFor } from '../../workflows/wallet-definitions';
import { uniqueId } from '../support/db';
import { eventually } from '../support/fake-activities';
import { startReplayer } from '../support/replayer';
import { workflowBundle } from '../support/temporal';
import { startWorkflowHarness, type WorkflowHarness } from '../support/workflow-harness';

let h: WorkflowHarness;
beforeAll(async () => {
  h = await startWorkflowHarness('auto-top-up-test');
}, 120_000);
afterAll(() => h?.close());

const walletOf = (workspaceId: string) => h.env.client.workflow.getHandle(walletWorkflowIdFor(workspaceId)).query(walletStateQuery);
const chargesOf = (workspaceId: string) => h.fake.calls.autoTopUpCharges.filter((c) => c.workspaceId === workspaceId);
const autoCreditsOf = (workspaceId: string) => h.fake.calls.credits.filter((c) => c.workspaceId === workspaceId && c.sourceId.startsWith('tu_a'));
const disablesOf = (workspaceId: string) => h.fake.calls.autoTopUpDisables.filter((c) => c.workspaceId === workspaceId);

/** A workspace with a tracked balance and auto top-up on, with a saved card. */
function workspace(balanceCents: number, settings: { thresholdCents: number; amountCents: number }) {
  const workspaceId = uniqueId('ws');
  h.fake.world.balanceOf.set(workspaceId, balanceCents);
  h.fake.world.autoTopUpOf.set(workspaceId, { enabled: true, ...settings, customerId: `cus_${workspaceId}`, paymentMethodId: `pm_${workspaceId}` });
  return workspaceId;
}

/** Rating passes of the current run (0 when none is running: a nudge starts a new one). */
async function passesOf(workspaceId: string): Promise<number> {
  const handle = h.env.client.workflow.getHandle(walletWorkflowIdFor(workspaceId));
  const running = await handle.describe().then((d) => d.status.name === 'RUNNING', () => false);
  return running ? (await handle.query(walletStateQuery)).ratingPasses : 0;
}

/**
 * One rating pass that debits `cents`, then a second, empty one: passes run
 * one at a time, so once the second is counted the first pass and the
 * crossing it made are fully handled.
 */
async function debit(workspaceId: string, cents: number) {
  const before = await passesOf(workspaceId);
  h.fake.world.debitNext.set(workspaceId, cents);
  await h.workspaces.usageRecorded(workspaceId);
  await eventually(() => walletOf(workspaceId), (s) => s.ratingPasses > before);
  await h.workspaces.usageRecorded(workspaceId);
  return eventually(() => walletOf(workspaceId), (s) => s.ratingPasses > before + 1);
}

async function hostedTopUp(workspaceId: string, amountCents: number, card?: { customerId: string; paymentMethodId: string }) {
  const topUpId = `tu_${uniqueId('r')}`;
  await h.workspaces.deliverFact(workspaceId, {
    kind: 'top_up_paid',
    eventId: uniqueId('evt'),
    occurredAt: Date.now(),
    topUpId,
    amountCents,
    currency: 'usd',
    ...(card ? { ...card, paymentIntentId: uniqueId('pi') } : {}),
  });
  await eventually(async () => h.fake.calls.credits.some((c) => c.sourceId === topUpId), Boolean);
  // The card is remembered right after the credit.
  if (card) await eventually(async () => h.fake.calls.rememberedCards.some((c) => c.workspaceId === workspaceId && c.paymentMethodId === card.paymentMethodId), Boolean);
}

test('a paid hosted top-up saves its card; then one crossing charges once, with ids from the crossing, and is credited once', async () => {
  const workspaceId = uniqueId('ws');
  h.fake.world.balanceOf.set(workspaceId, 0);
  h.fake.world.autoTopUpOf.set(workspaceId, { enabled: true, thresholdCents: 1_000, amountCents: 2_500, customerId: null, paymentMethodId: null });
  await hostedTopUp(workspaceId, 1_500, { customerId: 'cus_paid', paymentMethodId: 'pm_saved' });
  expect(h.fake.calls.rememberedCards.filter((c) => c.workspaceId === workspaceId)).toEqual([
    expect.objectContaining({ workspaceId, customerId: 'cus_paid', paymentMethodId: 'pm_saved' }),
  ]);

  const state = await debit(workspaceId, 600); // 1,500 → 900: below 1,000
  const [charge] = chargesOf(workspaceId);
  const crossingId = charge.crossingId;
  expect(chargesOf(workspaceId)).toEqual([
    {
      workspaceId,
      crossingId,
      day: utcDayKey(await h.serverNow()),
      topUpId: `tu_a${crossingId}`,
      amountCents: 2_500,
      customerId: 'cus_paid',
      paymentMethodId: 'pm_saved',
      idempotencyKey: `wallet/${workspaceId}:auto-top-up:${crossingId}`,
    },
  ]);
  expect(state.lastAutoTopUp).toEqual({ crossingId, outcome: 'succeeded' });
  expect(autoCreditsOf(workspaceId)).toEqual([
    expect.objectContaining({ kind: 'top_up', sourceType: 'top_up', sourceId: `tu_a${crossingId}`, amountCents: 2_500, currency: 'usd' }),
  ]);
  expect(h.fake.world.balanceOf.get(workspaceId)).toBe(3_400);

  // Debits above the threshold charge nothing.
  await debit(workspaceId, 400);
  expect(chargesOf(workspaceId)).toHaveLength(1);
});

test('a second debit while still below the threshold does not charge again', async () => {
  // The top-up is smaller than the debit: the balance stays below after the charge.
  const workspaceId = workspace(1_500, { thresholdCents: 1_000, amountCents: 500 });
  await debit(workspaceId, 1_400); // 1,500 → 100, charged 500 → 600
  expect(chargesOf(workspaceId)).toHaveLength(1);
  expect(h.fake.world.balanceOf.get(workspaceId)).toBe(600);
  const state = await debit(workspaceId, 50); // 600 → 550: already below, no crossing
  await debit(workspaceId, 50);
  expect(chargesOf(workspaceId)).toHaveLength(1);
  expect(autoCreditsOf(workspaceId)).toHaveLength(1);
  expect(state.autoTopUpsCharged).toBe(1);
});

test('a charge still processing is not credited by the workflow (payment_intent.succeeded credits it) and does not charge again', async () => {
  const workspaceId = workspace(1_500, { thresholdCents: 1_000, amountCents: 2_000 });
  h.fake.world.chargeAnswerOf.set(workspaceId, 'processing');
  const state = await debit(workspaceId, 600);
  expect(state.lastAutoTopUp?.outcome).toBe('processing');
  await debit(workspaceId, 100);
  expect(chargesOf(workspaceId)).toHaveLength(1);
  expect(autoCreditsOf(workspaceId)).toHaveLength(0);
  expect(disablesOf(workspaceId)).toHaveLength(0);
});

test('a declined charge turns auto top-up off and notifies once; later crossings never charge again', async () => {
  const workspaceId = workspace(1_500, { thresholdCents: 1_000, amountCents: 2_000 });
  h.fake.world.chargeAnswerOf.set(workspaceId, 'card_declined');
  const state = await debit(workspaceId, 600);
  const [charge] = chargesOf(workspaceId);
  expect(state.lastAutoTopUp).toEqual({ crossingId: charge.crossingId, outcome: 'failed:card_declined' });
  expect(disablesOf(workspaceId)).toEqual([
    { workspaceId, crossingId: charge.crossingId, topUpId: charge.topUpId, amountCents: 2_000, reason: 'card_declined', paymentIntentId: `pi_for_${charge.idempotencyKey}` },
  ]);
  expect(h.fake.world.autoTopUpOf.get(workspaceId)?.enabled).toBe(false);
  expect(autoCreditsOf(workspaceId)).toHaveLength(0);

  // The customer tops up by hand and spends below the threshold again: auto top-up is off, nothing is charged.
  await hostedTopUp(workspaceId, 5_000);
  const after = await debit(workspaceId, 5_000); // 5,900 → 900
  expect(h.fake.world.balanceOf.get(workspaceId)).toBe(900);
  expect(after.lastAutoTopUp).toEqual({ crossingId: charge.crossingId, outcome: 'failed:card_declined' });
  expect(chargesOf(workspaceId)).toHaveLength(1);
  expect(disablesOf(workspaceId)).toHaveLength(1);
});

test('authentication required is a failure like a decline', async () => {
  const workspaceId = workspace(1_500, { thresholdCents: 1_000, amountCents: 2_000 });
  h.fake.world.chargeAnswerOf.set(workspaceId, 'authentication_required');
  const state = await debit(workspaceId, 600);
  expect(state.lastAutoTopUp?.outcome).toBe('failed:authentication_required');
  expect(disablesOf(workspaceId).map((d) => d.reason)).toEqual(['authentication_required']);
});

test('a charge activity that fails for good (Stripe unreachable past its retries) also turns auto top-up off: stripe_unavailable', async () => {
  const workspaceId = workspace(1_500, { thresholdCents: 1_000, amountCents: 2_000 });
  h.fake.world.chargeAnswerOf.set(workspaceId, 'throw');
  const state = await debit(workspaceId, 600);
  expect(state.lastAutoTopUp?.outcome).toBe('failed:stripe_unavailable');
  expect(disablesOf(workspaceId)).toEqual([expect.objectContaining({ reason: 'stripe_unavailable', paymentIntentId: null })]);
});

test('at most AUTO_TOP_UP_MAX_PER_DAY charges a UTC day, counted from the stored charges (a new run does not forget); the next day charges again', async () => {
  h.fake.world.autoTopUpMaxPerDay = 2;
  try {
    // Each charge lifts the balance back above the threshold, so every 1,000 debit crosses again.
    const workspaceId = workspace(1_500, { thresholdCents: 1_000, amountCents: 1_000 });
    await debit(workspaceId, 600); // crossing 1: 900 → 1,900
    await debit(workspaceId, 1_000); // crossing 2: 900 → 1,900
    expect(chargesOf(workspaceId)).toHaveLength(2);
    // A new run (the wallet was terminated) counts today's charges from the stored rows.
    await h.env.client.workflow.getHandle(walletWorkflowIdFor(workspaceId)).terminate('test: a fresh run');
    const third = await debit(workspaceId, 1_000); // crossing 3: 900, limit reached
    expect(third.lastAutoTopUp?.outcome).toBe('skipped:daily_limit');
    expect(chargesOf(workspaceId)).toHaveLength(2);
    expect(h.fake.world.balanceOf.get(workspaceId)).toBe(900);

    // The next UTC day: a hosted top-up lifts the balance, the next crossing charges.
    const now = await h.serverNow();
    await h.env.sleep(Date.UTC(new Date(now).getUTCFullYear(), new Date(now).getUTCMonth(), new Date(now).getUTCDate() + 1) - now + 1_000);
    await hostedTopUp(workspaceId, 1_000);
    const next = await debit(workspaceId, 1_000);
    expect(next.lastAutoTopUp?.outcome).toBe('succeeded');
    const days = chargesOf(workspaceId).map((c) => c.day);
    expect(days).toHaveLength(3);
    expect(days[2]).not.toBe(days[0]);
  } finally {
    h.fake.world.autoTopUpMaxPerDay = 3;
  }
});

test('no saved card, or auto top-up off: a crossing charges nothing', async () => {
  const noCard = workspace(1_500, { thresholdCents: 1_000, amountCents: 2_000 });
  h.fake.world.autoTopUpOf.set(noCard, { ...h.fake.world.autoTopUpOf.get(noCard)!, paymentMethodId: null });
  expect((await debit(noCard, 600)).lastAutoTopUp?.outcome).toBe('skipped:no_payment_method');
  const off = workspace(1_500, { thresholdCents: 1_000, amountCents: 2_000 });
  h.fake.world.autoTopUpOf.set(off, { ...h.fake.world.autoTopUpOf.get(off)!, enabled: false });
  expect((await debit(off, 600)).lastAutoTopUp).toBeUndefined();
  expect([...chargesOf(noCard), ...chargesOf(off)]).toHaveLength(0);
});

test('a wallet history with a charged, a failed and a skipped crossing replays deterministically under the current code', async () => {
  const workspaceId = workspace(1_500, { thresholdCents: 1_000, amountCents: 1_000 });
  await debit(workspaceId, 600); // charged
  h.fake.world.chargeAnswerOf.set(workspaceId, 'card_declined');
  await debit(workspaceId, 1_000); // failed: disabled
  await hostedTopUp(workspaceId, 2_000, { customerId: 'cus_x', paymentMethodId: 'pm_x' });
  await debit(workspaceId, 2_000); // crossing while off: skipped
  const handle = h.env.client.workflow.getHandle(walletWorkflowIdFor(workspaceId));
  const history = await handle.fetchHistory();
  const replayer = startReplayer(await workflowBundle());
  try {
    expect(await replayer.replay([{ workflowId: `wallet-${workspaceId}`, history }])).toEqual([]);
  } finally {
    await replayer.close();
  }
  expect(chargesOf(workspaceId)).toHaveLength(2);
});
