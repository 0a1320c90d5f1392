// The wallet as the read paths see it. Until the wallet ledger exists every
// balance is zero, so production access reports wallet_below_minimum.
import type { PrismaClient } from '@prisma/client';
import type { WalletSnapshot } from '../domain/projection';

export async function readWallet(_prisma: PrismaClient, _workspaceId: string, minimumCents: number): Promise<WalletSnapshot> {
  return { balanceCents: 0, minimumCents };
}
