// The wallet ledger on real PostgreSQL: usage is rated and debited exactly
// once with the sub-cent carry kept between calls, credits move money once
// per source, and the balance is always the sum of the entries, also when
// calls race.
import { createWalletLedgerActivities } from '../../activities/wallet-ledger';
import type { UsageEvent } from '../../src/domain/usage';
import type { PrismaClient } from '../../src/infra/prisma';
import { recordUsage } from '../../src/metering/record-usage';
import { testPrisma, uniqueId } from '../support/db';

let prisma: PrismaClient;
let ledger: ReturnType<typeof createWalletLedgerActivities>;
beforeAll(() => {
  prisma = testPrisma();
  ledger = createWalletLedgerActivities({ prisma });
});
afterAll(() => prisma.$disconnect());

const MONTH = '2026-11';
let n = 0;
const usage = (overrides: Partial<UsageEvent> = {}): UsageEvent => ({
  id: `evt_${++n}`,
  projectId: 'proj_1',
  family: 'waf',
  environment: 'production',
  quantity: 1000,
  occurredAt: '2026-11-20T10:00:00Z',
  ...overrides,
});

async function ledgerState(workspaceId: string) {
  const [balance, entries, unrated] = await Promise.all([
    prisma.walletBalance.findUnique({ where: { workspaceId } }),
    prisma.walletEntry.findMany({ where: { workspaceId }, orderBy: { id: 'asc' } }),
    prisma.usageEvent.count({ where: { workspaceId, ratedAt: null } }),
  ]);
  return {
    balanceCents: balance?.balanceCents ?? 0n,
    carry: balance?.usageCarryThousandths ?? 0n,
    entries,
    entrySum: entries.reduce((sum, e) => sum + e.amountCents, 0n),
    unrated,
  };
}

describe('rateAndDebitUsage', () => {
  test('debits rated usage once: repeating the call changes nothing', async () => {
    const workspaceId = uniqueId('ws');
    // 2,000 waf (50 ¢) + 3,000 email validation (300 ¢) + free sandbox traffic.
    await recordUsage(prisma, workspaceId, [
      usage({ quantity: 2000 }),
      usage({ family: 'email_validation', quantity: 3000 }),
      usage({ environment: 'sandbox', quantity: 1_000_000 }),
    ]);
    const first = await ledger.rateAndDebitUsage({ workspaceId, month: MONTH });
    expect(first).toEqual({ ratedEvents: 3, parkedEvents: 0, debitedCents: 350, balanceCents: -350, monthSpentCents: 350, more: false, unreported: true, stripeCustomerId: null });

    const again = await ledger.rateAndDebitUsage({ workspaceId, month: MONTH });
    expect(again).toEqual({ ratedEvents: 0, parkedEvents: 0, debitedCents: 0, balanceCents: -350, monthSpentCents: 350, more: false, unreported: true, stripeCustomerId: null });

    const state = await ledgerState(workspaceId);
    expect(state.entries).toHaveLength(1);
    expect(state.entries[0]).toMatchObject({ kind: 'usage', amountCents: -350n, sourceType: 'usage_batch' });
    expect(state.entries[0].sourceId).toMatch(/^\d+-\d+$/);
    expect(state.balanceCents).toBe(-350n);
    expect(state.unrated).toBe(0);
    const rated = await prisma.usageEvent.findMany({ where: { workspaceId }, orderBy: { seq: 'asc' } });
    expect(rated.map((e) => e.ratedThousandths)).toEqual([50_000n, 300_000n, 0n]);
    expect(rated.every((e) => e.ratedAt instanceof Date)).toBe(true);
  });

  test('carries fractions of a cent across calls and debits them when they add up', async () => {
    const workspaceId = uniqueId('ws');
    await recordUsage(prisma, workspaceId, [usage({ quantity: 3 })]); // 75 thousandths
    await expect(ledger.rateAndDebitUsage({ workspaceId, month: MONTH })).resolves.toMatchObject({ ratedEvents: 1, debitedCents: 0, balanceCents: 0 });
    let state = await ledgerState(workspaceId);
    expect(state).toMatchObject({ carry: 75n, entries: [] });

    await recordUsage(prisma, workspaceId, [usage({ family: 'bot_protection', quantity: 24 })]); // 960 thousandths
    await expect(ledger.rateAndDebitUsage({ workspaceId, month: MONTH })).resolves.toMatchObject({ ratedEvents: 1, debitedCents: 1, balanceCents: -1 });
    state = await ledgerState(workspaceId);
    expect(state).toMatchObject({ carry: 35n, balanceCents: -1n, entrySum: -1n });
  });

  test('contract prices win over the public rate card', async () => {
    const workspaceId = uniqueId('ws');
    await prisma.contractPrice.createMany({
      data: [
        { workspaceId, family: 'waf', centsPer1000: 5 },
        { workspaceId, family: 'email_validation', centsPer1000: 0 },
      ],
    });
    await recordUsage(prisma, workspaceId, [
      usage({ quantity: 10_000 }), // 50 ¢ at the contract price (250 ¢ public)
      usage({ family: 'email_validation', quantity: 10_000 }), // free by contract
      usage({ family: 'ip_intelligence', quantity: 10_000 }), // 600 ¢, public price
    ]);
    await expect(ledger.rateAndDebitUsage({ workspaceId, month: MONTH })).resolves.toMatchObject({ debitedCents: 650 });
  });

  test('adds the debit to the month it is given, and readMonthSpend reads it', async () => {
    const workspaceId = uniqueId('ws');
    await recordUsage(prisma, workspaceId, [usage({ quantity: 4000 })]); // 100 ¢
    await ledger.rateAndDebitUsage({ workspaceId, month: '2026-11' });
    await recordUsage(prisma, workspaceId, [usage({ quantity: 8000 })]); // 200 ¢
    await ledger.rateAndDebitUsage({ workspaceId, month: '2026-11' });
    await recordUsage(prisma, workspaceId, [usage({ quantity: 1000 })]); // 25 ¢
    await expect(ledger.rateAndDebitUsage({ workspaceId, month: '2026-12' })).resolves.toMatchObject({ debitedCents: 25, monthSpentCents: 25 });

    await expect(ledger.readMonthSpend({ workspaceId, month: '2026-11' })).resolves.toBe(300);
    await expect(ledger.readMonthSpend({ workspaceId, month: '2026-12' })).resolves.toBe(25);
    await expect(ledger.readMonthSpend({ workspaceId, month: '2027-01' })).resolves.toBe(0);
    // A call with nothing to rate still reports the month's spend.
    await expect(ledger.rateAndDebitUsage({ workspaceId, month: '2026-11' })).resolves.toMatchObject({ ratedEvents: 0, monthSpentCents: 300 });
  });

  test('rates at most `limit` events, oldest first, and says whether more remain', async () => {
    const workspaceId = uniqueId('ws');
    const events = Array.from({ length: 5 }, (_, i) => usage({ quantity: 1000 * (i + 1) }));
    for (const e of events) await recordUsage(prisma, workspaceId, [e]); // one by one: seq follows this order
    const calls = [];
    for (let i = 0; i < 3; i++) calls.push(await ledger.rateAndDebitUsage({ workspaceId, month: MONTH, limit: 2 }));
    expect(calls.map((c) => [c.ratedEvents, c.debitedCents, c.more])).toEqual([
      [2, 25 + 50, true],
      [2, 75 + 100, true],
      [1, 125, false],
    ]);
    const entries = (await ledgerState(workspaceId)).entries;
    expect(entries).toHaveLength(3);
    expect(new Set(entries.map((e) => e.sourceId)).size).toBe(3);
  });

  test('rows that cannot be rated are parked once with their reason for operators, and the rest is rated', async () => {
    const workspaceId = uniqueId('ws');
    await recordUsage(prisma, workspaceId, [usage({ quantity: 1000 })]);
    const corrupt = (eventId: string, family: string, environment: string, quantity: bigint) => prisma.$executeRaw`
      INSERT INTO usage_event (workspace_id, event_id, project_id, family, environment, quantity, occurred_at)
      VALUES (${workspaceId}, ${eventId}, 'proj_1', ${family}, ${environment}, ${quantity}, now())`;
    await corrupt('retired', 'retired_family', 'production', 1n);
    await corrupt('elsewhere', 'waf', 'mars', 1n);
    await corrupt('huge', 'waf', 'production', 9_000_000_000_000_000_000n);
    const first = await ledger.rateAndDebitUsage({ workspaceId, month: MONTH });
    expect(first).toMatchObject({ ratedEvents: 1, parkedEvents: 3, more: false });
    const again = await ledger.rateAndDebitUsage({ workspaceId, month: MONTH });
    expect(again).toMatchObject({ ratedEvents: 0, parkedEvents: 0, more: false });
    const state = await ledgerState(workspaceId);
    expect(state).toMatchObject({ unrated: 0 });
    // Only the good event moved money: one debit entry of what it was worth.
    expect(state.entries.map((e) => e.amountCents)).toEqual([BigInt(-first.debitedCents)]);
    expect(first.debitedCents).toBeGreaterThan(0);
    expect(state.balanceCents).toBe(state.entrySum);
    const parked = await prisma.walletException.findMany({ where: { workspaceId }, orderBy: { sourceId: 'asc' } });
    expect(parked.map((p) => [p.kind, p.sourceId, p.reason])).toEqual([
      ['usage_event', 'elsewhere', 'unknown_environment'],
      ['usage_event', 'huge', 'quantity_out_of_range'],
      ['usage_event', 'retired', 'unknown_family'],
    ]);
  });

  test('rejects a month that is not YYYY-MM and a bad limit', async () => {
    await expect(ledger.rateAndDebitUsage({ workspaceId: uniqueId('ws'), month: '2026-11-01' })).rejects.toMatchObject({
      type: 'validation_failed',
      nonRetryable: true,
    });
    await expect(ledger.rateAndDebitUsage({ workspaceId: uniqueId('ws'), month: MONTH, limit: 0 })).rejects.toMatchObject({
      type: 'validation_failed',
    });
  });

  test('parallel calls never debit an event twice', async () => {
    const workspaceId = uniqueId('ws');
    // 120 events of 7 waf requests: 175 thousandths each, 21,000 in all = 21 ¢.
    await recordUsage(prisma, workspaceId, Array.from({ length: 120 }, () => usage({ quantity: 7 })));
    const results = await Promise.all(Array.from({ length: 8 }, () => ledger.rateAndDebitUsage({ workspaceId, month: MONTH, limit: 20 })));
    let rated = results.reduce((sum, r) => sum + r.ratedEvents, 0);
    let debited = results.reduce((sum, r) => sum + r.debitedCents, 0);
    // Whatever the race left over is rated by later calls, still once.
    for (let more = results.some((r) => r.more); more; ) {
      const next = await ledger.rateAndDebitUsage({ workspaceId, month: MONTH, limit: 20 });
      rated += next.ratedEvents;
      debited += next.debitedCents;
      more = next.more;
    }
    expect(rated).toBe(120);
    expect(debited).toBe(21);
    const state = await ledgerState(workspaceId);
    expect(state).toMatchObject({ balanceCents: -21n, entrySum: -21n, carry: 0n, unrated: 0 });
    await expect(ledger.readMonthSpend({ workspaceId, month: MONTH })).resolves.toBe(21);
  });
});

describe('creditWallet', () => {
  test('credits a source once, and the balance is the sum of the entries', async () => {
    const workspaceId = uniqueId('ws');
    const topUp = { workspaceId, kind: 'top_up' as const, amountCents: 5000, sourceType: 'checkout_session', sourceId: 'cs_1' };
    await expect(ledger.creditWallet(topUp)).resolves.toEqual({ credited: true, balanceCents: 5000 });
    await expect(ledger.creditWallet(topUp)).resolves.toEqual({ credited: false, balanceCents: 5000 });
    await expect(
      ledger.creditWallet({ workspaceId, kind: 'grant', amountCents: 1000, sourceType: 'contract', sourceId: 'welcome', reason: 'Welcome credit' }),
    ).resolves.toEqual({ credited: true, balanceCents: 6000 });

    await recordUsage(prisma, workspaceId, [usage({ family: 'signup_protection', quantity: 30_000 })]); // 1,500 ¢
    await expect(ledger.rateAndDebitUsage({ workspaceId, month: MONTH })).resolves.toMatchObject({ balanceCents: 4500 });
    await expect(
      ledger.creditWallet({ workspaceId, kind: 'adjustment', amountCents: -500, sourceType: 'operator', sourceId: 'adj_1', reason: 'Correction' }),
    ).resolves.toEqual({ credited: true, balanceCents: 4000 });

    const state = await ledgerState(workspaceId);
    expect(state.balanceCents).toBe(4000n);
    expect(state.entrySum).toBe(state.balanceCents);
    expect(state.entries.map((e) => [e.kind, e.amountCents, e.reason])).toEqual([
      ['top_up', 5000n, null],
      ['grant', 1000n, 'Welcome credit'],
      ['usage', -1500n, expect.any(String)],
      ['adjustment', -500n, 'Correction'],
    ]);
  });

  test('ten parallel calls with the same source credit once', async () => {
    const workspaceId = uniqueId('ws');
    const input = { workspaceId, kind: 'top_up' as const, amountCents: 2500, sourceType: 'checkout_session', sourceId: uniqueId('cs') };
    const results = await Promise.all(Array.from({ length: 10 }, () => ledger.creditWallet(input)));
    expect(results.filter((r) => r.credited)).toHaveLength(1);
    for (const r of results) expect(r.balanceCents).toBe(2500);
    const state = await ledgerState(workspaceId);
    expect(state).toMatchObject({ balanceCents: 2500n, entrySum: 2500n });
    expect(state.entries).toHaveLength(1);
  });

  test('parallel credits from different sources and usage debits all land', async () => {
    const workspaceId = uniqueId('ws');
    await recordUsage(prisma, workspaceId, Array.from({ length: 30 }, () => usage({ quantity: 40 }))); // 1 ¢ each
    await Promise.all([
      ...Array.from({ length: 10 }, (_, i) =>
        ledger.creditWallet({ workspaceId, kind: 'grant', amountCents: 100, sourceType: 'grant', sourceId: `g${i}` }),
      ),
      ...Array.from({ length: 4 }, () => ledger.rateAndDebitUsage({ workspaceId, month: MONTH, limit: 10 })),
    ]);
    while ((await ledger.rateAndDebitUsage({ workspaceId, month: MONTH })).more);
    const state = await ledgerState(workspaceId);
    expect(state).toMatchObject({ balanceCents: 1000n - 30n, entrySum: 1000n - 30n, unrated: 0 });
  });

  test.each([
    ['a zero top-up', { kind: 'top_up', amountCents: 0 }, 'invalid_amount'],
    ['a fractional top-up', { kind: 'top_up', amountCents: 10.5 }, 'invalid_amount'],
    ['a top-up paid in euros', { kind: 'top_up', amountCents: 5_000, currency: 'eur' }, 'currency_not_usd'],
  ])('refuses %s: nothing credited, set aside once for operators', async (_what, overrides, reason) => {
    const workspaceId = uniqueId('ws');
    const input = { workspaceId, sourceType: 'top_up', sourceId: 'tu_1', ...overrides } as Parameters<typeof ledger.creditWallet>[0];
    await expect(ledger.creditWallet(input)).resolves.toEqual({ credited: false, balanceCents: 0, refused: reason });
    await expect(ledger.creditWallet(input)).resolves.toMatchObject({ credited: false, refused: reason });
    const state = await ledgerState(workspaceId);
    expect(state).toMatchObject({ balanceCents: 0n, entries: [] });
    const parked = await prisma.walletException.findMany({ where: { workspaceId } });
    expect(parked.map((p) => [p.kind, p.sourceId, p.reason])).toEqual([['top_up', 'tu_1', reason]]);
  });

  test('a top-up in USD (any case) is credited', async () => {
    const workspaceId = uniqueId('ws');
    await expect(ledger.creditWallet({ workspaceId, kind: 'top_up', amountCents: 500, sourceType: 'top_up', sourceId: 'tu_usd', currency: 'USD' })).resolves.toEqual({
      credited: true,
      balanceCents: 500,
    });
  });

  test.each([
    ['a negative grant', { kind: 'grant', amountCents: -5 }],
    ['a zero adjustment', { kind: 'adjustment', amountCents: 0 }],
    ['the usage kind', { kind: 'usage', amountCents: 10 }],
    ['an empty source id', { kind: 'grant', amountCents: 10, sourceId: '' }],
    ['the usage source type', { kind: 'grant', amountCents: 10, sourceType: 'usage_batch' }],
  ])('rejects %s without writing', async (_what, overrides) => {
    const workspaceId = uniqueId('ws');
    const input = { workspaceId, sourceType: 'grant', sourceId: 'g1', ...overrides } as Parameters<
      typeof ledger.creditWallet
    >[0];
    await expect(ledger.creditWallet(input)).rejects.toMatchObject({ type: 'validation_failed', nonRetryable: true });
    expect((await ledgerState(workspaceId)).entries).toHaveLength(0);
  });
});
