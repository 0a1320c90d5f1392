// Notifications for operators: newest first, filtered by status, workspace
// and type, each with its attempt log.
import type { PrismaClient } from '@prisma/client';
import { DomainError } from '../domain/errors';
import type { NotificationListQuery, NotificationStatus, NotificationType, NotificationView } from '../domain/notification-schemas';

const iso = (d: Date | null) => d?.toISOString() ?? null;

function parseBody(body: string): unknown {
  try {
    return JSON.parse(body);
  } catch {
    return body;
  }
}

export async function listNotifications(
  prisma: PrismaClient,
  query: Pick<NotificationListQuery, 'status' | 'limit'> & Partial<NotificationListQuery> & { id?: string },
): Promise<{ notifications: NotificationView[]; nextCursor: string | null }> {
  try {
    const rows = await prisma.notification.findMany({
      where: {
        ...(query.id !== undefined && { id: query.id }),
        ...(query.status !== 'all' && { status: query.status }),
        ...(query.workspaceId !== undefined && { workspaceId: query.workspaceId }),
        ...(query.type !== undefined && { type: query.type }),
        ...(query.before !== undefined && { seq: { lt: BigInt(query.before) } }),
      },
      orderBy: { seq: 'desc' },
      take: query.limit + 1,
      include: { deliveryAttempts: { orderBy: { id: 'asc' } } },
    });
    const page = rows.slice(0, query.limit);
    return {
      notifications: page.map((r) => ({
        id: r.id,
        type: r.type as NotificationType,
        workspaceId: r.workspaceId,
        status: r.status as NotificationStatus,
        occurredAt: r.occurredAt.toISOString(),
        createdAt: r.createdAt.toISOString(),
        round: r.round,
        attempts: r.attempts,
        nextAttemptAt: r.status === 'pending' ? iso(r.nextAttemptAt) : null,
        deliveredAt: iso(r.deliveredAt),
        body: parseBody(r.body),
        attemptLog: r.deliveryAttempts.map((a) => ({
          round: a.round,
          attempt: a.attempt,
          url: a.url,
          startedAt: a.startedAt.toISOString(),
          durationMs: a.durationMs,
          statusCode: a.statusCode,
          error: a.error,
          responseBody: a.responseBody,
        })),
      })),
      nextCursor: rows.length > query.limit ? page[page.length - 1].seq.toString() : null,
    };
  } catch (err) {
    throw new DomainError('database_unavailable', 'Notifications could not be read; try again.', { cause: err instanceof Error ? err.message : String(err) });
  }
}
