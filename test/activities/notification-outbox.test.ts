// The notification outbox on real PostgreSQL: every source (projection
// write, dunning reminder, wallet credit and debit, spend alert and block,
// guest checkout row) records exactly one notification per cause, in the
// same transaction as its change, however often the activity is retried or
// raced; a worker without a URL records them as not_sent.
import type Stripe from 'stripe';
import { createProjectionActivities } from '../../activities/billing-projection';
import { createDunningActivities } from '../../activities/dunning-outbox';
import { createGuestClaimActivities } from '../../activities/guest-claims';
import { notificationId } from '../../activities/notification-outbox';
import { createSpendControlActivities } from '../../activities/spend-controls';
import { createWalletLedgerActivities } from '../../activities/wallet-ledger';
import type { GuestCheckoutView } from '../../src/domain/guest-checkout';
import { notificationBodySchema } from '../../src/domain/notification-schemas';
import { essentialProjection, type BillingProjection } from '../../src/domain/projection';
import type { PrismaClient } from '../../src/infra/prisma';
import { recordUsage } from '../../src/metering/record-usage';
import { testPrisma, uniqueId } from '../support/db';

const DAY = 86_400_000;
let prisma: PrismaClient;
beforeAll(() => {
  prisma = testPrisma();
});
afterAll(() => prisma.$disconnect());

const notifications = (workspaceId: string) => prisma.notification.findMany({ where: { workspaceId }, orderBy: { seq: 'asc' } });
const typesOf = async (workspaceId: string) => (await notifications(workspaceId)).map((n) => n.type);
/** Runs an activity call `times` at once and then once more (a retry after it succeeded). */
async function retried<T>(call: () => Promise<T>, times = 3): Promise<T[]> {
  const results = await Promise.all(Array.from({ length: times }, call));
  return [...results, await call()];
}

function active(workspaceId: string, version: number, overrides: Partial<BillingProjection> = {}): BillingProjection {
  return {
    ...essentialProjection(workspaceId),
    planId: 'plus',
    interval: 'month',
    status: 'active',
    mode: 'self_serve',
    stripeCustomerId: uniqueId('cus'),
    stripeSubscriptionId: `sub_${workspaceId}`,
    version,
    ...overrides,
  };
}

describe('saveBillingProjection', () => {
  test('each lifecycle transition is recorded once, with an id derived from its cause, however often a write is repeated', async () => {
    const ws = uniqueId('ws');
    const { saveBillingProjection: save } = createProjectionActivities({ prisma });
    const start = Date.parse('2026-11-20T10:00:00Z');
    const customer = uniqueId('cus');
    const invoice = { id: 'in_1', amountDueCents: 2900, currency: 'usd', hostedInvoiceUrl: 'https://invoice.stripe.test/in_1' };
    const steps: BillingProjection[] = [
      active(ws, 1, { stripeCustomerId: customer }),
      active(ws, 2, { stripeCustomerId: customer, status: 'past_due', mode: 'billing_recovery', grace: { startedAt: start, endsAt: start + 7 * DAY, expired: false }, unpaidInvoice: invoice }),
      active(ws, 3, { stripeCustomerId: customer, status: 'past_due', mode: 'enforced_recovery', grace: { startedAt: start, endsAt: start + 7 * DAY, expired: true }, unpaidInvoice: invoice }),
      active(ws, 4, { stripeCustomerId: customer }),
    ];
    for (const p of steps) {
      const results = await retried(() => save(p));
      expect(results.filter(Boolean)).toHaveLength(1);
    }
    // An older write arriving late changes nothing and notifies nothing.
    await expect(save(steps[1])).resolves.toBe(false);

    const rows = await notifications(ws);
    expect(rows.map((r) => r.type)).toEqual(['checkout.completed', 'billing.payment_failed', 'billing.grace_expired', 'billing.restored']);
    for (const row of rows) {
      expect(row.id).toBe(notificationId(row.sourceKey));
      expect(row.status).toBe('pending');
      const body = notificationBodySchema.parse(JSON.parse(row.body));
      expect(body).toMatchObject({ id: row.id, type: row.type, workspaceId: ws });
    }
    expect(JSON.parse(rows[1].body).data).toEqual({
      graceStartedAt: '2026-11-20T10:00:00.000Z',
      graceEndsAt: '2026-11-27T10:00:00.000Z',
      plan: { id: 'plus', interval: 'month' },
      unpaidInvoice: invoice,
    });
  });

  test('a worker without OUTBOUND_WEBHOOK_URL records them as not_sent', async () => {
    const ws = uniqueId('ws');
    const { saveBillingProjection: save } = createProjectionActivities({ prisma, outbox: { deliver: false } });
    await save(active(ws, 1));
    const [row] = await notifications(ws);
    expect(row).toMatchObject({ type: 'checkout.completed', status: 'not_sent', nextAttemptAt: null });
  });
});

test('recordDunningReminder: one billing.payment_reminder per reminder, none for a repeat', async () => {
  const ws = uniqueId('ws');
  const { recordDunningReminder } = createDunningActivities({ prisma });
  const graceStartedAt = Date.parse('2026-11-20T10:00:00Z');
  for (const offsetMs of [0, 3 * DAY]) {
    const results = await retried(() => recordDunningReminder({ workspaceId: ws, graceStartedAt, graceEndsAt: graceStartedAt + 7 * DAY, offsetMs, invoice: null }));
    expect(results.filter(Boolean)).toHaveLength(1);
  }
  const rows = await notifications(ws);
  expect(rows.map((r) => [r.type, JSON.parse(r.body).data.offset])).toEqual([
    ['billing.payment_reminder', '0ms'],
    ['billing.payment_reminder', '3d'],
  ]);
  expect(await prisma.dunningReminder.count({ where: { workspaceId: ws } })).toBe(2);
});

describe('wallet ledger', () => {
  const ledger = () => createWalletLedgerActivities({ prisma, settings: { walletMinimumCents: 1000 } });

  test('creditWallet: wallet.credited once per top-up or grant; adjustments are not told', async () => {
    const ws = uniqueId('ws');
    const { creditWallet } = ledger();
    await retried(() => creditWallet({ workspaceId: ws, kind: 'top_up', amountCents: 1500, sourceType: 'top_up', sourceId: 'tu_1' }));
    await retried(() => creditWallet({ workspaceId: ws, kind: 'grant', amountCents: 200, sourceType: 'operator_grant', sourceId: 'T-1', reason: 'goodwill' }));
    await creditWallet({ workspaceId: ws, kind: 'adjustment', amountCents: -100, sourceType: 'correction', sourceId: 'c-1' });
    const rows = await notifications(ws);
    expect(rows.map((r) => JSON.parse(r.body).data)).toEqual([
      { kind: 'top_up', amountCents: 1500, balanceCents: 1500, source: { type: 'top_up', id: 'tu_1' } },
      { kind: 'grant', amountCents: 200, balanceCents: 1700, source: { type: 'operator_grant', id: 'T-1' } },
    ]);
  });

  test('rateAndDebitUsage: wallet.below_minimum once, when a debit crosses the minimum', async () => {
    const ws = uniqueId('ws');
    const { creditWallet, rateAndDebitUsage } = ledger();
    await creditWallet({ workspaceId: ws, kind: 'top_up', amountCents: 1500, sourceType: 'top_up', sourceId: 'tu_1' });
    const usage = (id: string, quantity: number) => ({ id, projectId: 'p1', family: 'waf' as const, environment: 'production' as const, quantity, occurredAt: '2026-11-20T10:00:00Z' });
    // 8,000 waf = 200 ¢: still above the minimum.
    await recordUsage(prisma, ws, [usage('e1', 8_000)]);
    await retried(() => rateAndDebitUsage({ workspaceId: ws, month: '2026-11' }));
    expect(await typesOf(ws)).toEqual(['wallet.credited']);
    // 16,000 waf = 400 ¢: 1,300 → 900, below 1,000.
    await recordUsage(prisma, ws, [usage('e2', 16_000)]);
    await retried(() => rateAndDebitUsage({ workspaceId: ws, month: '2026-11' }));
    // Further debits below the minimum are not a new crossing.
    await recordUsage(prisma, ws, [usage('e3', 4_000)]);
    await rateAndDebitUsage({ workspaceId: ws, month: '2026-11' });
    const rows = await notifications(ws);
    expect(rows.map((r) => r.type)).toEqual(['wallet.credited', 'wallet.below_minimum']);
    expect(JSON.parse(rows[1].body).data).toEqual({ balanceCents: 900, previousBalanceCents: 1300, minimumCents: 1000 });
  });
});

describe('spend controls', () => {
  const controls = { monthlyCapCents: 10_000, alertThresholdsPercent: [50, 100], action: 'block' as const };

  test('recordSpendAlert: spend.threshold_reached once per threshold and month', async () => {
    const ws = uniqueId('ws');
    const { recordSpendAlert } = createSpendControlActivities({ prisma });
    const alert = { workspaceId: ws, month: '2026-11', thresholdPercent: 50, spentCents: 5_100, capCents: 10_000 };
    const results = await retried(() => recordSpendAlert(alert));
    expect(results.filter(Boolean)).toHaveLength(1);
    await recordSpendAlert({ ...alert, month: '2026-12' });
    const rows = await notifications(ws);
    expect(rows.map((r) => [r.type, JSON.parse(r.body).data.month])).toEqual([
      ['spend.threshold_reached', '2026-11'],
      ['spend.threshold_reached', '2026-12'],
    ]);
  });

  test('setSpendBlock: spend.cap_reached when the cap starts blocking, once per month and cap', async () => {
    const ws = uniqueId('ws');
    const { saveSpendControls, setSpendBlock } = createSpendControlActivities({ prisma });
    await saveSpendControls({ workspaceId: ws, controls });
    await prisma.monthlySpend.create({ data: { workspaceId: ws, month: '2026-11', spentCents: 10_050n } });
    await retried(() => setSpendBlock({ workspaceId: ws, blockedMonth: '2026-11' }));
    // Lifted (cap raised), then reached again at the same cap in the same month: the same event.
    await setSpendBlock({ workspaceId: ws, blockedMonth: null });
    await setSpendBlock({ workspaceId: ws, blockedMonth: '2026-11' });
    // A raised cap reached again is a new event.
    await saveSpendControls({ workspaceId: ws, controls: { ...controls, monthlyCapCents: 20_000 } });
    await setSpendBlock({ workspaceId: ws, blockedMonth: null });
    await setSpendBlock({ workspaceId: ws, blockedMonth: '2026-11' });
    const rows = await notifications(ws);
    expect(rows.map((r) => JSON.parse(r.body).data)).toEqual([
      { month: '2026-11', capCents: 10_000, spentCents: 10_050, blocksProduction: true },
      { month: '2026-11', capCents: 20_000, spentCents: 10_050, blocksProduction: true },
    ]);
    // Without controls there is nothing to block and nothing to tell.
    const other = uniqueId('ws');
    await setSpendBlock({ workspaceId: other, blockedMonth: '2026-11' });
    expect(await notifications(other)).toEqual([]);
  });
});

test('saveGuestCheckout: guest_checkout.unclaimed once, when the paid checkout is flagged', async () => {
  const checkoutId = `gco_${uniqueId('x').slice(2)}`;
  const unused = {} as Stripe;
  const { saveGuestCheckout } = createGuestClaimActivities({ prisma, stripe: unused, workspaces: { attachGuestCheckout: () => Promise.reject(new Error('unused')) } });
  const paidAt = Date.parse('2026-10-20T10:00:00Z');
  const view: GuestCheckoutView = {
    checkoutId,
    email: 'pat@example.com',
    planId: 'plus',
    interval: 'year',
    status: 'paid',
    billingStatus: 'active',
    stripeCustomerId: uniqueId('cus'),
    stripeCheckoutSessionId: uniqueId('cs'),
    stripeSubscriptionId: uniqueId('sub'),
    expiresAt: null,
    paidAt,
    flaggedAt: null,
    claimedWorkspaceId: null,
    claimedAt: null,
    createdAt: paidAt,
    version: 3,
  };
  await saveGuestCheckout(view);
  const flagged = { ...view, flaggedAt: paidAt + 30 * DAY, version: 4 };
  await retried(() => saveGuestCheckout(flagged));
  await saveGuestCheckout({ ...flagged, version: 5 });
  const rows = await prisma.notification.findMany({ where: { sourceKey: { startsWith: `guest-checkout/${checkoutId}:` } } });
  expect(rows).toHaveLength(1);
  expect(rows[0]).toMatchObject({ type: 'guest_checkout.unclaimed', workspaceId: null });
  expect(JSON.parse(rows[0].body).data).toMatchObject({ checkoutId, email: 'pat@example.com', flaggedAt: '2026-11-19T10:00:00.000Z' });
});
