// The access change stream's vocabulary (GET /v1/access/changes, server-sent
// events): what each event carries, the event id and its parsing, and the
// conversion between the wire form of a workspace's access inputs and the
// AccessSnapshot the one evaluation reads. Shared by the API (which writes
// the stream), the embedded access client (which reads it) and the OpenAPI
// document. Pure.
import { z } from 'zod';
import type { AccessSnapshot } from './access-query';
import { PLAN_IDS } from './plans';

export const BILLING_STATUSES = ['none', 'incomplete', 'active', 'past_due', 'canceled'] as const;

/** A workspace's access inputs on the wire (every time in epoch ms). */
export const accessSnapshotWireSchema = z
  .object({
    billing: z.object({
      planId: z.enum(PLAN_IDS),
      status: z.enum(BILLING_STATUSES),
      grace: z.object({ startedAt: z.number().int(), endsAt: z.number().int(), expired: z.boolean() }).nullable(),
      invoiceRecoveryAt: z.number().int().nullable(),
      checkoutExpiresAt: z.number().int().nullable(),
    }),
    balanceCents: z.number().int(),
    spendControl: z.object({ action: z.string(), blockedMonth: z.string().nullable() }).nullable(),
    projects: z.array(z.string()).describe('Production projects in the order they were first allowed (a rank is a position here)'),
  });
export type AccessSnapshotWire = z.infer<typeof accessSnapshotWireSchema>;

export function snapshotToWire(s: AccessSnapshot): AccessSnapshotWire {
  const projects: string[] = new Array<string>(s.projectCount);
  s.projectRanks.forEach((rank, id) => (projects[rank] = id));
  return { billing: s.billing, balanceCents: s.balanceCents, spendControl: s.spendControl, projects };
}

export function snapshotFromWire(w: AccessSnapshotWire): AccessSnapshot {
  const projectRanks = new Map<string, number>();
  w.projects.forEach((id, rank) => projectRanks.set(id, rank));
  return { billing: w.billing, balanceCents: w.balanceCents, spendControl: w.spendControl, projectRanks, projectCount: w.projects.length };
}

/** `reset`: a full resync follows (workspace events without ids, then ready). */
export const resetEventSchema = z
  .object({
    epoch: z.string().describe('The stream epoch: event ids of another epoch cannot be resumed here'),
    walletMinimumCents: z.number().int().describe('WALLET_MINIMUM_CENTS of the engine (part of the evaluation)'),
    reason: z.enum(['no_last_event_id', 'unknown_epoch', 'too_old', 'ahead']).describe('Why the stream could not resume'),
  });
/** `resume`: the workspaces changed since Last-Event-ID follow (with ids), then ready. */
export const resumeEventSchema = z
  .object({ epoch: z.string(), walletMinimumCents: z.number().int(), after: z.number().int() });
/** `workspace`: one workspace's access inputs as they are now. */
export const workspaceEventSchema = z
  .object({ workspaceId: z.string(), snapshot: accessSnapshotWireSchema });
/** `ready`: everything notified up to this event's id has been sent; live changes follow. */
export const readyEventSchema = z.object({ epoch: z.string(), seq: z.number().int() });
/** `heartbeat`: the engine is listening and has sent every change it was notified of more than a heartbeat ago. */
export const heartbeatEventSchema = z.object({ serverTime: z.number().int() });

export type ResetEvent = z.infer<typeof resetEventSchema>;
export type ResumeEvent = z.infer<typeof resumeEventSchema>;
export type WorkspaceEvent = z.infer<typeof workspaceEventSchema>;
export type ReadyEvent = z.infer<typeof readyEventSchema>;
export type HeartbeatEvent = z.infer<typeof heartbeatEventSchema>;

/**
 * An event id is `<epoch>-<seq>`: the epoch names one run of one API
 * process's notification feed (a new one after every (re)connection of its
 * LISTEN connection, since notifications may have been missed meanwhile);
 * seq counts the notifications of that epoch.
 */
export const EVENT_ID = /^[a-z0-9]{8,32}-(0|[1-9][0-9]{0,14})$/;
const EVENT_ID_MESSAGE = 'Last-Event-ID must be "<epoch>-<sequence>" as sent in an event id';
/** An event id as text (what the Last-Event-ID header and the lastEventId parameter carry). */
export const eventIdTextSchema = z.string().regex(EVENT_ID, EVENT_ID_MESSAGE).describe('An event id of this stream: <epoch>-<sequence>');
export const eventIdSchema = eventIdTextSchema.transform((id) => {
  const dash = id.lastIndexOf('-');
  return { epoch: id.slice(0, dash), seq: Number(id.slice(dash + 1)) };
});
export type EventPosition = z.output<typeof eventIdSchema>;

export const formatEventId = (epoch: string, seq: number): string => `${epoch}-${seq}`;

/** The headers of GET /v1/access/changes: an empty Last-Event-ID means none, as an absent one. */
export const accessChangesHeadersSchema = z.object({
  'last-event-id': z
    .union([eventIdTextSchema, z.literal('')])
    .optional()
    .describe('The id of the last event received, to resume after it: <epoch>-<sequence>; empty means none'),
});

/** The query of GET /v1/access/changes. */
export const accessChangesQuerySchema = z.object({
  lastEventId: z
    .union([eventIdTextSchema, z.literal('')])
    .optional()
    .describe('The Last-Event-ID header, for clients that cannot set headers (the header wins): <epoch>-<sequence>; empty means none'),
});
