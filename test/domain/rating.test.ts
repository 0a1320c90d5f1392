// Exact rating: thousandths of a cent per event, whole cents debited, the
// remainder carried. However the same usage is split into batches, the cents
// debited plus the final carry are exactly the total: no cent is lost or
// gained and nothing is rounded twice.
import fc from 'fast-check';
import { ENVIRONMENTS, REQUEST_FAMILIES, type Environment, type RequestFamily } from '../../src/domain/plans';
import { isRequestFamily, rateBatch, rateEvent, unitPrice, type ContractPrices, type RatableEvent } from '../../src/domain/rating';
import { DomainError } from '../../src/domain/errors';

const FAMILIES = Object.keys(REQUEST_FAMILIES) as RequestFamily[];

// The spec's public prices, restated independently of the code.
const SPEC_CENTS_PER_1000: Record<RequestFamily, number> = {
  rate_limiting: 10,
  waf: 25,
  signup_protection: 50,
  bot_protection: 40,
  ip_intelligence: 60,
  email_validation: 100,
};

const arbEvent = (maxQuantity = 10_000_000): fc.Arbitrary<RatableEvent> =>
  fc.record({
    family: fc.constantFrom(...FAMILIES),
    environment: fc.constantFrom<Environment>(...ENVIRONMENTS),
    quantity: fc.oneof(fc.integer({ min: 0, max: maxQuantity }), fc.bigInt({ min: 0n, max: 10n ** 30n })),
  });

const arbContract: fc.Arbitrary<ContractPrices> = fc.dictionary(fc.constantFrom(...FAMILIES), fc.integer({ min: 0, max: 1000 })) as fc.Arbitrary<ContractPrices>;

/** Splits `items` into consecutive, possibly empty, chunks at the given cut points. */
function split<T>(items: T[], cuts: number[]): T[][] {
  const points = [...new Set(cuts.map((c) => c % (items.length + 1)))].sort((a, b) => a - b);
  const chunks: T[][] = [];
  let start = 0;
  for (const p of points) {
    chunks.push(items.slice(start, p));
    start = p;
  }
  chunks.push(items.slice(start));
  return chunks;
}

describe('unitPrice', () => {
  it('is the public rate card of the spec', () => {
    for (const family of FAMILIES) expect(unitPrice(family)).toBe(SPEC_CENTS_PER_1000[family]);
  });

  it('lets a contract price win, family by family', () => {
    expect(unitPrice('waf', { waf: 7 })).toBe(7);
    expect(unitPrice('waf', { waf: 0 })).toBe(0);
    expect(unitPrice('email_validation', { waf: 7 })).toBe(100);
  });

  it('rejects unknown families and invalid contract prices', () => {
    expect(() => unitPrice('captcha' as RequestFamily)).toThrow(DomainError);
    expect(() => unitPrice('waf', { waf: -1 })).toThrow(DomainError);
    expect(() => unitPrice('waf', { waf: 2.5 })).toThrow(DomainError);
  });

  it('recognises request families', () => {
    expect(FAMILIES.every(isRequestFamily)).toBe(true);
    for (const value of ['captcha', 'toString', '__proto__', '', null, 3]) expect(isRequestFamily(value)).toBe(false);
  });
});

describe('rateEvent', () => {
  it('values production usage at quantity × cents per 1,000, in thousandths of a cent', () => {
    expect(rateEvent({ family: 'waf', environment: 'production', quantity: 1 })).toBe(25n);
    expect(rateEvent({ family: 'waf', environment: 'production', quantity: 1000 })).toBe(25_000n);
    expect(rateEvent({ family: 'rate_limiting', environment: 'production', quantity: 3n })).toBe(30n);
  });

  it.each(['sandbox', 'staging', 'console'] as const)('values %s usage at zero', (environment) => {
    expect(rateEvent({ family: 'email_validation', environment, quantity: 10n ** 12n })).toBe(0n);
  });

  it('is exact for huge quantities', () => {
    const quantity = 2n ** 80n + 7n;
    expect(rateEvent({ family: 'email_validation', environment: 'production', quantity })).toBe(quantity * 100n);
    expect(rateEvent({ family: 'waf', environment: 'production', quantity: Number.MAX_SAFE_INTEGER })).toBe(
      BigInt(Number.MAX_SAFE_INTEGER) * 25n,
    );
  });

  it('rejects a negative quantity', () => {
    expect(() => rateEvent({ family: 'waf', environment: 'production', quantity: -1 })).toThrow(DomainError);
  });
});

describe('rateBatch', () => {
  it('debits whole cents and carries the remainder', () => {
    // 3 × 25 = 75 thousandths: nothing to debit yet.
    const first = rateBatch([{ family: 'waf', environment: 'production', quantity: 3 }], { carryThousandths: 0n });
    expect(first).toEqual({ perEvent: [75n], debitCents: 0n, carryThousandths: 75n });
    // 75 + 40 × 24 = 1035 thousandths: one cent, 35 carried.
    const second = rateBatch([{ family: 'bot_protection', environment: 'production', quantity: 24 }], { carryThousandths: first.carryThousandths });
    expect(second).toEqual({ perEvent: [960n], debitCents: 1n, carryThousandths: 35n });
  });

  it('rates free environments to zero inside a mixed batch', () => {
    const rated = rateBatch(
      [
        { family: 'waf', environment: 'sandbox', quantity: 1_000_000 },
        { family: 'waf', environment: 'production', quantity: 1_000_000 },
        { family: 'waf', environment: 'console', quantity: 1_000_000 },
      ],
      { carryThousandths: 0n },
    );
    expect(rated).toEqual({ perEvent: [0n, 25_000_000n, 0n], debitCents: 25_000n, carryThousandths: 0n });
  });

  it('uses contract prices', () => {
    const rated = rateBatch([{ family: 'ip_intelligence', environment: 'production', quantity: 2000 }], {
      carryThousandths: 0n,
      contractPrices: { ip_intelligence: 45 },
    });
    expect(rated.debitCents).toBe(90n);
  });

  it('an empty batch keeps the carry', () => {
    expect(rateBatch([], { carryThousandths: 999n })).toEqual({ perEvent: [], debitCents: 0n, carryThousandths: 999n });
  });

  it('rejects a negative carry', () => {
    expect(() => rateBatch([], { carryThousandths: -1n })).toThrow(DomainError);
  });

  it('perEvent is the value of each event, in order', () => {
    fc.assert(
      fc.property(fc.array(arbEvent()), fc.option(arbContract, { nil: undefined }), (events, contractPrices) => {
        const rated = rateBatch(events, { carryThousandths: 0n, contractPrices });
        expect(rated.perEvent).toEqual(events.map((e) => rateEvent(e, contractPrices)));
        expect(rated.carryThousandths >= 0n && rated.carryThousandths < 1000n).toBe(true);
      }),
    );
  });

  it('no cent is lost or gained, however the same usage is split into batches', () => {
    fc.assert(
      fc.property(
        fc.array(arbEvent(), { maxLength: 60 }),
        fc.array(fc.nat(), { maxLength: 12 }),
        fc.option(arbContract, { nil: undefined }),
        (events, cuts, contractPrices) => {
          const exactThousandths = events.reduce((sum, e) => sum + rateEvent(e, contractPrices), 0n);
          let carry = 0n;
          let debited = 0n;
          for (const chunk of split(events, cuts)) {
            const rated = rateBatch(chunk, { carryThousandths: carry, contractPrices });
            expect(rated.debitCents >= 0n).toBe(true);
            expect(rated.carryThousandths >= 0n && rated.carryThousandths < 1000n).toBe(true);
            debited += rated.debitCents;
            carry = rated.carryThousandths;
          }
          // Σ debit + carry/1000 == Σ perEvent / 1000, exactly.
          expect(debited * 1000n + carry).toBe(exactThousandths);
          // And the whole cents debited never depend on the split.
          expect(debited).toBe(exactThousandths / 1000n);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('splitting never changes the debit, even one event per batch and with huge quantities', () => {
    fc.assert(
      fc.property(fc.array(arbEvent(Number.MAX_SAFE_INTEGER), { minLength: 1, maxLength: 30 }), (events) => {
        const whole = rateBatch(events, { carryThousandths: 0n });
        let carry = 0n;
        let debited = 0n;
        for (const e of events) {
          const rated = rateBatch([e], { carryThousandths: carry });
          debited += rated.debitCents;
          carry = rated.carryThousandths;
        }
        expect(debited).toBe(whole.debitCents);
        expect(carry).toBe(whole.carryThousandths);
      }),
    );
  });

  it('only production usage costs anything', () => {
    fc.assert(
      fc.property(fc.array(arbEvent()), (events) => {
        const free = events.filter((e) => e.environment !== 'production');
        const production = events.filter((e) => e.environment === 'production');
        expect(rateBatch(free, { carryThousandths: 0n }).debitCents).toBe(0n);
        expect(rateBatch(events, { carryThousandths: 0n })).toMatchObject({
          debitCents: rateBatch(production, { carryThousandths: 0n }).debitCents,
          carryThousandths: rateBatch(production, { carryThousandths: 0n }).carryThousandths,
        });
      }),
    );
  });
});
