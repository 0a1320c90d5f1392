// The tables the timeline reads, one reader each: the newest rows of the
// workspace within the time range (at most `limit`, so no table is read
// whole), translated by the pure functions of src/domain/timeline/row-entries.ts.
// A new table (e.g. outbound notifications) plugs in as one more reader in
// TIMELINE_TABLE_SOURCES with its own pure translation.
import type { PrismaClient } from '@prisma/client';
import {
  dunningReminderCandidates,
  operatorAuditCandidates,
  salesLeadCandidates,
  spendAlertCandidates,
  stripeEventCandidates,
  walletEntryCandidates,
} from '../domain/timeline/row-entries';
import type { TimelineCandidate } from '../domain/timeline/timeline';

export interface TimelineWindow {
  fromMs: number | null;
  toMs: number | null;
  limit: number;
}

export interface TimelineTableSource {
  table: string;
  /** Candidates from the newest rows in the window; `complete` is false when the limit cut older rows off. */
  read(prisma: PrismaClient, workspaceId: string, window: TimelineWindow): Promise<{ candidates: TimelineCandidate[]; complete: boolean }>;
}

const ms = (d: Date) => d.getTime();
const range = (w: TimelineWindow) => ({
  ...(w.fromMs === null ? {} : { gte: new Date(w.fromMs) }),
  ...(w.toMs === null ? {} : { lt: new Date(w.toMs) }),
});

/** A reader over one table: `rows` fetches at most `limit` newest rows, `translate` makes candidates. */
function source<R>(table: string, rows: (prisma: PrismaClient, workspaceId: string, w: TimelineWindow) => Promise<R[]>, translate: (rows: R[]) => TimelineCandidate[]): TimelineTableSource {
  return {
    table,
    async read(prisma, workspaceId, window) {
      const found = await rows(prisma, workspaceId, window);
      return { candidates: translate(found), complete: found.length < window.limit };
    },
  };
}

export const TIMELINE_TABLE_SOURCES: readonly TimelineTableSource[] = [
  source(
    'stripe_event',
    async (prisma, workspaceId, w) => {
      // Events of a guest checkout this workspace claimed belong to its story too.
      const claimed = await prisma.guestCheckout.findMany({ where: { claimedWorkspaceId: workspaceId }, select: { checkoutId: true }, take: 100 });
      const rows = await prisma.stripeEvent.findMany({
        where: { OR: [{ workspaceId }, { guestCheckoutId: { in: claimed.map((c) => c.checkoutId) } }], receivedAt: range(w) },
        orderBy: { receivedAt: 'desc' },
        take: w.limit,
      });
      return rows.map((r) => ({ id: r.id, type: r.type, receivedAtMs: ms(r.receivedAt), outcome: r.outcome, guestCheckoutId: r.guestCheckoutId }));
    },
    stripeEventCandidates,
  ),
  source(
    'operator_audit',
    async (prisma, workspaceId, w) =>
      (await prisma.operatorAudit.findMany({ where: { workspaceId, createdAt: range(w) }, orderBy: { createdAt: 'desc' }, take: w.limit })).map((r) => ({
        id: String(r.id),
        action: r.action,
        reason: r.reason,
        actor: r.actor,
        requestId: r.requestId,
        details: r.details,
        createdAtMs: ms(r.createdAt),
      })),
    operatorAuditCandidates,
  ),
  source(
    'wallet_entry',
    async (prisma, workspaceId, w) =>
      (await prisma.walletEntry.findMany({ where: { workspaceId, createdAt: range(w) }, orderBy: { id: 'desc' }, take: w.limit })).map((r) => ({
        id: String(r.id),
        kind: r.kind,
        amountCents: Number(r.amountCents),
        sourceType: r.sourceType,
        sourceId: r.sourceId,
        reason: r.reason,
        createdAtMs: ms(r.createdAt),
      })),
    walletEntryCandidates,
  ),
  source(
    'dunning_reminder',
    async (prisma, workspaceId, w) =>
      (await prisma.dunningReminder.findMany({ where: { workspaceId, createdAt: range(w) }, orderBy: { createdAt: 'desc' }, take: w.limit })).map((r) => ({
        id: String(r.id),
        graceStartedAtMs: ms(r.graceStartedAt),
        graceEndsAtMs: ms(r.graceEndsAt),
        offsetMs: Number(r.offsetMs),
        invoice: r.invoice,
        createdAtMs: ms(r.createdAt),
        sentAtMs: r.sentAt ? ms(r.sentAt) : null,
      })),
    dunningReminderCandidates,
  ),
  source(
    'spend_alert',
    async (prisma, workspaceId, w) =>
      (await prisma.spendAlert.findMany({ where: { workspaceId, createdAt: range(w) }, orderBy: { createdAt: 'desc' }, take: w.limit })).map((r) => ({
        month: r.month,
        thresholdPercent: r.thresholdPercent,
        spentCents: Number(r.spentCents),
        capCents: Number(r.capCents),
        createdAtMs: ms(r.createdAt),
      })),
    spendAlertCandidates,
  ),
  source(
    'sales_lead',
    async (prisma, workspaceId, w) =>
      (await prisma.salesLead.findMany({ where: { workspaceId, createdAt: range(w) }, orderBy: { createdAt: 'desc' }, take: w.limit })).map((r) => ({
        id: String(r.id),
        requestId: r.requestId,
        planId: r.planId,
        interval: r.interval,
        source: r.source,
        email: r.email,
        createdAtMs: ms(r.createdAt),
      })),
    salesLeadCandidates,
  ),
];
