// The wallet as the read paths see it: the balance the ledger keeps in
// wallet_balance (0 for a workspace that never had an entry), and the
// ledger's entries, newest first, paged by entry id.
import { z } from 'zod';
import type { PrismaClient, WalletEntry } from '@prisma/client';
import { DomainError, ValidationError } from '../domain/errors';
import type { WalletSnapshot } from '../domain/projection';

export interface WalletLedgerEntry {
  id: string;
  kind: string;
  amountCents: number;
  sourceType: string;
  sourceId: string;
  reason: string | null;
  createdAt: string;
}

export interface WalletLedgerPage {
  entries: WalletLedgerEntry[];
  /** Pass as `before` to read the next (older) page; null on the last page. */
  nextCursor: string | null;
}

export const DEFAULT_LEDGER_PAGE = 20;
export const MAX_LEDGER_PAGE = 100;
const CURSOR = /^[1-9][0-9]{0,18}$/;
const MAX_ENTRY_ID = 2n ** 63n - 1n;
/** A ledger cursor (an entry id) as the API documents it; one above every possible id reads from the newest entry. */
export const ledgerCursorSchema = z.string().regex(CURSOR, 'must be a cursor from a previous page (1 to 19 digits)');

const isCursor = (value: string) => CURSOR.test(value);

/** GET /v1/workspaces/{workspaceId}/wallet's query (the API validates with it; the document shows it). */
export const ledgerQuerySchema = z.object({
  limit: z.coerce.number().int().min(1).max(MAX_LEDGER_PAGE).optional().describe(`Entries per page (default ${DEFAULT_LEDGER_PAGE})`),
  before: ledgerCursorSchema.optional().describe('nextCursor of the previous page'),
});

function unavailable(err: unknown): DomainError {
  return new DomainError('database_unavailable', 'The wallet could not be read; try again.', {
    cause: err instanceof Error ? err.message : String(err),
  });
}

export async function readWallet(prisma: PrismaClient, workspaceId: string, minimumCents: number): Promise<WalletSnapshot> {
  let row: { balanceCents: bigint } | null;
  try {
    row = await prisma.walletBalance.findUnique({ where: { workspaceId }, select: { balanceCents: true } });
  } catch (err) {
    throw unavailable(err);
  }
  return { balanceCents: Number(row?.balanceCents ?? 0n), minimumCents };
}

function toLedgerEntry(row: WalletEntry): WalletLedgerEntry {
  return {
    id: row.id.toString(),
    kind: row.kind,
    amountCents: Number(row.amountCents),
    sourceType: row.sourceType,
    sourceId: row.sourceId,
    reason: row.reason,
    createdAt: row.createdAt.toISOString(),
  };
}

export async function readWalletLedger(
  prisma: PrismaClient,
  workspaceId: string,
  { limit = DEFAULT_LEDGER_PAGE, before }: { limit?: number; before?: string } = {},
): Promise<WalletLedgerPage> {
  const errors = [];
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LEDGER_PAGE) {
    errors.push({ path: 'query.limit', message: `must be an integer from 1 to ${MAX_LEDGER_PAGE}` });
  }
  if (before !== undefined && !isCursor(before)) errors.push({ path: 'query.before', message: 'must be a cursor from a previous page' });
  if (errors.length > 0) throw new ValidationError(errors);

  let rows: WalletEntry[];
  try {
    rows = await prisma.walletEntry.findMany({
      // Every id is below a cursor past the largest bigint: no bound then (PostgreSQL could not compare with it).
      where: { workspaceId, ...(before !== undefined && BigInt(before) <= MAX_ENTRY_ID && { id: { lt: BigInt(before) } }) },
      orderBy: { id: 'desc' },
      take: limit + 1,
    });
  } catch (err) {
    throw unavailable(err);
  }
  const page = rows.slice(0, limit);
  return {
    entries: page.map(toLedgerEntry),
    nextCursor: rows.length > limit ? page[page.length - 1].id.toString() : null,
  };
}
