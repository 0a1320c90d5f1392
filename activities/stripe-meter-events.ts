// Reports rated production usage to Stripe as billing meter events: one
// event per (family, second of occurrence) among the rows a call claims, its
// value the sum of their quantities. Stripe's meters sum event values and
// bill an event by its timestamp (whole seconds), so a group is billed
// exactly as its events one by one would be — with a fraction of the
// requests (a sustained stream sends far more events per second than
// Stripe's meter event API accepts calls).
//
// Exactly once: a call first claims unclaimed rows, writing each group's
// identifier on its rows (a row already claimed is never claimed again, even
// by a concurrent call), then sends every claimed, unsent group under that
// identifier and marks its rows reported. A retry after a crash between
// Stripe accepting a group and reported_at being written re-sends the same
// identifier, which Stripe de-duplicates (for at least 24 hours); it is also
// the request's idempotency key. Meters are expected with event names
// `requests_<family>` and sum aggregation.
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
 * A group's identifier as Stripe gets it: `_u:<workspace>:<family>:<second>:<first seq>`
 * (a workspace id never starts with `_`, so it cannot equal an identifier of
 * the earlier one-event-per-request scheme, `<workspace>:<event id>`), or,
 * when too long for Stripe, a SHA-256 of it behind `_sha256:`.
 */
export function meterEventIdentifier(group: string): string {
  if (group.length <= MAX_IDENTIFIER_LENGTH) return group;
  return `_sha256:${createHash('sha256').update(group, 'utf8').digest('hex')}`;
}

export function meterEventName(family: string): string {
  return `requests_${family}`;
}

interface ClaimedGroup {
  report_identifier: string;
  family: string;
  second: bigint;
  total: bigint;
  events: bigint;
}

export function createMeterEventActivities({ prisma, stripe }: { prisma: PrismaClient; stripe: Stripe }) {
  return {
    async reportUsageToStripe({ workspaceId, customerId, limit = DEFAULT_REPORT_LIMIT, budgetMs }: ReportUsageInput): Promise<ReportUsageResult> {
      const started = Date.now();
      const take = Math.min(Math.max(Math.trunc(limit), 1), MAX_REPORT_LIMIT);
      // Claim: the oldest unclaimed rows, grouped; `report_identifier IS NULL` is re-checked on
      // each row as it is updated, so a row a concurrent call claimed first keeps its group.
      await prisma.$executeRaw`
        WITH picked AS (
          SELECT seq, family, floor(extract(epoch FROM occurred_at))::bigint AS second FROM usage_event
          WHERE workspace_id = ${workspaceId} AND environment = 'production'
            AND rated_at IS NOT NULL AND reported_at IS NULL AND parked_reason IS NULL AND report_identifier IS NULL
          ORDER BY seq LIMIT ${take}::int),
        groups AS (SELECT family, second, min(seq) AS first FROM picked GROUP BY family, second)
        UPDATE usage_event u
        SET report_identifier = '_u:' || ${workspaceId} || ':' || g.family || ':' || g.second || ':' || g.first
        FROM picked p JOIN groups g ON g.family = p.family AND g.second = p.second
        WHERE u.seq = p.seq AND u.report_identifier IS NULL`;
      const groups = await prisma.$queryRaw<ClaimedGroup[]>`
        SELECT report_identifier, min(family) AS family, min(floor(extract(epoch FROM occurred_at)))::bigint AS second,
               sum(quantity)::bigint AS total, count(*) AS events
        FROM usage_event
        WHERE workspace_id = ${workspaceId} AND environment = 'production' AND report_identifier IS NOT NULL AND reported_at IS NULL
        GROUP BY report_identifier ORDER BY min(seq)`;
      let reported = 0;
      for (const [i, group] of groups.entries()) {
        if (budgetMs !== undefined && i > 0 && Date.now() - started > budgetMs) return { reported, more: true };
        const identifier = meterEventIdentifier(group.report_identifier);
        await callStripe('report meter event', () =>
          stripe.billing.meterEvents.create(
            {
              event_name: meterEventName(group.family),
              payload: { stripe_customer_id: customerId, value: group.total.toString() },
              identifier,
              timestamp: Number(group.second),
            },
            { idempotencyKey: `meter-event:${identifier}` },
          ),
        );
        await prisma.$executeRaw`
          UPDATE usage_event SET reported_at = now()
          WHERE workspace_id = ${workspaceId} AND report_identifier = ${group.report_identifier} AND reported_at IS NULL`;
        reported += Number(group.events);
      }
      const [left] = await prisma.$queryRaw<{ more: boolean }[]>`
        SELECT EXISTS (
          SELECT 1 FROM usage_event
          WHERE workspace_id = ${workspaceId} AND environment = 'production'
            AND rated_at IS NOT NULL AND reported_at IS NULL AND parked_reason IS NULL) AS more`;
      return { reported, more: left.more };
    },
  };
}
