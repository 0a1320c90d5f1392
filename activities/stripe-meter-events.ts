// Reports rated production usage to Stripe as billing meter events, one per
// usage event, oldest first. Each carries an identifier derived from the
// workspace and event id, so a retry after a crash between Stripe accepting
// the event and reported_at being written re-sends the same identifier and
// Stripe de-duplicates it (Stripe enforces identifier uniqueness for at least
// 24 hours); the same identifier is the request's idempotency key, so the
// SDK's own network retries replay rather than repeat. Meters are expected with event names `requests_<family>`.
import { createHash } from 'node:crypto';
import type Stripe from 'stripe';
import type { PrismaClient } from '@prisma/client';
import { callStripe } from './stripe-failures';

export interface ReportUsageInput {
  workspaceId: string;
  /** The workspace's Stripe customer, written into each meter event's payload. */
  customerId: string;
  /** Most events reported by one call (default 100); `more` says whether to call again. */
  limit?: number;
  /** Stop sending after this long (ms) and answer `more` (a local activity keeps its workflow task short). */
  budgetMs?: number;
}

export interface ReportUsageResult {
  reported: number;
  more: boolean;
}

export const DEFAULT_REPORT_LIMIT = 100;
const MAX_REPORT_LIMIT = 1000;
/** Stripe's limit on a meter event identifier. */
const MAX_IDENTIFIER_LENGTH = 100;

/**
 * `${workspaceId}:${eventId}`, or, when that is too long for Stripe, a
 * SHA-256 of it behind a `_` (a workspace id never starts with one, so a
 * hashed identifier cannot equal a plain one).
 */
export function meterEventIdentifier(workspaceId: string, eventId: string): string {
  const plain = `${workspaceId}:${eventId}`;
  if (plain.length <= MAX_IDENTIFIER_LENGTH) return plain;
  return `_sha256:${createHash('sha256').update(plain, 'utf8').digest('hex')}`;
}

export function meterEventName(family: string): string {
  return `requests_${family}`;
}

interface UnreportedRow {
  seq: bigint;
  event_id: string;
  family: string;
  quantity: bigint;
  occurred_at: Date;
}

export function createMeterEventActivities({ prisma, stripe }: { prisma: PrismaClient; stripe: Stripe }) {
  return {
    async reportUsageToStripe({ workspaceId, customerId, limit = DEFAULT_REPORT_LIMIT, budgetMs }: ReportUsageInput): Promise<ReportUsageResult> {
      const started = Date.now();
      const take = Math.min(Math.max(Math.trunc(limit), 1), MAX_REPORT_LIMIT);
      const rows = await prisma.$queryRaw<UnreportedRow[]>`
        SELECT seq, event_id, family, quantity, occurred_at FROM usage_event
        WHERE workspace_id = ${workspaceId} AND environment = 'production'
          AND rated_at IS NOT NULL AND reported_at IS NULL AND parked_reason IS NULL
        ORDER BY seq LIMIT ${take + 1}::int`;
      const batch = rows.slice(0, take);
      let reported = 0;
      for (const row of batch) {
        if (budgetMs !== undefined && reported > 0 && Date.now() - started > budgetMs) return { reported, more: true };
        const identifier = meterEventIdentifier(workspaceId, row.event_id);
        await callStripe('report meter event', () =>
          stripe.billing.meterEvents.create(
            {
              event_name: meterEventName(row.family),
              payload: { stripe_customer_id: customerId, value: row.quantity.toString() },
              identifier,
              timestamp: Math.floor(row.occurred_at.getTime() / 1000),
            },
            { idempotencyKey: `meter-event:${identifier}` },
          ),
        );
        await prisma.$executeRaw`UPDATE usage_event SET reported_at = now() WHERE seq = ${row.seq}`;
        reported += 1;
      }
      return { reported, more: rows.length > take };
    },
  };
}
