// The operator audit trail: one row per operator action with its reason and
// actor. The workflow records it from the action's handler; (workspace,
// request id) is unique, so a retried activity or a repeated request with
// the same request id records the action once.
import type { Prisma, PrismaClient } from '@prisma/client';
import type { OPERATOR_ACTIONS } from '../src/domain/response-schemas';

export type OperatorActionName = (typeof OPERATOR_ACTIONS)[number];

export interface OperatorActionRecord {
  workspaceId: string;
  action: OperatorActionName;
  reason: string;
  /** Who sent it: operator-api, ops-cli, … */
  actor: string;
  requestId: string;
  /** What the action did (e.g. the previous and new grace end). */
  details: Record<string, unknown>;
}

export function createOperatorAuditActivities({ prisma }: { prisma: PrismaClient }) {
  return {
    /** Returns true when this call recorded the action, false when that request id already was. */
    async recordOperatorAction(input: OperatorActionRecord): Promise<boolean> {
      const created = await prisma.operatorAudit.createMany({
        data: [
          {
            workspaceId: input.workspaceId,
            action: input.action,
            reason: input.reason,
            actor: input.actor,
            requestId: input.requestId,
            details: input.details as Prisma.InputJsonValue,
          },
        ],
        skipDuplicates: true,
      });
      return created.count === 1;
    },
  };
}
