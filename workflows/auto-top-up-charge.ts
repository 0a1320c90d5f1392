// One auto top-up charge of the wallet workflow: charge the saved card
// off-session (the activity records the charge first and uses the
// crossing's idempotency key), credit the wallet once on success (ledger
// source `top_up` + the crossing's top-up id, like a hosted top-up), and on
// failure turn auto top-up off and notify the app — never retried by the
// workflow, so a declined card cannot loop. Deterministic code only.
import { ActivityFailure, ApplicationFailure } from '@temporalio/workflow';
import type { AutoTopUpPlan } from '../src/domain/auto-top-up';
import { billing, durable } from './workflow-support';

type Charge = Extract<AutoTopUpPlan, { action: 'charge' }>;

/** Why the charge activity failed after its retries: a Stripe code it passed on, else Stripe was unreachable. */
function failureCodeOf(err: unknown): string {
  if (err instanceof ActivityFailure && err.cause instanceof ApplicationFailure) {
    const details = err.cause.details?.[0] as { stripeCode?: string | null } | undefined;
    if (details?.stripeCode) return details.stripeCode;
  }
  return 'stripe_unavailable';
}

/** Returns the outcome as kept in the wallet state: succeeded, processing or failed:<code>. */
export async function chargeAutoTopUp(workspaceId: string, crossingId: string, day: string, plan: Charge): Promise<string> {
  const { topUpId, amountCents } = plan;
  const result = await billing
    .chargeAutoTopUp({ workspaceId, crossingId, day, topUpId, amountCents, customerId: plan.customerId, paymentMethodId: plan.paymentMethodId, idempotencyKey: plan.idempotencyKey })
    .catch((err: unknown) => ({ outcome: 'failed' as const, paymentIntentId: null, failureCode: failureCodeOf(err) }));
  if (result.outcome === 'succeeded') {
    await durable.creditWallet({ workspaceId, kind: 'top_up', amountCents, sourceType: 'top_up', sourceId: topUpId, reason: `Auto top-up ${topUpId}`, currency: 'usd' });
    return 'succeeded';
  }
  // processing: payment_intent.succeeded carries the top-up id and credits it when Stripe settles it.
  if (result.outcome === 'processing') return 'processing';
  const reason = result.failureCode ?? 'charge_failed';
  await durable.disableAutoTopUp({ workspaceId, crossingId, topUpId, amountCents, reason, paymentIntentId: result.paymentIntentId });
  return `failed:${reason}`;
}
