// Auto top-up activities on real PostgreSQL, with their Stripe requests
// validated by stripe-mock (through the recording proxy). stripe-mock keeps
// no state and answers every PaymentIntent with status
// requires_payment_method; declines and outages are Stripe errors injected at
// the factory's Stripe boundary, as stripe-node raises them.
import Stripe from 'stripe';
import { createAutoTopUpActivities } from '../../activities/auto-top-up';
import { createTopUpActivities } from '../../activities/stripe-top-ups';
import { createWalletLedgerActivities } from '../../activities/wallet-ledger';
import { createStripeClient } from '../../src/infra/stripe-client';
import type { PrismaClient } from '../../src/infra/prisma';
import { recordUsage } from '../../src/metering/record-usage';
import { saveAutoTopUpSettings } from '../../src/wallet/auto-top-up-settings';
import { testPrisma, uniqueId } from '../support/db';
import { startStripeRecorder, type StripeRecorder } from '../support/stripe-recorder';
import { TEST_SECRETS } from '../support/test-env';

let recorder: StripeRecorder;
let prisma: PrismaClient;
let stripe: Stripe;
let auto: ReturnType<typeof createAutoTopUpActivities>;

beforeAll(async () => {
  recorder = await startStripeRecorder();
  prisma = testPrisma();
  stripe = createStripeClient(TEST_SECRETS.STRIPE_SECRET_KEY, recorder.url);
  auto = createAutoTopUpActivities({ prisma, stripe, settings: { autoTopUpMaxPerDay: 3 } });
});
afterAll(async () => {
  await recorder.close();
  await prisma.$disconnect();
});
beforeEach(() => {
  recorder.requests.length = 0;
});

const DAY = '2026-11-29';
function chargeInput(workspaceId: string, crossingId = '10-12') {
  return {
    workspaceId,
    crossingId,
    topUpId: `tu_a${crossingId}`,
    day: DAY,
    amountCents: 2_500,
    customerId: 'cus_saved',
    paymentMethodId: 'pm_saved',
    idempotencyKey: `wallet/${workspaceId}:auto-top-up:${crossingId}`,
  };
}

/** The same activities with a Stripe whose PaymentIntent creation throws `err` (the factory's Stripe boundary). */
function withFailingStripe(err: Error) {
  const failing = Object.create(stripe) as Stripe;
  Object.defineProperty(failing, 'paymentIntents', { value: { create: () => Promise.reject(err), retrieve: stripe.paymentIntents.retrieve.bind(stripe.paymentIntents) } });
  return createAutoTopUpActivities({ prisma, stripe: failing, settings: { autoTopUpMaxPerDay: 3 } });
}

const chargeRow = (workspaceId: string, crossingId = '10-12') => prisma.autoTopUpCharge.findUnique({ where: { workspaceId_crossingId: { workspaceId, crossingId } } });

describe('chargeAutoTopUp', () => {
  test('a valid off-session PaymentIntent: confirmed, customer and card, USD, top-up metadata, the crossing as idempotency key; recorded once', async () => {
    const workspaceId = uniqueId('ws');
    const result = await auto.chargeAutoTopUp(chargeInput(workspaceId));
    const again = await auto.chargeAutoTopUp(chargeInput(workspaceId));
    expect(recorder.requests).toHaveLength(2);
    for (const req of recorder.requests) {
      expect(req).toMatchObject({
        method: 'POST',
        path: '/v1/payment_intents',
        status: 200,
        idempotencyKey: `wallet/${workspaceId}:auto-top-up:10-12`,
        form: {
          amount: '2500',
          currency: 'usd',
          customer: 'cus_saved',
          payment_method: 'pm_saved',
          confirm: 'true',
          off_session: 'true',
          description: 'Developer wallet credit (auto top-up)',
          'metadata[workspaceId]': workspaceId,
          'metadata[kind]': 'wallet_top_up',
          'metadata[topUpId]': 'tu_a10-12',
          'metadata[autoTopUp]': 'true',
          'metadata[crossingId]': '10-12',
        },
      });
    }
    // stripe-mock answers requires_payment_method: what a declined off-session confirmation leaves.
    expect(result).toEqual({ outcome: 'failed', paymentIntentId: expect.stringMatching(/^pi_/), failureCode: 'card_declined' });
    expect(again.outcome).toBe('failed');
    expect(await prisma.autoTopUpCharge.count({ where: { workspaceId } })).toBe(1);
    expect(await chargeRow(workspaceId)).toMatchObject({ topUpId: 'tu_a10-12', day: DAY, amountCents: 2_500n, status: 'failed', failureCode: 'card_declined' });
  });

  test.each([
    ['a decline', new Stripe.errors.StripeCardError({ type: 'card_error', code: 'card_declined', decline_code: 'insufficient_funds', message: 'Your card has insufficient funds.' }), 'card_declined'],
    ['authentication required', new Stripe.errors.StripeCardError({ type: 'card_error', code: 'authentication_required', message: 'This payment requires authentication.' }), 'authentication_required'],
    ['an invalid request (a detached card)', new Stripe.errors.StripeInvalidRequestError({ type: 'invalid_request_error', code: 'resource_missing', message: 'No such PaymentMethod' }), 'resource_missing'],
  ])('%s is a failed charge (not thrown: retrying would fail the same way)', async (_what, err, code) => {
    const workspaceId = uniqueId('ws');
    const result = await withFailingStripe(err).chargeAutoTopUp(chargeInput(workspaceId));
    expect(result).toEqual({ outcome: 'failed', paymentIntentId: null, failureCode: code });
    expect(await chargeRow(workspaceId)).toMatchObject({ status: 'failed', failureCode: code });
  });

  test('Stripe unreachable is thrown for Temporal to retry; the charge stays pending under its crossing', async () => {
    const workspaceId = uniqueId('ws');
    const outage = new Stripe.errors.StripeConnectionError({ type: 'api_error', message: 'connect ECONNREFUSED' });
    await expect(withFailingStripe(outage).chargeAutoTopUp(chargeInput(workspaceId))).rejects.toBe(outage);
    expect(await chargeRow(workspaceId)).toMatchObject({ status: 'pending' });
  });
});

describe('settings, card and the daily count', () => {
  test('a paid top-up saves its card; loadAutoTopUp reads the settings and counts the day’s charges', async () => {
    const workspaceId = uniqueId('ws');
    await saveAutoTopUpSettings(prisma, workspaceId, { enabled: true, thresholdCents: 1_000, amountCents: 2_500 });
    expect(await auto.loadAutoTopUp({ workspaceId, crossingId: '1-1', day: DAY })).toEqual({
      settings: { enabled: true, amountCents: 2_500, customerId: null, paymentMethodId: null },
      chargesToday: 0,
      alreadyCharged: false,
      maxPerDay: 3,
    });
    expect(await auto.rememberTopUpPaymentMethod({ workspaceId, customerId: 'cus_saved', paymentMethodId: 'pm_saved', paymentIntentId: 'pi_1' })).toEqual({ saved: true });
    expect(recorder.requests).toHaveLength(0);
    await auto.chargeAutoTopUp(chargeInput(workspaceId, '1-1'));
    await auto.chargeAutoTopUp({ ...chargeInput(workspaceId, '2-2'), day: '2026-11-28' });
    expect(await auto.loadAutoTopUp({ workspaceId, crossingId: '1-1', day: DAY })).toEqual({
      settings: { enabled: true, amountCents: 2_500, customerId: 'cus_saved', paymentMethodId: 'pm_saved' },
      chargesToday: 1,
      alreadyCharged: true,
      maxPerDay: 3,
    });
    // Saving the settings again keeps the card.
    await saveAutoTopUpSettings(prisma, workspaceId, { enabled: true, thresholdCents: 500, amountCents: 1_000 });
    expect((await auto.loadAutoTopUp({ workspaceId, crossingId: '3-3', day: DAY })).settings?.paymentMethodId).toBe('pm_saved');
  });

  test('a Checkout Session names only its PaymentIntent: the card is read from Stripe', async () => {
    const workspaceId = uniqueId('ws');
    await auto.rememberTopUpPaymentMethod({ workspaceId, customerId: 'cus_1', paymentMethodId: null, paymentIntentId: 'pi_from_session' });
    expect(recorder.requests.map((r) => `${r.method} ${r.path} ${r.status}`)).toEqual(['GET /v1/payment_intents/pi_from_session 200']);
  });

  test('disableAutoTopUp turns it off, marks the charge failed and notifies the app once per crossing', async () => {
    const workspaceId = uniqueId('ws');
    await saveAutoTopUpSettings(prisma, workspaceId, { enabled: true, thresholdCents: 1_000, amountCents: 2_500 });
    await withFailingStripe(new Stripe.errors.StripeCardError({ type: 'card_error', code: 'card_declined', message: 'declined' })).chargeAutoTopUp(chargeInput(workspaceId));
    const input = { workspaceId, crossingId: '10-12', topUpId: 'tu_a10-12', amountCents: 2_500, reason: 'card_declined', paymentIntentId: null };
    await auto.disableAutoTopUp(input);
    await auto.disableAutoTopUp(input);
    expect(await prisma.walletAutoTopUp.findUnique({ where: { workspaceId } })).toMatchObject({ enabled: false, disabledReason: 'card_declined' });
    const notifications = await prisma.notification.findMany({ where: { workspaceId } });
    expect(notifications.map((n) => n.type)).toEqual(['wallet.auto_top_up.failed']);
    expect(JSON.parse(String(notifications[0].body))).toMatchObject({
      type: 'wallet.auto_top_up.failed',
      workspaceId,
      data: { topUpId: 'tu_a10-12', amountCents: 2_500, reason: 'card_declined', paymentIntentId: null, enabled: false },
    });
    // Enabling again (the app, e.g. after a hosted top-up with another card) clears the reason.
    await saveAutoTopUpSettings(prisma, workspaceId, { enabled: true, thresholdCents: 1_000, amountCents: 2_500 });
    expect(await prisma.walletAutoTopUp.findUnique({ where: { workspaceId } })).toMatchObject({ enabled: true, disabledReason: null });
  });
});

test('rating names the debit and reads the threshold in its transaction only where auto top-up is on', async () => {
  const ledger = createWalletLedgerActivities({ prisma });
  const on = uniqueId('ws');
  const off = uniqueId('ws');
  await saveAutoTopUpSettings(prisma, on, { enabled: true, thresholdCents: 1_000, amountCents: 2_500 });
  await saveAutoTopUpSettings(prisma, off, { enabled: false, thresholdCents: 1_000, amountCents: 2_500 });
  const event = { projectId: 'p', family: 'email_validation' as const, environment: 'production' as const, quantity: 1_000, occurredAt: '2026-11-20T10:00:00Z' };
  for (const ws of [on, off]) await recordUsage(prisma, ws, [{ ...event, id: uniqueId('e') }, { ...event, id: uniqueId('e') }]);
  const rated = await ledger.rateAndDebitUsage({ workspaceId: on, month: '2026-11' });
  const entry = await prisma.walletEntry.findFirstOrThrow({ where: { workspaceId: on, sourceType: 'usage_batch' } });
  expect(rated).toMatchObject({ debitedCents: 200, balanceCents: -200, debitSourceId: entry.sourceId, autoTopUpThresholdCents: 1_000 });
  const plain = await ledger.rateAndDebitUsage({ workspaceId: off, month: '2026-11' });
  expect(plain.debitedCents).toBe(200);
  expect(plain).not.toHaveProperty('debitSourceId');
  expect(plain).not.toHaveProperty('autoTopUpThresholdCents');
});

test('a hosted top-up Checkout saves the card for off-session use', async () => {
  const topUps = createTopUpActivities({ stripe });
  const workspaceId = uniqueId('ws');
  await topUps.createTopUpCheckout({
    workspaceId,
    customerId: 'cus_1',
    topUpId: 'tu_r1',
    amountCents: 5_000,
    successUrl: 'https://app.example.com/ok',
    cancelUrl: 'https://app.example.com/no',
    expiresAt: Math.floor(Date.now() / 1000 + 3_600) * 1000,
    idempotencyKey: `wallet/${workspaceId}:top-up:tu_r1`,
  });
  expect(recorder.requests).toEqual([
    expect.objectContaining({ path: '/v1/checkout/sessions', status: 200, form: expect.objectContaining({ 'payment_intent_data[setup_future_usage]': 'off_session', 'payment_intent_data[metadata][topUpId]': 'tu_r1' }) }),
  ]);
});
