// Auto top-up activities (docs/auto-top-up.md): remember the card a paid
// hosted top-up saved, load what a crossing needs (settings and today's
// count of charges, from the database so a new run or a reset does not
// forget), charge off-session with the crossing's idempotency key, and turn
// auto top-up off with a notification when a charge fails. The decisions
// are the wallet workflow's (src/domain/auto-top-up.ts).
import type { PrismaClient } from '@prisma/client';
import Stripe from 'stripe';
import { chargeOutcomeOf, DEFAULT_AUTO_TOP_UP_MAX_PER_DAY, failureCodeOfStatus, type AutoTopUpContext, type ChargeOutcome } from '../src/domain/auto-top-up';
import { autoTopUpFailedNotification } from '../src/domain/notifications';
import { TOP_UP_KIND } from '../src/domain/stripe-events';
import { activityTime, enqueueNotifications, type OutboxSettings } from './notification-outbox';
import type { EngineSettings } from './settings';
import { callStripe, toActivityFailure } from './stripe-failures';
import { WALLET_CURRENCY } from './wallet-ledger';

export interface RememberPaymentMethodInput {
  workspaceId: string;
  customerId: string | null;
  paymentMethodId: string | null;
  /** When the fact carries no card (a Checkout Session), it is read from this PaymentIntent. */
  paymentIntentId: string | null;
}

export interface LoadAutoTopUpInput {
  workspaceId: string;
  crossingId: string;
  /** The crossing's UTC day, "YYYY-MM-DD" (workflow time). */
  day: string;
}

export interface ChargeAutoTopUpInput {
  workspaceId: string;
  crossingId: string;
  topUpId: string;
  day: string;
  amountCents: number;
  customerId: string;
  paymentMethodId: string;
  idempotencyKey: string;
}

export interface ChargeAutoTopUpResult {
  outcome: ChargeOutcome;
  paymentIntentId: string | null;
  /** Why it failed: Stripe's decline or error code (card_declined, authentication_required, …). */
  failureCode?: string;
}

export interface DisableAutoTopUpInput {
  workspaceId: string;
  crossingId: string;
  topUpId: string;
  amountCents: number;
  reason: string;
  paymentIntentId: string | null;
}

/** Stripe errors that mean this card cannot be charged off-session now: the charge failed (a retry would fail the same way). */
function failureOf(err: unknown): string | null {
  if (!(err instanceof Stripe.errors.StripeError)) return null;
  if (err.type === 'StripeCardError') return err.code || err.decline_code || 'card_declined';
  if (err.type === 'StripeInvalidRequestError' || err.type === 'StripePermissionError' || err.type === 'StripeIdempotencyError') return err.code || 'invalid_request';
  return null;
}

export function createAutoTopUpActivities({
  prisma,
  stripe,
  settings,
  outbox,
}: {
  prisma: PrismaClient;
  stripe: Stripe;
  settings?: Pick<EngineSettings, 'autoTopUpMaxPerDay'>;
  outbox?: OutboxSettings;
}) {
  const maxPerDay = settings?.autoTopUpMaxPerDay ?? DEFAULT_AUTO_TOP_UP_MAX_PER_DAY;
  return {
    /** Saves the payer and card of a paid hosted top-up for off-session charges (the newest paid top-up wins). */
    async rememberTopUpPaymentMethod(input: RememberPaymentMethodInput): Promise<{ saved: boolean }> {
      let { customerId, paymentMethodId } = input;
      if (!paymentMethodId && input.paymentIntentId) {
        const intent = await callStripe('read top-up payment intent', () => stripe.paymentIntents.retrieve(input.paymentIntentId!));
        paymentMethodId = typeof intent.payment_method === 'string' ? intent.payment_method : (intent.payment_method?.id ?? null);
        customerId ??= typeof intent.customer === 'string' ? intent.customer : (intent.customer?.id ?? null);
      }
      if (!customerId || !paymentMethodId) return { saved: false };
      await prisma.walletAutoTopUp.upsert({
        where: { workspaceId: input.workspaceId },
        create: { workspaceId: input.workspaceId, stripeCustomerId: customerId, paymentMethodId },
        update: { stripeCustomerId: customerId, paymentMethodId },
      });
      return { saved: true };
    },

    /** What a crossing needs to be decided: the settings, and the charges already recorded on its day. */
    async loadAutoTopUp({ workspaceId, crossingId, day }: LoadAutoTopUpInput): Promise<AutoTopUpContext> {
      const [row, chargesToday, existing] = await Promise.all([
        prisma.walletAutoTopUp.findUnique({ where: { workspaceId } }),
        prisma.autoTopUpCharge.count({ where: { workspaceId, day } }),
        prisma.autoTopUpCharge.findUnique({ where: { workspaceId_crossingId: { workspaceId, crossingId } }, select: { status: true } }),
      ]);
      return {
        settings: row
          ? { enabled: row.enabled, amountCents: Number(row.amountCents), customerId: row.stripeCustomerId, paymentMethodId: row.paymentMethodId }
          : null,
        chargesToday,
        alreadyCharged: existing !== null,
        maxPerDay,
      };
    },

    /**
     * Records the crossing's charge (once), then confirms a PaymentIntent
     * off-session with the crossing's idempotency key: a retry, or a later
     * run for the same crossing, gets Stripe's first answer. Metadata marks it
     * as a wallet top-up, so payment_intent.succeeded credits it too (once,
     * by the same top-up id) if it was still processing.
     */
    async chargeAutoTopUp(input: ChargeAutoTopUpInput): Promise<ChargeAutoTopUpResult> {
      const { workspaceId, crossingId } = input;
      const where = { workspaceId_crossingId: { workspaceId, crossingId } };
      await prisma.autoTopUpCharge.upsert({
        where,
        create: { workspaceId, crossingId, topUpId: input.topUpId, day: input.day, amountCents: BigInt(input.amountCents), status: 'pending' },
        update: {},
      });
      let result: ChargeAutoTopUpResult;
      try {
        const intent = await stripe.paymentIntents.create(
          {
            amount: input.amountCents,
            currency: WALLET_CURRENCY,
            customer: input.customerId,
            payment_method: input.paymentMethodId,
            confirm: true,
            off_session: true,
            description: 'Developer wallet credit (auto top-up)',
            metadata: { workspaceId, kind: TOP_UP_KIND, topUpId: input.topUpId, autoTopUp: 'true', crossingId },
          },
          { idempotencyKey: input.idempotencyKey },
        );
        const outcome = chargeOutcomeOf(intent.status);
        result = {
          outcome,
          paymentIntentId: intent.id,
          ...(outcome === 'failed' ? { failureCode: intent.last_payment_error?.code || intent.last_payment_error?.decline_code || failureCodeOfStatus(intent.status) } : {}),
        };
      } catch (err) {
        const failureCode = failureOf(err);
        if (failureCode === null) throw toActivityFailure(err, 'charge auto top-up'); // network, 429, 5xx: retried
        const intent = err instanceof Stripe.errors.StripeError ? (err.payment_intent as { id?: string } | undefined) : undefined;
        result = { outcome: 'failed', paymentIntentId: intent?.id ?? null, failureCode };
      }
      await prisma.autoTopUpCharge.update({
        where,
        data: { status: result.outcome, paymentIntentId: result.paymentIntentId, failureCode: result.failureCode ?? null },
      });
      return result;
    },

    /** A charge failed: auto top-up off, the charge marked failed and the app notified, in one transaction (once per crossing). */
    async disableAutoTopUp(input: DisableAutoTopUpInput): Promise<void> {
      const nowMs = activityTime();
      await prisma.$transaction(async (tx) => {
        await tx.walletAutoTopUp.updateMany({ where: { workspaceId: input.workspaceId }, data: { enabled: false, disabledReason: input.reason } });
        await tx.autoTopUpCharge.updateMany({
          where: { workspaceId: input.workspaceId, crossingId: input.crossingId },
          data: { status: 'failed', failureCode: input.reason },
        });
        await enqueueNotifications(tx, [autoTopUpFailedNotification(input, nowMs)], outbox);
      });
    },
  };
}
