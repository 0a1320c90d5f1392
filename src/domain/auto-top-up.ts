// Auto top-up (Stripe has none): when a usage debit takes the wallet from at
// or above the workspace's threshold to below it — a crossing — the wallet
// workflow charges the card the first hosted top-up saved, off-session, once
// per crossing and at most a few times per UTC day. The crossing is named by
// the debit's ledger source id, so everything derived from it (the top-up id
// credited, the Stripe idempotency key, the charge row) is the same on every
// retry, reset or continue-as-new. Pure rules; no I/O, no clock.
import { z } from 'zod';
import { workspaceIdSchema } from './schemas';

/** At most this many auto top-up charges per workspace per UTC day unless AUTO_TOP_UP_MAX_PER_DAY says otherwise. */
export const DEFAULT_AUTO_TOP_UP_MAX_PER_DAY = 3;

/** What the app sets (PUT …/wallet/auto-top-up). The amount has the bounds of a hosted top-up. */
export const autoTopUpSettingsSchema = z.strictObject({
  thresholdCents: z.number().int().min(0).max(10_000_000).describe('Charge when a usage debit takes the balance from at or above this to below it (cents, 0–10,000,000)'),
  amountCents: z.number().int().min(500).max(1_000_000).describe('How much each auto top-up adds (cents, 500–1,000,000, like a hosted top-up)'),
  enabled: z.boolean().describe('Enabling again after the engine turned it off (a declined charge) clears disabledReason'),
});
export type AutoTopUpSettings = z.infer<typeof autoTopUpSettingsSchema>;

/** What GET and PUT …/wallet/auto-top-up answer. */
export const autoTopUpViewSchema = z.object({
  workspaceId: workspaceIdSchema,
  enabled: z.boolean(),
  thresholdCents: z.number().int(),
  amountCents: z.number().int(),
  paymentMethodSaved: z.boolean().describe('A paid hosted top-up saved a card for off-session charges; without one a crossing charges nothing'),
  disabledReason: z.string().nullable().describe('Why the engine turned auto top-up off (card_declined, authentication_required, …); null when the app set it'),
  chargesToday: z.number().int().describe('Auto top-up charges attempted this UTC day'),
  maxPerDay: z.number().int().describe('AUTO_TOP_UP_MAX_PER_DAY'),
});
export type AutoTopUpView = z.infer<typeof autoTopUpViewSchema>;

/**
 * A debit crossed the threshold: the balance was at or above it before and
 * is below it after. A further debit while already below does not cross
 * again; neither does anything when auto top-up is off (threshold null).
 */
export function crossesThreshold(thresholdCents: number | null | undefined, balanceBeforeCents: number, balanceAfterCents: number): boolean {
  if (thresholdCents === null || thresholdCents === undefined) return false;
  return balanceBeforeCents >= thresholdCents && balanceAfterCents < thresholdCents;
}

/** The UTC day a charge counts toward, "YYYY-MM-DD". */
export function utcDayKey(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

/** The top-up id credited for a crossing (a `tu_` id like hosted top-ups; the ledger source id). */
export function autoTopUpIdOf(crossingId: string): string {
  return `tu_a${crossingId}`;
}

/** The Stripe idempotency key of a crossing's PaymentIntent: one crossing, one charge. */
export function autoTopUpIdempotencyKey(workspaceId: string, crossingId: string): string {
  return `wallet/${workspaceId}:auto-top-up:${crossingId}`;
}

/** What the workflow loads when a crossing happens (settings and today's count from the database). */
export interface AutoTopUpContext {
  settings: { enabled: boolean; amountCents: number; customerId: string | null; paymentMethodId: string | null } | null;
  /** Charges recorded for this workspace on the crossing's UTC day (any outcome). */
  chargesToday: number;
  /** This crossing already has a charge row (an earlier attempt, another run). */
  alreadyCharged: boolean;
  maxPerDay: number;
}

export type AutoTopUpSkip = 'disabled' | 'no_payment_method' | 'daily_limit' | 'already_charged';

export type AutoTopUpPlan =
  | { action: 'charge'; topUpId: string; amountCents: number; customerId: string; paymentMethodId: string; idempotencyKey: string }
  | { action: 'skip'; reason: AutoTopUpSkip };

/**
 * Whether a crossing charges. A crossing that already has a charge row is
 * charged again with the same idempotency key (Stripe answers the first
 * PaymentIntent), so a run that stopped between recording and charging
 * finishes the job; it does not count toward the limit twice.
 */
export function planAutoTopUp(workspaceId: string, crossingId: string, ctx: AutoTopUpContext): AutoTopUpPlan {
  const s = ctx.settings;
  if (!s?.enabled) return { action: 'skip', reason: 'disabled' };
  if (!s.customerId || !s.paymentMethodId) return { action: 'skip', reason: 'no_payment_method' };
  if (!ctx.alreadyCharged && ctx.chargesToday >= ctx.maxPerDay) return { action: 'skip', reason: 'daily_limit' };
  return {
    action: 'charge',
    topUpId: autoTopUpIdOf(crossingId),
    amountCents: s.amountCents,
    customerId: s.customerId,
    paymentMethodId: s.paymentMethodId,
    idempotencyKey: autoTopUpIdempotencyKey(workspaceId, crossingId),
  };
}

export type ChargeOutcome = 'succeeded' | 'processing' | 'failed';

/**
 * A confirmed off-session PaymentIntent's status: succeeded is credited at
 * once, processing when Stripe reports it paid (payment_intent.succeeded
 * carries the top-up id), anything else (requires_action: the bank wants the
 * customer; requires_payment_method: declined) is a failure.
 */
export function chargeOutcomeOf(status: string): ChargeOutcome {
  if (status === 'succeeded') return 'succeeded';
  if (status === 'processing') return 'processing';
  return 'failed';
}

/** The reason recorded and notified for a PaymentIntent left in a failed status without an error code. */
export function failureCodeOfStatus(status: string): string {
  return status === 'requires_action' || status === 'requires_confirmation' ? 'authentication_required' : status === 'requires_payment_method' ? 'card_declined' : status;
}
