import fc from 'fast-check';
import { evaluateProductionAccess } from '../../src/domain/access';
import type { BillingMode } from '../../src/domain/billing-state';
import { PLAN_IDS, type PlanId } from '../../src/domain/plans';

const MODES: BillingMode[] = ['self_serve', 'checkout_pending', 'billing_recovery', 'enforced_recovery', 'sales_assisted'];
const ok = { balanceCents: 1000, minimumCents: 1000 };

describe('evaluateProductionAccess', () => {
  it.each(['plus', 'family', 'business', 'enterprise'] as PlanId[])('allows a production-capable plan (%s) with enough credit', (planId) => {
    expect(evaluateProductionAccess({ planId, mode: 'self_serve', wallet: ok })).toEqual({ allowed: true, reasons: [] });
  });

  it('essential is never production capable', () => {
    expect(evaluateProductionAccess({ planId: 'essential', mode: 'self_serve', wallet: { balanceCents: 1_000_000, minimumCents: 0 } })).toEqual({
      allowed: false,
      reasons: ['plan_not_production_capable'],
    });
  });

  it('the wallet must be at least the minimum (equal is enough)', () => {
    expect(evaluateProductionAccess({ planId: 'plus', mode: 'self_serve', wallet: { balanceCents: 999, minimumCents: 1000 } })).toEqual({
      allowed: false,
      reasons: ['wallet_below_minimum'],
    });
    expect(evaluateProductionAccess({ planId: 'plus', mode: 'self_serve', wallet: { balanceCents: 1000, minimumCents: 1000 } }).allowed).toBe(true);
    expect(evaluateProductionAccess({ planId: 'plus', mode: 'self_serve', wallet: { balanceCents: 0, minimumCents: 0 } }).allowed).toBe(true);
  });

  it('a negative balance is below any non-negative minimum', () => {
    expect(evaluateProductionAccess({ planId: 'plus', mode: 'self_serve', wallet: { balanceCents: -1, minimumCents: 0 } }).reasons).toEqual([
      'wallet_below_minimum',
    ]);
  });

  it('enforced recovery blocks production', () => {
    expect(evaluateProductionAccess({ planId: 'business', mode: 'enforced_recovery', wallet: ok })).toEqual({
      allowed: false,
      reasons: ['enforced_recovery'],
    });
  });

  it.each(['self_serve', 'checkout_pending', 'billing_recovery', 'sales_assisted'] as BillingMode[])('mode %s does not block by itself', (mode) => {
    expect(evaluateProductionAccess({ planId: 'plus', mode, wallet: ok }).allowed).toBe(true);
  });

  it('lists every failing reason together, in a stable order', () => {
    expect(evaluateProductionAccess({ planId: 'essential', mode: 'enforced_recovery', wallet: { balanceCents: 0, minimumCents: 1000 } })).toEqual({
      allowed: false,
      reasons: ['plan_not_production_capable', 'wallet_below_minimum', 'enforced_recovery'],
    });
  });

  it('property: allowed exactly when there are no reasons, and each reason matches its condition', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...PLAN_IDS),
        fc.constantFrom(...MODES),
        fc.integer({ min: -10_000, max: 10_000 }),
        fc.integer({ min: 0, max: 10_000 }),
        (planId, mode, balanceCents, minimumCents) => {
          const d = evaluateProductionAccess({ planId, mode, wallet: { balanceCents, minimumCents } });
          expect(d.allowed).toBe(d.reasons.length === 0);
          expect(d.reasons.includes('plan_not_production_capable')).toBe(planId === 'essential');
          expect(d.reasons.includes('wallet_below_minimum')).toBe(balanceCents < minimumCents);
          expect(d.reasons.includes('enforced_recovery')).toBe(mode === 'enforced_recovery');
          expect(new Set(d.reasons).size).toBe(d.reasons.length);
        },
      ),
    );
  });
});
