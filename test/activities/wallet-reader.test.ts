// The wallet read model on real PostgreSQL: the balance the ledger keeps, and
// the ledger's entries newest first, paged by entry id.
import { createWalletLedgerActivities } from '../../activities/wallet-ledger';
import { DomainError, ValidationError } from '../../src/domain/errors';
import { createPrisma, type PrismaClient } from '../../src/infra/prisma';
import { readWallet, readWalletLedger } from '../../src/read-model/wallet-reader';
import { testPrisma, uniqueId } from '../support/db';

let prisma: PrismaClient;
let ledger: ReturnType<typeof createWalletLedgerActivities>;
beforeAll(() => {
  prisma = testPrisma();
  ledger = createWalletLedgerActivities({ prisma });
});
afterAll(() => prisma.$disconnect());

const grant = (workspaceId: string, sourceId: string, amountCents: number) =>
  ledger.creditWallet({ workspaceId, kind: 'grant', amountCents, sourceType: 'grant', sourceId, reason: `grant ${sourceId}` });

test('readWallet returns the ledger balance, and 0 for a workspace without one', async () => {
  const workspaceId = uniqueId('ws');
  await expect(readWallet(prisma, workspaceId, 1000)).resolves.toEqual({ balanceCents: 0, minimumCents: 1000 });
  await grant(workspaceId, 'g1', 1234);
  await expect(readWallet(prisma, workspaceId, 1000)).resolves.toEqual({ balanceCents: 1234, minimumCents: 1000 });
});

test('readWalletLedger pages the entries newest first', async () => {
  const workspaceId = uniqueId('ws');
  for (let i = 1; i <= 5; i++) await grant(workspaceId, `g${i}`, i * 100);
  await grant(uniqueId('ws'), 'g1', 999); // another workspace's entry is never listed

  const first = await readWalletLedger(prisma, workspaceId, { limit: 2 });
  expect(first.entries.map((e) => e.sourceId)).toEqual(['g5', 'g4']);
  expect(first.entries[0]).toEqual({
    id: expect.stringMatching(/^\d+$/),
    kind: 'grant',
    amountCents: 500,
    sourceType: 'grant',
    sourceId: 'g5',
    reason: 'grant g5',
    createdAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT.*Z$/),
  });
  expect(first.nextCursor).toBe(first.entries[1].id);

  const second = await readWalletLedger(prisma, workspaceId, { limit: 2, before: first.nextCursor! });
  expect(second.entries.map((e) => e.sourceId)).toEqual(['g3', 'g2']);
  const last = await readWalletLedger(prisma, workspaceId, { limit: 2, before: second.nextCursor! });
  expect(last).toEqual({ entries: [expect.objectContaining({ sourceId: 'g1' })], nextCursor: null });

  const all = await readWalletLedger(prisma, workspaceId);
  expect(all.entries).toHaveLength(5);
  expect(all.nextCursor).toBeNull();
});

test('readWalletLedger of a workspace without entries is empty', async () => {
  await expect(readWalletLedger(prisma, uniqueId('ws'))).resolves.toEqual({ entries: [], nextCursor: null });
});

test.each([
  ['limit 0', { limit: 0 }, 'query.limit'],
  ['limit 101', { limit: 101 }, 'query.limit'],
  ['a fractional limit', { limit: 2.5 }, 'query.limit'],
  ['a cursor that is not an id', { before: 'abc' }, 'query.before'],
  ['a cursor of 20 digits', { before: '12345678901234567890' }, 'query.before'],
])('readWalletLedger rejects %s', async (_what, options, path) => {
  const failure = await readWalletLedger(prisma, uniqueId('ws'), options).catch((err: unknown) => err);
  expect(failure).toBeInstanceOf(ValidationError);
  expect((failure as ValidationError).fields).toEqual([expect.objectContaining({ path })]);
});

test('a cursor beyond bigint (19 digits, as the document allows) reads from the newest entry', async () => {
  await expect(readWalletLedger(prisma, uniqueId('ws'), { before: '9223372036854775808' })).resolves.toEqual({ entries: [], nextCursor: null });
});

test('an unreachable database is database_unavailable', async () => {
  const down = createPrisma('postgresql://nobody:nothing@127.0.0.1:1/none', 1);
  try {
    await expect(readWallet(down, uniqueId('ws'), 1000)).rejects.toMatchObject({ code: 'database_unavailable' });
    const failure = await readWalletLedger(down, uniqueId('ws')).catch((err: unknown) => err);
    expect(failure).toBeInstanceOf(DomainError);
    expect(failure).toMatchObject({ code: 'database_unavailable' });
  } finally {
    await down.$disconnect();
  }
});
