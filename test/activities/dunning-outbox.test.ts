// The dunning outbox on real PostgreSQL: each reminder of a window is
// recorded once, however often the activity is retried or raced.
import { createDunningActivities } from '../../activities/dunning-outbox';
import type { PrismaClient } from '../../src/infra/prisma';
import { testPrisma, uniqueId } from '../support/db';

let prisma: PrismaClient;
let record: ReturnType<typeof createDunningActivities>['recordDunningReminder'];
beforeAll(() => {
  prisma = testPrisma();
  record = createDunningActivities({ prisma }).recordDunningReminder;
});
afterAll(() => prisma.$disconnect());

const DAY = 86_400_000;

test('a reminder is recorded once, with its due time and invoice, even when raced', async () => {
  const workspaceId = uniqueId('ws');
  const graceStartedAt = Date.parse('2026-11-20T10:00:00Z');
  const input = {
    workspaceId,
    graceStartedAt,
    graceEndsAt: graceStartedAt + 7 * DAY,
    offsetMs: 3 * DAY,
    invoice: { id: 'in_1', amountDueCents: 2900, currency: 'usd', hostedInvoiceUrl: 'https://invoice.stripe.test/in_1' },
  };
  const results = await Promise.all([record(input), record(input), record(input)]);
  expect(results.filter(Boolean)).toHaveLength(1);
  await expect(record(input)).resolves.toBe(false);
  const rows = await prisma.dunningReminder.findMany({ where: { workspaceId } });
  expect(rows).toHaveLength(1);
  expect(rows[0]).toMatchObject({ offsetMs: BigInt(3 * DAY), sentAt: null, invoice: input.invoice });
  expect(rows[0].dueAt.toISOString()).toBe('2026-11-23T10:00:00.000Z');
});

test('the same offset of a new window is a new reminder', async () => {
  const workspaceId = uniqueId('ws');
  const base = { workspaceId, graceEndsAt: 0, offsetMs: 0, invoice: null };
  await expect(record({ ...base, graceStartedAt: 1_000_000 })).resolves.toBe(true);
  await expect(record({ ...base, graceStartedAt: 2_000_000 })).resolves.toBe(true);
  expect(await prisma.dunningReminder.count({ where: { workspaceId } })).toBe(2);
});
