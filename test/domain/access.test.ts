import fc from 'fast-check';
import { accessAnswer, evaluateProductionAccess, projectWithinLimit, utcMonth, type AccessEnvironment, type ProductionAccessInput } from '../../src/domain/access';
import { evaluateWorkspace } from '../../src/domain/billing-evaluation';
import type { BillingMode } from '../../src/domain/billing-state';
import { PLAN_IDS, type PlanId } from '../../src/domain/plans';

const MODES: BillingMode[] = ['self_serve', 'checkout_pending', 'billing_recovery', 'enforced_recovery', 'sales_assisted'];
const ok = { balanceCents: 1000, minimumCents: 1000 };

/** The gate's answer for a production decision and an optional grace end, as the access service builds it. */
function answer({ environment, graceEndsAt, ...input }: ProductionAccessInput & { environment: AccessEnvironment; graceEndsAt: number | null }) {
  const grace = graceEndsAt === null ? null : { startedAt: graceEndsAt - 7 * 86_400_000, endsAt: graceEndsAt, expired: false };
  return accessAnswer({ grace, production: evaluateProductionAccess(input) }, environment);
}

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

describe('project limits (Plus 1, Family 10, Business and Enterprise unlimited)', () => {
  const base = { mode: 'self_serve' as BillingMode, wallet: ok };

  it('a new project needs a free place; a registered one keeps its place', () => {
    expect(evaluateProductionAccess({ ...base, planId: 'plus', project: { rank: null, count: 0 } })).toEqual({ allowed: true, reasons: [] });
    expect(evaluateProductionAccess({ ...base, planId: 'plus', project: { rank: 0, count: 1 } })).toEqual({ allowed: true, reasons: [] });
    expect(evaluateProductionAccess({ ...base, planId: 'plus', project: { rank: null, count: 1 } })).toEqual({ allowed: false, reasons: ['project_limit'] });
    expect(evaluateProductionAccess({ ...base, planId: 'family', project: { rank: null, count: 9 } }).allowed).toBe(true);
    expect(evaluateProductionAccess({ ...base, planId: 'family', project: { rank: null, count: 10 } }).reasons).toEqual(['project_limit']);
    expect(evaluateProductionAccess({ ...base, planId: 'family', project: { rank: 9, count: 10 } }).allowed).toBe(true);
  });

  it.each(['business', 'enterprise'] as PlanId[])('%s has no project limit', (planId) => {
    expect(evaluateProductionAccess({ ...base, planId, project: { rank: null, count: 10_000 } })).toEqual({ allowed: true, reasons: [] });
  });

  it('after a downgrade the earliest projects keep production access, the rest are over the limit', () => {
    // Family with 3 production projects moves to Plus: only the first stays.
    expect(projectWithinLimit('plus', { rank: 0, count: 3 })).toBe(true);
    expect(projectWithinLimit('plus', { rank: 1, count: 3 })).toBe(false);
    expect(evaluateProductionAccess({ ...base, planId: 'plus', project: { rank: 2, count: 3 } }).reasons).toEqual(['project_limit']);
  });

  it('is not evaluated without a project (the /billing view) nor for a plan without production keys', () => {
    expect(evaluateProductionAccess({ ...base, planId: 'plus' }).allowed).toBe(true);
    expect(evaluateProductionAccess({ ...base, planId: 'essential', project: { rank: null, count: 0 } }).reasons).toEqual(['plan_not_production_capable']);
  });
});

describe('Business spend cap', () => {
  const nov = Date.parse('2026-11-30T23:59:59.999Z');
  const dec = Date.parse('2026-12-01T00:00:00.000Z');
  const base = { mode: 'self_serve' as BillingMode, wallet: ok };

  it('utcMonth is the UTC calendar month', () => {
    expect(utcMonth(nov)).toBe('2026-11');
    expect(utcMonth(dec)).toBe('2026-12');
  });

  it('blocks a Business workspace whose block is for the current UTC month', () => {
    const spendControl = { action: 'block', blockedMonth: '2026-11' };
    expect(evaluateProductionAccess({ ...base, planId: 'business', spendControl, nowMs: nov })).toEqual({ allowed: false, reasons: ['spend_cap_reached'] });
    // A new month starts unblocked, whatever the stored month says.
    expect(evaluateProductionAccess({ ...base, planId: 'business', spendControl, nowMs: dec })).toEqual({ allowed: true, reasons: [] });
  });

  it('alert-only controls, cleared blocks and other plans never block', () => {
    expect(evaluateProductionAccess({ ...base, planId: 'business', spendControl: { action: 'alert', blockedMonth: '2026-11' }, nowMs: nov }).allowed).toBe(true);
    expect(evaluateProductionAccess({ ...base, planId: 'business', spendControl: { action: 'block', blockedMonth: null }, nowMs: nov }).allowed).toBe(true);
    expect(evaluateProductionAccess({ ...base, planId: 'plus', spendControl: { action: 'block', blockedMonth: '2026-11' }, nowMs: nov }).allowed).toBe(true);
  });
});

describe('grace expiry by the clock (the evaluation the gate uses)', () => {
  const endsAt = Date.parse('2026-11-20T12:00:00.000Z');
  const snapshot = (expired: boolean) => ({
    billing: { planId: 'plus' as PlanId, status: 'past_due' as const, grace: { startedAt: endsAt - 7 * 86_400_000, endsAt, expired }, invoiceRecoveryAt: null, checkoutExpiresAt: null },
    wallet: ok,
    spendControl: null,
  });

  it('an open window blocks as enforced_recovery from its end on, even before the workflow wrote the mode', () => {
    expect(evaluateWorkspace(snapshot(false), endsAt - 1).production.allowed).toBe(true);
    expect(evaluateWorkspace(snapshot(false), endsAt)).toMatchObject({ mode: 'enforced_recovery', grace: { expired: true }, production: { reasons: ['enforced_recovery'] } });
  });

  it('the recorded expiry and the clock never report enforced_recovery twice', () => {
    expect(evaluateWorkspace(snapshot(true), endsAt + 1).production.reasons).toEqual(['enforced_recovery']);
  });
});

describe('accessAnswer', () => {
  const nowMs = Date.parse('2026-11-15T00:00:00.000Z');

  it('lists every failing reason together, in a stable order', () => {
    const low = { balanceCents: 0, minimumCents: 1000 };
    expect(
      answer({ environment: 'production', planId: 'plus', mode: 'enforced_recovery', wallet: low, graceEndsAt: null, nowMs, project: { rank: null, count: 1 } }),
    ).toEqual({ allowed: false, reasons: ['wallet_below_minimum', 'enforced_recovery', 'project_limit'] });
    expect(
      answer({
        environment: 'production',
        planId: 'business',
        mode: 'enforced_recovery',
        wallet: low,
        graceEndsAt: null,
        nowMs,
        spendControl: { action: 'block', blockedMonth: '2026-11' },
        project: { rank: null, count: 50 },
      }),
    ).toEqual({ allowed: false, reasons: ['wallet_below_minimum', 'enforced_recovery', 'spend_cap_reached'] });
  });

  it('non-production environments are always allowed, and carry the grace end', () => {
    const graceEndsAt = nowMs - 1000;
    for (const environment of ['sandbox', 'staging', 'console'] as const) {
      expect(
        answer({
          environment,
          planId: 'essential',
          mode: 'enforced_recovery',
          wallet: { balanceCents: -5, minimumCents: 1000 },
          graceEndsAt,
          nowMs,
          project: { rank: null, count: 0 },
        }),
      ).toEqual({ allowed: true, reasons: [], graceEndsAt: new Date(graceEndsAt).toISOString() });
    }
  });

  it('property: allowed exactly when there are no reasons; each reason matches its condition', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...PLAN_IDS),
        fc.constantFrom(...MODES),
        fc.integer({ min: -100, max: 100 }),
        fc.option(fc.integer({ min: 0, max: 20 })),
        fc.integer({ min: 0, max: 20 }),
        fc.constantFrom('alert', 'block'),
        fc.option(fc.constantFrom('2026-10', '2026-11')),
        (planId, mode, balanceCents, rank, extra, action, blockedMonth) => {
          const count = (rank ?? 0) + extra;
          const d = answer({
            environment: 'production',
            planId,
            mode,
            wallet: { balanceCents, minimumCents: 0 },
            graceEndsAt: null,
            nowMs,
            spendControl: { action, blockedMonth },
            project: { rank, count },
          });
          const limit = { essential: 0, plus: 1, family: 10, business: Infinity, enterprise: Infinity }[planId];
          expect(d.allowed).toBe(d.reasons.length === 0);
          expect(d.reasons.includes('project_limit')).toBe(planId !== 'essential' && (rank !== null ? rank >= limit : count >= limit));
          expect(d.reasons.includes('spend_cap_reached')).toBe(planId === 'business' && action === 'block' && blockedMonth === '2026-11');
          expect(d.reasons.includes('wallet_below_minimum')).toBe(balanceCents < 0);
        },
      ),
    );
  });
});

