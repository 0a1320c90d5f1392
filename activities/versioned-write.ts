// Read-model writes guarded by the workflow's version counter: under a
// per-key advisory lock, a write happens only when it is newer than the
// stored row, so a late retry of an older write never rolls the row back.
import type { Prisma, PrismaClient } from '@prisma/client';

export async function writeIfNewer(
  prisma: PrismaClient,
  lockKey: string,
  version: number,
  storedVersion: (tx: Prisma.TransactionClient) => Promise<number | null>,
  write: (tx: Prisma.TransactionClient) => Promise<unknown>,
): Promise<boolean> {
  return prisma.$transaction(async (tx) => {
    await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext(${lockKey}))`;
    const stored = await storedVersion(tx);
    if (stored !== null && stored >= version) return false;
    await write(tx);
    return true;
  });
}
