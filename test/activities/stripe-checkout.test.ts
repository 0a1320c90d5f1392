// Checkout activities against stripe-mock (through a recording proxy): the
// requests are valid for Stripe's API and carry metadata, lookup keys and
// idempotency keys derived from the workflow id.
import { ApplicationFailure } from '@temporalio/common';
import { createCheckoutActivities } from '../../activities/stripe-checkout';
import { createStripeClient } from '../../src/infra/stripe-client';
import type { PrismaClient } from '../../src/infra/prisma';
import { testPrisma, uniqueId } from '../support/db';
import { startStripeRecorder, type StripeRecorder } from '../support/stripe-recorder';
import { TEST_SECRETS } from '../support/test-env';

let recorder: StripeRecorder;
let prisma: PrismaClient;
let activities: ReturnType<typeof createCheckoutActivities>;

beforeAll(async () => {
  recorder = await startStripeRecorder();
  prisma = testPrisma();
  activities = createCheckoutActivities({ stripe: createStripeClient(TEST_SECRETS.STRIPE_SECRET_KEY, recorder.url), prisma });
});

afterAll(async () => {
  await recorder.close();
  await prisma.$disconnect();
});

beforeEach(() => {
  recorder.requests.length = 0;
});

test('a new customer is created with the workspace id in metadata and the given idempotency key', async () => {
  const workspaceId = uniqueId('ws');
  const customerId = await activities.ensureStripeCustomer({
    workspaceId,
    email: 'owner@example.com',
    idempotencyKey: `workspace/${workspaceId}:customer`,
  });
  expect(customerId).toMatch(/^cus_/);
  expect(recorder.requests).toEqual([
    expect.objectContaining({
      method: 'POST',
      path: '/v1/customers',
      status: 200,
      idempotencyKey: `workspace/${workspaceId}:customer`,
      form: { email: 'owner@example.com', 'metadata[workspaceId]': workspaceId },
    }),
  ]);
});

test('the customer on record is reused without calling Stripe', async () => {
  const workspaceId = uniqueId('ws');
  await prisma.workspaceBilling.create({
    data: { workspaceId, planId: 'essential', status: 'none', mode: 'self_serve', stripeCustomerId: uniqueId('cus'), version: 1 },
  });
  const stored = await prisma.workspaceBilling.findUniqueOrThrow({ where: { workspaceId } });
  await expect(activities.ensureStripeCustomer({ workspaceId, idempotencyKey: 'unused' })).resolves.toBe(stored.stripeCustomerId);
  expect(recorder.requests).toHaveLength(0);
});

test('a checkout session is a valid subscription-mode request with metadata on session and subscription', async () => {
  const workspaceId = uniqueId('ws');
  const expiresAt = (Math.floor(Date.now() / 1000) + 3600) * 1000;
  const created = await activities.createCheckoutSession({
    workspaceId,
    customerId: 'cus_test_1',
    planId: 'family',
    interval: 'year',
    successUrl: 'https://app.example.com/ok',
    cancelUrl: 'https://app.example.com/cancel',
    expiresAt,
    idempotencyKey: `workspace/${workspaceId}:checkout:3`,
  });
  expect(created.checkoutId).toMatch(/^cs_/);
  expect(created.url).toMatch(/^https:\/\//);
  expect(created.expiresAt).toBe(expiresAt);

  const [priceLookup, session] = recorder.requests;
  expect(priceLookup).toMatchObject({ method: 'GET', path: '/v1/prices', status: 200, form: { 'lookup_keys[0]': 'family_year', active: 'true' } });
  expect(session).toMatchObject({
    method: 'POST',
    path: '/v1/checkout/sessions',
    status: 200,
    idempotencyKey: `workspace/${workspaceId}:checkout:3`,
    form: expect.objectContaining({
      mode: 'subscription',
      customer: 'cus_test_1',
      client_reference_id: workspaceId,
      'line_items[0][quantity]': '1',
      success_url: 'https://app.example.com/ok',
      cancel_url: 'https://app.example.com/cancel',
      expires_at: String(expiresAt / 1000),
      'metadata[workspaceId]': workspaceId,
      'metadata[planId]': 'family',
      'metadata[interval]': 'year',
      'subscription_data[metadata][workspaceId]': workspaceId,
      'subscription_data[metadata][planId]': 'family',
    }),
  });
  expect(session.form['line_items[0][price]']).toMatch(/^price_/);
});

test('a request Stripe rejects becomes a non-retryable failure with a stable type', async () => {
  const failure = await activities
    .createCheckoutSession({
      workspaceId: uniqueId('ws'),
      customerId: 'cus_test_1',
      planId: 'plus',
      interval: 'month',
      successUrl: 'not a url',
      cancelUrl: 'https://app.example.com/cancel',
      // Not an integer number of seconds: stripe-mock rejects it like Stripe would.
      expiresAt: Number.NaN,
      idempotencyKey: 'k',
    })
    .catch((err: unknown) => err);
  expect(failure).toBeInstanceOf(ApplicationFailure);
  expect(failure).toMatchObject({ type: 'payment_provider_error', nonRetryable: true });
  expect(recorder.requests.at(-1)?.status).toBe(400);
});
