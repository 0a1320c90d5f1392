// Table rows → timeline candidates: Stripe events as the webhook recorded
// them, operator actions with actor and reason, the wallet ledger (top-ups,
// grants, one debit per rating pass), the dunning reminder outbox, spend
// alerts and sales leads. Each row carries the key of the fact it records,
// so a row and the workflow event that caused it become one entry (the
// workflow's words, the row's id). A new table plugs in with one more
// function of this shape and one reader in src/read-model/timeline-sources.ts.
import {
  describeLedgerSource,
  describeOperatorAction,
  describeReminder,
  describeSalesLead,
  describeSpendAlert,
  iso,
  money,
} from './explain';
import { USAGE_BATCH_SOURCE } from '../wallet';
import { RANK_ROW, type TimelineCandidate } from './timeline';

const row = (table: string, id: string) => ({ rows: [{ table, id }] });

export interface StripeEventRow {
  id: string;
  type: string;
  receivedAtMs: number;
  outcome: string | null;
  guestCheckoutId: string | null;
}

export function stripeEventCandidates(rows: readonly StripeEventRow[]): TimelineCandidate[] {
  return rows.map((r) => {
    const outcome = r.outcome && r.outcome !== 'delivered' ? `, ${r.outcome === 'received' ? 'not yet confirmed delivered to the workflow' : r.outcome}` : '';
    const guest = r.guestCheckoutId ? ` for guest checkout ${r.guestCheckoutId}` : '';
    return {
      atMs: r.receivedAtMs,
      kind: 'stripe.event',
      summary: `Stripe ${r.type} received${guest}${outcome}`,
      note: `Stripe ${r.type}${outcome}`,
      key: `stripe:${r.id}`,
      rank: RANK_ROW,
      source: { stripeEventId: r.id, ...row('stripe_event', r.id) },
    };
  });
}

export interface OperatorAuditRow {
  id: string;
  action: string;
  reason: string;
  actor: string;
  requestId: string;
  details: unknown;
  createdAtMs: number;
}

export function operatorAuditCandidates(rows: readonly OperatorAuditRow[]): TimelineCandidate[] {
  return rows.map((r) => ({
    atMs: r.createdAtMs,
    kind: `operator.${r.action}`,
    summary: describeOperatorAction(r.action, r.actor, r.reason, r.details && typeof r.details === 'object' ? (r.details as Record<string, unknown>) : {}),
    key: `audit:${r.requestId}`,
    rank: RANK_ROW,
    source: row('operator_audit', r.id),
  }));
}

export interface WalletEntryRow {
  id: string;
  kind: string;
  amountCents: number;
  sourceType: string;
  sourceId: string;
  reason: string | null;
  createdAtMs: number;
}

export function walletEntryCandidates(rows: readonly WalletEntryRow[]): TimelineCandidate[] {
  return rows.map((r) => {
    let kind = 'wallet.credited';
    let summary = `Wallet credited ${money(r.amountCents)} (${describeLedgerSource(r.sourceType, r.sourceId)})${r.reason ? `: ${r.reason}` : ''}`;
    if (r.sourceType === USAGE_BATCH_SOURCE) {
      kind = 'wallet.usage_debited';
      summary = `Usage rating pass debited ${money(-r.amountCents)} (${r.reason ?? 'usage events rated'}; usage seq ${r.sourceId})`;
    } else if (r.kind === 'adjustment') {
      kind = 'wallet.adjusted';
      summary = `Wallet adjusted by ${money(r.amountCents)} (${describeLedgerSource(r.sourceType, r.sourceId)})${r.reason ? `: ${r.reason}` : ''}`;
    }
    return { atMs: r.createdAtMs, kind, summary, key: `ledger:${r.sourceType}:${r.sourceId}`, rank: RANK_ROW, source: row('wallet_entry', r.id) };
  });
}

export interface DunningReminderRow {
  id: string;
  graceStartedAtMs: number;
  graceEndsAtMs: number;
  offsetMs: number;
  invoice: unknown;
  createdAtMs: number;
  sentAtMs: number | null;
}

export function dunningReminderCandidates(rows: readonly DunningReminderRow[]): TimelineCandidate[] {
  return rows.map((r) => {
    const delivery = r.sentAtMs === null ? 'not sent by the mailer yet' : `sent ${iso(r.sentAtMs)}`;
    const invoice = r.invoice && typeof r.invoice === 'object' ? (r.invoice as { id?: unknown }) : null;
    return {
      atMs: r.createdAtMs,
      kind: 'dunning.reminder',
      summary: `${describeReminder({ offsetMs: r.offsetMs, graceEndsAt: r.graceEndsAtMs, invoice })}; ${delivery}`,
      note: delivery,
      key: `reminder:${r.graceStartedAtMs}:${r.offsetMs}`,
      rank: RANK_ROW,
      source: row('dunning_reminder', r.id),
    };
  });
}

export interface SpendAlertRow {
  month: string;
  thresholdPercent: number;
  spentCents: number;
  capCents: number;
  createdAtMs: number;
}

export function spendAlertCandidates(rows: readonly SpendAlertRow[]): TimelineCandidate[] {
  return rows.map((r) => ({
    atMs: r.createdAtMs,
    kind: 'spend.alert',
    summary: describeSpendAlert(r),
    key: `spend_alert:${r.month}:${r.thresholdPercent}`,
    rank: RANK_ROW,
    source: row('spend_alert', `${r.month}/${r.thresholdPercent}`),
  }));
}

export interface SalesLeadRow {
  id: string;
  requestId: string;
  planId: string;
  interval: string | null;
  source: string;
  email: string | null;
  createdAtMs: number;
}

export function salesLeadCandidates(rows: readonly SalesLeadRow[]): TimelineCandidate[] {
  return rows.map((r) => ({
    atMs: r.createdAtMs,
    kind: 'sales.lead',
    summary: describeSalesLead(r),
    key: `lead:${r.requestId}`,
    rank: RANK_ROW,
    source: row('sales_lead', r.id),
  }));
}
