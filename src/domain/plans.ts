// The rate card as code: the one source of truth for plans, prices and
// request families. Amounts are integer cents (USD).

export const PLAN_IDS = ['essential', 'plus', 'family', 'business', 'enterprise'] as const;
export type PlanId = (typeof PLAN_IDS)[number];

export const INTERVALS = ['month', 'year'] as const;
export type Interval = (typeof INTERVALS)[number];

export type Purchase = 'free' | 'self_serve' | 'sales_assisted';

export interface Plan {
  id: PlanId;
  name: string;
  purchase: Purchase;
  /** Public list prices in cents; null where the price is a contract. */
  prices: Record<Interval, number> | null;
  productionKeys: boolean;
  /** Number of production projects; null means unlimited. */
  productionProjects: number | null;
  summary: string;
}

export const PLANS: Record<PlanId, Plan> = {
  essential: {
    id: 'essential',
    name: 'Essential',
    purchase: 'free',
    prices: { month: 0, year: 0 },
    productionKeys: false,
    productionProjects: 0,
    summary: 'Sandbox keys, docs and test-mode traffic only.',
  },
  plus: {
    id: 'plus',
    name: 'Plus',
    purchase: 'self_serve',
    prices: { month: 2900, year: 29000 },
    productionKeys: true,
    productionProjects: 1,
    summary: 'Self-serve production keys with request-family usage billing.',
  },
  family: {
    id: 'family',
    name: 'Family',
    purchase: 'self_serve',
    prices: { month: 9900, year: 99000 },
    productionKeys: true,
    productionProjects: 10,
    summary: 'Shared production access across multiple projects on the same public rate card.',
  },
  business: {
    id: 'business',
    name: 'Business',
    purchase: 'self_serve',
    prices: { month: 49900, year: 499000 },
    productionKeys: true,
    productionProjects: null,
    summary: 'Team spend controls and production billing oversight.',
  },
  enterprise: {
    id: 'enterprise',
    name: 'Enterprise',
    purchase: 'sales_assisted',
    prices: null,
    productionKeys: true,
    productionProjects: null,
    summary: 'Contract pricing, custom credits and invoicing controls; sales-assisted only.',
  },
};

export function isPlanId(value: unknown): value is PlanId {
  return typeof value === 'string' && (PLAN_IDS as readonly string[]).includes(value);
}

export function isInterval(value: unknown): value is Interval {
  return typeof value === 'string' && (INTERVALS as readonly string[]).includes(value);
}

/** Stripe price lookup key for a self-serve plan, e.g. `plus_month`. */
export function lookupKey(planId: PlanId, interval: Interval): string {
  return `${planId}_${interval}`;
}

/** Inverse of lookupKey; null for keys that are not one of our plan prices. */
export function parseLookupKey(key: string | null | undefined): { planId: PlanId; interval: Interval } | null {
  if (!key) return null;
  const cut = key.lastIndexOf('_');
  const planId = key.slice(0, cut);
  const interval = key.slice(cut + 1);
  if (!isPlanId(planId) || !isInterval(interval) || PLANS[planId].purchase !== 'self_serve') return null;
  return { planId, interval };
}

export const REQUEST_FAMILIES = {
  rate_limiting: { group: 'frontend_protection', centsPer1000: 10 },
  waf: { group: 'frontend_protection', centsPer1000: 25 },
  signup_protection: { group: 'frontend_protection', centsPer1000: 50 },
  bot_protection: { group: 'frontend_protection', centsPer1000: 40 },
  ip_intelligence: { group: 'backend_verification', centsPer1000: 60 },
  email_validation: { group: 'backend_verification', centsPer1000: 100 },
} as const;
export type RequestFamily = keyof typeof REQUEST_FAMILIES;

export const ENVIRONMENTS = ['production', 'sandbox', 'staging', 'console'] as const;
export type Environment = (typeof ENVIRONMENTS)[number];
export const FREE_ENVIRONMENTS: readonly Environment[] = ['sandbox', 'staging', 'console'];

/** The public rate card as served by GET /v1/plans. */
export function rateCard() {
  return {
    currency: 'usd',
    plans: PLAN_IDS.map((id) => {
      const plan = PLANS[id];
      return {
        id,
        name: plan.name,
        purchase: plan.purchase,
        summary: plan.summary,
        productionKeys: plan.productionKeys,
        productionProjects: plan.productionProjects,
        prices:
          plan.purchase === 'sales_assisted' || !plan.prices
            ? []
            : INTERVALS.map((interval) => ({
                interval,
                amountCents: plan.prices![interval],
                lookupKey: plan.purchase === 'self_serve' ? lookupKey(id, interval) : null,
              })),
      };
    }),
    requestFamilies: Object.entries(REQUEST_FAMILIES).map(([id, f]) => ({
      id,
      group: f.group,
      centsPer1000Requests: f.centsPer1000,
    })),
    freeEnvironments: FREE_ENVIRONMENTS,
  };
}
