// Auto top-up rules: what a crossing is, when it charges (settings, saved
// card, daily limit, a crossing already charged), and the ids derived from it.
import fc from 'fast-check';
import {
  autoTopUpIdempotencyKey,
  autoTopUpIdOf,
  autoTopUpSettingsSchema,
  chargeOutcomeOf,
  crossesThreshold,
  failureCodeOfStatus,
  planAutoTopUp,
  utcDayKey,
  type AutoTopUpContext,
} from '../../src/domain/auto-top-up';
import { factFromEvent, stripeEventEnvelope } from '../../src/domain/stripe-events';
import { stripeEvent } from '../support/stripe-events';

describe('crossesThreshold', () => {
  test.each([
    // threshold, before, after, crosses
    [1000, 1500, 900, true],
    [1000, 1000, 999, true], // at the threshold counts as above
    [1000, 1500, 1000, false], // landing on it is not below
    [1000, 900, 800, false], // already below: a further debit does not cross again
    [1000, 1500, 1200, false],
    [0, 100, -1, true],
    [1000, -50, -80, false],
  ])('threshold %i, %i → %i: %s', (threshold, before, after, crosses) => {
    expect(crossesThreshold(threshold, before, after)).toBe(crosses);
  });

  test('auto top-up off (no threshold) never crosses', () => {
    expect(crossesThreshold(null, 5000, 0)).toBe(false);
    expect(crossesThreshold(undefined, 5000, 0)).toBe(false);
  });

  test('property: along any sequence of debits, the balance crosses at most once until a credit lifts it back', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 100_000 }), fc.integer({ min: -1000, max: 200_000 }), fc.array(fc.integer({ min: 1, max: 10_000 })), (threshold, start, debits) => {
        let balance = start;
        let crossings = 0;
        for (const d of debits) {
          if (crossesThreshold(threshold, balance, balance - d)) crossings++;
          balance -= d;
        }
        expect(crossings).toBe(start >= threshold && balance < threshold ? 1 : 0);
      }),
    );
  });
});

describe('planAutoTopUp', () => {
  const card = { enabled: true, amountCents: 2500, customerId: 'cus_1', paymentMethodId: 'pm_1' };
  const ctx = (over: Partial<AutoTopUpContext> = {}): AutoTopUpContext => ({ settings: card, chargesToday: 0, alreadyCharged: false, maxPerDay: 3, ...over });

  test('a crossing with a saved card under the limit charges its amount with ids from the crossing', () => {
    expect(planAutoTopUp('ws_1', '41-57', ctx())).toEqual({
      action: 'charge',
      topUpId: 'tu_a41-57',
      amountCents: 2500,
      customerId: 'cus_1',
      paymentMethodId: 'pm_1',
      idempotencyKey: 'wallet/ws_1:auto-top-up:41-57',
    });
  });

  test.each<[string, Partial<AutoTopUpContext>, string]>([
    ['never set', { settings: null }, 'disabled'],
    ['turned off', { settings: { ...card, enabled: false } }, 'disabled'],
    ['no card saved yet', { settings: { ...card, paymentMethodId: null } }, 'no_payment_method'],
    ['no customer', { settings: { ...card, customerId: null } }, 'no_payment_method'],
    ['the daily limit reached', { chargesToday: 3 }, 'daily_limit'],
    ['a limit of zero', { maxPerDay: 0 }, 'daily_limit'],
  ])('%s: skipped (%s)', (_what, over, reason) => {
    expect(planAutoTopUp('ws_1', '1-2', ctx(over))).toEqual({ action: 'skip', reason });
  });

  test('a crossing already recorded is charged again with the same key (Stripe answers the first), even at the limit', () => {
    const again = planAutoTopUp('ws_1', '1-2', ctx({ chargesToday: 3, alreadyCharged: true }));
    expect(again).toMatchObject({ action: 'charge', idempotencyKey: autoTopUpIdempotencyKey('ws_1', '1-2'), topUpId: autoTopUpIdOf('1-2') });
  });

  test('property: the charge is derived from the crossing alone (never the clock or a counter)', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[0-9]{1,6}-[0-9]{1,6}$/), fc.integer({ min: 0, max: 2 }), (crossing, today) => {
        const a = planAutoTopUp('ws_p', crossing, ctx({ chargesToday: today }));
        const b = planAutoTopUp('ws_p', crossing, ctx({ chargesToday: today }));
        expect(a).toEqual(b);
        expect(a).toMatchObject({ topUpId: `tu_a${crossing}`, idempotencyKey: `wallet/ws_p:auto-top-up:${crossing}` });
      }),
    );
  });
});

test('outcomes of a confirmed off-session PaymentIntent', () => {
  expect(chargeOutcomeOf('succeeded')).toBe('succeeded');
  expect(chargeOutcomeOf('processing')).toBe('processing');
  for (const s of ['requires_payment_method', 'requires_action', 'requires_confirmation', 'canceled']) expect(chargeOutcomeOf(s)).toBe('failed');
  expect(failureCodeOfStatus('requires_action')).toBe('authentication_required');
  expect(failureCodeOfStatus('requires_payment_method')).toBe('card_declined');
});

test('the UTC day of a charge', () => {
  expect(utcDayKey(Date.UTC(2026, 10, 29, 23, 59, 59))).toBe('2026-11-29');
  expect(utcDayKey(Date.UTC(2026, 10, 30, 0, 0, 0))).toBe('2026-11-30');
});

test('settings bounds: whole cents, a top-up amount of $5–$10,000, a threshold of $0–$100,000', () => {
  expect(autoTopUpSettingsSchema.safeParse({ thresholdCents: 1000, amountCents: 2500, enabled: true }).success).toBe(true);
  for (const bad of [
    { thresholdCents: -1, amountCents: 2500, enabled: true },
    { thresholdCents: 1000, amountCents: 499, enabled: true },
    { thresholdCents: 1000, amountCents: 1_000_001, enabled: true },
    { thresholdCents: 10.5, amountCents: 2500, enabled: true },
    { thresholdCents: 1000, amountCents: 2500 },
    { thresholdCents: 1000, amountCents: 2500, enabled: true, extra: 1 },
  ]) {
    expect(autoTopUpSettingsSchema.safeParse(bad).success).toBe(false);
  }
});

describe('a paid top-up names its payer and card (what auto top-up charges later)', () => {
  const metadata = { workspaceId: 'ws_1', kind: 'wallet_top_up', topUpId: 'tu_r1' };
  const parse = (type: string, object: Record<string, unknown>) => factFromEvent(stripeEventEnvelope.parse(stripeEvent(type, object, 1_767_225_600)));

  test('payment_intent.succeeded carries the customer and the payment method', () => {
    const fact = parse('payment_intent.succeeded', { id: 'pi_1', object: 'payment_intent', amount_received: 5_000, currency: 'usd', customer: 'cus_1', payment_method: 'pm_1', metadata });
    expect(fact).toMatchObject({ kind: 'top_up_paid', topUpId: 'tu_r1', amountCents: 5_000, customerId: 'cus_1', paymentMethodId: 'pm_1', paymentIntentId: 'pi_1' });
  });

  test('checkout.session.completed names its PaymentIntent (expanded or not)', () => {
    const session = { id: 'cs_1', object: 'checkout.session', mode: 'payment', payment_status: 'paid', amount_total: 5_000, currency: 'usd', customer: 'cus_1', metadata };
    expect(parse('checkout.session.completed', { ...session, payment_intent: 'pi_1' })).toMatchObject({ customerId: 'cus_1', paymentMethodId: null, paymentIntentId: 'pi_1' });
    expect(parse('checkout.session.completed', { ...session, payment_intent: { id: 'pi_2' } })).toMatchObject({ paymentIntentId: 'pi_2' });
  });
});
