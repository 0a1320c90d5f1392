// Invoices the workspace owes or owed, as far as Stripe's invoice events
// told us. Paid and void are final: a late or duplicated failure for an
// invoice already paid changes nothing, whatever order the events came in.
import type { InvoiceChangedFact, InvoiceStatus } from './billing-facts';

export interface InvoiceRecord {
  id: string;
  subscriptionId: string | null;
  status: InvoiceStatus;
  /** A collection attempt failed and the invoice is not settled since. */
  paymentFailed: boolean;
  /**
   * When the earliest failed collection attempt we know of happened (null
   * when none failed or the invoice is settled). Absent in records saved
   * before it existed: read it with failedAt().
   */
  failedAt?: number | null;
  amountDueCents: number;
  currency: string;
  hostedInvoiceUrl: string | null;
  /** occurredAt of the newest fact applied to this invoice. */
  lastFactAt: number;
}

export const INVOICES_KEPT = 20;

const SETTLED: readonly InvoiceStatus[] = ['paid', 'void'];
export const isSettled = (status: InvoiceStatus) => SETTLED.includes(status);
const isUnpaid = (status: InvoiceStatus) => status === 'open' || status === 'uncollectible';

function keepRecent(invoices: InvoiceRecord[]): InvoiceRecord[] {
  if (invoices.length <= INVOICES_KEPT) return invoices;
  // Forget settled invoices first, oldest first; unpaid ones stay as long as possible.
  const byAge = [...invoices].sort((a, b) => a.lastFactAt - b.lastFactAt);
  const drop = new Set<string>();
  for (const inv of [...byAge.filter((i) => isSettled(i.status)), ...byAge]) {
    if (invoices.length - drop.size <= INVOICES_KEPT) break;
    drop.add(inv.id);
  }
  return invoices.filter((i) => !drop.has(i.id));
}

/** When the earliest known failed collection attempt of an unsettled invoice happened, or null. */
export function failedAt(invoice: InvoiceRecord): number | null {
  if (!invoice.paymentFailed || isSettled(invoice.status)) return null;
  return invoice.failedAt ?? invoice.lastFactAt;
}

export function applyInvoiceFact(invoices: InvoiceRecord[], fact: InvoiceChangedFact): InvoiceRecord[] {
  const current = invoices.find((i) => i.id === fact.invoiceId);
  const settles = isSettled(fact.status);
  if (current) {
    const settledNow = isSettled(current.status);
    if (settledNow && !settles) return invoices;
    if (settledNow === settles && fact.occurredAt < current.lastFactAt) {
      // Older news about an unpaid invoice: its status and amount are stale,
      // but a failed attempt still happened, whichever order the events came in.
      const known = failedAt(current);
      if (settles || !fact.paymentFailed || (known !== null && known <= fact.occurredAt)) return invoices;
      return invoices.map((i) => (i.id === current.id ? { ...i, paymentFailed: true, failedAt: fact.occurredAt } : i));
    }
  }
  const knownFailure = current ? failedAt(current) : null;
  const failureAt = fact.paymentFailed ? Math.min(fact.occurredAt, knownFailure ?? fact.occurredAt) : knownFailure;
  const next: InvoiceRecord = {
    id: fact.invoiceId,
    subscriptionId: fact.subscriptionId ?? current?.subscriptionId ?? null,
    status: fact.status,
    paymentFailed: !settles && failureAt !== null,
    failedAt: settles ? null : failureAt,
    amountDueCents: settles ? 0 : fact.amountDueCents,
    currency: fact.currency,
    hostedInvoiceUrl: fact.hostedInvoiceUrl ?? current?.hostedInvoiceUrl ?? null,
    // A settlement is dated by itself: when the invoice was paid (or voided),
    // whatever older or later unsettled news had arrived before it.
    lastFactAt: settles ? fact.occurredAt : Math.max(fact.occurredAt, current?.lastFactAt ?? fact.occurredAt),
  };
  const rest = invoices.filter((i) => i.id !== fact.invoiceId);
  return keepRecent([...rest, next]);
}

/** The newest unpaid invoice the customer can pay on Stripe's hosted page. */
export function unpaidHostedInvoice(invoices: InvoiceRecord[]): InvoiceRecord | null {
  const payable = invoices.filter((i) => isUnpaid(i.status) && i.hostedInvoiceUrl && i.amountDueCents > 0);
  return payable.sort((a, b) => b.lastFactAt - a.lastFactAt)[0] ?? null;
}

/** Unpaid invoices of this subscription whose collection failed. */
export function failedUnpaidInvoices(invoices: InvoiceRecord[], subscriptionId: string): InvoiceRecord[] {
  return invoices.filter((i) => i.paymentFailed && isUnpaid(i.status) && (i.subscriptionId ?? subscriptionId) === subscriptionId);
}

/** When the newest payment we know of happened (0 if none). */
export function lastPaidAt(invoices: InvoiceRecord[]): number {
  return invoices.filter((i) => i.status === 'paid').reduce((max, i) => Math.max(max, i.lastFactAt), 0);
}
