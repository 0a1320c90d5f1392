// The wallet as the read paths see it: the balance the ledger keeps in
// wallet_balance (0 for a workspace that never had an entry), and the
// ledger's entries, newest first, paged by entry id.
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
const MAX_LEDGER_PAGE = 100;
const CURSOR = /^[1-9][0-9]{0,18}$/;
const MAX_ENTRY_ID = 2n ** 63n - 1n;

const isCursor = (value: string) => CURSOR.test(value) && BigInt(value) <= MAX_ENTRY_ID;

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
      where: { workspaceId, ...(before !== undefined && { id: { lt: BigInt(before) } }) },
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
