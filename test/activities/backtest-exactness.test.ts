// The back-test's exactness, against the real rating path on PostgreSQL: for
// any usage, any split of it into rating passes (rateAndDebitUsage with any
// limits) and any page size of the back-test, its "current" equals what the
// wallet was debited plus the carry left, and its "proposed" equals what the
// real path debits when the proposed prices are in force (installed as the
// workspace's contract prices, which is how rating takes non-public prices).
// Enterprise contract prices are kept under the proposal.
import fc from 'fast-check';
import { createWalletLedgerActivities } from '../../activities/wallet-ledger';
import type { RateProposal } from '../../src/domain/backtest';
import { ENVIRONMENTS, REQUEST_FAMILIES, type RequestFamily } from '../../src/domain/plans';
import type { ContractPrices } from '../../src/domain/rating';
import type { UsageEvent } from '../../src/domain/usage';
import type { PrismaClient } from '../../src/infra/prisma';
import { recordUsage } from '../../src/metering/record-usage';
import { runBacktest } from '../../src/read-model/usage-backtest';
import { testPrisma, uniqueId } from '../support/db';

let prisma: PrismaClient;
let ledger: ReturnType<typeof createWalletLedgerActivities>;
beforeAll(() => {
  prisma = testPrisma();
  ledger = createWalletLedgerActivities({ prisma });
});
afterAll(() => prisma.$disconnect());

const FAMILIES = Object.keys(REQUEST_FAMILIES) as RequestFamily[];
const family = fc.constantFrom(...FAMILIES);
const prices = fc.dictionary(family, fc.integer({ min: 0, max: 700 }), { maxKeys: FAMILIES.length }) as fc.Arbitrary<ContractPrices>;
const event = fc.record({
  family,
  environment: fc.constantFrom(...ENVIRONMENTS, 'production', 'production'),
  quantity: fc.oneof(fc.integer({ min: 0, max: 40 }), fc.integer({ min: 0, max: 50_000_000 })),
});

/** Rates everything recorded for the workspace through the real activity, in passes of the given sizes. */
async function rateThroughRealPath(workspaceId: string, limits: number[]): Promise<{ cents: number; carryThousandths: number }> {
  for (let i = 0, more = true; more; i++) {
    more = (await ledger.rateAndDebitUsage({ workspaceId, month: '2031-01', limit: limits[i % limits.length] })).more;
  }
  const [entries, balance] = await Promise.all([
    prisma.walletEntry.findMany({ where: { workspaceId, sourceType: 'usage_batch' } }),
    prisma.walletBalance.findUnique({ where: { workspaceId } }),
  ]);
  return { cents: Number(entries.reduce((s, e) => s - e.amountCents, 0n)), carryThousandths: Number(balance?.usageCarryThousandths ?? 0n) };
}

async function record(workspaceId: string, events: { family: RequestFamily; environment: string; quantity: number }[], contract: ContractPrices) {
  const usage: UsageEvent[] = events.map((e, i) => ({
    id: `e${String(i).padStart(4, '0')}`,
    projectId: 'p1',
    family: e.family,
    environment: e.environment as UsageEvent['environment'],
    quantity: e.quantity,
    occurredAt: '2031-01-15T10:00:00Z',
  }));
  await recordUsage(prisma, workspaceId, usage);
  const rows = Object.entries(contract).map(([f, centsPer1000]) => ({ workspaceId, family: f, centsPer1000: centsPer1000! }));
  if (rows.length > 0) await prisma.contractPrice.createMany({ data: rows });
}

test('current = the real path’s debits and carry; proposed = the real path under the proposed prices (any passes, any page size)', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.array(event, { minLength: 1, maxLength: 30 }),
      prices,
      fc.option(prices, { nil: undefined }),
      fc.array(fc.integer({ min: 1, max: 12 }), { minLength: 1, maxLength: 4 }),
      fc.integer({ min: 1, max: 17 }),
      async (events, proposedPrices, contract, limits, pageSize) => {
        const rates: RateProposal = { requestFamilies: proposedPrices };
        const today = uniqueId('bt');
        const underProposal = uniqueId('bt');
        await record(today, events, contract ?? {});
        // The same usage with the proposal in force: contract prices (if any) still win over it.
        await record(underProposal, events, { ...proposedPrices, ...contract });

        const result = await runBacktest(prisma, { rates, workspaceId: today }, pageSize);
        const [line] = result.workspaces;
        expect(line.events).toBe(events.length);
        expect(line.current).toEqual(await rateThroughRealPath(today, limits));
        expect(line.proposed).toEqual(await rateThroughRealPath(underProposal, limits));
        expect(line.differenceCents).toBe(line.proposed.cents - line.current.cents);
      },
    ),
    { numRuns: 30 },
  );
});
