// The embedded access client: a gateway keeps every workspace's access
// inputs in its own process, fed by the engine's change stream
// (GET /v1/access/changes), and answers "may this traffic run?" without a
// network hop, with the same evaluation as GET /access, by its own clock.
// See docs/access-client.md for how to use it and what it guarantees.
//
// The connection: one streaming request; `reset` starts a full resync (built
// beside the current state and swapped in at `ready`, so an interrupted
// resync leaves the current state and the last event id untouched);
// `resume` replays what changed since Last-Event-ID; `ready` makes the
// stream live; heartbeats keep it fresh. A stream that ends, fails, sends
// something it cannot parse, or stays silent longer than `idleTimeoutMs`
// is dropped and re-opened with backoff, resuming from the last event id.
import type { AccessEnvironment } from '../domain/access';
import type { AccessSnapshot } from '../domain/access-query';
import {
  heartbeatEventSchema,
  readyEventSchema,
  resetEventSchema,
  resumeEventSchema,
  snapshotFromWire,
  workspaceEventSchema,
} from '../domain/access-stream';
import { accessResponseSchema } from '../domain/response-schemas';
import { ENVIRONMENTS } from '../domain/plans';
import { workspaceIdSchema } from '../domain/schemas';
import { decideLocally, policyAnswer, type ClientAnswer, type ClientState, type StalePolicy } from './policy';
import { SseParser, type SseEvent } from './sse';

const ENVIRONMENT_SET: ReadonlySet<string> = new Set(ENVIRONMENTS);

export interface AccessClientOptions {
  /** The engine's API, e.g. http://billing-api:3000 */
  baseUrl: string;
  /** The app token (APP_API_TOKEN) or the operator token. */
  token: string;
  /** Past this age of its state the client answers with `policy` (default 5,000 ms). */
  maxStalenessMs?: number;
  /** What to answer past the bound: deny with access_state_stale (default) or allow. Both are reported. */
  policy?: StalePolicy;
  /** A connected stream that sends nothing for this long is dropped and re-opened (default 3,000 ms; the engine sends a heartbeat every second). */
  idleTimeoutMs?: number;
  /** Reconnect backoff: first and largest delay (default 100 ms, 5 s), with jitter. */
  reconnectMs?: { initial: number; max: number };
  /** Timeout of a GET /access fallback (default 2,000 ms). */
  httpTimeoutMs?: number;
  /** The clock answers are evaluated at and staleness is measured by (default Date.now). */
  now?: () => number;
  fetch?: typeof fetch;
  /** Told of every policy answer (state older than the bound, or the engine unreachable). */
  onPolicyAnswer?: (info: { workspaceId: string; answer: ClientAnswer }) => void;
  /** Told when a workspace's snapshot was replaced by a live or resumed change, once applied (checks see it); not for each workspace of a full resync. */
  onWorkspaceChange?: (workspaceId: string) => void;
  /** Told of connection changes, for logs. */
  onConnection?: (info: { state: ConnectionState; error?: string }) => void;
}

export type ConnectionState = 'connecting' | 'resyncing' | 'resuming' | 'live' | 'disconnected' | 'stopped';

export interface AccessClientStatus {
  connection: ConnectionState;
  epoch: string | null;
  lastEventId: string | null;
  /** When the client last heard from the engine on a live stream (epoch ms; null: never). */
  lastContactAt: number | null;
  /** now − lastContactAt (null: never). */
  stalenessMs: number | null;
  /** Whether answers come from the snapshots (within the bound) rather than from the policy. */
  fresh: boolean;
  workspaces: number;
}

export interface AccessClientStats {
  snapshotAnswers: number;
  httpAnswers: number;
  policyAllowed: number;
  policyDenied: number;
  events: number;
  resets: number;
  resumes: number;
  connects: number;
  streamErrors: number;
}

export interface AccessClient {
  /**
   * May this traffic run? In-process from the snapshot when the client holds
   * one within the bound; over GET /access for a workspace the client has no
   * state for yet (cold start) and for a production project's first check
   * (the engine registers it); the policy's answer past the bound. Rejects
   * only on invalid input (as /access answers 400).
   */
  check(workspaceId: string, projectId: string | undefined, environment: AccessEnvironment): Promise<ClientAnswer>;
  /** The in-process answer, synchronously; null when only GET /access can answer (then call check). */
  checkLocal(workspaceId: string, projectId: string | undefined, environment: AccessEnvironment): ClientAnswer | null;
  /** Opens the stream; resolves at once (use ready() to wait for the first complete state). */
  start(): void;
  /** Resolves when the first complete state is in (rejects after timeoutMs). */
  ready(timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
  /** The snapshot the client holds for a workspace (undefined: none). */
  snapshot(workspaceId: string): AccessSnapshot | undefined;
  status(): AccessClientStatus;
  stats(): AccessClientStats;
}

export class AccessClientError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly problem: unknown,
  ) {
    super(message);
    this.name = 'AccessClientError';
  }
}

export function createAccessClient(options: AccessClientOptions): AccessClient {
  const baseUrl = options.baseUrl.replace(/\/+$/, '');
  const maxStalenessMs = options.maxStalenessMs ?? 5_000;
  const policy: StalePolicy = options.policy ?? 'fail-closed';
  const idleTimeoutMs = options.idleTimeoutMs ?? 3_000;
  const backoff = options.reconnectMs ?? { initial: 100, max: 5_000 };
  const httpTimeoutMs = options.httpTimeoutMs ?? 2_000;
  const now = options.now ?? Date.now;
  const doFetch = options.fetch ?? fetch;
  const settings = { maxStalenessMs, policy };
  const authorization = `Bearer ${options.token}`;

  const state: ClientState & { snapshots: Map<string, AccessSnapshot> } = {
    snapshots: new Map(),
    complete: false,
    walletMinimumCents: 0,
    lastContactAt: null,
  };
  let connection: ConnectionState = 'disconnected';
  let epoch: string | null = null;
  let lastEventId: string | null = null;
  /** The state a full resync builds, swapped in at ready. */
  let incoming: Map<string, AccessSnapshot> | null = null;
  let stopped = true;
  let abort: AbortController | null = null;
  let loop: Promise<void> | null = null;
  let wake: (() => void) | null = null;
  const readyWaiters: (() => void)[] = [];
  const inFlight = new Map<string, Promise<ClientAnswer>>();
  const counters: AccessClientStats = {
    snapshotAnswers: 0,
    httpAnswers: 0,
    policyAllowed: 0,
    policyDenied: 0,
    events: 0,
    resets: 0,
    resumes: 0,
    connects: 0,
    streamErrors: 0,
  };

  function setConnection(next: ConnectionState, error?: string): void {
    if (connection === next && error === undefined) return;
    connection = next;
    options.onConnection?.({ state: next, error });
  }

  function reportPolicy(workspaceId: string, answer: ClientAnswer): ClientAnswer {
    if (answer.allowed) counters.policyAllowed++;
    else counters.policyDenied++;
    options.onPolicyAnswer?.({ workspaceId, answer });
    return answer;
  }

  /** The checks GET /access makes of its query (accessQuerySchema), cheap enough for every call. */
  function validateQuery(projectId: string | undefined, environment: AccessEnvironment): void {
    if (!ENVIRONMENT_SET.has(environment)) throw new AccessClientError(`environment must be one of ${ENVIRONMENTS.join(', ')}`, 400, null);
    if (projectId === undefined ? environment === 'production' : projectId.length === 0 || projectId.length > 128) {
      throw new AccessClientError('projectId is required for production traffic (1-128 characters)', 400, null);
    }
  }
  function validateWorkspace(workspaceId: string): void {
    if (!workspaceIdSchema.safeParse(workspaceId).success) throw new AccessClientError('workspaceId is malformed', 400, null);
  }

  function checkLocal(workspaceId: string, projectId: string | undefined, environment: AccessEnvironment): ClientAnswer | null {
    validateQuery(projectId, environment);
    const decision = decideLocally(state, workspaceId, projectId, environment, now(), settings);
    // A workspace the engine sent is well-formed; any other id is checked as /access would.
    if (decision.unknownWorkspace === true) validateWorkspace(workspaceId);
    const answer = decision.answer;
    if (answer === null) return null;
    if (answer.source === 'policy') {
      validateWorkspace(workspaceId);
      return reportPolicy(workspaceId, answer);
    }
    counters.snapshotAnswers++;
    return answer;
  }

  async function overHttp(workspaceId: string, projectId: string | undefined, environment: AccessEnvironment): Promise<ClientAnswer> {
    const query = new URLSearchParams({ environment });
    if (projectId !== undefined) query.set('projectId', projectId);
    const url = `${baseUrl}/v1/workspaces/${encodeURIComponent(workspaceId)}/access?${query}`;
    let response: Response;
    try {
      response = await doFetch(url, { headers: { Authorization: authorization }, signal: AbortSignal.timeout(httpTimeoutMs) });
    } catch {
      return reportPolicy(workspaceId, policyAnswer(policy, state.lastContactAt, now()));
    }
    const body: unknown = await response.json().catch(() => null);
    if (response.status >= 400 && response.status < 500) {
      throw new AccessClientError(`GET /access answered ${response.status}`, response.status, body);
    }
    const parsed = response.ok ? accessResponseSchema.safeParse(body) : null;
    if (parsed === null || !parsed.success) return reportPolicy(workspaceId, policyAnswer(policy, state.lastContactAt, now()));
    counters.httpAnswers++;
    return { ...parsed.data, source: 'http' };
  }

  function check(workspaceId: string, projectId: string | undefined, environment: AccessEnvironment): Promise<ClientAnswer> {
    try {
      const local = checkLocal(workspaceId, projectId, environment);
      if (local !== null) return Promise.resolve(local);
      validateWorkspace(workspaceId);
    } catch (err) {
      return Promise.reject(err);
    }
    // One request at a time per question: a burst of first checks of a new project registers it once.
    const key = `${workspaceId}\n${projectId ?? ''}\n${environment}`;
    let pending = inFlight.get(key);
    if (pending === undefined) {
      pending = overHttp(workspaceId, projectId, environment).finally(() => inFlight.delete(key));
      inFlight.set(key, pending);
    }
    return pending;
  }

  // --- the stream ---------------------------------------------------------

  function onEvent(e: SseEvent): void {
    counters.events++;
    const data: unknown = JSON.parse(e.data);
    switch (e.event) {
      case 'reset': {
        const reset = resetEventSchema.parse(data);
        counters.resets++;
        epoch = reset.epoch;
        state.walletMinimumCents = reset.walletMinimumCents;
        incoming = new Map();
        setConnection('resyncing');
        break;
      }
      case 'resume': {
        const resume = resumeEventSchema.parse(data);
        counters.resumes++;
        epoch = resume.epoch;
        state.walletMinimumCents = resume.walletMinimumCents;
        incoming = null;
        setConnection('resuming');
        break;
      }
      case 'workspace': {
        const { workspaceId, snapshot } = workspaceEventSchema.parse(data);
        if (incoming !== null) {
          incoming.set(workspaceId, snapshotFromWire(snapshot));
          break;
        }
        state.snapshots.set(workspaceId, snapshotFromWire(snapshot));
        if (connection === 'live') state.lastContactAt = now();
        options.onWorkspaceChange?.(workspaceId);
        break;
      }
      case 'ready': {
        readyEventSchema.parse(data);
        if (incoming !== null) {
          state.snapshots = incoming;
          state.complete = true;
          incoming = null;
        }
        state.lastContactAt = now();
        setConnection('live');
        readyWaiters.splice(0).forEach((resolve) => resolve());
        break;
      }
      case 'heartbeat': {
        heartbeatEventSchema.parse(data);
        if (connection === 'live') state.lastContactAt = now();
        break;
      }
      default:
        break; // unknown events are ignored (newer engines may add some)
    }
    // The id is taken once the event is applied; an interrupted resync never moves it.
    if (e.id !== undefined && e.id !== '') lastEventId = e.id;
  }

  /** One connection: resolves when the stream ends or fails. */
  async function connectOnce(): Promise<void> {
    const controller = new AbortController();
    abort = controller;
    let lastDataAt = now();
    const tickMs = Math.max(50, Math.min(1_000, idleTimeoutMs / 4));
    let lastTickAt = now();
    const watchdog = setInterval(() => {
      const at = now();
      // A late tick means this process's event loop was blocked: data may be waiting unread; look again next tick.
      const late = at - lastTickAt > 2 * tickMs;
      lastTickAt = at;
      if (!late && at - lastDataAt > idleTimeoutMs) controller.abort(new Error(`no data for ${idleTimeoutMs} ms`));
    }, tickMs);
    watchdog.unref?.();
    try {
      setConnection('connecting');
      counters.connects++;
      const headers: Record<string, string> = { Authorization: authorization, Accept: 'text/event-stream' };
      if (lastEventId !== null) headers['Last-Event-ID'] = lastEventId;
      const response = await doFetch(`${baseUrl}/v1/access/changes`, { headers, signal: controller.signal });
      if (response.status === 400 && lastEventId !== null) {
        // The engine cannot read our id (it never should): start over with a full resync.
        lastEventId = null;
        await response.body?.cancel();
        throw new Error('the engine refused our Last-Event-ID; resyncing');
      }
      if (!response.ok || response.body === null) {
        await response.body?.cancel();
        throw new Error(`GET /v1/access/changes answered ${response.status}`);
      }
      const parser = new SseParser();
      const decoder = new TextDecoder();
      const reader = response.body.getReader();
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        lastDataAt = now();
        for (const event of parser.feed(decoder.decode(value, { stream: true }))) onEvent(event);
      }
      throw new Error('the engine ended the stream');
    } finally {
      clearInterval(watchdog);
      // Releases the connection whatever ended the loop (a parse error included).
      controller.abort();
      abort = null;
      incoming = null;
    }
  }

  async function run(): Promise<void> {
    let attempt = 0;
    while (!stopped) {
      const before = counters.events;
      try {
        await connectOnce();
      } catch (err) {
        if (stopped) break;
        counters.streamErrors++;
        setConnection('disconnected', err instanceof Error ? err.message : String(err));
      }
      if (stopped) break;
      // A stream that delivered something resets the backoff.
      attempt = counters.events > before ? 0 : attempt + 1;
      const delay = Math.min(backoff.max, backoff.initial * 2 ** Math.min(attempt, 16));
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.round(delay * (0.5 + Math.random() / 2)));
        timer.unref?.();
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      wake = null;
    }
  }

  return {
    check,
    checkLocal(workspaceId, projectId, environment) {
      return checkLocal(workspaceId, projectId, environment);
    },
    start() {
      if (!stopped) return;
      stopped = false;
      loop = run();
    },
    ready(timeoutMs = 10_000) {
      if (state.complete && connection === 'live') return Promise.resolve();
      return new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`the access client was not ready within ${timeoutMs} ms`)), timeoutMs);
        readyWaiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    },
    async stop() {
      stopped = true;
      abort?.abort(new Error('stopped'));
      wake?.();
      await loop;
      loop = null;
      setConnection('stopped');
    },
    snapshot: (workspaceId) => state.snapshots.get(workspaceId),
    status() {
      const at = now();
      return {
        connection,
        epoch,
        lastEventId,
        lastContactAt: state.lastContactAt,
        stalenessMs: state.lastContactAt === null ? null : at - state.lastContactAt,
        fresh: state.lastContactAt !== null && at - state.lastContactAt <= maxStalenessMs,
        workspaces: state.snapshots.size,
      };
    },
    stats: () => ({ ...counters }),
  };
}
