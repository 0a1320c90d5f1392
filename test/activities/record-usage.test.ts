// Recording usage on real PostgreSQL: an event id counts once per workspace,
// forever, also when the same events arrive in batches racing each other.
import { DomainError } from '../../src/domain/errors';
import type { UsageEvent } from '../../src/domain/usage';
import { createPrisma, type PrismaClient } from '../../src/infra/prisma';
import { NUDGE_STALE_AFTER_MS, recordUsage, withdrawNudge } from '../../src/metering/record-usage';
import { createWalletLedgerActivities } from '../../activities/wallet-ledger';
import { Client as PgClient } from 'pg';
import { testPrisma, uniqueId } from '../support/db';
import { eventually } from '../support/fake-activities';
import { TEST_DATABASE_URL } from '../support/test-env';

const prisma: PrismaClient = testPrisma();
afterAll(() => prisma.$disconnect());

const usage = (id: string, overrides: Partial<UsageEvent> = {}): UsageEvent => ({
  id,
  projectId: 'proj_1',
  family: 'waf',
  environment: 'production',
  quantity: 1000,
  occurredAt: '2026-11-20T10:00:00Z',
  ...overrides,
});

test('stores every field of new events and counts them as accepted', async () => {
  const workspaceId = uniqueId('ws');
  const result = await recordUsage(prisma, workspaceId, [
    usage('e1', { quantity: Number.MAX_SAFE_INTEGER, occurredAt: '2026-11-20T12:00:00.250+02:00' }),
    usage('e2', { family: 'email_validation', environment: 'sandbox', projectId: 'proj_2', quantity: 0 }),
  ]);
  expect(result).toMatchObject({ accepted: 2, duplicates: 0 });
  const rows = await prisma.usageEvent.findMany({ where: { workspaceId }, orderBy: { eventId: 'asc' } });
  expect(rows).toEqual([
    expect.objectContaining({
      eventId: 'e1',
      projectId: 'proj_1',
      family: 'waf',
      environment: 'production',
      quantity: BigInt(Number.MAX_SAFE_INTEGER),
      occurredAt: new Date('2026-11-20T10:00:00.250Z'),
      ratedThousandths: null,
      ratedAt: null,
      reportedAt: null,
    }),
    expect.objectContaining({ eventId: 'e2', projectId: 'proj_2', family: 'email_validation', environment: 'sandbox', quantity: 0n }),
  ]);
});

test('a redelivered event is a duplicate, and the first version stays', async () => {
  const workspaceId = uniqueId('ws');
  await expect(recordUsage(prisma, workspaceId, [usage('e1', { quantity: 5 })])).resolves.toMatchObject({ accepted: 1, duplicates: 0 });
  await expect(recordUsage(prisma, workspaceId, [usage('e1', { quantity: 9 }), usage('e2')])).resolves.toMatchObject({ accepted: 1, duplicates: 1 });
  const e1 = await prisma.usageEvent.findUniqueOrThrow({ where: { workspaceId_eventId: { workspaceId, eventId: 'e1' } } });
  expect(e1.quantity).toBe(5n);
});

test('within one batch the first occurrence of an id counts', async () => {
  const workspaceId = uniqueId('ws');
  const result = await recordUsage(prisma, workspaceId, [usage('dup', { quantity: 1 }), usage('other'), usage('dup', { quantity: 2 })]);
  expect(result).toMatchObject({ accepted: 2, duplicates: 1 });
  const dup = await prisma.usageEvent.findUniqueOrThrow({ where: { workspaceId_eventId: { workspaceId, eventId: 'dup' } } });
  expect(dup.quantity).toBe(1n);
});

test('the same event id in two workspaces is two events', async () => {
  const [a, b] = [uniqueId('ws'), uniqueId('ws')];
  await expect(recordUsage(prisma, a, [usage('shared')])).resolves.toMatchObject({ accepted: 1, duplicates: 0 });
  await expect(recordUsage(prisma, b, [usage('shared')])).resolves.toMatchObject({ accepted: 1, duplicates: 0 });
});

test('overlapping batches posted in parallel count each event once', async () => {
  const workspaceId = uniqueId('ws');
  const ids = Array.from({ length: 200 }, (_, i) => `evt_${i}`);
  // Eight batches of 120 ids drawn from the same 200, each in its own random order.
  const shuffled = () => {
    const copy = [...ids];
    for (let i = copy.length - 1; i > 0; i--) {
      const j = Math.floor(Math.random() * (i + 1));
      [copy[i], copy[j]] = [copy[j], copy[i]];
    }
    return copy;
  };
  const batches = Array.from({ length: 8 }, () => shuffled().slice(0, 120).map((id) => usage(id)));
  const results = await Promise.all(batches.map((events) => recordUsage(prisma, workspaceId, events)));
  const distinct = new Set(batches.flat().map((e) => e.id));
  expect(results.reduce((sum, r) => sum + r.accepted, 0)).toBe(distinct.size);
  for (const [i, r] of results.entries()) expect(r.accepted + r.duplicates).toBe(batches[i].length);
  expect(await prisma.usageEvent.count({ where: { workspaceId } })).toBe(distinct.size);
});

test('an empty list writes nothing', async () => {
  await expect(recordUsage(prisma, uniqueId('ws'), [])).resolves.toMatchObject({ accepted: 0, duplicates: 0 });
});

test('a database that cannot be reached is database_unavailable', async () => {
  const down = createPrisma('postgresql://nobody:nothing@127.0.0.1:1/none', 1);
  try {
    const failure = await recordUsage(down, uniqueId('ws'), [usage('e1')]).catch((err: unknown) => err);
    expect(failure).toBeInstanceOf(DomainError);
    expect(failure).toMatchObject({ code: 'database_unavailable' });
  } finally {
    await down.$disconnect();
  }
});

describe('rating requests (wallet_nudge): one signal per rating pass, not per batch', () => {
  const ledger = createWalletLedgerActivities({ prisma });
  const month = '2026-11';

  test('only the batch that opens a request asks for a signal; a rating pass answers it and the next batch asks again', async () => {
    const workspaceId = uniqueId('ws');
    const first = await recordUsage(prisma, workspaceId, [usage('a')]);
    expect(first.nudge).toBeInstanceOf(Date);
    // While that request is pending, more batches (and a retry of the first) need no signal.
    expect((await recordUsage(prisma, workspaceId, [usage('b')])).nudge).toBeNull();
    expect((await recordUsage(prisma, workspaceId, [usage('a')])).nudge).toBeNull();
    await ledger.rateAndDebitUsage({ workspaceId, month });
    const next = await recordUsage(prisma, workspaceId, [usage('c')]);
    expect(next.nudge).toBeInstanceOf(Date);
  });

  test('a withdrawn request (its signal failed) lets the retry of the batch ask again', async () => {
    const workspaceId = uniqueId('ws');
    const first = await recordUsage(prisma, workspaceId, [usage('a')]);
    await withdrawNudge(prisma, workspaceId, first.nudge!);
    const retry = await recordUsage(prisma, workspaceId, [usage('a')]);
    expect(retry).toMatchObject({ accepted: 0, duplicates: 1 });
    expect(retry.nudge).toBeInstanceOf(Date);
  });

  test('a batch recorded while a rating pass runs does not wait for the pass, and asks for the next one', async () => {
    const workspaceId = uniqueId('ws');
    await recordUsage(prisma, workspaceId, [usage('a')]);
    await ledger.rateAndDebitUsage({ workspaceId, month });
    await recordUsage(prisma, workspaceId, [usage('b')]);
    // Hold the pass inside its transaction: another session keeps the wallet's balance row locked.
    const holder = new PgClient({ connectionString: TEST_DATABASE_URL });
    await holder.connect();
    let pass: ReturnType<typeof ledger.rateAndDebitUsage> | undefined;
    try {
      await holder.query('BEGIN');
      await holder.query('SELECT 1 FROM wallet_balance WHERE workspace_id = $1 FOR UPDATE', [workspaceId]);
      pass = ledger.rateAndDebitUsage({ workspaceId, month });
      // Asked outside the holder's transaction (pg_stat_activity is a snapshot per transaction).
      const waiting = async (statement: string) => {
        const [{ n }] = await prisma.$queryRaw<{ n: bigint }[]>`
          SELECT count(*) AS n FROM pg_stat_activity
          WHERE datname = current_database() AND wait_event_type = 'Lock' AND query LIKE ${`%${statement}%`}`;
        return n > 0n;
      };
      await eventually(() => waiting('FROM wallet_balance WHERE workspace_id'), Boolean);
      // Recorded meanwhile: it must not queue behind the pass (before the fix it waited on the nudge row
      // the pass had updated inside its transaction, so `recorded` stayed pending until the pass committed).
      let settled = false;
      const recorded = recordUsage(prisma, workspaceId, [usage('c')]).finally(() => (settled = true));
      const outcome = await eventually(
        async () => (settled ? 'recorded' : (await waiting('INSERT INTO usage_event')) ? 'waits for the rating pass' : 'pending'),
        (state) => state !== 'pending',
      );
      expect(outcome).toBe('recorded');
      // The pass had answered the pending request before it started: this batch asks for the next pass.
      expect((await recorded).nudge).toBeInstanceOf(Date);
      await holder.query('COMMIT');
      await expect(pass).resolves.toMatchObject({ ratedEvents: expect.any(Number) });
    } finally {
      await holder.query('ROLLBACK').catch(() => undefined);
      await holder.end();
      await pass?.catch(() => undefined);
    }
    // Nothing stranded: the next pass rates whatever the held one did not see.
    await ledger.rateAndDebitUsage({ workspaceId, month });
    expect(await prisma.usageEvent.count({ where: { workspaceId, ratedAt: null } })).toBe(0);
  });

  test('a request left pending longer than NUDGE_STALE_AFTER_MS is assumed lost: the next batch asks again', async () => {
    const workspaceId = uniqueId('ws');
    await recordUsage(prisma, workspaceId, [usage('a')]);
    await prisma.$executeRaw`UPDATE wallet_nudge SET requested_at = requested_at - make_interval(secs => ${NUDGE_STALE_AFTER_MS / 1000 + 1}) WHERE workspace_id = ${workspaceId}`;
    expect((await recordUsage(prisma, workspaceId, [usage('b')])).nudge).toBeInstanceOf(Date);
  });
});
