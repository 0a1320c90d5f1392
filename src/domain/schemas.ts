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

/**
 * An email address as the API accepts it, stated as one regular expression so
 * the OpenAPI document says exactly what is accepted (JSON Schema's `email`
 * format is RFC 5321's much wider grammar): dot-separated local words of
 * letters, digits and _'+-, then a domain of letter-or-digit-led labels and a
 * top-level domain of two or more letters.
 */
export const emailSchema = z
  .string()
  .max(254, 'must be at most 254 characters')
  .regex(/^[A-Za-z0-9_'+-]+(?:\.[A-Za-z0-9_'+-]+)*@(?:[A-Za-z0-9][A-Za-z0-9-]*\.)+[A-Za-z]{2,}$/, 'Invalid email address');

/**
 * PostgreSQL text cannot hold NUL (U+0000): every string the engine may store
 * refuses it in its documented pattern (a 400), instead of failing the insert
 * inside an activity that then retries until the request times out (a 503).
 */
export const NO_NUL = /^[^\u0000]*$/;
export const NO_NUL_MESSAGE = 'must not contain NUL characters';

/** The characters String.prototype.trim removes (ECMAScript WhiteSpace and LineTerminator), spelled out so every regex engine reads them alike. */
const TRIMMED = '\\t\\n\\v\\f\\r \\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000\\ufeff';

/**
 * Text without NUL whose trimmed length is min..max (min >= 1), as patterns
 * the document states, trimmed after validation. Surrounding whitespace is
 * allowed and dropped; what is left starts and ends with a visible character.
 */
export function trimmedText(min: number, max: number, message: string) {
  const visible = `[^\\u0000${TRIMMED}]`;
  const middle = min === 1 ? `(?:[^\\u0000]{0,${max - 2}}${visible})?` : `[^\\u0000]{${min - 2},${max - 2}}${visible}`;
  // One pattern (a second one would not reach the document), with the message naming what is wrong.
  return z
    .string(message)
    .regex(new RegExp(`^[${TRIMMED}]*${visible}${middle}[${TRIMMED}]*$`), { error: (issue) => (typeof issue.input === 'string' && !NO_NUL.test(issue.input) ? NO_NUL_MESSAGE : message) })
    .transform((text) => text.trim());
}

const returnUrl = z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' });

export const checkoutRequestSchema = z.strictObject({
  planId: z.enum(PLAN_IDS),
  interval: z.enum(INTERVALS),
  successUrl: returnUrl,
  cancelUrl: returnUrl,
  email: emailSchema.optional(),
});
export type CheckoutRequest = z.infer<typeof checkoutRequestSchema>;
export const checkoutCommandSchema = checkoutRequestSchema.extend(requestIdField);
export type CheckoutCommand = z.infer<typeof checkoutCommandSchema>;

export const guestCheckoutRequestSchema = z.strictObject({
  email: emailSchema,
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
  verifiedEmail: emailSchema.describe('The email the product app verified at sign-in'),
});
export type ClaimRequest = z.infer<typeof claimRequestSchema>;

/**
 * Claim by email (`POST /v1/workspaces/{workspaceId}/guest-checkouts/claim`):
 * the email the app verified, or the ID token that proves it (required when
 * the engine verifies ID tokens itself: OIDC_ISSUER and OIDC_AUDIENCE set).
 */
export const claimByVerifiedEmailSchema = z.strictObject({
  verifiedEmail: emailSchema.describe('The email the product app verified at sign-in (refused when OIDC is configured)'),
});
export const claimByIdTokenSchema = z.strictObject({
  idToken: z
    .string()
    .min(1)
    .max(16_384)
    .describe("An OpenID Connect ID token from OIDC_ISSUER for OIDC_AUDIENCE; its email (email_verified true) is the one used"),
});
/** Either form; which one a deployment takes depends on OIDC (the served document shows that one alone). */
export const claimByEmailRequestSchema = z.union([claimByVerifiedEmailSchema, claimByIdTokenSchema], { error: 'send exactly one of verifiedEmail or idToken' });
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
  prorationDate: z.number().int().positive().max(Number.MAX_SAFE_INTEGER).optional(),
});
export type PlanChangeRequest = z.infer<typeof planChangeRequestSchema>;
export const planChangeCommandSchema = planChangeRequestSchema.extend(requestIdField);
export type PlanChangeCommand = z.infer<typeof planChangeCommandSchema>;

const accessProjectId = z.string().min(1).max(128).regex(NO_NUL, NO_NUL_MESSAGE);
/**
 * GET /access's query as the document states it: projectId, or a free
 * (non-production) environment, or both. OpenAPI cannot make one parameter
 * required depending on another, so the query is documented as one exploded
 * object parameter with this schema (anyOf); it accepts exactly what
 * accessQuerySchema accepts (test/domain/schemas-errors.test.ts checks both agree).
 */
export const accessQueryDocumentSchema = z.union([
  z.object({ projectId: accessProjectId.describe('The project sending the traffic'), environment: z.enum(ENVIRONMENTS).optional().describe('Default production') }),
  z.object({ projectId: accessProjectId.optional(), environment: z.enum(ENVIRONMENTS).exclude(['production']).describe('A free environment: projectId may be omitted') }),
]);

export const accessQuerySchema = z
  .object({
    projectId: accessProjectId.optional().describe('Required when environment is production'),
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
  // Only the families: additionalProperties false states what the partial record enforces.
  prices: z.partialRecord(z.enum(families), z.number().int().min(0).max(1_000_000)).meta({ additionalProperties: false }),
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
  reason: trimmedText(3, 500, 'A reason of 3 to 500 characters is required'),
  reference: trimmedText(1, 128, 'A reference of 1 to 128 characters is required').describe("The operator's reference (e.g. contract or ticket id): a repeated request with it grants once"),
  actor: trimmedText(1, 64, 'actor must be 1 to 64 characters').optional().describe('Who grants (recorded in the audit trail); operator-api when absent'),
});
