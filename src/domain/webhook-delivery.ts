// Delivery policy of outbound webhooks as data and pure rules: bounded
// exponential backoff, and what an attempt's result means for the
// notification. The dispatcher (src/notifications) does the I/O.

export interface RetryPolicy {
  /** Attempts per round (a redelivery starts a new round); after the last failure the notification is `failed`. */
  maxAttempts: number;
  /** Delay after the first failed attempt; doubles after each further failure. */
  initialDelayMs: number;
  /** No delay is longer than this. */
  maxDelayMs: number;
  /** Fraction (0…1) by which a delay may be shortened at random, so receivers coming back are not hit in lockstep. */
  jitter: number;
}

/**
 * How long to wait after `failedAttempts` failures (≥ 1): initial × 2^(n-1),
 * capped at the maximum, shortened by at most `jitter` of itself
 * (`random` in [0, 1)). Always within [delay × (1 - jitter), delay].
 */
export function retryDelayMs(failedAttempts: number, policy: RetryPolicy, random: number): number {
  const exponent = Math.max(0, Math.min(failedAttempts - 1, 52));
  const delay = Math.min(policy.maxDelayMs, policy.initialDelayMs * 2 ** exponent);
  const r = Math.min(Math.max(random, 0), 1);
  return Math.max(0, Math.round(delay * (1 - policy.jitter * r)));
}

/** The longest a round can take between its first and last attempt (no jitter): the documented bound. */
export function maxRoundSpanMs(policy: RetryPolicy): number {
  let total = 0;
  for (let n = 1; n < policy.maxAttempts; n++) total += retryDelayMs(n, { ...policy, jitter: 0 }, 0);
  return total;
}

/** What one POST came back with: an HTTP status, or a network error / timeout. */
export type AttemptResult = { statusCode: number; error?: undefined } | { statusCode?: undefined; error: string };

export type AttemptOutcome = { status: 'delivered' } | { status: 'pending'; retryInMs: number } | { status: 'failed' };

export const isDelivered = (result: AttemptResult) => result.statusCode !== undefined && result.statusCode >= 200 && result.statusCode < 300;

/**
 * A 2xx answer delivers the notification. Anything else — 4xx, 5xx, a
 * redirect, a timeout, a refused connection — is retried with backoff until
 * the round's attempts are used up; then the notification is `failed`
 * (visible to operators, who can redeliver it).
 */
export function attemptOutcome(result: AttemptResult, attemptsMade: number, policy: RetryPolicy, random: number): AttemptOutcome {
  if (isDelivered(result)) return { status: 'delivered' };
  if (attemptsMade >= policy.maxAttempts) return { status: 'failed' };
  return { status: 'pending', retryInMs: retryDelayMs(attemptsMade, policy, random) };
}
