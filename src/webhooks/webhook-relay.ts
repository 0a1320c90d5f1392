// The webhook relay: signals the Stripe facts the intake recorded in
// stripe_event (webhook-outbox.ts) to their workflows, and marks them
// delivered.
//
// - One relay per task queue is active at a time, across every API process:
//   the one holding a PostgreSQL advisory lock on its own connection (the
//   others retry the lock every `leaderRetryMs`; a process that dies
//   releases it with its connection).
// - It wakes on the intake's NOTIFY (or a poke from the intake in the same
//   process), reads the rows recorded after the last one it read, and sweeps
//   every `sweepIntervalMs` for rows it may have missed (a transaction that
//   committed late, a lost notification, rows left by a relay that died).
// - Per target (a workspace, or an unclaimed guest checkout) one event is
//   signalled at a time, in the order the rows were read, which for events
//   recorded one after another is their order of arrival. A failed signal is
//   retried with exponential backoff before anything later of that target is
//   sent; other targets go on (up to `concurrency` signals in flight).
// - A row is marked delivered only after its signal succeeded (batched: one
//   UPDATE for every signal that completed meanwhile), so signalling is at
//   least once: a relay that dies between the signal and the mark signals
//   again after restart, and the workflow ignores an event id it applied.
import { createHash } from 'node:crypto';
import { Client } from 'pg';
import type { StripeFact } from '../domain/billing-facts';
import { CLAIMED_WORKSPACE, MARK_DELIVERED, PENDING_AFTER, PENDING_BEHIND, PENDING_CHANNEL, type PendingRow } from './webhook-outbox';

export interface RelayPort {
  deliverFact(workspaceId: string, fact: StripeFact, deadlineMs?: number): Promise<void>;
  /** False when the guest checkout's workflow is no longer running. */
  deliverGuestFact(checkoutId: string, fact: StripeFact, deadlineMs?: number): Promise<boolean>;
}

/**
 * A signal's deadline. Long: nobody waits on the answer, and a signal that
 * timed out may have been recorded all the same (it is then sent twice; the
 * workflow ignores the repeat), so a busy server is better waited for.
 */
const SIGNAL_DEADLINE_MS = 30_000;

export interface WebhookRelayOptions {
  databaseUrl: string;
  /** The relay signals the rows recorded for this task queue (TEMPORAL_TASK_QUEUE). */
  taskQueue: string;
  workspaces: RelayPort;
  log?: { info(obj: object, msg: string): void; warn(obj: object, msg: string): void };
  /** Called once per signal attempt: delivered, guest_checkout_closed or failed (will be retried). */
  onSignal?: (outcome: 'delivered' | 'guest_checkout_closed' | 'failed') => void;
  /** Signals in flight at once, over all targets (default 16). */
  concurrency?: number;
  /** Default 1,000 ms. */
  sweepIntervalMs?: number;
  /** How often a relay that is not active tries to take over (default 5,000 ms). */
  leaderRetryMs?: number;
  /** First retry delay of a failed signal (default 250 ms), doubled up to `retryMaxMs` (default 30,000 ms). */
  retryMinMs?: number;
  retryMaxMs?: number;
  /** A wake-up reads after this delay, so rows recorded meanwhile come in the same read (default 5 ms). */
  readDelayMs?: number;
  /** Rows read per query (default 500). */
  pageSize?: number;
  /** Rows held in memory at most; more wait in the table (default 10,000). */
  maxHeld?: number;
  /** application_name of its connection (default billing-webhook-relay). */
  applicationName?: string;
}

export interface RelayStats {
  /** This process's relay is the active one for its task queue. */
  active: boolean;
  /** Rows read and not yet marked delivered. */
  held: number;
  inFlight: number;
  delivered: number;
  failedAttempts: number;
}

export interface WebhookRelay {
  start(): Promise<void>;
  /** Stops reading, lets signals in flight finish (bounded), writes their marks, releases the lock. */
  stop(): Promise<void>;
  /** Something was recorded: look now (no-op unless active). */
  poke(): void;
  stats(): RelayStats;
}

interface Mark {
  id: string;
  outcome: 'delivered' | 'guest_checkout_closed';
  workspaceId: string | null;
}

/** A stable 64-bit advisory lock key per task queue. */
export function relayLockKey(taskQueue: string): string {
  return createHash('sha256').update(`stripe-webhook-relay:${taskQueue}`).digest().readBigInt64BE(0).toString();
}

const targetOf = (row: PendingRow) => (row.workspace_id ? `workspace:${row.workspace_id}` : `guest:${row.guest_checkout_id}`);

export function createWebhookRelay(options: WebhookRelayOptions): WebhookRelay {
  const concurrency = options.concurrency ?? 16;
  const sweepIntervalMs = options.sweepIntervalMs ?? 1_000;
  const leaderRetryMs = options.leaderRetryMs ?? 5_000;
  const retryMinMs = options.retryMinMs ?? 250;
  const retryMaxMs = options.retryMaxMs ?? 30_000;
  const pageSize = options.pageSize ?? 500;
  const readDelayMs = options.readDelayMs ?? 5;
  const maxHeld = options.maxHeld ?? 10_000;
  const { taskQueue, workspaces, log } = options;

  let client: Client | null = null;
  let active = false;
  let stopping = false;
  /** Bumped whenever the active state is lost: late completions of an older term are ignored. */
  let term = 0;
  let leaderTimer: NodeJS.Timeout | undefined;
  let sweepTimer: NodeJS.Timeout | undefined;
  let wakeTimer: NodeJS.Timeout | undefined;

  // Rows read and not yet marked delivered, by id; and per target, those still to signal, in order.
  const held = new Map<string, PendingRow>();
  const queues = new Map<string, PendingRow[]>();
  const busy = new Set<string>();
  const retry = new Map<string, { attempts: number; at: number }>();
  let cursor = '0';
  let inFlight = 0;
  let marks: Mark[] = [];
  let flushing = false;
  let reading: Promise<void> | null = null;
  let readAgain: 'after' | 'sweep' | null = null;
  let delivered = 0;
  let failedAttempts = 0;

  function reset(): void {
    term++;
    active = false;
    held.clear();
    queues.clear();
    busy.clear();
    retry.clear();
    marks = [];
    cursor = '0';
    if (sweepTimer) clearInterval(sweepTimer);
    sweepTimer = undefined;
    if (wakeTimer) clearTimeout(wakeTimer);
    wakeTimer = undefined;
  }

  /** Something was recorded: read shortly (wake-ups meanwhile fold into the same read). */
  function wake(): void {
    if (!active || stopping || wakeTimer) return;
    wakeTimer = setTimeout(() => {
      wakeTimer = undefined;
      read('after');
    }, readDelayMs);
  }

  function take(rows: PendingRow[]): void {
    for (const row of rows) {
      if (BigInt(row.seq) > BigInt(cursor)) cursor = row.seq;
      if (held.has(row.id)) continue;
      held.set(row.id, row);
      const key = targetOf(row);
      const queue = queues.get(key);
      if (queue) queue.push(row);
      else queues.set(key, [row]);
    }
  }

  async function readPending(kind: 'after' | 'sweep'): Promise<void> {
    const c = client;
    if (!c || !active) return;
    if (kind === 'sweep') {
      const uptoSeq = cursor;
      const heldSeqs = [...held.values()].map((r) => r.seq);
      const { rows } = await c.query<PendingRow>(PENDING_BEHIND, [taskQueue, uptoSeq, heldSeqs, pageSize]);
      take(rows);
    }
    // Then everything recorded after the newest row read, page by page while there is room.
    while (active && client === c && held.size < maxHeld) {
      const { rows } = await c.query<PendingRow>(PENDING_AFTER, [taskQueue, cursor, Math.min(pageSize, maxHeld - held.size)]);
      take(rows);
      pump();
      if (rows.length < pageSize) break;
    }
  }

  /** Reads now, or once the read under way is done (wake-ups while reading fold into one). */
  function read(kind: 'after' | 'sweep'): void {
    if (!active || stopping) return;
    if (reading) {
      if (readAgain !== 'sweep') readAgain = kind;
      return;
    }
    const myTerm = term;
    reading = readPending(kind)
      .catch((err: unknown) => log?.warn({ err, taskQueue }, 'webhook relay could not read pending events'))
      .finally(() => {
        reading = null;
        if (myTerm !== term) return;
        pump();
        const again = readAgain;
        readAgain = null;
        if (again) read(again);
      });
  }

  async function deliver(row: PendingRow): Promise<Mark> {
    if (row.workspace_id) {
      await workspaces.deliverFact(row.workspace_id, row.fact, SIGNAL_DEADLINE_MS);
      return { id: row.id, outcome: 'delivered', workspaceId: row.workspace_id };
    }
    const checkoutId = row.guest_checkout_id ?? '';
    if (await workspaces.deliverGuestFact(checkoutId, row.fact, SIGNAL_DEADLINE_MS)) return { id: row.id, outcome: 'delivered', workspaceId: null };
    // The guest workflow ended: a claimed checkout's events go to its workspace; a lapsed one's change nothing.
    const c = client;
    if (!c) throw new Error('the relay lost its connection');
    const { rows } = await c.query<{ claimed_workspace_id: string | null }>(CLAIMED_WORKSPACE, [checkoutId]);
    const claimedBy = rows[0]?.claimed_workspace_id;
    if (claimedBy) {
      await workspaces.deliverFact(claimedBy, row.fact, SIGNAL_DEADLINE_MS);
      return { id: row.id, outcome: 'delivered', workspaceId: claimedBy };
    }
    return { id: row.id, outcome: 'guest_checkout_closed', workspaceId: null };
  }

  function signal(key: string, row: PendingRow): void {
    const myTerm = term;
    busy.add(key);
    inFlight++;
    deliver(row).then(
      (mark) => {
        if (myTerm !== term) return;
        retry.delete(key);
        const queue = queues.get(key);
        queue?.shift();
        if (queue?.length === 0) queues.delete(key);
        marks.push(mark);
        options.onSignal?.(mark.outcome);
        flush();
      },
      (err: unknown) => {
        failedAttempts++;
        options.onSignal?.('failed');
        if (myTerm !== term) return;
        const attempts = (retry.get(key)?.attempts ?? 0) + 1;
        const delay = Math.min(retryMaxMs, retryMinMs * 2 ** Math.min(attempts - 1, 20));
        retry.set(key, { attempts, at: Date.now() + delay });
        if (attempts === 1 || attempts % 10 === 0) {
          log?.warn({ err, stripeEventId: row.id, target: key, attempts, retryInMs: delay }, 'webhook relay could not signal; retrying');
        }
        setTimeout(pump, delay).unref();
      },
    ).finally(() => {
      inFlight--;
      if (myTerm !== term) return;
      busy.delete(key);
      pump();
    });
  }

  /** Starts a signal for every target that has one waiting, is not busy and not waiting to retry. */
  function pump(): void {
    if (!active || stopping) return;
    const now = Date.now();
    for (const [key, queue] of queues) {
      if (inFlight >= concurrency) return;
      if (busy.has(key) || queue.length === 0) continue;
      const r = retry.get(key);
      if (r && r.at > now) continue;
      signal(key, queue[0]);
    }
  }

  /** Writes the marks gathered so far in one statement; rows leave `held` only once marked. */
  function flush(): void {
    const c = client;
    if (flushing || marks.length === 0 || !c) return;
    flushing = true;
    const myTerm = term;
    const batch = marks;
    marks = [];
    c.query(MARK_DELIVERED, [batch.map((m) => m.id), batch.map((m) => m.outcome), batch.map((m) => m.workspaceId)])
      .then(() => {
        if (myTerm !== term) return;
        const wasFull = held.size >= maxHeld;
        batch.forEach((m) => held.delete(m.id));
        delivered += batch.length;
        if (wasFull) read('after');
      })
      .catch((err: unknown) => {
        // The rows stay pending in the table: signalled again by whoever relays next (the workflow ignores repeats).
        log?.warn({ err, events: batch.length }, 'webhook relay could not mark events delivered');
        if (myTerm === term) batch.forEach((m) => held.delete(m.id));
      })
      .finally(() => {
        flushing = false;
        if (myTerm === term) flush();
      });
  }

  function lose(reason: string, err?: unknown): void {
    const c = client;
    client = null;
    const wasActive = active;
    reset();
    if (wasActive) log?.warn({ err, taskQueue, reason }, 'webhook relay lost its connection; retrying');
    c?.end().catch(() => undefined);
    scheduleTakeOver();
  }

  function scheduleTakeOver(delayMs = leaderRetryMs): void {
    if (stopping || leaderTimer) return;
    leaderTimer = setTimeout(() => {
      leaderTimer = undefined;
      void takeOver();
    }, delayMs);
    leaderTimer.unref();
  }

  /** Connects if needed, then tries to become the active relay of the task queue. */
  async function takeOver(): Promise<void> {
    if (stopping || active) return;
    try {
      if (!client) {
        const c = new Client({ connectionString: options.databaseUrl, application_name: options.applicationName ?? 'billing-webhook-relay' });
        c.on('error', (err) => {
          if (client === c) lose('connection error', err);
        });
        c.on('end', () => {
          if (client === c) lose('connection ended');
        });
        c.on('notification', (n) => {
          if (n.channel === PENDING_CHANNEL && n.payload === taskQueue) wake();
        });
        await c.connect();
        client = c;
      }
      const c = client;
      const { rows } = await c.query<{ locked: boolean }>('SELECT pg_try_advisory_lock($1::bigint) AS locked', [relayLockKey(taskQueue)]);
      if (!rows[0]?.locked) {
        scheduleTakeOver();
        return;
      }
      await c.query(`LISTEN ${PENDING_CHANNEL}`);
      if (stopping || client !== c) return;
      active = true;
      log?.info({ taskQueue }, 'webhook relay active');
      sweepTimer = setInterval(() => read('sweep'), sweepIntervalMs);
      sweepTimer.unref();
      read('after');
    } catch (err) {
      lose('could not take over', err);
    }
  }

  return {
    async start() {
      stopping = false;
      await takeOver();
    },
    async stop() {
      stopping = true;
      if (leaderTimer) clearTimeout(leaderTimer);
      leaderTimer = undefined;
      if (sweepTimer) clearInterval(sweepTimer);
      sweepTimer = undefined;
      if (wakeTimer) clearTimeout(wakeTimer);
      wakeTimer = undefined;
      const deadline = Date.now() + 10_000;
      while ((inFlight > 0 || flushing || marks.length > 0 || reading) && Date.now() < deadline) {
        flush();
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      const c = client;
      client = null;
      reset();
      // Ending the session releases the advisory lock and the LISTEN.
      await c?.end().catch(() => undefined);
    },
    poke() {
      wake();
    },
    stats() {
      return { active, held: held.size, inFlight, delivered, failedAttempts };
    },
  };
}
