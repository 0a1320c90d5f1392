// Finding a plan's Stripe price by lookup key (`<plan>_<interval>`), never
// by a hard-coded price id. Prices behind a lookup key rarely change (only
// when someone moves the key to a new price), so each lookup keeps what it
// found for a few minutes instead of asking Stripe on every activity.
import { ApplicationFailure } from '@temporalio/common';
import type Stripe from 'stripe';
import { lookupKey, type Interval, type PlanId } from '../src/domain/plans';
import { callStripe } from './stripe-failures';

export interface PriceLookupOptions {
  /** How long a found price id is reused. Default 5 minutes. */
  ttlMs?: number;
  /** Clock for the cache (tests). */
  now?: () => number;
}

export type PriceIdFor = (planId: PlanId, interval: Interval) => Promise<string>;

export interface PriceLookup {
  priceIdFor: PriceIdFor;
}

export const DEFAULT_PRICE_CACHE_TTL_MS = 5 * 60_000;

export function createPriceLookup(stripe: Stripe, options: PriceLookupOptions = {}): PriceLookup {
  const ttlMs = options.ttlMs ?? DEFAULT_PRICE_CACHE_TTL_MS;
  const now = options.now ?? Date.now;
  // The promise is cached, so concurrent activities share one request; a
  // failed lookup (including "none configured") is forgotten at once.
  const cache = new Map<string, { priceId: Promise<string>; fetchedAt: number }>();

  async function fetchPriceId(key: string): Promise<string> {
    const prices = await callStripe('find price', () => stripe.prices.list({ lookup_keys: [key], active: true, limit: 1 }));
    const price = prices.data[0];
    if (!price) {
      throw ApplicationFailure.create({
        type: 'price_not_configured',
        message: `No active Stripe price has lookup_key ${key}`,
        nonRetryable: true,
      });
    }
    return price.id;
  }

  async function priceIdFor(planId: PlanId, interval: Interval): Promise<string> {
    const key = lookupKey(planId, interval);
    const cached = cache.get(key);
    if (cached && now() - cached.fetchedAt < ttlMs) return cached.priceId;
    const entry = { priceId: fetchPriceId(key), fetchedAt: now() };
    cache.set(key, entry);
    entry.priceId.catch(() => {
      if (cache.get(key) === entry) cache.delete(key);
    });
    return entry.priceId;
  }

  return { priceIdFor };
}
