// Stripe activities of plan changes on an existing subscription: preview the
// invoice a change would produce (Stripe calculates it, at the proration date
// the workflow chose), apply a change now or at the period boundary, and set
// or clear cancel-at-period-end. Writes carry the workflow's idempotency key;
// times come back as epoch milliseconds, amounts as integer cents.
import type Stripe from 'stripe';
import type { Interval, PlanId } from '../src/domain/plans';
import { callStripe } from './stripe-failures';
import { createPriceLookup, type PriceLookup } from './stripe-prices';

export type PlanChangeTiming = 'immediate' | 'period_end';

export interface PreviewPlanChangeInput {
  customerId: string;
  subscriptionId: string;
  itemId: string;
  planId: PlanId;
  interval: Interval;
  /** Epoch SECONDS, chosen by the workflow; pass the same value to applyPlanChange. */
  prorationDate: number;
  /**
   * `immediate` (default): the prorated invoice the change would produce now.
   * `period_end`: no proration; the next renewal invoice at the new price
   * (Stripe refuses a proration date without proration, so none is sent).
   */
  timing?: PlanChangeTiming;
}

export interface PlanChangePreview {
  amountDueCents: number;
  currency: string;
  /** The proration date (epoch seconds) Stripe calculated with; null for `period_end`. */
  prorationDate: number | null;
}

export interface ApplyPlanChangeInput {
  subscriptionId: string;
  itemId: string;
  planId: PlanId;
  interval: Interval;
  /**
   * `immediate`: prorate and invoice now. `period_end`: switch the price
   * without proration, so call it at the period boundary (the workflow's
   * timer): Stripe treats the new price as current from this call on.
   */
  timing: PlanChangeTiming;
  /** Epoch seconds, the preview's; immediate changes only. Stripe uses "now" when absent. */
  prorationDate?: number;
  workspaceId: string;
  idempotencyKey: string;
}

export interface AppliedPlanChange {
  subscriptionId: string;
  /** Stripe's subscription status as returned by the update. */
  status: string;
  /** Epoch ms, or null when Stripe did not say. */
  currentPeriodEnd: number | null;
  itemId: string;
  /**
   * Epoch ms when Stripe holds an immediate change as a pending update
   * because its proration invoice was not paid: the plan has NOT changed,
   * and Stripe discards the update at this time unless the invoice is paid.
   * Null when the change was applied.
   */
  pendingUpdateExpiresAt: number | null;
}

export interface SetCancelAtPeriodEndInput {
  subscriptionId: string;
  cancel: boolean;
  idempotencyKey: string;
}

export interface CancelAtPeriodEndResult {
  subscriptionId: string;
  cancelAtPeriodEnd: boolean;
  /** Epoch ms, or null when Stripe did not say. */
  currentPeriodEnd: number | null;
}

/** The item the change was about (else the first one). */
function itemOf(subscription: Stripe.Subscription, itemId: string): Stripe.SubscriptionItem | undefined {
  const items = subscription.items?.data ?? [];
  return items.find((item) => item.id === itemId) ?? items[0];
}

/**
 * Current period end in ms. Since API 2025-03-31 it lives on the items;
 * older payloads carry it on the subscription itself.
 */
function currentPeriodEndMs(subscription: Stripe.Subscription, itemId?: string): number | null {
  const item = itemId === undefined ? subscription.items?.data[0] : itemOf(subscription, itemId);
  const legacy = (subscription as { current_period_end?: number | null }).current_period_end;
  const seconds = item?.current_period_end ?? legacy ?? null;
  return typeof seconds === 'number' ? seconds * 1000 : null;
}

export function createPlanChangeActivities({
  stripe,
  prices = createPriceLookup(stripe),
}: {
  stripe: Stripe;
  /** Shared with the other Stripe activities by createActivities; a private one otherwise. */
  prices?: PriceLookup;
}) {
  const { priceIdFor } = prices;

  return {
    /** Stripe's own calculation of the invoice the change would produce. Read-only: no idempotency key. */
    async previewPlanChange(input: PreviewPlanChangeInput): Promise<PlanChangePreview> {
      const price = await priceIdFor(input.planId, input.interval);
      const immediate = (input.timing ?? 'immediate') === 'immediate';
      const preview = await callStripe('preview plan change', () =>
        stripe.invoices.createPreview({
          customer: input.customerId,
          subscription: input.subscriptionId,
          subscription_details: {
            items: [{ id: input.itemId, price }],
            ...(immediate
              ? { proration_behavior: 'always_invoice' as const, proration_date: input.prorationDate }
              : { proration_behavior: 'none' as const }),
          },
        }),
      );
      return {
        amountDueCents: preview.amount_due,
        currency: preview.currency,
        prorationDate: immediate ? input.prorationDate : null,
      };
    },

    /**
     * Switch the subscription's item to the plan's price.
     *
     * Immediate changes use Stripe's pending updates
     * (`payment_behavior=pending_if_incomplete`): the plan switches only once
     * the proration invoice is paid. A pending update accepts only item,
     * proration and trial parameters, so metadata and cancel_at_period_end
     * follow in a second request (idempotency key `<key>:metadata`), sent only
     * when the change was applied.
     */
    async applyPlanChange(input: ApplyPlanChangeInput): Promise<AppliedPlanChange> {
      const price = await priceIdFor(input.planId, input.interval);
      const items = [{ id: input.itemId, price }];
      const bookkeeping = {
        cancel_at_period_end: false,
        metadata: { workspaceId: input.workspaceId, planId: input.planId, interval: input.interval },
      };

      let subscription: Stripe.Subscription;
      if (input.timing === 'immediate') {
        subscription = await callStripe('apply plan change', () =>
          stripe.subscriptions.update(
            input.subscriptionId,
            {
              items,
              proration_behavior: 'always_invoice',
              ...(input.prorationDate !== undefined && { proration_date: input.prorationDate }),
              payment_behavior: 'pending_if_incomplete',
            },
            { idempotencyKey: input.idempotencyKey },
          ),
        );
        if (!subscription.pending_update) {
          subscription = await callStripe('record plan change', () =>
            stripe.subscriptions.update(input.subscriptionId, bookkeeping, {
              idempotencyKey: `${input.idempotencyKey}:metadata`,
            }),
          );
        }
      } else {
        subscription = await callStripe('apply plan change', () =>
          stripe.subscriptions.update(
            input.subscriptionId,
            { items, proration_behavior: 'none', ...bookkeeping },
            { idempotencyKey: input.idempotencyKey },
          ),
        );
      }

      const pending = subscription.pending_update;
      return {
        subscriptionId: subscription.id,
        status: subscription.status,
        currentPeriodEnd: currentPeriodEndMs(subscription, input.itemId),
        itemId: itemOf(subscription, input.itemId)?.id ?? input.itemId,
        pendingUpdateExpiresAt: pending ? pending.expires_at * 1000 : null,
      };
    },

    /** Cancel at the end of the current period (a change to Essential), or undo that. */
    async setCancelAtPeriodEnd(input: SetCancelAtPeriodEndInput): Promise<CancelAtPeriodEndResult> {
      const subscription = await callStripe(input.cancel ? 'cancel at period end' : 'keep subscription', () =>
        stripe.subscriptions.update(
          input.subscriptionId,
          { cancel_at_period_end: input.cancel },
          { idempotencyKey: input.idempotencyKey },
        ),
      );
      return {
        subscriptionId: subscription.id,
        cancelAtPeriodEnd: subscription.cancel_at_period_end,
        currentPeriodEnd: currentPeriodEndMs(subscription),
      };
    },
  };
}
