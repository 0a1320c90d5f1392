// The app's auto top-up settings (PUT/GET …/wallet/auto-top-up), kept in
// wallet_auto_top_up beside the card a paid hosted top-up saved. The wallet
// workflow reads them in the debit's transaction (the threshold) and when a
// crossing charges (amount, card, today's count); nothing here decides.
import type { PrismaClient } from '@prisma/client';
import { utcDayKey, type AutoTopUpSettings, type AutoTopUpView } from '../domain/auto-top-up';

/** Saves the settings (the saved card stays); enabling clears the reason the engine turned it off. */
export async function saveAutoTopUpSettings(prisma: PrismaClient, workspaceId: string, settings: AutoTopUpSettings): Promise<void> {
  const values = { enabled: settings.enabled, thresholdCents: BigInt(settings.thresholdCents), amountCents: BigInt(settings.amountCents) };
  await prisma.walletAutoTopUp.upsert({
    where: { workspaceId },
    create: { workspaceId, ...values },
    update: { ...values, ...(settings.enabled ? { disabledReason: null } : {}) },
  });
}

/** The settings as the app sees them (never set: off, zeros), with today's charges against the daily limit. */
export async function readAutoTopUp(prisma: PrismaClient, workspaceId: string, maxPerDay: number, nowMs: number): Promise<AutoTopUpView> {
  const [row, chargesToday] = await Promise.all([
    prisma.walletAutoTopUp.findUnique({ where: { workspaceId } }),
    prisma.autoTopUpCharge.count({ where: { workspaceId, day: utcDayKey(nowMs) } }),
  ]);
  return {
    workspaceId,
    enabled: row?.enabled ?? false,
    thresholdCents: Number(row?.thresholdCents ?? 0n),
    amountCents: Number(row?.amountCents ?? 0n),
    paymentMethodSaved: Boolean(row?.paymentMethodId && row.stripeCustomerId),
    disabledReason: row?.disabledReason ?? null,
    chargesToday,
    maxPerDay,
  };
}
