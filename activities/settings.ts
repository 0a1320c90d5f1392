// What a workflow run needs from outside at its start (and so after every
// continue-as-new): the engine settings from the worker's validated config,
// and the projection version already stored, so a workflow started afresh
// (e.g. after an operator terminated one) keeps counting from there.
import type { PrismaClient } from '@prisma/client';
import type { RecoverySnapshot } from '../src/domain/billing-state';

export interface EngineSettings {
  checkoutTtlMs: number;
  gracePeriodMs: number;
  dunningReminderOffsetsMs: number[];
  walletMinimumCents: number;
  /** A paid guest checkout nobody claimed is flagged after this long. */
  guestFlagAfterMs: number;
  /** Auto top-up charges per workspace per UTC day (AUTO_TOP_UP_MAX_PER_DAY; default 3). */
  autoTopUpMaxPerDay?: number;
}

export interface RunContext {
  settings: EngineSettings;
  storedProjectionVersion: number;
  /** What the stored projection recorded of the state (workspace runs only; absent when none or in older results). */
  storedState?: RecoverySnapshot | null;
}

export function createRunContextActivities({ prisma, settings }: { prisma: PrismaClient; settings: EngineSettings }) {
  return {
    async loadRunContext(workspaceId: string): Promise<RunContext> {
      const stored = await prisma.workspaceBilling.findUnique({ where: { workspaceId }, select: { version: true, recoveryState: true } });
      return { settings, storedProjectionVersion: stored?.version ?? 0, storedState: (stored?.recoveryState as RecoverySnapshot | null | undefined) ?? null };
    },
    async loadGuestRunContext(checkoutId: string): Promise<RunContext> {
      const stored = await prisma.guestCheckout.findUnique({ where: { checkoutId }, select: { version: true } });
      return { settings, storedProjectionVersion: stored?.version ?? 0 };
    },
  };
}
