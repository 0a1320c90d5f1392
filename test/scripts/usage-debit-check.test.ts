// The exact-debit check of `npm run bench:usage`, on rows the real code
// wrote to PostgreSQL: the bench's batches recorded by the route's
// recordUsage and rated in small passes by the wallet's rateAndDebitUsage
// pass the check; a debit booked twice, a lost batch, an unrated event or a
// wrong carry each fail it.
import { createWalletLedgerActivities } from '../../activities/wallet-ledger';
import { recordUsage } from '../../src/metering/record-usage';
import { expectedUsage, usageBatch } from '../../scripts/lib/usage-batches';
import { checkExactDebit, readWalletObservations } from '../../scripts/lib/usage-debit-check';
import { testPrisma, uniqueId } from '../support/db';
import { TEST_DATABASE_URL } from '../support/test-env';
import { Client as PgClient } from 'pg';

const prisma = testPrisma();
const pg = new PgClient({ connectionString: TEST_DATABASE_URL });
const ledger = createWalletLedgerActivities({ prisma });
const occurredAt = '2026-11-20T10:00:00Z';

beforeAll(() => pg.connect());
afterAll(async () => {
  await pg.end();
  await prisma.$disconnect();
});

/** `batches` bench batches recorded, then rated 130 events per pass (passes cut across batches, so carries matter). */
async function recordedAndRated(batches: number): Promise<string> {
  const workspaceId = uniqueId('bench');
  for (let b = 0; b < batches; b++) await recordUsage(prisma, workspaceId, usageBatch(b, occurredAt));
  for (let more = true; more; ) more = (await ledger.rateAndDebitUsage({ workspaceId, month: '2026-11', limit: 130 })).more;
  return workspaceId;
}

async function check(workspaceId: string, batches: number): Promise<string[]> {
  return checkExactDebit(new Map([[workspaceId, expectedUsage(batches, occurredAt)]]), await readWalletObservations(pg, [workspaceId]));
}

test('usage recorded and rated by the engine passes, and the expectation is not trivial', async () => {
  const workspaceId = await recordedAndRated(3);
  await expect(check(workspaceId, 3)).resolves.toEqual([]);
  const expected = expectedUsage(3, occurredAt);
  expect(expected.events).toBe(300);
  expect(expected.debitCents).toBeGreaterThan(0n);
  expect(expected.carryThousandths).toBeGreaterThan(0n);
});

test('a usage debit booked twice is found', async () => {
  const workspaceId = await recordedAndRated(2);
  const [entry] = await pg.query<{ amount_cents: string }>(`SELECT amount_cents FROM wallet_entry WHERE workspace_id = $1 AND kind = 'usage' LIMIT 1`, [workspaceId]).then((r) => r.rows);
  await pg.query(`INSERT INTO wallet_entry (workspace_id, kind, amount_cents, source_type, source_id, reason) VALUES ($1, 'usage', $2, 'usage_batch', '0-0', 'again')`, [
    workspaceId,
    entry.amount_cents,
  ]);
  const problems = await check(workspaceId, 2);
  expect(problems.some((p) => /debited \d+ cents, rated usage is \d+ cents/.test(p))).toBe(true);
  expect(problems.some((p) => p.includes('the ledger\'s entries add up to'))).toBe(true);
});

test('a lost batch and an unrated one are found', async () => {
  const workspaceId = await recordedAndRated(2);
  expect(await check(workspaceId, 3)).toEqual(expect.arrayContaining([expect.stringContaining('200 events stored for 300 sent (lost)')]));
  await recordUsage(prisma, workspaceId, usageBatch(2, occurredAt));
  expect(await check(workspaceId, 3)).toEqual(expect.arrayContaining([expect.stringContaining('100 events not rated')]));
});

test('a carry or a month spend that does not match is found', async () => {
  const workspaceId = await recordedAndRated(1);
  await pg.query('UPDATE wallet_balance SET usage_carry_thousandths = usage_carry_thousandths + 1 WHERE workspace_id = $1', [workspaceId]);
  await pg.query('UPDATE monthly_spend SET spent_cents = spent_cents + 1 WHERE workspace_id = $1', [workspaceId]);
  const problems = await check(workspaceId, 1);
  expect(problems).toEqual(expect.arrayContaining([expect.stringMatching(/carry \d+ thousandths, expected \d+/), expect.stringMatching(/month spend \d+ cents/)]));
});
