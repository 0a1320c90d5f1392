// The exact-debit check of `npm run bench:usage`: given what each workspace
// was sent (ExpectedUsage) and what PostgreSQL holds for it afterwards
// (WalletObservation, read by readWalletObservations), lists every
// difference. Exact means: every event stored once and rated once, none
// parked or left unrated; the usage debits add up to the rated value in
// whole cents with the remainder in the carry (a batch counted twice would
// show as more stored, rated or debited); the balance is the sum of the ledger's
// entries; the month spend equals the debits. An empty list is a pass.
import type { Client as PgClient } from 'pg';
import { USAGE_BATCH_SOURCE } from '../../src/domain/wallet';
import type { ExpectedUsage } from './usage-batches';

export interface WalletObservation {
  workspaceId: string;
  storedEvents: number;
  unratedEvents: number;
  parkedEvents: number;
  storedQuantity: bigint;
  ratedThousandths: bigint;
  /** The workspace's usage debits (wallet_entry kind usage): source id `firstSeq-lastSeq`, amount (negative). */
  usageEntries: { sourceType: string; sourceId: string; amountCents: bigint }[];
  /** Σ of every other ledger entry (credits, adjustments). */
  otherEntriesCents: bigint;
  /** wallet_balance; null when the workspace has no balance row. */
  balanceCents: bigint | null;
  carryThousandths: bigint | null;
  /** Σ of monthly_spend over every month. */
  monthSpendCents: bigint;
}

/** Every way `observed` differs from `expected` (one entry per workspace expected); empty when exact. */
export function checkExactDebit(expected: ReadonlyMap<string, ExpectedUsage>, observed: readonly WalletObservation[]): string[] {
  const problems: string[] = [];
  const byWorkspace = new Map(observed.map((o) => [o.workspaceId, o]));
  for (const [workspaceId, want] of expected) {
    const o = byWorkspace.get(workspaceId);
    const say = (message: string) => problems.push(`${workspaceId}: ${message}`);
    if (!o) {
      say(`nothing stored for ${want.events} events`);
      continue;
    }
    if (o.storedEvents !== want.events) say(`${o.storedEvents} events stored for ${want.events} sent (${o.storedEvents < want.events ? 'lost' : 'extra'})`);
    if (o.storedQuantity !== want.quantity) say(`stored quantity ${o.storedQuantity}, sent ${want.quantity}`);
    if (o.unratedEvents > 0) say(`${o.unratedEvents} events not rated`);
    if (o.parkedEvents > 0) say(`${o.parkedEvents} events parked`);
    if (o.ratedThousandths !== want.thousandths) say(`rated ${o.ratedThousandths} thousandths of a cent, expected ${want.thousandths}`);

    let debit = 0n;
    const sources = new Set<string>();
    for (const entry of o.usageEntries) {
      debit -= entry.amountCents;
      if (entry.amountCents >= 0n) say(`usage entry ${entry.sourceId} is not a debit (${entry.amountCents} cents)`);
      if (entry.sourceType !== USAGE_BATCH_SOURCE || !/^\d+-\d+$/.test(entry.sourceId)) say(`usage entry with source ${entry.sourceType}/${entry.sourceId} names no usage rows`);
      if (sources.has(entry.sourceId)) say(`usage rows ${entry.sourceId} debited twice`);
      sources.add(entry.sourceId);
    }
    if (debit !== want.debitCents) say(`debited ${debit} cents, rated usage is ${want.debitCents} cents`);
    if (o.carryThousandths !== want.carryThousandths) say(`carry ${o.carryThousandths} thousandths, expected ${want.carryThousandths}`);
    const ledger = o.otherEntriesCents - debit;
    if (o.balanceCents !== ledger) say(`balance ${o.balanceCents} cents, the ledger's entries add up to ${ledger}`);
    if (o.monthSpendCents !== want.debitCents) say(`month spend ${o.monthSpendCents} cents, rated usage is ${want.debitCents} cents`);
  }
  return problems;
}

const big = (v: string | number | null | undefined): bigint => BigInt(v ?? 0);

/** What PostgreSQL holds for these workspaces (four reads, aggregated in SQL). */
export async function readWalletObservations(pg: PgClient, workspaceIds: string[]): Promise<WalletObservation[]> {
  const [events, entries, balances, spend] = await Promise.all([
    pg.query<{ workspace_id: string; stored: string; unrated: string; parked: string; quantity: string | null; rated: string | null }>(
      `SELECT workspace_id, count(*) AS stored, count(*) FILTER (WHERE rated_at IS NULL) AS unrated,
              count(*) FILTER (WHERE parked_reason IS NOT NULL) AS parked, sum(quantity) AS quantity, sum(rated_thousandths) AS rated
       FROM usage_event WHERE workspace_id = ANY($1) GROUP BY workspace_id`,
      [workspaceIds],
    ),
    pg.query<{ workspace_id: string; kind: string; source_type: string; source_id: string; amount_cents: string }>(
      'SELECT workspace_id, kind, source_type, source_id, amount_cents FROM wallet_entry WHERE workspace_id = ANY($1)',
      [workspaceIds],
    ),
    pg.query<{ workspace_id: string; balance_cents: string; usage_carry_thousandths: string }>(
      'SELECT workspace_id, balance_cents, usage_carry_thousandths FROM wallet_balance WHERE workspace_id = ANY($1)',
      [workspaceIds],
    ),
    pg.query<{ workspace_id: string; spent: string }>('SELECT workspace_id, sum(spent_cents) AS spent FROM monthly_spend WHERE workspace_id = ANY($1) GROUP BY workspace_id', [
      workspaceIds,
    ]),
  ]);
  const observations = new Map<string, WalletObservation>(
    workspaceIds.map((workspaceId) => [
      workspaceId,
      {
        workspaceId,
        storedEvents: 0,
        unratedEvents: 0,
        parkedEvents: 0,
        storedQuantity: 0n,
        ratedThousandths: 0n,
        usageEntries: [],
        otherEntriesCents: 0n,
        balanceCents: null,
        carryThousandths: null,
        monthSpendCents: 0n,
      },
    ]),
  );
  for (const r of events.rows) {
    Object.assign(observations.get(r.workspace_id)!, {
      storedEvents: Number(r.stored),
      unratedEvents: Number(r.unrated),
      parkedEvents: Number(r.parked),
      storedQuantity: big(r.quantity),
      ratedThousandths: big(r.rated),
    });
  }
  for (const r of entries.rows) {
    const o = observations.get(r.workspace_id)!;
    if (r.kind === 'usage') o.usageEntries.push({ sourceType: r.source_type, sourceId: r.source_id, amountCents: big(r.amount_cents) });
    else o.otherEntriesCents += big(r.amount_cents);
  }
  for (const r of balances.rows) Object.assign(observations.get(r.workspace_id)!, { balanceCents: big(r.balance_cents), carryThousandths: big(r.usage_carry_thousandths) });
  for (const r of spend.rows) observations.get(r.workspace_id)!.monthSpendCents = big(r.spent);
  return [...observations.values()];
}
