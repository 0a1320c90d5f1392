// Meter events against stripe-mock (through a recording proxy): rated
// production usage is sent once, one meter event per (family, second of
// occurrence) with the summed value and a stable identifier, and marked
// reported; free environments, unrated and parked events are never sent.
import { ApplicationFailure } from '@temporalio/common';
import { createMeterEventActivities, meterEventIdentifier } from '../../activities/stripe-meter-events';
import { createWalletLedgerActivities } from '../../activities/wallet-ledger';
import { MAX_USAGE_QUANTITY, type UsageEvent } from '../../src/domain/usage';
import { createStripeClient } from '../../src/infra/stripe-client';
import type { PrismaClient } from '../../src/infra/prisma';
import { recordUsage } from '../../src/metering/record-usage';
import { testPrisma, uniqueId } from '../support/db';
import { startStripeRecorder, type StripeRecorder } from '../support/stripe-recorder';
import { TEST_SECRETS } from '../support/test-env';

let recorder: StripeRecorder;
let prisma: PrismaClient;
let meter: ReturnType<typeof createMeterEventActivities>;
let ledger: ReturnType<typeof createWalletLedgerActivities>;

beforeAll(async () => {
  recorder = await startStripeRecorder();
  prisma = testPrisma();
  meter = createMeterEventActivities({ prisma, stripe: createStripeClient(TEST_SECRETS.STRIPE_SECRET_KEY, recorder.url) });
  ledger = createWalletLedgerActivities({ prisma });
});

afterAll(async () => {
  await recorder.close();
  await prisma.$disconnect();
});

beforeEach(() => {
  recorder.requests.length = 0;
});

const usage = (id: string, overrides: Partial<UsageEvent> = {}): UsageEvent => ({
  id,
  projectId: 'proj_1',
  family: 'waf',
  environment: 'production',
  quantity: 1000,
  occurredAt: '2026-11-20T10:00:00Z',
  ...overrides,
});

const meterRequests = () => recorder.requests.filter((r) => r.path === '/v1/billing/meter_events');

const groupId = (workspaceId: string, family: string, at: string) => new RegExp(`^_u:${workspaceId}:${family}:${Math.floor(Date.parse(at) / 1000)}:\\d+$`);

test('rated production usage is sent once, valid for Stripe, and marked reported', async () => {
  const workspaceId = uniqueId('ws');
  await recordUsage(prisma, workspaceId, [
    usage('e1', { quantity: 1234, occurredAt: '2026-11-20T10:00:05.900Z' }),
    usage('e2', { family: 'email_validation', quantity: MAX_USAGE_QUANTITY, occurredAt: '2026-11-21T00:00:00+01:00' }),
    usage('free', { environment: 'sandbox' }),
  ]);
  await ledger.rateAndDebitUsage({ workspaceId, month: '2026-11' });
  await recordUsage(prisma, workspaceId, [usage('unrated')]);

  await expect(meter.reportUsageToStripe({ workspaceId, customerId: 'cus_test_1' })).resolves.toEqual({ reported: 2, more: false });

  const sent = meterRequests();
  expect(sent).toHaveLength(2);
  expect(sent[0]).toMatchObject({
    method: 'POST',
    status: 200,
    idempotencyKey: `meter-event:${sent[0].form.identifier}`,
    form: {
      event_name: 'requests_waf',
      'payload[stripe_customer_id]': 'cus_test_1',
      'payload[value]': '1234',
      identifier: expect.stringMatching(groupId(workspaceId, 'waf', '2026-11-20T10:00:05Z')),
      timestamp: String(Date.parse('2026-11-20T10:00:05Z') / 1000),
    },
  });
  expect(sent[1]).toMatchObject({
    status: 200,
    form: expect.objectContaining({
      event_name: 'requests_email_validation',
      'payload[value]': String(MAX_USAGE_QUANTITY),
      identifier: expect.stringMatching(groupId(workspaceId, 'email_validation', '2026-11-20T23:00:00Z')),
      timestamp: String(Date.parse('2026-11-20T23:00:00Z') / 1000),
    }),
  });

  const rows = await prisma.usageEvent.findMany({ where: { workspaceId }, orderBy: { eventId: 'asc' } });
  const reported = Object.fromEntries(rows.map((r) => [r.eventId, r.reportedAt !== null]));
  expect(reported).toEqual({ e1: true, e2: true, free: false, unrated: false });

  recorder.requests.length = 0;
  await expect(meter.reportUsageToStripe({ workspaceId, customerId: 'cus_test_1' })).resolves.toEqual({ reported: 0, more: false });
  expect(meterRequests()).toHaveLength(0);
});

test('events of one family in one second are one meter event with their sum; other seconds and families their own', async () => {
  const workspaceId = uniqueId('ws');
  await recordUsage(prisma, workspaceId, [
    usage('a', { quantity: 5, occurredAt: '2026-11-20T10:00:00.100Z' }),
    usage('b', { quantity: 7, occurredAt: '2026-11-20T10:00:00.900Z' }),
    usage('c', { quantity: 11, occurredAt: '2026-11-20T10:00:01Z' }),
    usage('d', { quantity: 13, family: 'bot_protection', occurredAt: '2026-11-20T10:00:00.500Z' }),
  ]);
  await ledger.rateAndDebitUsage({ workspaceId, month: '2026-11' });
  await expect(meter.reportUsageToStripe({ workspaceId, customerId: 'cus_1' })).resolves.toEqual({ reported: 4, more: false });
  const sent = meterRequests().map((r) => [r.form.event_name, r.form['payload[value]'], r.form.timestamp]);
  const at = (iso: string) => String(Date.parse(iso) / 1000);
  expect(sent).toEqual([
    ['requests_waf', '12', at('2026-11-20T10:00:00Z')],
    ['requests_waf', '11', at('2026-11-20T10:00:01Z')],
    ['requests_bot_protection', '13', at('2026-11-20T10:00:00Z')],
  ]);
  expect(new Set(meterRequests().map((r) => r.form.identifier)).size).toBe(3);
});

test('reports at most `limit` events per call, oldest first', async () => {
  const workspaceId = uniqueId('ws');
  for (const id of ['a', 'b', 'c']) await recordUsage(prisma, workspaceId, [usage(id)]);
  await ledger.rateAndDebitUsage({ workspaceId, month: '2026-11' });

  await expect(meter.reportUsageToStripe({ workspaceId, customerId: 'cus_1', limit: 2 })).resolves.toEqual({ reported: 2, more: true });
  await expect(meter.reportUsageToStripe({ workspaceId, customerId: 'cus_1', limit: 2 })).resolves.toEqual({ reported: 1, more: false });
  expect(meterRequests().map((r) => r.form['payload[value]'])).toEqual(['2000', '1000']);
});

test('a retry after Stripe took a group but before it was marked reported re-sends the same identifier, and nothing else', async () => {
  const workspaceId = uniqueId('ws');
  await recordUsage(prisma, workspaceId, [usage('a'), usage('b')]);
  await ledger.rateAndDebitUsage({ workspaceId, month: '2026-11' });
  await meter.reportUsageToStripe({ workspaceId, customerId: 'cus_1' });
  // The crash: Stripe has the event, reported_at was never written.
  await prisma.usageEvent.updateMany({ where: { workspaceId }, data: { reportedAt: null } });
  await recordUsage(prisma, workspaceId, [usage('late', { occurredAt: '2026-11-20T10:00:00Z' })]);
  await ledger.rateAndDebitUsage({ workspaceId, month: '2026-11' });

  await expect(meter.reportUsageToStripe({ workspaceId, customerId: 'cus_1' })).resolves.toEqual({ reported: 3, more: false });
  const [first, resent, late] = meterRequests();
  expect(resent.form.identifier).toBe(first.form.identifier);
  expect(resent.idempotencyKey).toBe(first.idempotencyKey);
  expect(resent.form['payload[value]']).toBe('2000');
  // The late event joins no group that was already claimed: its own identifier, its own value.
  expect(late.form.identifier).not.toBe(first.form.identifier);
  expect(late.form['payload[value]']).toBe('1000');
});

test('an identifier longer than Stripe allows is a stable hash, distinct per group', () => {
  const long = `_u:${'w'.repeat(90)}:waf:1700000000:1`;
  const id = meterEventIdentifier(long);
  expect(id).toMatch(/^_sha256:[0-9a-f]{64}$/);
  expect(id.length).toBeLessThanOrEqual(100);
  expect(meterEventIdentifier(long)).toBe(id);
  expect(meterEventIdentifier(`${long}0`)).not.toBe(id);
  expect(meterEventIdentifier('_u:ws_1:waf:1700000000:1')).toBe('_u:ws_1:waf:1700000000:1');
});

test('a rejected meter event is a non-retryable failure and the event stays unreported', async () => {
  const workspaceId = uniqueId('ws');
  await recordUsage(prisma, workspaceId, [usage('e1')]);
  await ledger.rateAndDebitUsage({ workspaceId, month: '2026-11' });
  // stripe-mock validates requests against Stripe's spec: a timestamp that is
  // not a number is rejected with a 400, as Stripe would reject it.
  const stripe = createStripeClient(TEST_SECRETS.STRIPE_SECRET_KEY, recorder.url);
  const create = stripe.billing.meterEvents.create.bind(stripe.billing.meterEvents);
  stripe.billing.meterEvents.create = (params, options) => create({ ...params, timestamp: 'soon' as unknown as number }, options);
  const broken = createMeterEventActivities({ prisma, stripe });

  const failure = await broken.reportUsageToStripe({ workspaceId, customerId: 'cus_1' }).catch((err: unknown) => err);
  expect(failure).toBeInstanceOf(ApplicationFailure);
  expect(failure).toMatchObject({ type: 'payment_provider_error', nonRetryable: true });
  expect(meterRequests().at(-1)?.status).toBe(400);
  const row = await prisma.usageEvent.findUniqueOrThrow({ where: { workspaceId_eventId: { workspaceId, eventId: 'e1' } } });
  expect(row.reportedAt).toBeNull();
});

test('a parked row (it could not be rated) is never reported to Stripe', async () => {
  const workspaceId = uniqueId('ws');
  await prisma.$executeRaw`
    INSERT INTO usage_event (workspace_id, event_id, project_id, family, environment, quantity, occurred_at)
    VALUES (${workspaceId}, 'retired', 'proj_1', 'retired_family', 'production', 1, now())`;
  await recordUsage(prisma, workspaceId, [usage('good')]);
  await expect(ledger.rateAndDebitUsage({ workspaceId, month: '2026-11' })).resolves.toMatchObject({ ratedEvents: 1, parkedEvents: 1, unreported: true });
  const before = meterRequests().length;
  await expect(meter.reportUsageToStripe({ workspaceId, customerId: 'cus_test_1' })).resolves.toEqual({ reported: 1, more: false });
  expect(meterRequests().slice(before).map((r) => [r.form.identifier, r.form['payload[value]']])).toEqual([[expect.stringMatching(groupId(workspaceId, 'waf', '2026-11-20T10:00:00Z')), '1000']]);
  await expect(ledger.rateAndDebitUsage({ workspaceId, month: '2026-11' })).resolves.toMatchObject({ unreported: false });
});
