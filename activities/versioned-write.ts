// Read-model writes guarded by the workflow's version counter: under a
// per-key advisory lock, a write happens only when it is newer than the
// stored row, so a late retry of an older write never rolls the row back.
// The write sees the stored row, so it can derive what changed (the
// notifications of the change) in the same transaction.
import type { Prisma, PrismaClient } from '@prisma/client';

export async function writeIfNewer<R extends { version: number }>(
  prisma: PrismaClient,
  lockKey: string,
  version: number,
  load: (tx: Prisma.TransactionClient) => Promise<R | null>,
  write: (tx: Prisma.TransactionClient, stored: R | null) => Promise<unknown>,
): Promise<boolean> {
  return prisma.$transaction(async (tx) => {
    await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext(${lockKey}))`;
    const stored = await load(tx);
    if (stored !== null && stored.version >= version) return false;
    await write(tx, stored);
    return true;
  });
}
