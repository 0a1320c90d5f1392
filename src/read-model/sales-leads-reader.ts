// Sales leads for operators, newest first.
import type { PrismaClient } from '@prisma/client';
import { DomainError } from '../domain/errors';

export interface SalesLeadView {
  id: string;
  workspaceId: string | null;
  email: string | null;
  planId: string;
  interval: string | null;
  source: string;
  createdAt: string;
}

export async function listSalesLeads(prisma: PrismaClient, limit: number): Promise<SalesLeadView[]> {
  try {
    const rows = await prisma.salesLead.findMany({ orderBy: { id: 'desc' }, take: limit });
    return rows.map((r) => ({
      id: r.id.toString(),
      workspaceId: r.workspaceId,
      email: r.email,
      planId: r.planId,
      interval: r.interval,
      source: r.source,
      createdAt: r.createdAt.toISOString(),
    }));
  } catch (err) {
    throw new DomainError('database_unavailable', 'Sales leads could not be read; try again.', { cause: err instanceof Error ? err.message : String(err) });
  }
}
