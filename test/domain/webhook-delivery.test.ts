// The delivery policy of outbound webhooks (src/domain/webhook-delivery.ts):
// exponential backoff that is bounded per delay and per round, jitter that
// only shortens a delay, and what an attempt's answer means.
import fc from 'fast-check';
import { attemptOutcome, maxRoundSpanMs, retryDelayMs, type RetryPolicy } from '../../src/domain/webhook-delivery';

const policy: RetryPolicy = { maxAttempts: 12, initialDelayMs: 30_000, maxDelayMs: 6 * 3_600_000, jitter: 0.2 };

test('delays double from the initial one and stop at the maximum', () => {
  const exact = { ...policy, jitter: 0 };
  expect([1, 2, 3, 4, 5].map((n) => retryDelayMs(n, exact, 0.7))).toEqual([30_000, 60_000, 120_000, 240_000, 480_000]);
  expect(retryDelayMs(11, exact, 0)).toBe(6 * 3_600_000);
  expect(retryDelayMs(1_000, exact, 0)).toBe(6 * 3_600_000);
});

test('jitter only shortens a delay, by at most its fraction, and never past the maximum', () => {
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 200 }), fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), (n, random) => {
      const full = retryDelayMs(n, { ...policy, jitter: 0 }, 0);
      const delay = retryDelayMs(n, policy, random);
      expect(delay).toBeLessThanOrEqual(full);
      expect(delay).toBeGreaterThanOrEqual(Math.floor(full * (1 - policy.jitter)));
      expect(delay).toBeLessThanOrEqual(policy.maxDelayMs);
    }),
  );
});

test('a round is bounded: the defaults retry for about 14.5 hours', () => {
  // 30 s, 1 m, 2 m, … 256 m (9 doublings), then 6 h: eleven waits between twelve attempts.
  expect(maxRoundSpanMs(policy)).toBe((30_000 * (2 ** 10 - 1)) + 6 * 3_600_000);
  expect(maxRoundSpanMs({ ...policy, maxAttempts: 1 })).toBe(0);
});

test('2xx delivers; anything else is retried until the last attempt of the round, then failed', () => {
  expect(attemptOutcome({ statusCode: 204 }, 1, policy, 0)).toEqual({ status: 'delivered' });
  expect(attemptOutcome({ statusCode: 200 }, 12, policy, 0)).toEqual({ status: 'delivered' });
  for (const result of [{ statusCode: 500 }, { statusCode: 503 }, { statusCode: 404 }, { statusCode: 410 }, { statusCode: 301 }, { error: 'ECONNREFUSED' }, { error: 'timeout after 10000 ms' }]) {
    expect(attemptOutcome(result, 1, policy, 0)).toEqual({ status: 'pending', retryInMs: 30_000 });
    expect(attemptOutcome(result, 11, policy, 0)).toEqual({ status: 'pending', retryInMs: 6 * 3_600_000 });
    expect(attemptOutcome(result, 12, policy, 0)).toEqual({ status: 'failed' });
  }
});
