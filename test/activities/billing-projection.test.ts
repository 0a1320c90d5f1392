// The projection write on real PostgreSQL: upsert, and the version guard
// that keeps a late retry of an older write from rolling state back.
import { createProjectionActivities } from '../../activities/billing-projection';
import { essentialProjection, type BillingProjection } from '../../src/domain/projection';
import { readBillingProjection, readBillingSnapshot } from '../../src/read-model/billing-projection-reader';
import { loadAccessSnapshot } from '../../src/access/snapshot';
import { projectionSnapshot } from '../../src/domain/projection';
import type { PrismaClient } from '../../src/infra/prisma';
import { testPrisma, uniqueId } from '../support/db';

let prisma: PrismaClient;
let save: (p: BillingProjection) => Promise<boolean>;

beforeAll(() => {
  prisma = testPrisma();
  save = createProjectionActivities({ prisma }).saveBillingProjection;
});
afterAll(() => prisma.$disconnect());

function activeProjection(workspaceId: string, version: number): BillingProjection {
  return {
    ...essentialProjection(workspaceId),
    planId: 'business',
    interval: 'year',
    status: 'active',
    mode: 'self_serve',
    currentPeriodEnd: Date.parse('2027-11-27T00:00:00Z'),
    stripeCustomerId: uniqueId('cus'),
    stripeSubscriptionId: uniqueId('sub'),
    version,
  };
}

test('writes a projection and reads it back unchanged', async () => {
  const workspaceId = uniqueId('ws');
  const p = { ...activeProjection(workspaceId, 3), checkout: null };
  await expect(save(p)).resolves.toBe(true);
  await expect(readBillingProjection(prisma, workspaceId)).resolves.toEqual(p);
});

test('an older or equal version never overwrites a newer one', async () => {
  const workspaceId = uniqueId('ws');
  const newer = activeProjection(workspaceId, 5);
  await save(newer);
  await expect(save({ ...essentialProjection(workspaceId), version: 4 })).resolves.toBe(false);
  await expect(save({ ...essentialProjection(workspaceId), version: 5 })).resolves.toBe(false);
  await expect(readBillingProjection(prisma, workspaceId)).resolves.toEqual(newer);
});

test('concurrent writes of many versions leave the highest one', async () => {
  const workspaceId = uniqueId('ws');
  const versions = Array.from({ length: 12 }, (_, i) => i + 1).sort(() => Math.random() - 0.5);
  const base = activeProjection(workspaceId, 0);
  await Promise.all(versions.map((version) => save({ ...base, version, currentPeriodEnd: version * 1000 })));
  const stored = await readBillingProjection(prisma, workspaceId);
  expect(stored.version).toBe(12);
  expect(stored.currentPeriodEnd).toBe(12_000);
});

test('an unknown workspace reads as Essential with status none', async () => {
  const workspaceId = uniqueId('ws');
  await expect(readBillingProjection(prisma, workspaceId)).resolves.toEqual(essentialProjection(workspaceId));
});

test('/billing reads projection, wallet and spend control in one snapshot; the gate reads the same evaluation facts', async () => {
  const workspaceId = uniqueId('ws');
  const p: BillingProjection = {
    ...activeProjection(workspaceId, 2),
    status: 'past_due',
    mode: 'billing_recovery',
    checkout: null,
    grace: { startedAt: Date.parse('2026-11-20T00:00:00Z'), endsAt: Date.parse('2026-11-27T00:00:00Z'), expired: false },
    invoiceRecoveryAt: Date.parse('2026-11-25T00:00:00Z'),
    unpaidInvoice: { id: 'in_1', amountDueCents: 49900, currency: 'usd', hostedInvoiceUrl: 'https://invoice.stripe.com/i/in_1' },
  };
  await save(p);
  await prisma.walletBalance.create({ data: { workspaceId, balanceCents: 1234n } });
  await prisma.spendControl.create({
    data: { workspaceId, monthlyCapCents: 1000n, alertThresholdsPercent: [50], action: 'block', blockedMonth: '2026-11' },
  });
  const read = await readBillingSnapshot(prisma, workspaceId, 1000);
  expect(read).toEqual({ projection: p, wallet: { balanceCents: 1234, minimumCents: 1000 }, spendControl: { action: 'block', blockedMonth: '2026-11' } });
  const gate = await loadAccessSnapshot(prisma, workspaceId);
  expect(gate.billing).toEqual(projectionSnapshot(p));
  expect(gate).toMatchObject({ balanceCents: 1234, spendControl: { action: 'block', blockedMonth: '2026-11' } });

  const unknown = uniqueId('ws');
  expect(await readBillingSnapshot(prisma, unknown, 1000)).toEqual({
    projection: essentialProjection(unknown),
    wallet: { balanceCents: 0, minimumCents: 1000 },
    spendControl: null,
  });
  expect((await loadAccessSnapshot(prisma, unknown)).billing).toEqual(projectionSnapshot(essentialProjection(unknown)));
});
