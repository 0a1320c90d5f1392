// The wallet ledger: rated usage debits it, top-ups, grants and adjustments
// credit it. Every movement is one wallet_entry row whose source (workspace,
// source type, source id) is unique, written in the same transaction as the
// balance row it changes, with that row locked first, so balance_cents is
// always the sum of the workspace's entries and a retried or raced activity
// never moves money twice. A top-up or grant credited and a debit that takes
// the balance below the minimum runtime credit are notified to the product
// app (wallet.credited, wallet.below_minimum) in the same transaction.
import { ApplicationFailure } from '@temporalio/common';
import type { Prisma, PrismaClient } from '@prisma/client';
import { belowMinimumNotification, creditNotification } from '../src/domain/notifications';
import type { Environment } from '../src/domain/plans';
import { isRequestFamily, rateBatch, unratableReason, type ContractPrices, type RatableEvent } from '../src/domain/rating';
import { CREDIT_KINDS, DEFAULT_WALLET_MINIMUM_CENTS, USAGE_BATCH_SOURCE, isSpendMonth, isValidCreditAmount, type CreditKind } from '../src/domain/wallet';
import { activityTime, enqueueNotifications, type OutboxSettings } from './notification-outbox';
import type { EngineSettings } from './settings';

export interface RateAndDebitInput {
  workspaceId: string;
  /** UTC month the debit counts toward, "YYYY-MM", from the workflow's time. */
  month: string;
  /** Most events rated by one call (default 5,000); `more` says whether to call again. */
  limit?: number;
}

export interface RateAndDebitResult {
  ratedEvents: number;
  /** Rows that could not be rated and were parked for operators (wallet_exception). */
  parkedEvents?: number;
  debitedCents: number;
  balanceCents: number;
  monthSpentCents: number;
  /** Unrated events remain (beyond the limit, or held by a concurrent call). */
  more: boolean;
  /** Rated production usage not reported to Stripe yet (absent in results of older workers). */
  unreported?: boolean;
  /** The workspace's Stripe customer, to report usage for (null: none yet). */
  stripeCustomerId?: string | null;
  /** The ledger source id of this call's debit (null: nothing debited); names an auto top-up crossing. Only with auto top-up on. */
  debitSourceId?: string | null;
  /** The auto top-up threshold, read in the debit's transaction; absent when auto top-up is off. */
  autoTopUpThresholdCents?: number | null;
}

export interface CreditWalletInput {
  workspaceId: string;
  kind: CreditKind;
  /** Positive for top-ups and grants; an adjustment may be negative, never zero. */
  amountCents: number;
  /** With sourceId, identifies what moves the money: it moves it once. */
  sourceType: string;
  sourceId: string;
  reason?: string;
  /** The currency the money came in (top-ups): anything but USD is refused and parked, never credited as cents. Absent: USD. */
  currency?: string;
}

export interface CreditWalletResult {
  /** False when this source had already been credited. */
  credited: boolean;
  balanceCents: number;
  /** Why nothing was credited when the source was refused (and parked for operators) rather than already credited. */
  refused?: 'currency_not_usd' | 'invalid_amount';
}

export interface MonthSpendInput {
  workspaceId: string;
  month: string;
}

export const DEFAULT_RATING_LIMIT = 5000;
/** The wallet's currency: balances and entries are USD cents. */
export const WALLET_CURRENCY = 'usd';
const MAX_RATING_LIMIT = 10_000;
const TRANSACTION = { maxWait: 10_000, timeout: 60_000 };

type Tx = Prisma.TransactionClient;

function invalid(message: string): ApplicationFailure {
  return ApplicationFailure.create({ type: 'validation_failed', message, nonRetryable: true });
}

function cents(value: bigint): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n)) throw ApplicationFailure.create({ type: 'internal_error', message: `${value} cents exceeds a safe integer`, nonRetryable: true });
  return n;
}

/** Creates the workspace's balance row if needed and locks it for the rest of the transaction. */
async function lockBalance(tx: Tx, workspaceId: string): Promise<{ balanceCents: bigint; carryThousandths: bigint }> {
  await tx.$executeRaw`
    INSERT INTO wallet_balance (workspace_id, updated_at) VALUES (${workspaceId}, now())
    ON CONFLICT (workspace_id) DO NOTHING`;
  const [row] = await tx.$queryRaw<{ balance_cents: bigint; usage_carry_thousandths: bigint }[]>`
    SELECT balance_cents, usage_carry_thousandths FROM wallet_balance WHERE workspace_id = ${workspaceId} FOR UPDATE`;
  return { balanceCents: row.balance_cents, carryThousandths: row.usage_carry_thousandths };
}

async function loadContractPrices(tx: Tx, workspaceId: string): Promise<ContractPrices> {
  const rows = await tx.contractPrice.findMany({ where: { workspaceId }, select: { family: true, centsPer1000: true } });
  const prices: ContractPrices = {};
  for (const row of rows) if (isRequestFamily(row.family)) prices[row.family] = row.centsPer1000;
  return prices;
}

interface UnratedRow {
  seq: bigint;
  event_id: string;
  family: string;
  environment: string;
  quantity: bigint;
}

/** Checked by unratableReason first. */
function ratable(row: UnratedRow): RatableEvent {
  if (!isRequestFamily(row.family)) throw new Error(`unratable row ${row.seq} reached rating`);
  return { family: row.family, environment: row.environment as Environment, quantity: row.quantity };
}

/** Rows that cannot be rated are set aside with their reason, once, for operators; rating goes on without them. */
async function parkRows(tx: Tx, workspaceId: string, rows: { row: UnratedRow; reason: string }[]): Promise<void> {
  if (rows.length === 0) return;
  await tx.$executeRaw`
    UPDATE usage_event AS u SET rated_at = now(), parked_reason = r.reason
    FROM unnest(${rows.map((p) => p.row.seq)}::bigint[], ${rows.map((p) => p.reason)}::text[]) AS r(seq, reason)
    WHERE u.seq = r.seq`;
  for (const { row, reason } of rows) {
    const details = { seq: String(row.seq), family: row.family, environment: row.environment, quantity: String(row.quantity) };
    await tx.$executeRaw`
      INSERT INTO wallet_exception (workspace_id, kind, source_id, reason, details)
      VALUES (${workspaceId}, 'usage_event', ${row.event_id}, ${reason}, ${JSON.stringify(details)}::jsonb)
      ON CONFLICT (workspace_id, kind, source_id) DO NOTHING`;
  }
}

async function monthSpent(tx: Tx | PrismaClient, workspaceId: string, month: string): Promise<bigint> {
  const row = await tx.monthlySpend.findUnique({ where: { workspaceId_month: { workspaceId, month } }, select: { spentCents: true } });
  return row?.spentCents ?? 0n;
}

export function createWalletLedgerActivities({
  prisma,
  settings,
  outbox,
}: {
  prisma: PrismaClient;
  settings?: Pick<EngineSettings, 'walletMinimumCents'>;
  outbox?: OutboxSettings;
}) {
  const minimumCents = settings?.walletMinimumCents ?? DEFAULT_WALLET_MINIMUM_CENTS;
  return {
    /**
     * Rates the workspace's oldest unrated events and debits the whole cents
     * in one transaction; the sub-cent remainder stays in the balance row's
     * carry. Rated events are never rated again, so a retry debits nothing
     * twice. The balance may go below zero: the access gate, not the ledger,
     * decides what that means.
     */
    async rateAndDebitUsage({ workspaceId, month, limit = DEFAULT_RATING_LIMIT }: RateAndDebitInput): Promise<RateAndDebitResult> {
      if (!isSpendMonth(month)) throw invalid(`month must be "YYYY-MM", got ${JSON.stringify(month)}`);
      if (!Number.isSafeInteger(limit) || limit < 1 || limit > MAX_RATING_LIMIT) throw invalid(`limit must be 1..${MAX_RATING_LIMIT}`);
      const nowMs = activityTime();
      // The pass answers every nudge so far: ingestion signals again only for events this pass may not see.
      // Committed on its own, BEFORE the pass: inside the pass's transaction the nudge row stayed locked
      // until it committed, and every batch recorded meanwhile (its statement upserts that row) waited
      // for the whole pass. A batch whose upsert came first holds the row until it commits, so this
      // statement waits for it and the pass's read below sees its events; a batch after it opens a new
      // request and signals (rated by the next pass, never stranded).
      await prisma.$executeRaw`UPDATE wallet_nudge SET requested_at = NULL WHERE workspace_id = ${workspaceId} AND requested_at IS NOT NULL`;
      return prisma.$transaction(async (tx) => {
        const balance = await lockBalance(tx, workspaceId);
        const selected = await tx.$queryRaw<UnratedRow[]>`
          SELECT seq, event_id, family, environment, quantity FROM usage_event
          WHERE workspace_id = ${workspaceId} AND rated_at IS NULL
          ORDER BY seq LIMIT ${limit}::int
          FOR UPDATE SKIP LOCKED`;
        const poison = selected.flatMap((row) => {
          const reason = unratableReason(row);
          return reason ? [{ row, reason }] : [];
        });
        await parkRows(tx, workspaceId, poison);
        const rows = poison.length === 0 ? selected : selected.filter((row) => unratableReason(row) === null);
        let balanceCents = balance.balanceCents;
        let spent: bigint | null = null;
        let debit = 0n;
        if (rows.length > 0) {
          const rated = rateBatch(rows.map(ratable), {
            carryThousandths: balance.carryThousandths,
            contractPrices: await loadContractPrices(tx, workspaceId),
          });
          debit = rated.debitCents;
          await tx.$executeRaw`
            UPDATE usage_event AS u SET rated_thousandths = r.value, rated_at = now()
            FROM unnest(${rows.map((r) => r.seq)}::bigint[], ${rated.perEvent}::bigint[]) AS r(seq, value)
            WHERE u.seq = r.seq`;
          if (debit > 0n) {
            const first = rows[0].seq;
            const last = rows[rows.length - 1].seq;
            await tx.$executeRaw`
              INSERT INTO wallet_entry (workspace_id, kind, amount_cents, source_type, source_id, reason)
              VALUES (${workspaceId}, 'usage', ${-debit}, ${USAGE_BATCH_SOURCE}, ${`${first}-${last}`}, ${`${rows.length} usage events rated`})`;
            const [total] = await tx.$queryRaw<{ spent_cents: bigint }[]>`
              INSERT INTO monthly_spend (workspace_id, month, spent_cents) VALUES (${workspaceId}, ${month}, ${debit})
              ON CONFLICT (workspace_id, month) DO UPDATE SET spent_cents = monthly_spend.spent_cents + EXCLUDED.spent_cents
              RETURNING spent_cents`;
            spent = total.spent_cents;
          }
          const [updated] = await tx.$queryRaw<{ balance_cents: bigint }[]>`
            UPDATE wallet_balance
            SET balance_cents = balance_cents - ${debit}, usage_carry_thousandths = ${rated.carryThousandths}, updated_at = now()
            WHERE workspace_id = ${workspaceId}
            RETURNING balance_cents`;
          balanceCents = updated.balance_cents;
          if (debit > 0n) {
            const crossed = belowMinimumNotification(
              {
                workspaceId,
                debitSourceId: `${rows[0].seq}-${rows[rows.length - 1].seq}`,
                balanceBeforeCents: cents(balance.balanceCents),
                balanceAfterCents: cents(balanceCents),
                minimumCents,
              },
              nowMs,
            );
            await enqueueNotifications(tx, [crossed], outbox);
          }
        }
        const [remaining] = await tx.$queryRaw<{ more: boolean; unreported: boolean; customer: string | null; auto_threshold: bigint | null }[]>`
          SELECT EXISTS (SELECT 1 FROM usage_event WHERE workspace_id = ${workspaceId} AND rated_at IS NULL) AS more,
                 EXISTS (SELECT 1 FROM usage_event WHERE workspace_id = ${workspaceId} AND environment = 'production'
                           AND rated_at IS NOT NULL AND reported_at IS NULL AND parked_reason IS NULL) AS unreported,
                 (SELECT stripe_customer_id FROM workspace_billing WHERE workspace_id = ${workspaceId}) AS customer,
                 (SELECT threshold_cents FROM wallet_auto_top_up WHERE workspace_id = ${workspaceId} AND enabled) AS auto_threshold`;
        return {
          ratedEvents: rows.length,
          parkedEvents: poison.length,
          debitedCents: cents(debit),
          balanceCents: cents(balanceCents),
          monthSpentCents: cents(spent ?? (await monthSpent(tx, workspaceId, month))),
          more: remaining.more,
          unreported: remaining.unreported,
          stripeCustomerId: remaining.customer,
          // Only where auto top-up is on: what a crossing needs (the debit names it).
          ...(remaining.auto_threshold === null
            ? {}
            : { debitSourceId: debit > 0n ? `${rows[0].seq}-${rows[rows.length - 1].seq}` : null, autoTopUpThresholdCents: cents(remaining.auto_threshold) }),
        };
      }, TRANSACTION);
    },

    /** Credits the wallet once per source: a repeated or raced call with the same source changes nothing. */
    async creditWallet(input: CreditWalletInput): Promise<CreditWalletResult> {
      const { workspaceId, kind, amountCents, sourceType, sourceId, reason, currency } = input;
      if (!(CREDIT_KINDS as readonly string[]).includes(kind)) throw invalid(`kind must be one of ${CREDIT_KINDS.join(', ')}`);
      if (!isValidCreditAmount(kind, amountCents) && kind !== 'top_up') {
        throw invalid(`amountCents must be a ${kind === 'adjustment' ? 'non-zero' : 'positive'} integer, got ${amountCents}`);
      }
      if (!sourceType || !sourceId) throw invalid('sourceType and sourceId are required');
      if (sourceType === USAGE_BATCH_SOURCE) throw invalid(`source type ${USAGE_BATCH_SOURCE} is reserved for usage debits`);
      const nowMs = activityTime();
      return prisma.$transaction(async (tx) => {
        const balance = await lockBalance(tx, workspaceId);
        // Money the wallet cannot take as USD cents (another currency's minor units are not cents; a paid
        // amount that is not a positive whole number is not money) is set aside for operators, once.
        const refused = currency !== undefined && currency.toLowerCase() !== WALLET_CURRENCY ? 'currency_not_usd' : !isValidCreditAmount(kind, amountCents) ? 'invalid_amount' : null;
        if (refused) {
          const details = { amount: amountCents, currency: currency ?? WALLET_CURRENCY, sourceType, reason: reason ?? null };
          await tx.$executeRaw`
            INSERT INTO wallet_exception (workspace_id, kind, source_id, reason, details)
            VALUES (${workspaceId}, ${sourceType}, ${sourceId}, ${refused}, ${JSON.stringify(details)}::jsonb)
            ON CONFLICT (workspace_id, kind, source_id) DO NOTHING`;
          return { credited: false, balanceCents: cents(balance.balanceCents), refused };
        }
        const inserted = await tx.$queryRaw<{ id: bigint }[]>`
          INSERT INTO wallet_entry (workspace_id, kind, amount_cents, source_type, source_id, reason)
          VALUES (${workspaceId}, ${kind}, ${amountCents}::bigint, ${sourceType}, ${sourceId}, ${reason ?? null})
          ON CONFLICT (workspace_id, source_type, source_id) DO NOTHING
          RETURNING id`;
        if (inserted.length === 0) return { credited: false, balanceCents: cents(balance.balanceCents) };
        const [updated] = await tx.$queryRaw<{ balance_cents: bigint }[]>`
          UPDATE wallet_balance SET balance_cents = balance_cents + ${amountCents}::bigint, updated_at = now()
          WHERE workspace_id = ${workspaceId}
          RETURNING balance_cents`;
        const balanceCents = cents(updated.balance_cents);
        await enqueueNotifications(tx, [creditNotification({ workspaceId, kind, amountCents, sourceType, sourceId, balanceCents }, nowMs)], outbox);
        return { credited: true, balanceCents };
      }, TRANSACTION);
    },

    /** Rated spend of a UTC month in cents (0 when nothing was spent). */
    async readMonthSpend({ workspaceId, month }: MonthSpendInput): Promise<number> {
      if (!isSpendMonth(month)) throw invalid(`month must be "YYYY-MM", got ${JSON.stringify(month)}`);
      return cents(await monthSpent(prisma, workspaceId, month));
    },
  };
}
