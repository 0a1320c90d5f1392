// How a Stripe error becomes an activity failure: requests Stripe rejected
// (invalid, card declined, idempotency mismatch, auth) will fail the same way
// again, so they are non-retryable; network errors, 429 and 5xx are thrown
// as they are and Temporal retries them.
import { ApplicationFailure } from '@temporalio/common';
import Stripe from 'stripe';

const NON_RETRYABLE = new Set([
  'StripeCardError',
  'StripeInvalidRequestError',
  'StripeIdempotencyError',
  'StripeAuthenticationError',
  'StripePermissionError',
]);

export function toActivityFailure(err: unknown, what: string): unknown {
  if (err instanceof Stripe.errors.StripeError && NON_RETRYABLE.has(err.type)) {
    return ApplicationFailure.create({
      type: 'payment_provider_error',
      message: `${what}: Stripe rejected the request (${err.type}${err.code ? `/${err.code}` : ''}, HTTP ${err.statusCode ?? '?'})`,
      nonRetryable: true,
      details: [{ stripeType: err.type, stripeCode: err.code ?? null, requestId: err.requestId ?? null }],
    });
  }
  return err;
}

export async function callStripe<T>(what: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    throw toActivityFailure(err, what);
  }
}
