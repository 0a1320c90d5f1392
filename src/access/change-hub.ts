// The access change stream's engine side (GET /v1/access/changes): turns the
// LISTEN/NOTIFY feed the access cache already uses (access_changed, one
// notification per change of a workspace's access inputs) into ordered,
// resumable events carrying each changed workspace's snapshot, for the
// embedded access client (src/access-client).
//
// Ordering and ids. Each notification gets the next sequence number of the
// current epoch (a random name for one unbroken run of the LISTEN
// connection) and is kept in a ring of the last `ringSize` (seq, workspace)
// pairs. One pipeline reloads the workspaces notified since its last pass in
// ONE statement and emits them in ascending order of their latest seq, with
// id `<epoch>-<that seq>`. Since a workspace's snapshot is read after every
// notification it carries, a client that received the event with id s has
// the effect of every notification numbered ≤ s, except those of
// workspaces whose own event (with a higher id) it has not received yet —
// exactly what resuming after s replays. So resumption is exact:
//   - Last-Event-ID of this epoch still in the ring → `resume`, then the
//     current snapshot of each workspace notified after it (ids ascending),
//     then `ready`;
//   - no Last-Event-ID, another epoch (another API process, a restart, a
//     LISTEN reconnection), or one older than the ring → `reset`, the
//     snapshot of every workspace with any access input (no ids: an
//     interrupted resync leaves the client's last id untouched), then `ready`
//     with the id up to which the resync covers every notification.
// Live events reaching a subscriber while it is being replayed or resynced
// are held back and sent after its `ready`.
//
// Freshness. Heartbeats go out every `heartbeatMs` only while the feed is
// listening and no notification has waited longer than a heartbeat for its
// event (a stuck or failing database read stops them), so a client that
// hears a heartbeat knows every change notified more than a heartbeat
// before it has reached it. When the LISTEN connection is lost, every
// stream is ended (notifications may be missed from then on) and new
// streams are refused with 503 until it is back, under a new epoch.
import { randomBytes } from 'node:crypto';
import type { PrismaClient } from '@prisma/client';
import {
  formatEventId,
  snapshotToWire,
  type EventPosition,
  type HeartbeatEvent,
  type ReadyEvent,
  type ResetEvent,
  type ResumeEvent,
  type WorkspaceEvent,
} from '../domain/access-stream';
import type { Logger } from '../infra/logger';
import type { AccessFeedEvent, AccessService } from './access-service';
import { listAccessWorkspaceIds, loadAccessSnapshots, type AccessSnapshot } from './snapshot';

/** Where a stream's frames go (the HTTP response). */
export interface ChangeSink {
  /** Writes one frame; false when the sink's buffer is full (wait for drain). */
  write(frame: string): boolean;
  /** Resolves when the buffer has room again (or the sink closed). */
  drained(): Promise<void>;
  /** Bytes waiting in the sink's buffer. */
  readonly buffered: number;
  end(): void;
}

export interface ChangeHubStats {
  epoch: string | null;
  /** Notifications of this epoch. */
  notified: number;
  /** Highest id emitted. */
  emitted: number;
  subscribers: number;
  resets: number;
  resumes: number;
  /** Streams ended because the client read too slowly. */
  slowClosed: number;
  /** Batch reads that failed (retried). */
  loadFailures: number;
}

export interface AccessChangeHub {
  /** True while new streams can be opened (the feed is listening). */
  readonly available: boolean;
  /** Opens a stream on `sink` resuming after `from` (null: from scratch). Call only while available. */
  open(from: EventPosition | null, sink: ChangeSink): { close(): void };
  start(): void;
  /** Ends every stream (for shutdown). */
  stop(): void;
  stats(): ChangeHubStats;
}

export interface AccessChangeHubOptions {
  prisma: PrismaClient;
  access: Pick<AccessService, 'subscribe' | 'listening'>;
  walletMinimumCents: number;
  /** Notifications kept for resumption (default 100,000, about 5 MB). */
  ringSize?: number;
  /** Heartbeat interval (default 1 s). */
  heartbeatMs?: number;
  /** Workspaces per read during a full resync (default 500). */
  pageSize?: number;
  /** A stream whose unread bytes exceed this is ended (default 8 MiB); its client resumes. */
  maxBufferedBytes?: number;
  now?: () => number;
  log?: Pick<Logger, 'info' | 'warn'>;
}

interface Subscriber {
  sink: ChangeSink;
  /** Frames held back while the stream is being replayed or resynced; null once live. */
  held: string[] | null;
  closed: boolean;
}

const frame = (event: string, data: unknown, id?: string): string =>
  `${id === undefined ? '' : `id: ${id}\n`}event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;

const workspaceFrame = (workspaceId: string, snapshot: AccessSnapshot, id?: string) =>
  frame('workspace', { workspaceId, snapshot: snapshotToWire(snapshot) } satisfies WorkspaceEvent, id);

export function createAccessChangeHub(options: AccessChangeHubOptions): AccessChangeHub {
  const { prisma, access, walletMinimumCents } = options;
  const ringSize = options.ringSize ?? 100_000;
  const heartbeatMs = options.heartbeatMs ?? 1_000;
  const pageSize = options.pageSize ?? 500;
  const maxBuffered = options.maxBufferedBytes ?? 8 * 1024 * 1024;
  const now = options.now ?? Date.now;
  const log = options.log;

  let epoch: string | null = null;
  let notified = 0;
  let emitted = 0;
  // The ring: ringIds[seq % ringSize] for seq in [max(1, notified - ringSize + 1), notified].
  let ringIds: string[] = [];
  /** Workspaces notified and not emitted yet → their latest seq. */
  let pending = new Map<string, number>();
  /** When the oldest notification in `pending` arrived (null: none). */
  let pendingSince: number | null = null;
  /** When the oldest notification of the batch being read arrived (null: no batch). */
  let inFlightSince: number | null = null;
  let pumping = false;
  let retryTimer: NodeJS.Timeout | null = null;
  let heartbeatTimer: NodeJS.Timeout | null = null;
  let unsubscribe: (() => void) | null = null;
  const subscribers = new Set<Subscriber>();
  const counters = { resets: 0, resumes: 0, slowClosed: 0, loadFailures: 0 };

  function end(sub: Subscriber): void {
    if (sub.closed) return;
    sub.closed = true;
    subscribers.delete(sub);
    sub.sink.end();
  }

  function send(sub: Subscriber, text: string): void {
    if (sub.closed) return;
    if (sub.held !== null) {
      sub.held.push(text);
      // A catch-up so slow that more changes wait than the ring holds: end it; the client resumes or resyncs.
      if (sub.held.length > ringSize) {
        counters.slowClosed++;
        end(sub);
      }
      return;
    }
    sub.sink.write(text);
    if (sub.sink.buffered > maxBuffered) {
      counters.slowClosed++;
      log?.warn({ buffered: sub.sink.buffered }, 'access changes: a client reads too slowly; ending its stream (it resumes)');
      end(sub);
    }
  }

  function endAll(): void {
    for (const sub of [...subscribers]) end(sub);
  }

  function onFeed(event: AccessFeedEvent): void {
    if (event.type === 'changed') {
      if (epoch === null) return;
      notified++;
      ringIds[notified % ringSize] = event.workspaceId;
      if (pending.size === 0) pendingSince = now();
      pending.set(event.workspaceId, notified);
      void pump();
      return;
    }
    // A new epoch either way: notifications may have been missed.
    endAll();
    epoch = event.type === 'listening' ? randomBytes(6).toString('hex') : null;
    notified = 0;
    emitted = 0;
    ringIds = [];
    pending = new Map();
    pendingSince = null;
    inFlightSince = null;
    if (retryTimer !== null) clearTimeout(retryTimer);
    retryTimer = null;
    if (epoch !== null) log?.info({ epoch }, 'access changes: new epoch');
  }

  /** The pipeline: one batch read at a time, events in ascending seq order. */
  async function pump(): Promise<void> {
    if (pumping || retryTimer !== null) return;
    pumping = true;
    try {
      while (pending.size > 0 && epoch !== null) {
        const runEpoch = epoch;
        const batch = [...pending].sort((a, b) => a[1] - b[1]);
        pending = new Map();
        inFlightSince = pendingSince;
        pendingSince = null;
        let snapshots: Map<string, AccessSnapshot>;
        try {
          snapshots = await loadAccessSnapshots(
            prisma,
            batch.map(([id]) => id),
          );
        } catch (err) {
          if (epoch !== runEpoch) continue;
          // Put the batch back (later notifications keep their higher seq) and retry; heartbeats stop meanwhile.
          for (const [id, seq] of batch) if (!pending.has(id)) pending.set(id, seq);
          pendingSince = Math.min(inFlightSince ?? Infinity, pendingSince ?? Infinity);
          inFlightSince = null;
          counters.loadFailures++;
          log?.warn({ err: err instanceof Error ? err.message : err }, 'access changes: reading changed workspaces failed; retrying');
          retryTimer = setTimeout(() => {
            retryTimer = null;
            void pump();
          }, 250);
          retryTimer.unref();
          return;
        }
        if (epoch !== runEpoch) continue;
        for (const [id, seq] of batch) {
          emitted = seq;
          const text = workspaceFrame(id, snapshots.get(id) as AccessSnapshot, formatEventId(runEpoch, seq));
          for (const sub of subscribers) send(sub, text);
        }
        inFlightSince = null;
      }
    } finally {
      pumping = false;
    }
  }

  function heartbeat(): void {
    if (epoch === null) return;
    const at = now();
    const waitingSince = Math.min(pendingSince ?? Infinity, inFlightSince ?? Infinity);
    if (at - waitingSince >= heartbeatMs) return;
    const text = frame('heartbeat', { serverTime: at } satisfies HeartbeatEvent);
    for (const sub of subscribers) if (sub.held === null) send(sub, text);
  }

  /** Is `from` a position of this epoch whose later notifications are all still in the ring? */
  function resumable(from: EventPosition | null): ResetEvent['reason'] | null {
    if (from === null) return 'no_last_event_id';
    if (from.epoch !== epoch) return 'unknown_epoch';
    if (from.seq > emitted) return 'ahead';
    if (notified - from.seq >= ringSize) return 'too_old';
    return null;
  }

  async function sync(sub: Subscriber, from: EventPosition | null): Promise<void> {
    const runEpoch = epoch as string;
    const upTo = emitted;
    const reason = resumable(from);
    const write = (text: string) => !sub.closed && sub.sink.write(text);
    if (reason === null && from !== null) {
      counters.resumes++;
      write(frame('resume', { epoch: runEpoch, walletMinimumCents, after: from.seq } satisfies ResumeEvent));
      // Each workspace notified after `from` (up to what was emitted when the stream opened), at its latest seq.
      const latest = new Map<string, number>();
      for (let seq = from.seq + 1; seq <= upTo; seq++) latest.set(ringIds[seq % ringSize], seq);
      const replay = [...latest].sort((a, b) => a[1] - b[1]);
      for (let i = 0; i < replay.length && !sub.closed; i += pageSize) {
        const page = replay.slice(i, i + pageSize);
        const snapshots = await loadAccessSnapshots(
          prisma,
          page.map(([id]) => id),
        );
        if (epoch !== runEpoch) return;
        for (const [id, seq] of page) write(workspaceFrame(id, snapshots.get(id) as AccessSnapshot, formatEventId(runEpoch, seq)));
        await sub.sink.drained();
      }
    } else {
      counters.resets++;
      write(frame('reset', { epoch: runEpoch, walletMinimumCents, reason: reason ?? 'no_last_event_id' } satisfies ResetEvent));
      let after = '';
      for (;;) {
        const ids = await listAccessWorkspaceIds(prisma, after, pageSize);
        if (ids.length === 0 || sub.closed || epoch !== runEpoch) break;
        const snapshots = await loadAccessSnapshots(prisma, ids);
        if (epoch !== runEpoch) return;
        for (const id of ids) write(workspaceFrame(id, snapshots.get(id) as AccessSnapshot));
        after = ids[ids.length - 1];
        await sub.sink.drained();
      }
    }
    if (sub.closed || epoch !== runEpoch) return;
    write(frame('ready', { epoch: runEpoch, seq: upTo } satisfies ReadyEvent, formatEventId(runEpoch, upTo)));
    const held = sub.held ?? [];
    sub.held = null;
    for (const text of held) send(sub, text);
  }

  return {
    get available() {
      return epoch !== null && access.listening;
    },
    open(from, sink) {
      const sub: Subscriber = { sink, held: [], closed: false };
      if (epoch === null) {
        sink.end();
        return { close: () => undefined };
      }
      subscribers.add(sub);
      sync(sub, from).catch((err: unknown) => {
        // The client resumes from the last id it received (a failed resync never gave it a new one).
        log?.warn({ err: err instanceof Error ? err.message : err }, 'access changes: a stream could not be synced; ending it');
        end(sub);
      });
      return { close: () => end(sub) };
    },
    start() {
      if (unsubscribe !== null) return;
      unsubscribe = access.subscribe(onFeed);
      if (access.listening) onFeed({ type: 'listening' });
      heartbeatTimer = setInterval(heartbeat, heartbeatMs);
      heartbeatTimer.unref();
    },
    stop() {
      unsubscribe?.();
      unsubscribe = null;
      if (heartbeatTimer !== null) clearInterval(heartbeatTimer);
      heartbeatTimer = null;
      if (retryTimer !== null) clearTimeout(retryTimer);
      retryTimer = null;
      epoch = null;
      endAll();
    },
    stats: () => ({ epoch, notified, emitted, subscribers: subscribers.size, ...counters }),
  };
}
