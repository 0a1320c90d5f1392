// The Stripe client. STRIPE_API_URL points it at a stand-in such as
// stripe-mock (http://127.0.0.1:12111); unset, it talks to api.stripe.com.
import Stripe from 'stripe';

export function createStripeClient(secretKey: string, apiUrl?: string): Stripe {
  const target = apiUrl ? new URL(apiUrl) : null;
  return new Stripe(secretKey, {
    // Retries inside one activity attempt reuse the same idempotency key.
    maxNetworkRetries: 2,
    timeout: 20_000,
    appInfo: { name: 'subscription-lifecycle-engine' },
    ...(target && {
      host: target.hostname,
      port: target.port ? Number(target.port) : target.protocol === 'https:' ? 443 : 80,
      protocol: target.protocol.replace(':', '') as 'http' | 'https',
    }),
  });
}
