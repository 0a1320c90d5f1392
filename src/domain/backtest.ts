// Rate-card back-test: recorded usage re-rated under a proposed rate card
// with the engine's own exact rating (rating.ts), beside what the current
// card charges for the same usage, per workspace and in total, in cents.
//
// Decisions:
// - Each workspace is rated like its wallet is: its events in recording
//   order (seq), in pages, through rateBatch with the sub-cent carry threaded
//   from page to page, starting from a zero carry at the window's start. So
//   "current" is exactly what the real rating path debits for that usage
//   rated from a zero carry, for any page or batch split (property-tested
//   against rateAndDebitUsage), and the remainder left below one cent is
//   reported (thousandths of a cent), never rounded into the cents.
// - Enterprise contract prices stay in force under the proposal: a public
//   rate-card change does not rewrite a signed contract. Families the
//   contract does not price follow the proposed public price, exactly as
//   they follow the public card in rating today.
// - Plan prices (optional) are compared per billing period for each
//   workspace holding a self-serve subscription (active or past_due) at its
//   current plan and interval; Enterprise subscription prices are contracts
//   and are not re-priced. Plan and usage totals are kept apart.
import { z } from 'zod';
import { DomainError } from './errors';
import { INTERVALS, PLANS, REQUEST_FAMILIES, type Interval, type PlanId, type RequestFamily } from './plans';
import { rateBatch, type ContractPrices, type RatableEvent } from './rating';
import { workspaceIdSchema } from './schemas';

const FAMILIES = Object.keys(REQUEST_FAMILIES) as [RequestFamily, ...RequestFamily[]];
const PRICED_PLANS = ['plus', 'family', 'business'] as const satisfies readonly PlanId[];
type PricedPlan = (typeof PRICED_PLANS)[number];

const unitPriceSchema = z.int({ error: 'must be a whole number of cents per 1,000 requests' }).min(0, 'must not be negative').max(1_000_000, 'must be at most 1,000,000');
const planPriceSchema = z.int({ error: 'must be a whole number of cents' }).min(0, 'must not be negative').max(100_000_000, 'must be at most 100,000,000');

/** A proposed rate card: unit prices per request family, optionally plan list prices; anything absent keeps today's price. */
export const rateProposalSchema = z.strictObject({
  requestFamilies: z
    .partialRecord(z.enum(FAMILIES), unitPriceSchema, {
      error: (issue) => (issue.code === 'invalid_key' ? `is not a request family (one of ${FAMILIES.join(', ')})` : 'must be an object of cents per 1,000 requests by family'),
    })
    // Only the families: additionalProperties false states what the partial record enforces.
    .meta({ additionalProperties: false })
    .optional()
    .describe('Cents per 1,000 requests, per family'),
  plans: z
    .partialRecord(z.enum(PRICED_PLANS), z.strictObject({ month: planPriceSchema.optional(), year: planPriceSchema.optional() }), {
      error: (issue) =>
        issue.code === 'invalid_key'
          ? `has no list price to change (self-serve plans: ${PRICED_PLANS.join(', ')}; Enterprise prices are contracts, Essential is free)`
          : 'must be an object of { month?, year } prices in cents by plan',
    })
    .meta({ additionalProperties: false })
    .optional()
    .describe('List prices in cents per billing period'),
});
export type RateProposal = z.infer<typeof rateProposalSchema>;

const isoDate = z.iso.datetime({ offset: true, error: 'must be an ISO 8601 date-time with Z or an offset' });

export const backtestRequestSchema = z.strictObject({
    rates: rateProposalSchema,
    from: isoDate.optional().describe('Usage that occurred at or after this time (default: all)'),
    to: isoDate.optional().describe('Usage that occurred before this time (default: all)'),
    workspaceId: workspaceIdSchema.optional().describe('Only this workspace'),
  })
;
// A window with to at or before from is empty (no usage is rated), not an error: JSON Schema cannot compare two fields, and the document states every rule.
export type BacktestRequest = z.infer<typeof backtestRequestSchema>;

const rated = z.object({
  cents: z.number().int().describe('Whole cents debited'),
  carryThousandths: z.number().int().min(0).max(999).describe('Remainder below one cent left at the end (thousandths of a cent)'),
});
const comparison = z.object({ currentCents: z.number().int(), proposedCents: z.number().int(), differenceCents: z.number().int().describe('proposed − current') });

export const backtestResultSchema = z.object({
  window: z.object({ from: isoDate.nullable(), to: isoDate.nullable() }),
  workspaceId: z.string().nullable(),
  rates: rateProposalSchema,
  workspaces: z.array(
    z.object({
      workspaceId: z.string(),
      events: z.number().int().describe('Usage events in the window (all environments)'),
      productionEvents: z.number().int(),
      contractPrices: z.boolean().describe('Enterprise contract prices applied (kept under the proposal)'),
      current: rated,
      proposed: rated,
      differenceCents: z.number().int().describe('proposed.cents − current.cents'),
      plan: z
        .object({ planId: z.enum(PRICED_PLANS), interval: z.enum(INTERVALS) })
        .extend(comparison.shape)
        .nullable()
        .describe('Per billing period, when plan prices are proposed and the workspace holds a self-serve subscription'),
    }),
  ),
  totals: z.object({
    workspaces: z.number().int(),
    events: z.number().int(),
    usage: comparison.describe('Sum of the workspaces\' whole cents (carries stay per workspace)'),
    plans: z
      .object({ month: comparison.extend({ subscriptions: z.number().int() }), year: comparison.extend({ subscriptions: z.number().int() }) })
      .nullable()
      .describe('Per billing period, by interval; null when no plan prices are proposed'),
  }),
});
export type BacktestResult = z.infer<typeof backtestResultSchema>;

export interface UsageRow extends RatableEvent {
  workspaceId: string;
}

interface Running {
  events: number;
  productionEvents: number;
  contract: ContractPrices;
  current: { cents: bigint; carry: bigint };
  proposed: { cents: bigint; carry: bigint };
  plan: { planId: PricedPlan; interval: Interval } | null;
}

function safe(value: bigint, what: string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n)) throw new DomainError('internal_error', `${what} (${value}) exceeds a safe integer number of cents`);
  return n;
}

export function isPricedPlan(planId: string): planId is PricedPlan {
  return (PRICED_PLANS as readonly string[]).includes(planId);
}

/**
 * The back-test as it runs: `rate` takes each page of a workspace's events
 * in recording order, `subscription` each self-serve subscription when plan
 * prices are proposed, and `result` the answer. Pure and exact (bigint).
 */
export function createBacktest(request: BacktestRequest) {
  const proposal = request.rates;
  const publicProposed: ContractPrices = { ...proposal.requestFamilies };
  const lines = new Map<string, Running>();

  function line(workspaceId: string, contract: ContractPrices = {}): Running {
    let l = lines.get(workspaceId);
    if (!l) {
      l = { events: 0, productionEvents: 0, contract, current: { cents: 0n, carry: 0n }, proposed: { cents: 0n, carry: 0n }, plan: null };
      lines.set(workspaceId, l);
    }
    return l;
  }

  return {
    /** One page of a workspace's usage, in seq order, with its contract prices (empty when none). */
    rate(workspaceId: string, events: readonly RatableEvent[], contract: ContractPrices): void {
      const l = line(workspaceId, contract);
      l.contract = contract;
      const current = rateBatch(events, { carryThousandths: l.current.carry, contractPrices: contract });
      // Contract prices win over the proposed public ones, as they win over today's.
      const proposed = rateBatch(events, { carryThousandths: l.proposed.carry, contractPrices: { ...publicProposed, ...contract } });
      l.current = { cents: l.current.cents + current.debitCents, carry: current.carryThousandths };
      l.proposed = { cents: l.proposed.cents + proposed.debitCents, carry: proposed.carryThousandths };
      l.events += events.length;
      l.productionEvents += events.filter((e) => e.environment === 'production').length;
    },
    /** A self-serve subscription at its current plan and interval (plan prices proposed only). */
    subscription(workspaceId: string, planId: PricedPlan, interval: Interval): void {
      if (!proposal.plans) return;
      line(workspaceId).plan = { planId, interval };
    },
    result(): BacktestResult {
      const workspaces = [...lines.entries()]
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
        .map(([workspaceId, l]) => {
          const current = safe(l.current.cents, `current usage of ${workspaceId}`);
          const proposed = safe(l.proposed.cents, `proposed usage of ${workspaceId}`);
          let plan: BacktestResult['workspaces'][number]['plan'] = null;
          if (l.plan) {
            const currentCents = PLANS[l.plan.planId].prices![l.plan.interval];
            const proposedCents = proposal.plans?.[l.plan.planId]?.[l.plan.interval] ?? currentCents;
            plan = { ...l.plan, currentCents, proposedCents, differenceCents: proposedCents - currentCents };
          }
          return {
            workspaceId,
            events: l.events,
            productionEvents: l.productionEvents,
            contractPrices: Object.keys(l.contract).length > 0,
            current: { cents: current, carryThousandths: Number(l.current.carry) },
            proposed: { cents: proposed, carryThousandths: Number(l.proposed.carry) },
            differenceCents: proposed - current,
            plan,
          };
        });
      const sum = (pick: (w: BacktestResult['workspaces'][number]) => number) => workspaces.reduce((s, w) => s + pick(w), 0);
      const usageCurrent = sum((w) => w.current.cents);
      const usageProposed = sum((w) => w.proposed.cents);
      const byInterval = (interval: Interval) => {
        const subs = workspaces.filter((w) => w.plan?.interval === interval).map((w) => w.plan!);
        const currentCents = subs.reduce((s, p) => s + p.currentCents, 0);
        const proposedCents = subs.reduce((s, p) => s + p.proposedCents, 0);
        return { subscriptions: subs.length, currentCents, proposedCents, differenceCents: proposedCents - currentCents };
      };
      return {
        window: { from: request.from ?? null, to: request.to ?? null },
        workspaceId: request.workspaceId ?? null,
        rates: proposal,
        workspaces,
        totals: {
          workspaces: workspaces.length,
          events: sum((w) => w.events),
          usage: { currentCents: usageCurrent, proposedCents: usageProposed, differenceCents: usageProposed - usageCurrent },
          plans: proposal.plans ? { month: byInterval('month'), year: byInterval('year') } : null,
        },
      };
    },
  };
}
