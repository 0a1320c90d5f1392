// The back-test's pure part (src/domain/backtest.ts): the rate file's
// validation names every offending field; rating is exact, split-invariant
// (any paging gives the same cents and carry) and keeps contract prices;
// plan prices are compared per billing period.
import fc from 'fast-check';
import { backtestRequestSchema, createBacktest, rateProposalSchema, type BacktestRequest } from '../../src/domain/backtest';
import { ENVIRONMENTS, REQUEST_FAMILIES, type RequestFamily } from '../../src/domain/plans';
import { rateBatch, type RatableEvent } from '../../src/domain/rating';

const issues = (value: unknown) =>
  (backtestRequestSchema.safeParse(value).error?.issues ?? []).map((i) => ({ path: i.path.join('.'), message: i.message }));

describe('the rate proposal', () => {
  test('a valid proposal: unit prices for some families, plan prices for some plans and intervals', () => {
    expect(rateProposalSchema.parse({ requestFamilies: { waf: 30, email_validation: 0 }, plans: { plus: { month: 3900 } } })).toEqual({
      requestFamilies: { waf: 30, email_validation: 0 },
      plans: { plus: { month: 3900 } },
    });
    expect(rateProposalSchema.parse({})).toEqual({});
  });

  test('every malformed field is named, with what is wrong', () => {
    const found = issues({
      rates: { requestFamilies: { wafx: 1, bot_protection: -1, waf: 2.5, rate_limiting: '10' }, plans: { enterprise: { month: 1 }, plus: { week: 5, year: -2 } }, extra: true },
      from: 'yesterday',
      to: '2026-01-01T00:00:00Z',
      workspaceId: 'no spaces allowed',
    });
    const paths = found.map((i) => i.path).sort();
    expect(paths).toEqual(
      [
        'from',
        'rates',
        'rates.plans.enterprise',
        'rates.plans.plus',
        'rates.plans.plus.year',
        'rates.requestFamilies.bot_protection',
        'rates.requestFamilies.rate_limiting',
        'rates.requestFamilies.waf',
        'rates.requestFamilies.wafx',
        'workspaceId',
      ].sort(),
    );
    const message = (path: string) => found.find((i) => i.path === path)!.message;
    expect(message('rates.requestFamilies.wafx')).toMatch(/not a request family \(one of rate_limiting, waf/);
    expect(message('rates.requestFamilies.waf')).toMatch(/whole number of cents/);
    expect(message('rates.requestFamilies.bot_protection')).toMatch(/must not be negative/);
    expect(message('rates.plans.enterprise')).toMatch(/Enterprise prices are contracts/);
    expect(message('rates.plans.plus')).toMatch(/week/);
    expect(message('rates')).toMatch(/extra/);
  });

  test('a window with to at or before from is accepted (it is empty: the document cannot state a rule comparing two fields)', () => {
    expect(issues({ rates: {}, from: '2026-02-01T00:00:00Z', to: '2026-01-01T00:00:00Z' })).toEqual([]);
    expect(issues({ rates: {}, from: '2026-01-01T00:00:00Z', to: '2026-01-01T00:00:00Z' })).toEqual([]);
    expect(issues({ rates: {}, from: '2026-01-01T00:00:00Z', to: '2026-02-01T00:00:00Z' })).toEqual([]);
  });

  test('the rates are required and must be an object', () => {
    expect(issues({}).map((i) => i.path)).toEqual(['rates']);
    expect(issues({ rates: { requestFamilies: 5 } }).map((i) => i.path)).toEqual(['rates.requestFamilies']);
  });
});

const request = (rates: BacktestRequest['rates'], extra: Partial<BacktestRequest> = {}): BacktestRequest => ({ rates, ...extra });

describe('rating under the current and the proposed card', () => {
  test('exact cents and the remainder below a cent, per workspace; difference = proposed − current', () => {
    const b = createBacktest(request({ requestFamilies: { waf: 30, email_validation: 90 } }));
    b.rate('ws_a', [
      { family: 'waf', environment: 'production', quantity: 1000 }, // 25,000 → 30,000 thousandths
      { family: 'waf', environment: 'production', quantity: 3 }, // 75 → 90
      { family: 'email_validation', environment: 'production', quantity: 2500 }, // 250,000 → 225,000
      { family: 'bot_protection', environment: 'sandbox', quantity: 1_000_000 }, // free
    ], {});
    const result = b.result();
    expect(result.workspaces).toEqual([
      {
        workspaceId: 'ws_a',
        events: 4,
        productionEvents: 3,
        contractPrices: false,
        current: { cents: 275, carryThousandths: 75 },
        proposed: { cents: 255, carryThousandths: 90 },
        differenceCents: -20,
        plan: null,
      },
    ]);
    expect(result.totals).toEqual({ workspaces: 1, events: 4, usage: { currentCents: 275, proposedCents: 255, differenceCents: -20 }, plans: null });
  });

  test('Enterprise contract prices stay in force; unpriced families follow the proposal', () => {
    const b = createBacktest(request({ requestFamilies: { waf: 30, email_validation: 90 } }));
    b.rate('ent', [
      { family: 'waf', environment: 'production', quantity: 10_000 }, // contract 12: 120 ¢ both ways
      { family: 'email_validation', environment: 'production', quantity: 1000 }, // public 100 → proposed 90
    ], { waf: 12 });
    const [line] = b.result().workspaces;
    expect(line).toMatchObject({ contractPrices: true, current: { cents: 220, carryThousandths: 0 }, proposed: { cents: 210, carryThousandths: 0 }, differenceCents: -10 });
  });

  test('plan prices per billing period, by interval; plans not proposed keep their price', () => {
    const b = createBacktest(request({ plans: { plus: { month: 3900 }, business: { year: 450_000 } } }));
    b.subscription('a', 'plus', 'month');
    b.subscription('b', 'plus', 'year');
    b.subscription('c', 'business', 'year');
    b.subscription('d', 'family', 'month');
    const r = b.result();
    expect(r.workspaces.map((w) => [w.workspaceId, w.plan])).toEqual([
      ['a', { planId: 'plus', interval: 'month', currentCents: 2900, proposedCents: 3900, differenceCents: 1000 }],
      ['b', { planId: 'plus', interval: 'year', currentCents: 29000, proposedCents: 29000, differenceCents: 0 }],
      ['c', { planId: 'business', interval: 'year', currentCents: 499000, proposedCents: 450000, differenceCents: -49000 }],
      ['d', { planId: 'family', interval: 'month', currentCents: 9900, proposedCents: 9900, differenceCents: 0 }],
    ]);
    expect(r.totals.plans).toEqual({
      month: { subscriptions: 2, currentCents: 12800, proposedCents: 13800, differenceCents: 1000 },
      year: { subscriptions: 2, currentCents: 528000, proposedCents: 479000, differenceCents: -49000 },
    });
  });

  test('without proposed plan prices, subscriptions add no plan lines', () => {
    const b = createBacktest(request({ requestFamilies: { waf: 1 } }));
    b.subscription('a', 'plus', 'month');
    expect(b.result()).toMatchObject({ workspaces: [], totals: { plans: null } });
  });
});

const FAMILIES = Object.keys(REQUEST_FAMILIES) as RequestFamily[];
const eventArb: fc.Arbitrary<RatableEvent & { workspaceId: string }> = fc.record({
  workspaceId: fc.constantFrom('a', 'b', 'c'),
  family: fc.constantFrom(...FAMILIES),
  environment: fc.constantFrom(...ENVIRONMENTS),
  quantity: fc.integer({ min: 0, max: 10_000_000 }),
});
const pricesArb = fc.dictionary(fc.constantFrom(...FAMILIES), fc.integer({ min: 0, max: 1000 }));

test('property: any paging of the same usage gives the same cents and carry as rating it at once', () => {
  fc.assert(
    fc.property(fc.array(eventArb, { maxLength: 60 }), pricesArb, pricesArb, fc.integer({ min: 1, max: 20 }), (events, proposed, contract, pageSize) => {
      const paged = createBacktest(request({ requestFamilies: proposed }));
      for (let i = 0; i < events.length; i += pageSize) {
        const page = events.slice(i, i + pageSize);
        for (const ws of ['a', 'b', 'c']) {
          const mine = page.filter((e) => e.workspaceId === ws);
          if (mine.length > 0) paged.rate(ws, mine, ws === 'c' ? contract : {});
        }
      }
      for (const line of paged.result().workspaces) {
        const mine = events.filter((e) => e.workspaceId === line.workspaceId);
        const contractOf = line.workspaceId === 'c' ? contract : {};
        const current = rateBatch(mine, { carryThousandths: 0n, contractPrices: contractOf });
        const next = rateBatch(mine, { carryThousandths: 0n, contractPrices: { ...proposed, ...contractOf } });
        expect(line.current).toEqual({ cents: Number(current.debitCents), carryThousandths: Number(current.carryThousandths) });
        expect(line.proposed).toEqual({ cents: Number(next.debitCents), carryThousandths: Number(next.carryThousandths) });
      }
    }),
  );
});

test('property: proposing today\'s prices changes nothing', () => {
  const today = Object.fromEntries(FAMILIES.map((f) => [f, REQUEST_FAMILIES[f].centsPer1000]));
  fc.assert(
    fc.property(fc.array(eventArb, { maxLength: 40 }), (events) => {
      const b = createBacktest(request({ requestFamilies: today }));
      for (const ws of ['a', 'b', 'c']) b.rate(ws, events.filter((e) => e.workspaceId === ws), {});
      const r = b.result();
      expect(r.totals.usage.differenceCents).toBe(0);
      for (const w of r.workspaces) expect(w.proposed).toEqual(w.current);
    }),
  );
});
