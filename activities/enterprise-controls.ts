// Enterprise contract controls set by operators: custom per-family unit
// prices (used by rating) and invoicing (collection by invoice with net
// terms instead of automatic card charges).
import type { PrismaClient } from '@prisma/client';
import type Stripe from 'stripe';
import type { RequestFamily } from '../src/domain/plans';
import type { InvoicingControls } from '../src/domain/schemas';
import { callStripe } from './stripe-failures';

export type { InvoicingControls };

export function createEnterpriseActivities({ prisma, stripe }: { prisma: PrismaClient; stripe: Stripe }) {
  return {
    /** Replaces the workspace's contract prices (families not listed fall back to the public rate card). */
    async saveContractPrices({ workspaceId, prices }: { workspaceId: string; prices: Partial<Record<RequestFamily, number>> }): Promise<void> {
      const entries = Object.entries(prices) as [RequestFamily, number][];
      await prisma.$transaction([
        prisma.contractPrice.deleteMany({ where: { workspaceId } }),
        prisma.contractPrice.createMany({ data: entries.map(([family, centsPer1000]) => ({ workspaceId, family, centsPer1000 })) }),
      ]);
    },

    async setInvoicingControls(input: { subscriptionId: string; controls: InvoicingControls; idempotencyKey: string }): Promise<{ collectionMethod: string; daysUntilDue: number | null }> {
      const { controls } = input;
      const updated = await callStripe('set invoicing controls', () =>
        stripe.subscriptions.update(
          input.subscriptionId,
          controls.collectionMethod === 'send_invoice'
            ? { collection_method: 'send_invoice', days_until_due: controls.daysUntilDue }
            : { collection_method: 'charge_automatically' },
          { idempotencyKey: input.idempotencyKey },
        ),
      );
      return { collectionMethod: updated.collection_method, daysUntilDue: updated.days_until_due ?? null };
    },
  };
}
