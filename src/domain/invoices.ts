// Invoices the workspace owes or owed, as far as Stripe's invoice events
// told us. Paid and void are final: a late or duplicated failure for an
// invoice already paid changes nothing, whatever order the events came in.
import type { CollectionMethod, InvoiceChangedFact, InvoiceStatus } from './billing-facts';

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
  /**
   * The invoice's terms, once an event carried them: `send_invoice` invoices
   * are paid by the customer by `dueAt` (ms). Absent when unknown (records
   * and facts from before these fields existed).
   */
  collectionMethod?: CollectionMethod;
  dueAt?: number;
  /** When Stripe first asked the customer to act on the payment (3-D Secure…); absent when it did not or the invoice is settled. */
  actionRequiredAt?: number;
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
      // but a failed attempt or a request for action still happened, whichever
      // order the events came in, and the invoice's terms are still its terms.
      if (settles) return invoices;
      const merged = mergeOlderNews(current, fact);
      return merged === current ? invoices : invoices.map((i) => (i.id === current.id ? merged : i));
    }
  }
  const knownFailure = current ? failedAt(current) : null;
  const failureAt = fact.paymentFailed ? Math.min(fact.occurredAt, knownFailure ?? fact.occurredAt) : knownFailure;
  const actionAt = settles ? null : earliest(fact.actionRequired ? fact.occurredAt : null, current?.actionRequiredAt ?? null);
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
    ...termsOf(fact, current),
    ...(actionAt !== null && { actionRequiredAt: actionAt }),
  };
  const rest = invoices.filter((i) => i.id !== fact.invoiceId);
  return keepRecent([...rest, next]);
}

function earliest(a: number | null, b: number | null): number | null {
  if (a === null) return b;
  return b === null ? a : Math.min(a, b);
}

/**
 * The collection method and due date: what the fact says, else what was
 * known. Only set when known, so records of facts without terms look
 * exactly as they did before the fields existed.
 */
function termsOf(fact: InvoiceChangedFact, current: InvoiceRecord | undefined): Pick<InvoiceRecord, 'collectionMethod' | 'dueAt'> {
  const collectionMethod = fact.collectionMethod ?? current?.collectionMethod;
  const dueAt = fact.dueAt ?? current?.dueAt;
  return { ...(collectionMethod && { collectionMethod }), ...(dueAt != null && { dueAt }) };
}

/** What an older event about an unsettled invoice still adds: an earlier failure or request for action, terms not known yet. */
function mergeOlderNews(current: InvoiceRecord, fact: InvoiceChangedFact): InvoiceRecord {
  let next = current;
  const known = failedAt(current);
  if (fact.paymentFailed && (known === null || fact.occurredAt < known)) next = { ...next, paymentFailed: true, failedAt: fact.occurredAt };
  if (fact.actionRequired && (current.actionRequiredAt === undefined || fact.occurredAt < current.actionRequiredAt)) {
    next = { ...next, actionRequiredAt: fact.occurredAt };
  }
  const terms = termsOf(fact, current);
  if (terms.collectionMethod !== current.collectionMethod || terms.dueAt !== current.dueAt) next = { ...next, ...terms };
  return next;
}

/** The newest unpaid invoice the customer can pay on Stripe's hosted page. */
export function unpaidHostedInvoice(invoices: InvoiceRecord[]): InvoiceRecord | null {
  const payable = invoices.filter((i) => isUnpaid(i.status) && i.hostedInvoiceUrl && i.amountDueCents > 0);
  return payable.sort((a, b) => b.lastFactAt - a.lastFactAt)[0] ?? null;
}

/** The unpaid invoice as /billing and payment-recovery refusals show it. */
export interface UnpaidInvoice {
  id: string;
  amountDueCents: number;
  currency: string;
  hostedInvoiceUrl: string;
}

export function unpaidInvoiceView(invoices: InvoiceRecord[]): UnpaidInvoice | null {
  const unpaid = unpaidHostedInvoice(invoices);
  return unpaid ? { id: unpaid.id, amountDueCents: unpaid.amountDueCents, currency: unpaid.currency, hostedInvoiceUrl: unpaid.hostedInvoiceUrl! } : null;
}

/** Unpaid invoices of this subscription whose collection failed. */
export function failedUnpaidInvoices(invoices: InvoiceRecord[], subscriptionId: string): InvoiceRecord[] {
  return invoices.filter((i) => i.paymentFailed && isUnpaid(i.status) && (i.subscriptionId ?? subscriptionId) === subscriptionId);
}

/** When the newest payment we know of happened (0 if none). */
export function lastPaidAt(invoices: InvoiceRecord[]): number {
  return invoices.filter((i) => i.status === 'paid').reduce((max, i) => Math.max(max, i.lastFactAt), 0);
}

/**
 * From when an unsettled invoice puts the workspace in billing recovery, by
 * its own record (null: it does not, whatever the time): when it was marked
 * uncollectible, when a collection attempt failed or Stripe asked the
 * customer to act, or — for an invoice the customer pays by itself
 * (`send_invoice`) — its due date. An invoice merely finalized, not yet due
 * or attempted, is not a recovery. `attemptSuperseded` tells whether a newer
 * "active" of its subscription settled the failed attempt or the action.
 */
export function invoiceRecoveryFrom(invoice: InvoiceRecord, attemptSuperseded: boolean): number | null {
  if (invoice.status === 'uncollectible') return invoice.lastFactAt;
  if (invoice.status !== 'open') return null;
  const attempt = attemptSuperseded ? null : earliest(failedAt(invoice), invoice.actionRequiredAt ?? null);
  const due = invoice.collectionMethod === 'send_invoice' && invoice.dueAt !== undefined ? invoice.dueAt : null;
  return earliest(attempt, due);
}
