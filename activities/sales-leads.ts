// Sales leads: Enterprise requests that self-serve refused, kept for sales.
import type { PrismaClient } from '@prisma/client';

export interface SalesLeadInput {
  requestId: string;
  workspaceId: string | null;
  email: string | null;
  planId: string;
  interval: string | null;
  source: 'checkout' | 'guest_checkout';
}

export function createSalesLeadActivities({ prisma }: { prisma: PrismaClient }) {
  return {
    /** Records the lead once per request id (retries and repeats record nothing new). */
    async recordSalesLead(input: SalesLeadInput): Promise<void> {
      await prisma.salesLead.createMany({ data: [input], skipDuplicates: true });
    },
  };
}
