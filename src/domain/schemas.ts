// Request schemas of the HTTP contract, with the types they infer. The API
// validates with them; the workflow's update validators re-check with them,
// so a request that skipped the API is rejected before it reaches history.
import { z } from 'zod';
import { ENVIRONMENTS, INTERVALS, PLAN_IDS, REQUEST_FAMILIES, type RequestFamily } from './plans';

export const workspaceIdSchema = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/, 'workspaceId must be 1-64 letters, digits, "_" or "-"');

/**
 * What the API names an app or operator request by: derived from the
 * request's Idempotency-Key (so a retry, even after a workflow reset, is the
 * same request) or random. Workflows derive Stripe idempotency keys and ids
 * such as top-up ids from it.
 */
export const requestIdSchema = z.string().regex(/^[A-Za-z0-9_-]{8,64}$/, 'requestId must be 8-64 letters, digits, "_" or "-"');

/** A request as a workflow receives it: the validated body and the request id (absent in requests sent by older API versions). */
const requestIdField = { requestId: requestIdSchema.optional() };

const returnUrl = z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' });

export const checkoutRequestSchema = z.strictObject({
  planId: z.enum(PLAN_IDS),
  interval: z.enum(INTERVALS),
  successUrl: returnUrl,
  cancelUrl: returnUrl,
  email: z.email().optional(),
});
export type CheckoutRequest = z.infer<typeof checkoutRequestSchema>;
export const checkoutCommandSchema = checkoutRequestSchema.extend(requestIdField);
export type CheckoutCommand = z.infer<typeof checkoutCommandSchema>;

export const guestCheckoutRequestSchema = z.strictObject({
  email: z.email(),
  planId: z.enum(PLAN_IDS),
  interval: z.enum(INTERVALS),
  successUrl: returnUrl,
  cancelUrl: returnUrl,
});
export type GuestCheckoutRequest = z.infer<typeof guestCheckoutRequestSchema>;

/** Guest checkout ids are made by the API: `gco_` and 32 hex digits. */
export const guestCheckoutIdSchema = z.string().regex(/^gco_[0-9a-f]{32}$/, 'checkoutId must be a guest checkout id (gco_…)');

export const claimRequestSchema = z.strictObject({
  workspaceId: workspaceIdSchema,
  verifiedEmail: z.email().describe('The email the product app verified at sign-in'),
});
export type ClaimRequest = z.infer<typeof claimRequestSchema>;

/**
 * Claim by email (`POST /v1/workspaces/{workspaceId}/guest-checkouts/claim`):
 * the email the app verified, or the ID token that proves it (required when
 * the engine verifies ID tokens itself: OIDC_ISSUER and OIDC_AUDIENCE set).
 */
export const claimByEmailRequestSchema = z.union(
  [
    z.strictObject({ verifiedEmail: z.email().describe('The email the product app verified at sign-in (refused when OIDC is configured)') }),
    z.strictObject({
      idToken: z
        .string()
        .min(1)
        .max(16_384)
        .describe("An OpenID Connect ID token from OIDC_ISSUER for OIDC_AUDIENCE; its email (email_verified true) is the one used"),
    }),
  ],
  { error: 'send exactly one of verifiedEmail or idToken' },
);
export type ClaimByEmailRequest = z.infer<typeof claimByEmailRequestSchema>;

export const guestCheckoutListQuerySchema = z.object({
  status: z.enum(['unclaimed_paid', 'open', 'paid', 'canceled', 'expired', 'claimed', 'refused', 'all']).default('unclaimed_paid'),
  flagged: z
    .enum(['true', 'false'])
    .default('false')
    .transform((v) => v === 'true')
    .describe('Only the paid checkouts left unclaimed past GUEST_CHECKOUT_FLAG_AFTER'),
  limit: z.coerce.number().int().min(1).max(200).default(50),
});

const factShape = z.looseObject({ kind: z.string(), eventId: z.string().min(1), occurredAt: z.number() });

/** What a guest-checkout workflow hands the workspace workflow when a claim attaches it (a loose check of our own message). */
export const guestAttachmentSchema = z.looseObject({
  guestCheckoutId: z.string().min(1),
  email: z.string().min(1),
  customerId: z.string().min(1),
  checkout: z.looseObject({ id: z.string(), url: z.string(), expiresAt: z.number() }).nullable(),
  subscriptionId: z.string().nullable(),
  facts: z.array(factShape),
});

export const planChangePreviewRequestSchema = z.strictObject({
  targetPlanId: z.enum(PLAN_IDS),
  interval: z.enum(INTERVALS),
  timing: z.enum(['auto', 'immediate', 'period_end']).optional(),
});

export const planChangeRequestSchema = planChangePreviewRequestSchema.extend({
  /** The preview's proration date (epoch seconds), so the change bills what was shown. */
  prorationDate: z.number().int().positive().optional(),
});
export type PlanChangeRequest = z.infer<typeof planChangeRequestSchema>;
export const planChangeCommandSchema = planChangeRequestSchema.extend(requestIdField);
export type PlanChangeCommand = z.infer<typeof planChangeCommandSchema>;

export const accessQuerySchema = z
  .object({
    projectId: z.string().min(1).max(128).optional().describe('Required when environment is production'),
    environment: z.enum(ENVIRONMENTS).default('production'),
  })
  .refine((q) => q.environment !== 'production' || q.projectId !== undefined, {
    path: ['projectId'],
    message: 'projectId is required for production traffic',
  });

/** Wallet top-ups: whole cents, at least $5 (Stripe's fees make smaller ones pointless), at most $10,000. */
export const topUpRequestSchema = z.strictObject({
  amountCents: z.number().int().min(500).max(1_000_000),
  successUrl: returnUrl,
  cancelUrl: returnUrl,
});
export type TopUpRequest = z.infer<typeof topUpRequestSchema>;
export const topUpCommandSchema = topUpRequestSchema.extend(requestIdField);
export type TopUpCommand = z.infer<typeof topUpCommandSchema>;

const families = Object.keys(REQUEST_FAMILIES) as [RequestFamily, ...RequestFamily[]];

/** Enterprise contract prices: cents per 1,000 requests for any of the request families. */
export const contractPricesSchema = z.strictObject({
  prices: z.partialRecord(z.enum(families), z.number().int().min(0).max(1_000_000)),
});

export const invoicingControlsSchema = z.discriminatedUnion('collectionMethod', [
  z.strictObject({ collectionMethod: z.literal('charge_automatically') }),
  z.strictObject({ collectionMethod: z.literal('send_invoice'), daysUntilDue: z.number().int().min(1).max(365) }),
]);
export type InvoicingControls = z.infer<typeof invoicingControlsSchema>;
export const invoicingCommandSchema = z.discriminatedUnion('collectionMethod', [
  invoicingControlsSchema.options[0].extend(requestIdField),
  invoicingControlsSchema.options[1].extend(requestIdField),
]);
export type InvoicingCommand = z.infer<typeof invoicingCommandSchema>;

export const grantCreditRequestSchema = z.strictObject({
  amountCents: z.number().int().min(1).max(100_000_000),
  reason: z.string().trim().min(3).max(500),
  reference: z.string().trim().min(1).max(128).describe("The operator's reference (e.g. contract or ticket id): a repeated request with it grants once"),
  actor: z.string().trim().min(1).max(64).optional().describe('Who grants (recorded in the audit trail); operator-api when absent'),
});
