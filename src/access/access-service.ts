// The gateway's hot path: "may this project send this environment's
// traffic?" answered from the PostgreSQL projection through an in-process
// cache, never from a workflow.
//
// Freshness: triggers on workspace_billing, wallet_balance, spend_control and
// production_project NOTIFY `access_changed` with the workspace id (see the
// metering_wallet_gate migration). The service LISTENs on a dedicated
// connection and evicts that workspace on each notification. A safety TTL
// bounds staleness even if a notification were lost. While the listener is
// down the cache is empty and every check reads the projection (uncached),
// until LISTEN is re-established with backoff.
//
// Race-freedom of a load against an invalidation: a miss puts a pending
// entry in the map before it queries; a notification deletes the entry; the
// load's result is kept only if its own entry is still the one in the map.
// A change that committed before the query is seen by the query; one that
// commits after it notifies after the entry was placed, and so discards it.
import { Client } from 'pg';
import type { PrismaClient } from '@prisma/client';
import { accessAnswer, productionProjectLimit, type AccessAnswer, type AccessEnvironment } from '../domain/access';
import { evaluateWorkspace } from '../domain/billing-evaluation';
import { DomainError } from '../domain/errors';
import type { Logger } from '../infra/logger';
import { loadAccessSnapshot, registerProductionProject, type AccessSnapshot } from './snapshot';

export const ACCESS_CHANGED_CHANNEL = 'access_changed';

export interface AccessQuery {
  workspaceId: string;
  /** Required for production: the answer is about that project. */
  projectId?: string;
  environment: AccessEnvironment;
}

export interface AccessStats {
  hits: number;
  misses: number;
  /** Snapshot reads from PostgreSQL (cached or not). */
  loads: number;
  invalidations: number;
  registrations: number;
  listenerReconnects: number;
}

export interface AccessService {
  check(query: AccessQuery): Promise<AccessAnswer>;
  /** Starts listening; resolves after the first attempt (a failed one keeps retrying in the background). */
  start(): Promise<void>;
  stop(): Promise<void>;
  /** True while notifications are being received (and the cache is therefore used). */
  readonly listening: boolean;
  stats(): AccessStats;
}

export interface AccessServiceOptions {
  prisma: PrismaClient;
  /** Connection string for the dedicated LISTEN connection. */
  databaseUrl: string;
  walletMinimumCents: number;
  now?: () => number;
  /** Safety bound on a cached snapshot's age (default 2 s). */
  ttlMs?: number;
  /** Most workspaces kept at once (default 50,000); the oldest entry goes first. */
  maxEntries?: number;
  log?: Pick<Logger, 'info' | 'warn'>;
  /** application_name of the LISTEN connection, to find it in pg_stat_activity (default billing-access-listener). */
  applicationName?: string;
  /**
   * How often the listener connection is probed (default 5 s): a connection
   * that died silently (no FIN, no error) is otherwise noticed only by TCP
   * keep-alive, and until then only the TTL would bound staleness.
   */
  heartbeatMs?: number;
  /** Reconnect backoff of the listener: first and largest delay (default 100 ms, 5 s). */
  reconnectMs?: { initial: number; max: number };
}

interface Entry {
  snapshot: AccessSnapshot | null;
  pending: Promise<AccessSnapshot> | null;
  expiresAt: number;
}

export function createAccessService(options: AccessServiceOptions): AccessService {
  const { prisma, databaseUrl, walletMinimumCents } = options;
  const now = options.now ?? Date.now;
  const ttlMs = options.ttlMs ?? 2_000;
  const maxEntries = options.maxEntries ?? 50_000;
  const backoff = options.reconnectMs ?? { initial: 100, max: 5_000 };
  const log = options.log;
  const heartbeatMs = options.heartbeatMs ?? 5_000;

  const cache = new Map<string, Entry>();
  const counters: AccessStats = { hits: 0, misses: 0, loads: 0, invalidations: 0, registrations: 0, listenerReconnects: 0 };
  let listening = false;
  let stopped = true;
  let listener: Client | null = null;
  let reconnectTimer: NodeJS.Timeout | null = null;
  let heartbeatTimer: NodeJS.Timeout | null = null;
  let attempt = 0;

  async function read(workspaceId: string): Promise<AccessSnapshot> {
    counters.loads++;
    try {
      return await loadAccessSnapshot(prisma, workspaceId);
    } catch (err) {
      throw new DomainError('database_unavailable', 'Access state could not be read; try again.', {
        cause: err instanceof Error ? err.message : String(err),
      });
    }
  }

  function loadInto(workspaceId: string, startedAt: number): Promise<AccessSnapshot> {
    const entry: Entry = { snapshot: null, pending: null, expiresAt: 0 };
    if (cache.size >= maxEntries) {
      const oldest = cache.keys().next();
      if (!oldest.done) cache.delete(oldest.value);
    }
    cache.set(workspaceId, entry);
    entry.pending = read(workspaceId).then(
      (snapshot) => {
        if (cache.get(workspaceId) === entry) {
          entry.snapshot = snapshot;
          entry.pending = null;
          entry.expiresAt = startedAt + ttlMs;
        }
        return snapshot;
      },
      (err: unknown) => {
        if (cache.get(workspaceId) === entry) cache.delete(workspaceId);
        throw err;
      },
    );
    return entry.pending;
  }

  function evict(workspaceId: string): void {
    if (cache.delete(workspaceId)) counters.invalidations++;
  }

  /** A hit returns the snapshot itself (no promise, no I/O); a miss returns the load. */
  function snapshotFor(workspaceId: string, nowMs: number): AccessSnapshot | Promise<AccessSnapshot> {
    const entry = cache.get(workspaceId);
    if (entry !== undefined) {
      if (entry.snapshot !== null && entry.expiresAt > nowMs) {
        counters.hits++;
        return entry.snapshot;
      }
      if (entry.pending !== null) {
        counters.hits++;
        return entry.pending;
      }
    }
    counters.misses++;
    return listening ? loadInto(workspaceId, nowMs) : read(workspaceId);
  }

  async function check(query: AccessQuery): Promise<AccessAnswer> {
    const nowMs = now();
    const cached = snapshotFor(query.workspaceId, nowMs);
    const s = cached instanceof Promise ? await cached : cached;
    const rank = query.projectId === undefined ? undefined : s.projectRanks.get(query.projectId);
    // The same evaluation /billing shows, of this snapshot at this instant.
    const evaluation = evaluateWorkspace(
      { billing: s.billing, wallet: { balanceCents: s.balanceCents, minimumCents: walletMinimumCents }, spendControl: s.spendControl },
      nowMs,
      query.projectId === undefined ? undefined : { rank: rank ?? null, count: s.projectCount },
    );
    const answer = accessAnswer(evaluation, query.environment);
    // Everything else passes and the project is not a production project
    // yet: it becomes one now, if a place is still free.
    if (!answer.allowed || query.environment !== 'production' || query.projectId === undefined || rank !== undefined) {
      return answer;
    }
    let outcome;
    try {
      outcome = await registerProductionProject(prisma, query.workspaceId, query.projectId, productionProjectLimit(s.billing.planId));
    } catch (err) {
      throw new DomainError('database_unavailable', 'The production project could not be recorded; try again.', {
        cause: err instanceof Error ? err.message : String(err),
      });
    }
    // The insert notifies too; evicting now spares the requests that arrive before the notification a second round trip.
    evict(query.workspaceId);
    if (outcome === 'registered') counters.registrations++;
    if (outcome !== 'limit_reached') return answer;
    return { ...answer, allowed: false, reasons: ['project_limit'] };
  }

  function scheduleReconnect(): void {
    if (stopped || reconnectTimer !== null) return;
    const delay = Math.min(backoff.max, backoff.initial * 2 ** Math.min(attempt, 16));
    attempt++;
    // Jitter keeps many API processes from reconnecting in lockstep.
    reconnectTimer = setTimeout(() => {
      reconnectTimer = null;
      void connect();
    }, Math.round(delay * (0.5 + Math.random() / 2)));
    reconnectTimer.unref();
  }

  function lost(client: Client, err?: unknown): void {
    if (listener !== client) return; // an older connection, already replaced
    listener = null;
    const wasListening = listening;
    listening = false;
    cache.clear();
    client.removeAllListeners('notification');
    client.end().catch(() => undefined);
    if (stopped) return;
    if (wasListening) {
      log?.warn({ err: err instanceof Error ? err.message : err }, 'access: lost the access_changed listener; serving uncached reads until it is back');
    }
    scheduleReconnect();
  }

  function probe(): void {
    const client = listener;
    if (!listening || client === null) return;
    let timeout: NodeJS.Timeout | undefined;
    const timedOut = new Promise<never>((_, reject) => {
      timeout = setTimeout(() => reject(new Error(`no answer on the listener connection within ${heartbeatMs} ms`)), heartbeatMs);
    });
    void Promise.race([client.query('SELECT 1'), timedOut])
      .catch((err: unknown) => lost(client, err))
      .finally(() => clearTimeout(timeout));
  }

  async function connect(): Promise<void> {
    if (stopped) return;
    const client = new Client({
      connectionString: databaseUrl,
      keepAlive: true,
      connectionTimeoutMillis: 5_000,
      application_name: options.applicationName ?? 'billing-access-listener',
    });
    listener = client;
    client.on('notification', (msg) => {
      if (msg.channel === ACCESS_CHANGED_CHANNEL && msg.payload) evict(msg.payload);
    });
    client.on('error', (err) => lost(client, err));
    client.on('end', () => lost(client));
    try {
      await client.connect();
      await client.query(`LISTEN ${ACCESS_CHANGED_CHANNEL}`);
    } catch (err) {
      if (attempt === 0) log?.warn({ err: err instanceof Error ? err.message : err }, 'access: could not LISTEN; retrying in the background');
      lost(client, err);
      return;
    }
    if (listener !== client || stopped) return;
    // Anything cached before this point may have missed a notification.
    cache.clear();
    if (attempt > 0) counters.listenerReconnects++;
    attempt = 0;
    listening = true;
    log?.info('access: listening for access_changed');
    if (heartbeatTimer === null) {
      heartbeatTimer = setInterval(probe, heartbeatMs);
      heartbeatTimer.unref();
    }
  }

  return {
    check,
    get listening() {
      return listening;
    },
    stats: () => ({ ...counters }),
    async start() {
      if (!stopped) return;
      stopped = false;
      attempt = 0;
      await connect();
    },
    async stop() {
      stopped = true;
      listening = false;
      if (reconnectTimer !== null) clearTimeout(reconnectTimer);
      reconnectTimer = null;
      if (heartbeatTimer !== null) clearInterval(heartbeatTimer);
      heartbeatTimer = null;
      const client = listener;
      listener = null;
      cache.clear();
      if (client) {
        client.removeAllListeners('notification');
        await client.end().catch(() => undefined);
      }
    },
  };
}
