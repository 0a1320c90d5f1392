// Business oversight (src/domain/spend-oversight.ts): the answer with and
// without controls, and "the cap blocks" judged by the gate's own rule.
import { evaluateProductionAccess } from '../../src/domain/access';
import { spendOversight, spendOversightSchema, type SpendOversightInput } from '../../src/domain/spend-oversight';

const NOV = Date.parse('2026-11-29T12:00:00Z');
const DEC = Date.parse('2026-12-01T00:00:00Z');
const controls = { monthlyCapCents: 10_000, alertThresholdsPercent: [80, 50], action: 'block' as const, blockedMonth: '2026-11' };
const input = (overrides: Partial<SpendOversightInput> = {}): SpendOversightInput => ({
  workspaceId: 'acme',
  planId: 'business',
  controls,
  spentCents: 10_250,
  alerts: [
    { thresholdPercent: 80, reachedAt: Date.parse('2026-11-20T08:00:00Z'), spentCents: 8_100, capCents: 10_000 },
    { thresholdPercent: 50, reachedAt: Date.parse('2026-11-10T08:00:00Z'), spentCents: 5_000, capCents: 10_000 },
  ],
  ...overrides,
});

test('controls, month-to-date spend, the alerts in the order they fired, and the block', () => {
  const view = spendOversightSchema.parse(spendOversight(input(), NOV));
  expect(view).toEqual({
    workspaceId: 'acme',
    planId: 'business',
    available: true,
    controls: { monthlyCapCents: 10_000, alertThresholdsPercent: [50, 80], action: 'block' },
    month: '2026-11',
    spentCents: 10_250,
    remainingCents: -250,
    alerts: [
      { thresholdPercent: 50, reachedAt: '2026-11-10T08:00:00.000Z', spentCents: 5_000, capCents: 10_000 },
      { thresholdPercent: 80, reachedAt: '2026-11-20T08:00:00.000Z', spentCents: 8_100, capCents: 10_000 },
    ],
    capBlocks: true,
  });
});

test('without controls: controls null, nothing remaining, never blocks', () => {
  const view = spendOversight(input({ controls: null, alerts: [], spentCents: 300 }), NOV);
  expect(view).toMatchObject({ controls: null, remainingCents: null, alerts: [], capBlocks: false, spentCents: 300, available: true });
  expect(spendOversight(input({ planId: 'essential', controls: null, alerts: [], spentCents: 0 }), NOV)).toMatchObject({ available: false, capBlocks: false });
});

test('capBlocks is exactly what the gate answers as spend_cap_reached', () => {
  const cases: [SpendOversightInput, number][] = [
    [input(), NOV],
    [input(), DEC], // the block was for November: lifted at the month boundary by the clock
    [input({ controls: { ...controls, action: 'alert', blockedMonth: null } }), NOV],
    [input({ controls: { ...controls, blockedMonth: null } }), NOV],
    [input({ planId: 'plus' }), NOV], // downgraded: stored controls no longer apply
  ];
  for (const [i, nowMs] of cases) {
    const gate = evaluateProductionAccess({
      planId: i.planId,
      mode: 'self_serve',
      wallet: { balanceCents: 10_000, minimumCents: 0 },
      nowMs,
      spendControl: i.controls ? { action: i.controls.action, blockedMonth: i.controls.blockedMonth } : null,
    });
    expect(spendOversight(i, nowMs).capBlocks).toBe(gate.reasons.includes('spend_cap_reached'));
  }
  expect(spendOversight(input(), DEC).capBlocks).toBe(false);
  expect(spendOversight(input(), NOV).capBlocks).toBe(true);
});
