// Request schemas of the HTTP contract, with the types they infer. The API
// validates with them; the workflow's update validators re-check with them,
// so a request that skipped the API is rejected before it reaches history.
import { z } from 'zod';
import { ENVIRONMENTS, INTERVALS, PLAN_IDS } from './plans';

export const workspaceIdSchema = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/, 'workspaceId must be 1-64 letters, digits, "_" or "-"');

const returnUrl = z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' });

export const checkoutRequestSchema = z.strictObject({
  planId: z.enum(PLAN_IDS),
  interval: z.enum(INTERVALS),
  successUrl: returnUrl,
  cancelUrl: returnUrl,
  email: z.email().optional(),
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

export const accessQuerySchema = z.object({
  projectId: z.string().min(1).max(128).optional(),
  environment: z.enum(ENVIRONMENTS).default('production'),
});
