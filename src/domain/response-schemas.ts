// zod schemas of the API's responses: the OpenAPI document is generated from
// them, and tests parse real responses with them so code and docs cannot drift.
import { z } from 'zod';
import { ENVIRONMENTS, INTERVALS, PLAN_IDS } from './plans';
import { ERROR_CODES } from './errors';
import { ACCESS_REASONS } from './access';

const isoDate = z.iso.datetime({ offset: true });

export const checkoutResponseSchema = z.object({
  checkoutId: z.string().describe('Stripe Checkout Session id'),
  url: z.url().describe('Hosted Checkout page'),
  expiresAt: isoDate,
});

export const guestCheckoutResponseSchema = z.object({
  checkoutId: z.string().regex(/^gco_[0-9a-f]{32}$/).describe('Guest checkout id (the claim names it)'),
  url: z.url().describe('Hosted Checkout page'),
  expiresAt: isoDate,
});

export const claimResultSchema = z.object({
  checkoutId: z.string(),
  workspaceId: z.string(),
  status: z.enum(['none', 'incomplete', 'active', 'past_due', 'canceled']).describe("The workspace's billing status after the claim"),
  plan: z.object({ id: z.enum(PLAN_IDS), interval: z.enum(INTERVALS).nullable() }),
  stripe: z.object({ customerId: z.string(), subscriptionId: z.string().nullable() }),
  claimedAt: isoDate,
});

const unpaidInvoiceSchema = z.object({ id: z.string(), amountDueCents: z.number().int(), currency: z.string(), hostedInvoiceUrl: z.url() });

export const billingViewSchema = z.object({
  workspaceId: z.string(),
  plan: z.object({ id: z.enum(PLAN_IDS), interval: z.enum(INTERVALS).nullable() }),
  status: z.enum(['none', 'incomplete', 'active', 'past_due', 'canceled']),
  mode: z.enum(['self_serve', 'checkout_pending', 'billing_recovery', 'enforced_recovery', 'sales_assisted']),
  grace: z.object({ startedAt: isoDate, endsAt: isoDate, expired: z.boolean() }).nullable(),
  unpaidInvoice: unpaidInvoiceSchema.nullable(),
  pendingChange: z.object({ targetPlanId: z.enum(PLAN_IDS), interval: z.enum(INTERVALS), effectiveAt: isoDate }).nullable(),
  checkout: checkoutResponseSchema.nullable(),
  currentPeriodEnd: isoDate.nullable(),
  production: z.object({ allowed: z.boolean(), reasons: z.array(z.string()) }),
  wallet: z.object({ balanceCents: z.number().int(), minimumCents: z.number().int() }),
  stripe: z.object({ customerId: z.string().nullable(), subscriptionId: z.string().nullable() }).nullable(),
});

export const rateCardSchema = z.object({
  currency: z.literal('usd'),
  plans: z.array(
    z.object({
      id: z.enum(PLAN_IDS),
      name: z.string(),
      purchase: z.enum(['free', 'self_serve', 'sales_assisted']),
      summary: z.string(),
      productionKeys: z.boolean(),
      productionProjects: z.number().int().nullable().describe('null = unlimited'),
      prices: z.array(z.object({ interval: z.enum(INTERVALS), amountCents: z.number().int(), lookupKey: z.string().nullable() })),
    }),
  ),
  requestFamilies: z.array(z.object({ id: z.string(), group: z.string(), centsPer1000Requests: z.number().int() })),
  freeEnvironments: z.array(z.enum(ENVIRONMENTS)),
});

export const problemSchema = z.object({
  type: z.string(),
  title: z.string(),
  status: z.number().int(),
  detail: z.string(),
  code: z.enum(ERROR_CODES),
  errors: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
});

/** A refusal that points at payment recovery (payment_recovery_required, enforced_recovery) or names the subscription in the way. */
export const conflictProblemSchema = problemSchema.extend({
  unpaidInvoice: unpaidInvoiceSchema
    .nullable()
    .optional()
    .describe("payment_recovery_required, enforced_recovery: the invoice to pay on Stripe's hosted page (null when Stripe has not sent it yet)"),
  subscriptionId: z.string().nullable().optional().describe('The subscription that is live or waiting for payment'),
});

/** sales_assisted: the contact route, and the current plan when the workspace itself is on Enterprise. */
export const salesAssistedProblemSchema = problemSchema.extend({
  contactUrl: z.url().optional(),
  currentPlanId: z.enum(PLAN_IDS).optional().describe('Set when the workspace is on Enterprise: only operators change it'),
});

export const webhookResponseSchema = z.object({
  received: z.literal(true),
  /** accepted: recorded, to be signalled to its workflow; duplicate: recorded before (signalled or about to be). */
  outcome: z.enum(['accepted', 'duplicate', 'ignored', 'unroutable']),
  eventId: z.string(),
  type: z.string(),
  workspaceId: z.string().optional(),
  guestCheckoutId: z.string().optional(),
});

const planRef = z.object({ id: z.enum(PLAN_IDS), interval: z.enum(INTERVALS).nullable() });
const money = z.object({ amountCents: z.number().int(), currency: z.string() });

export const planChangePreviewSchema = z.object({
  currentPlan: planRef,
  targetPlan: planRef,
  estimatedInvoiceDue: money.describe("From Stripe's invoice preview"),
  monthlyEquivalentDelta: money.describe('Target minus current per month; yearly prices divided by 12 exactly, rounded once half away from zero'),
  effectiveAt: isoDate,
  timing: z.enum(['immediate', 'period_end']),
  prorationDate: z.number().int().nullable().describe('Epoch seconds Stripe prorated at; send it back when applying'),
});

export const planChangeResultSchema = z.object({
  status: z.enum(['applied', 'scheduled', 'payment_pending']),
  currentPlan: planRef,
  targetPlan: planRef,
  timing: z.enum(['immediate', 'period_end']),
  effectiveAt: isoDate,
});

export const pendingChangeSchema = z.object({ targetPlanId: z.enum(PLAN_IDS), interval: z.enum(INTERVALS), effectiveAt: isoDate });

export const accessResponseSchema = z.object({
  allowed: z.boolean(),
  reasons: z.array(z.enum(ACCESS_REASONS)),
  graceEndsAt: isoDate.optional(),
});

export const topUpResponseSchema = z.object({
  topUpId: z.string().describe('Our id of this top-up (Stripe metadata.topUpId; the ledger credits it once)'),
  checkoutId: z.string().describe('Stripe Checkout Session id (payment mode)'),
  url: z.url().describe('Hosted Checkout page'),
  expiresAt: isoDate,
});

export const invoicingResultSchema = z.object({
  collectionMethod: z.string().describe('As Stripe now has it on the subscription'),
  daysUntilDue: z.number().int().nullable(),
});

export const stateSummarySchema = z.object({
  workspaceId: z.string(),
  planId: z.string(),
  interval: z.string().nullable(),
  status: z.string(),
  mode: z.string(),
  grace: z.object({ startedAt: isoDate, endsAt: isoDate, expired: z.boolean() }).nullable(),
  unpaidInvoice: z.object({ id: z.string(), amountDueCents: z.number().int(), currency: z.string() }).nullable(),
  pendingChange: z.object({ targetPlanId: z.string(), interval: z.string(), effectiveAt: isoDate }).nullable(),
  subscriptionId: z.string().nullable(),
  text: z.string().describe('One line, e.g. "Business (month) · past_due · billing_recovery · grace ends 2026-12-04T10:00Z"'),
});

export const OPERATOR_ACTIONS = ['extend_grace', 'end_grace', 'resync_from_stripe', 'cancel_scheduled_change', 'grant_credit'] as const;

export const operatorActionResultSchema = z.object({
  action: z.enum(OPERATOR_ACTIONS),
  requestId: z.string(),
  applied: z.boolean().describe('False when this request id was already applied (nothing done twice)'),
  details: z.record(z.string(), z.unknown()).describe('What the action did, as recorded in the audit row'),
  state: stateSummarySchema.describe("The workspace's billing state afterwards"),
});
