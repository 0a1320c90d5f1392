import fc from 'fast-check';
import { monthKey } from '../../src/domain/spend-rules';
import { CREDIT_KINDS, isSpendMonth, isValidCreditAmount } from '../../src/domain/wallet';

describe('spend months', () => {
  it('accepts every month key the workflow makes', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: Date.UTC(9999, 11, 31) }), (ms) => expect(isSpendMonth(monthKey(ms))).toBe(true)));
  });

  it.each(['2026-01', '2026-12', '1999-09'])('accepts %s', (month) => expect(isSpendMonth(month)).toBe(true));
  it.each(['2026-13', '2026-00', '2026-1', '26-01', '2026-01-01', '', null, 202601])('rejects %j', (month) =>
    expect(isSpendMonth(month)).toBe(false),
  );
});

describe('credit amounts', () => {
  it('top-ups and grants are positive whole cents', () => {
    for (const kind of ['top_up', 'grant'] as const) {
      expect(isValidCreditAmount(kind, 1)).toBe(true);
      for (const bad of [0, -1, 1.5, Number.NaN, Number.MAX_SAFE_INTEGER + 1]) expect(isValidCreditAmount(kind, bad)).toBe(false);
    }
  });

  it('adjustments go either way but are never zero', () => {
    expect(isValidCreditAmount('adjustment', -250)).toBe(true);
    expect(isValidCreditAmount('adjustment', 250)).toBe(true);
    expect(isValidCreditAmount('adjustment', 0)).toBe(false);
    expect(CREDIT_KINDS).not.toContain('usage');
  });
});
