import {
  ENVIRONMENTS,
  FREE_ENVIRONMENTS,
  INTERVALS,
  PLANS,
  PLAN_IDS,
  REQUEST_FAMILIES,
  isInterval,
  isPlanId,
  lookupKey,
  parseLookupKey,
  rateCard,
  type Interval,
  type PlanId,
} from '../../src/domain/plans';

// The rate card of the spec (cents, USD), restated here independently of the code.
const SPEC_PRICES: Record<'plus' | 'family' | 'business', Record<Interval, number>> = {
  plus: { month: 2900, year: 29000 },
  family: { month: 9900, year: 99000 },
  business: { month: 49900, year: 499000 },
};
const SPEC_PRODUCTION_PROJECTS: Record<PlanId, number | null> = {
  essential: 0,
  plus: 1,
  family: 10,
  business: null,
  enterprise: null,
};
const SPEC_REQUEST_FAMILIES: Record<string, { group: string; cents: number }> = {
  rate_limiting: { group: 'frontend_protection', cents: 10 },
  waf: { group: 'frontend_protection', cents: 25 },
  signup_protection: { group: 'frontend_protection', cents: 50 },
  bot_protection: { group: 'frontend_protection', cents: 40 },
  ip_intelligence: { group: 'backend_verification', cents: 60 },
  email_validation: { group: 'backend_verification', cents: 100 },
};
const SELF_SERVE = ['plus', 'family', 'business'] as const;

describe('plans (rate card as code)', () => {
  it('defines exactly the five plans of the spec, in price order', () => {
    expect([...PLAN_IDS]).toEqual(['essential', 'plus', 'family', 'business', 'enterprise']);
    expect([...INTERVALS]).toEqual(['month', 'year']);
    for (const id of PLAN_IDS) expect(PLANS[id].id).toBe(id);
  });

  it.each(SELF_SERVE)('%s is self-serve with the spec month and year prices', (id) => {
    const plan = PLANS[id];
    expect(plan.purchase).toBe('self_serve');
    expect(plan.prices).toEqual(SPEC_PRICES[id]);
    expect(plan.productionKeys).toBe(true);
  });

  it('all amounts are non-negative integer cents', () => {
    for (const id of PLAN_IDS) {
      const prices = PLANS[id].prices;
      if (!prices) continue;
      for (const interval of INTERVALS) {
        expect(Number.isInteger(prices[interval])).toBe(true);
        expect(prices[interval]).toBeGreaterThanOrEqual(0);
      }
    }
  });

  it('essential is free, costs 0, has no production keys or projects', () => {
    expect(PLANS.essential.purchase).toBe('free');
    expect(PLANS.essential.prices).toEqual({ month: 0, year: 0 });
    expect(PLANS.essential.productionKeys).toBe(false);
    expect(PLANS.essential.productionProjects).toBe(0);
  });

  it('enterprise is sales-assisted with contract (no) prices and production keys', () => {
    expect(PLANS.enterprise.purchase).toBe('sales_assisted');
    expect(PLANS.enterprise.prices).toBeNull();
    expect(PLANS.enterprise.productionKeys).toBe(true);
  });

  it.each(PLAN_IDS)('%s has the production project allowance of the spec', (id) => {
    expect(PLANS[id].productionProjects).toBe(SPEC_PRODUCTION_PROJECTS[id]);
  });

  describe('lookup keys', () => {
    it.each(SELF_SERVE.flatMap((p) => INTERVALS.map((i) => [p, i] as const)))('%s/%s → <plan>_<interval>', (p, i) => {
      expect(lookupKey(p, i)).toBe(`${p}_${i}`);
      expect(parseLookupKey(lookupKey(p, i))).toEqual({ planId: p, interval: i });
    });

    it.each([
      'essential_month',
      'essential_year',
      'enterprise_month',
      'enterprise_year',
      'plus_week',
      'plus_day',
      'gold_month',
      'plus',
      'month',
      'plusmonth',
      'plus-month',
      'plus_month_extra',
      '_month',
      'plus_',
      '_',
      'PLUS_MONTH',
      'Plus_month',
      ' plus_month',
      '',
    ])('rejects %j', (key) => {
      expect(parseLookupKey(key)).toBeNull();
    });

    it('rejects null and undefined', () => {
      expect(parseLookupKey(null)).toBeNull();
      expect(parseLookupKey(undefined)).toBeNull();
    });
  });

  it('isPlanId / isInterval accept only known strings', () => {
    for (const id of PLAN_IDS) expect(isPlanId(id)).toBe(true);
    for (const bad of ['gold', 'Plus', '', null, undefined, 1, {}]) expect(isPlanId(bad)).toBe(false);
    expect(isInterval('month')).toBe(true);
    expect(isInterval('year')).toBe(true);
    for (const bad of ['week', 'Month', '', null, 30]) expect(isInterval(bad)).toBe(false);
  });

  it('request families carry the spec unit prices per 1,000 requests', () => {
    expect(Object.keys(REQUEST_FAMILIES).sort()).toEqual(Object.keys(SPEC_REQUEST_FAMILIES).sort());
    for (const [id, spec] of Object.entries(SPEC_REQUEST_FAMILIES)) {
      const family = REQUEST_FAMILIES[id as keyof typeof REQUEST_FAMILIES];
      expect(family.centsPer1000).toBe(spec.cents);
      expect(family.group).toBe(spec.group);
    }
  });

  it('only production traffic is billable: sandbox, staging and console are free', () => {
    expect([...ENVIRONMENTS].sort()).toEqual(['console', 'production', 'sandbox', 'staging']);
    expect([...FREE_ENVIRONMENTS].sort()).toEqual(['console', 'sandbox', 'staging']);
    expect(FREE_ENVIRONMENTS).not.toContain('production');
  });

  describe('rateCard()', () => {
    const card = rateCard();

    it('is in USD and lists every plan in order', () => {
      expect(card.currency).toBe('usd');
      expect(card.plans.map((p) => p.id)).toEqual([...PLAN_IDS]);
    });

    it.each(SELF_SERVE)('%s lists month and year prices with lookup keys', (id) => {
      const plan = card.plans.find((p) => p.id === id)!;
      expect(plan.purchase).toBe('self_serve');
      expect(plan.prices).toEqual([
        { interval: 'month', amountCents: SPEC_PRICES[id].month, lookupKey: `${id}_month` },
        { interval: 'year', amountCents: SPEC_PRICES[id].year, lookupKey: `${id}_year` },
      ]);
    });

    it('essential lists zero prices without lookup keys (it never goes through checkout)', () => {
      const plan = card.plans.find((p) => p.id === 'essential')!;
      expect(plan.prices).toEqual([
        { interval: 'month', amountCents: 0, lookupKey: null },
        { interval: 'year', amountCents: 0, lookupKey: null },
      ]);
    });

    it('enterprise lists no prices', () => {
      const plan = card.plans.find((p) => p.id === 'enterprise')!;
      expect(plan.purchase).toBe('sales_assisted');
      expect(plan.prices).toEqual([]);
    });

    it('every lookup key it publishes parses back to its plan and interval', () => {
      for (const plan of card.plans) {
        for (const price of plan.prices) {
          if (price.lookupKey === null) continue;
          expect(parseLookupKey(price.lookupKey)).toEqual({ planId: plan.id, interval: price.interval });
        }
      }
    });

    it('publishes production capability and project allowance', () => {
      for (const plan of card.plans) {
        expect(plan.productionKeys).toBe(PLANS[plan.id].productionKeys);
        expect(plan.productionProjects).toBe(SPEC_PRODUCTION_PROJECTS[plan.id]);
        expect(typeof plan.name).toBe('string');
        expect(plan.summary.length).toBeGreaterThan(0);
      }
    });

    it('lists request families with their unit prices, and the free environments', () => {
      expect(card.requestFamilies).toHaveLength(6);
      for (const f of card.requestFamilies) {
        expect(f.centsPer1000Requests).toBe(SPEC_REQUEST_FAMILIES[f.id].cents);
        expect(f.group).toBe(SPEC_REQUEST_FAMILIES[f.id].group);
      }
      expect([...card.freeEnvironments].sort()).toEqual(['console', 'sandbox', 'staging']);
    });

    it('is JSON-serialisable without loss', () => {
      expect(JSON.parse(JSON.stringify(card))).toEqual(card);
    });
  });
});
