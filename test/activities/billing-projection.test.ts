// The projection write on real PostgreSQL: upsert, and the version guard
// that keeps a late retry of an older write from rolling state back.
import { createProjectionActivities } from '../../activities/billing-projection';
import { essentialProjection, type BillingProjection } from '../../src/domain/projection';
import { readBillingProjection } from '../../src/read-model/billing-projection-reader';
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
