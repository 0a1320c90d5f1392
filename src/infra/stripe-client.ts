// The Stripe client. STRIPE_API_URL points it at a stand-in such as
// stripe-mock (http://127.0.0.1:12111); unset, it talks to api.stripe.com.
//
// Its time budget must fit inside the activity that calls it: an activity
// attempt that outlives its start-to-close timeout is retried by Temporal
// while the SDK may still be retrying the first one, and two attempts then
// race with the same idempotency key. One request times out after
// STRIPE_REQUEST_TIMEOUT_MS and is retried STRIPE_NETWORK_RETRIES times by
// the SDK (same idempotency key); stripeCallBudgetMs() is the worst case,
// checked against the activities' timeout in test/activities/stripe-client.test.ts.
import Stripe from 'stripe';

export const STRIPE_REQUEST_TIMEOUT_MS = 10_000;
export const STRIPE_NETWORK_RETRIES = 1;
/** stripe-node waits min(0.5 s × 2^(n-1), 5 s) before its n-th network retry. */
const SDK_RETRY_DELAY_MS = (n: number) => Math.min(500 * 2 ** (n - 1), 5_000);

/** The longest one Stripe call can take inside an activity: every try timing out, with the SDK's delays between them. */
export function stripeCallBudgetMs(timeoutMs = STRIPE_REQUEST_TIMEOUT_MS, retries = STRIPE_NETWORK_RETRIES): number {
  let total = timeoutMs * (retries + 1);
  for (let n = 1; n <= retries; n++) total += SDK_RETRY_DELAY_MS(n);
  return total;
}

export function createStripeClient(secretKey: string, apiUrl?: string): Stripe {
  const target = apiUrl ? new URL(apiUrl) : null;
  return new Stripe(secretKey, {
    // Retries inside one activity attempt reuse the same idempotency key.
    maxNetworkRetries: STRIPE_NETWORK_RETRIES,
    timeout: STRIPE_REQUEST_TIMEOUT_MS,
    appInfo: { name: 'subscription-lifecycle-engine' },
    ...(target && {
      host: target.hostname,
      port: target.port ? Number(target.port) : target.protocol === 'https:' ? 443 : 80,
      protocol: target.protocol.replace(':', '') as 'http' | 'https',
    }),
  });
}
