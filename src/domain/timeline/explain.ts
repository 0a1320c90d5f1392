// One-line explanations shared by the timeline's translators: money, plans,
// times and what a Stripe fact says, in words a support person reads.
import type { StripeFact } from '../billing-facts';

/** 2900, "usd" → "29.00 USD" (exact: integer arithmetic, no floats). */
export function money(cents: number, currency = 'usd'): string {
  const sign = cents < 0 ? '-' : '';
  const abs = Math.abs(cents);
  return `${sign}${Math.floor(abs / 100)}.${String(abs % 100).padStart(2, '0')} ${currency.toUpperCase()}`;
}

export function iso(ms: number): string {
  return new Date(ms).toISOString();
}

export function planLabel(planId: string | null | undefined, interval: string | null | undefined): string {
  if (!planId) return 'an unknown plan';
  return interval ? `${planId} (${interval})` : planId;
}

/** Where a reminder falls in the grace window: "start", "day 3", "hour 12", "second 4". */
export function offsetLabel(offsetMs: number): string {
  if (offsetMs === 0) return 'start';
  if (offsetMs % 86_400_000 === 0) return `day ${offsetMs / 86_400_000}`;
  if (offsetMs % 3_600_000 === 0) return `hour ${offsetMs / 3_600_000}`;
  return `second ${Math.round(offsetMs / 1000)}`;
}

export function quoted(reason: string): string {
  return `"${reason}"`;
}

/** Kind and one line for what a Stripe event told the engine. */
export function describeFact(fact: StripeFact): { kind: string; summary: string } | null {
  switch (fact.kind) {
    case 'checkout_completed':
      return {
        kind: 'checkout.completed',
        summary:
          `Checkout ${fact.checkoutId} completed at Stripe for ${planLabel(fact.planId, fact.interval)}: ` +
          `${fact.paid ? 'paid' : 'payment not received yet'}${fact.subscriptionId ? `, subscription ${fact.subscriptionId}` : ''}`,
      };
    case 'checkout_expired':
      return { kind: 'checkout.expired', summary: `Checkout ${fact.checkoutId} expired at Stripe without payment` };
    case 'subscription_changed': {
      const status = fact.status === 'past_due' ? 'past_due (a payment is overdue)' : fact.status;
      const cancel = fact.cancelAtPeriodEnd ? `; cancels at the period end${fact.currentPeriodEnd ? ` (${iso(fact.currentPeriodEnd)})` : ''}` : '';
      return {
        kind: 'subscription.updated',
        summary: `Stripe subscription ${fact.subscriptionId} is ${status} on ${planLabel(fact.planId, fact.interval)}${cancel}`,
      };
    }
    case 'invoice_changed': {
      const amount = money(fact.amountDueCents, fact.currency);
      if (fact.paymentFailed) return { kind: 'invoice.payment_failed', summary: `Payment of invoice ${fact.invoiceId} failed: ${amount} due` };
      switch (fact.status) {
        case 'paid':
          return { kind: 'invoice.paid', summary: `Invoice ${fact.invoiceId} paid${fact.amountDueCents > 0 ? ` (${amount})` : ''}` };
        case 'void':
          return { kind: 'invoice.voided', summary: `Invoice ${fact.invoiceId} voided (${amount} no longer due)` };
        case 'uncollectible':
          return { kind: 'invoice.uncollectible', summary: `Invoice ${fact.invoiceId} marked uncollectible (${amount} unpaid)` };
        case 'open':
          return { kind: 'invoice.finalized', summary: `Invoice ${fact.invoiceId} finalized: ${amount} due` };
        default:
          return { kind: 'invoice.updated', summary: `Invoice ${fact.invoiceId} is ${fact.status} (${amount})` };
      }
    }
    case 'top_up_paid':
      return { kind: 'top_up.paid', summary: `Top-up ${fact.topUpId} paid at Stripe: ${money(fact.amountCents, fact.currency)}` };
    default:
      return null; // a fact kind this reader does not know (newer engine): skipped
  }
}

const ACTION_WORDS: Record<string, string> = {
  extend_grace: 'extended the grace window',
  end_grace: 'ended the grace window as forgiven',
  resync_from_stripe: 'resynced the subscription from Stripe',
  cancel_scheduled_change: 'cancelled the scheduled plan change',
  grant_credit: 'granted credit',
};

type Details = Record<string, unknown>;
const text = (value: unknown): string | null => (typeof value === 'string' ? value : null);

/** An operator action as the audit row and the workflow Update both describe it. */
export function describeOperatorAction(action: string, actor: string, reason: string, details: Details): string {
  let what = ACTION_WORDS[action] ?? `performed ${action}`;
  if (action === 'extend_grace' && text(details.endsAt)) {
    what = `extended the grace window to ${details.endsAt}${text(details.previousEndsAt) ? ` (was ${details.previousEndsAt}${details.wasExpired ? ', expired' : ''})` : ''}`;
  } else if (action === 'resync_from_stripe' && text(details.subscriptionId)) {
    what = `resynced subscription ${details.subscriptionId} from Stripe (${details.changed ? 'the state changed' : 'nothing changed'})`;
  } else if (action === 'cancel_scheduled_change' && details.canceled && typeof details.canceled === 'object') {
    const c = details.canceled as Details;
    what = `cancelled the scheduled change to ${planLabel(text(c.targetPlanId), text(c.interval))}`;
  } else if (action === 'grant_credit' && typeof details.amountCents === 'number') {
    what = `granted ${money(details.amountCents)} of credit (reference ${String(details.reference)})${details.credited === false ? ', already granted before' : ''}`;
  }
  // The scheduled reconciliation performs resyncs as an operator would (actor "reconciliation").
  const who = actor === 'reconciliation' ? 'The scheduled reconciliation' : `Operator ${actor}`;
  return `${who} ${what}: ${quoted(reason)}`;
}

export function describeReminder(r: { offsetMs: number; graceEndsAt: number; invoice: { id?: unknown; amountDueCents?: unknown; currency?: unknown } | null }): string {
  const invoice =
    r.invoice && typeof r.invoice.id === 'string'
      ? ` for invoice ${r.invoice.id}${typeof r.invoice.amountDueCents === 'number' ? ` (${money(r.invoice.amountDueCents, text(r.invoice.currency) ?? 'usd')})` : ''}`
      : '';
  return `Payment reminder (${offsetLabel(r.offsetMs)} of the grace window ending ${iso(r.graceEndsAt)}) recorded${invoice}`;
}

export function describeSpendAlert(a: { month: string; thresholdPercent: number; spentCents: number; capCents: number }): string {
  return `Spend alert: ${a.thresholdPercent} % of the ${money(a.capCents)} monthly cap reached (${money(a.spentCents)} spent in ${a.month})`;
}

/** What a ledger source is, in words: "top-up tu_1", "operator grant TICKET-1". */
export function describeLedgerSource(sourceType: string, sourceId: string): string {
  if (sourceType === 'top_up') return `top-up ${sourceId}`;
  if (sourceType === 'operator_grant') return `operator grant ${sourceId}`;
  return `${sourceType} ${sourceId}`;
}

export function describeSalesLead(l: { planId: string; interval: string | null; source: string; email: string | null }): string {
  const from = l.source === 'guest_checkout' ? 'a guest checkout' : 'a checkout';
  return `Enterprise interest recorded as a sales lead (${from} for ${planLabel(l.planId, l.interval)}${l.email ? `, ${l.email}` : ''}); self-serve refused it`;
}
