// The Stripe client's time budget fits inside the activity that calls it, so
// Temporal never starts a second attempt while the SDK is still retrying the
// first one with the same idempotency key.
import { createStripeClient, STRIPE_NETWORK_RETRIES, STRIPE_REQUEST_TIMEOUT_MS, stripeCallBudgetMs } from '../../src/infra/stripe-client';
import { STRIPE_ACTIVITY_TIMEOUT_MS } from '../../workflows/workflow-support';

test('one Stripe call with every try timing out ends inside the activity timeout that runs it', () => {
  expect(stripeCallBudgetMs()).toBe(2 * STRIPE_REQUEST_TIMEOUT_MS + 500);
  expect(stripeCallBudgetMs()).toBeLessThan(STRIPE_ACTIVITY_TIMEOUT_MS);
  // The settings before (20 s per try, 2 retries) did not: a second attempt could run beside the first.
  expect(stripeCallBudgetMs(20_000, 2)).toBeGreaterThan(STRIPE_ACTIVITY_TIMEOUT_MS);
});

test('the client is built with those settings', () => {
  const stripe = createStripeClient('sk_test_Budget0123456789');
  expect(stripe.getMaxNetworkRetries()).toBe(STRIPE_NETWORK_RETRIES);
  expect(stripe.getApiField('timeout')).toBe(STRIPE_REQUEST_TIMEOUT_MS);
});
