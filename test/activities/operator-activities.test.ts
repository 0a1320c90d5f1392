// Operator activities: the audit row (real PostgreSQL, once per request id)
// and the resync read (stripe-mock): the live subscription and its latest
// invoice become billing facts through the webhook translation.
import type Stripe from 'stripe';
import { createOperatorAuditActivities } from '../../activities/operator-audit';
import { createResyncActivities } from '../../activities/stripe-resync';
import { createStripeClient } from '../../src/infra/stripe-client';
import { testPrisma, uniqueId } from '../support/db';
import { startStripeRecorder, type StripeRecorder } from '../support/stripe-recorder';
import { TEST_SECRETS } from '../support/test-env';

const prisma = testPrisma();
let recorder: StripeRecorder;
let stripe: Stripe;

beforeAll(async () => {
  recorder = await startStripeRecorder();
  stripe = createStripeClient(TEST_SECRETS.STRIPE_SECRET_KEY, recorder.url);
});
afterAll(async () => {
  await recorder.close();
  await prisma.$disconnect();
});

test('recordOperatorAction writes one row per (workspace, request id)', async () => {
  const { recordOperatorAction } = createOperatorAuditActivities({ prisma });
  const workspaceId = uniqueId('ws');
  const input = { workspaceId, action: 'end_grace' as const, reason: 'forgiven after review', actor: 'ops-cli', requestId: 'req-1', details: { forgivenAt: '2026-11-27T15:00:00.000Z' } };
  expect(await recordOperatorAction(input)).toBe(true);
  expect(await recordOperatorAction(input)).toBe(false);
  expect(await recordOperatorAction({ ...input, requestId: 'req-2', action: 'extend_grace' })).toBe(true);
  const rows = await prisma.operatorAudit.findMany({ where: { workspaceId }, orderBy: { id: 'asc' } });
  expect(rows.map((r) => [r.action, r.requestId, r.actor, r.reason])).toEqual([
    ['end_grace', 'req-1', 'ops-cli', 'forgiven after review'],
    ['extend_grace', 'req-2', 'ops-cli', 'forgiven after review'],
  ]);
  expect(rows[0].details).toEqual({ forgivenAt: '2026-11-27T15:00:00.000Z' });
});

test('readStripeSubscriptionFacts: the subscription and its latest invoice as facts with synthetic event ids', async () => {
  const { readStripeSubscriptionFacts } = createResyncActivities({ stripe });
  const facts = await readStripeSubscriptionFacts({ subscriptionId: 'sub_live', requestId: 'req-9', occurredAt: 1_800_000_000_000 });
  expect(recorder.requests.some((r) => r.method === 'GET' && r.path.startsWith('/v1/subscriptions/sub_live'))).toBe(true);
  const [sub, ...rest] = facts;
  // stripe-mock's invoice fixture is a draft, which carries no fact (liveInvoiceFact is tested in the domain tier).
  expect(facts.map((f) => f.kind)).toEqual(['subscription_changed']);
  expect(sub).toMatchObject({ kind: 'subscription_changed', eventId: expect.stringMatching(/^resync:req-9:/), occurredAt: 1_800_000_000_000 });
  for (const f of rest) expect(f).toMatchObject({ kind: 'invoice_changed', eventId: expect.stringMatching(/^resync:req-9:/), occurredAt: 1_800_000_000_000 });
});
