// The reconciliation's listing (real PostgreSQL): workspaces with a Stripe
// subscription in a live status, ordered by id, paged by an exclusive cursor.
import { createReconciliationActivities } from '../../activities/reconciliation';
import { testPrisma, uniqueId } from '../support/db';

const prisma = testPrisma();
// Sorts after the other files' ws_ ids; the rows of one run are contiguous.
const prefix = `zz_${uniqueId('rec')}_`;
const row = (suffix: string, status: string, withSubscription = true) => ({
  workspaceId: `${prefix}${suffix}`,
  planId: 'plus',
  status,
  mode: 'self_serve',
  stripeSubscriptionId: withSubscription ? `sub_${prefix}${suffix}` : null,
  version: 1,
});

beforeAll(async () => {
  await prisma.workspaceBilling.createMany({
    data: [row('a', 'active'), row('b', 'past_due'), row('c', 'canceled'), row('d', 'incomplete'), row('e', 'active', false), row('f', 'active')],
  });
});
afterAll(async () => {
  await prisma.workspaceBilling.deleteMany({ where: { workspaceId: { startsWith: prefix } } });
  await prisma.$disconnect();
});

test('listReconcilableWorkspaces pages through live subscriptions in id order', async () => {
  const { listReconcilableWorkspaces } = createReconciliationActivities({ prisma });
  const ours = (ids: string[]) => ids.filter((id) => id.startsWith(prefix)).map((id) => id.slice(prefix.length));
  const first = await listReconcilableWorkspaces({ afterWorkspaceId: prefix, limit: 2 });
  expect(ours(first)).toEqual(['a', 'b']);
  const second = await listReconcilableWorkspaces({ afterWorkspaceId: first[1], limit: 2 });
  expect(ours(second)).toEqual(['d', 'f']);
  const all = await listReconcilableWorkspaces({ afterWorkspaceId: null, limit: 100_000 });
  expect(ours(all)).toEqual(['a', 'b', 'd', 'f']);
});
