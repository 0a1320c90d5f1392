// The year-scale simulator: N workspaces live Y years in lockstep, one day
// per tick, through the real engine (time-skipping server, real workflows
// and activities, PostgreSQL, the API, stripe-mock behind a recorder). Each
// tick: time passes (timers fire), Stripe renews and retries, every
// workspace acts, Stripe's events are delivered (shuffled, some twice), the
// engine settles, and the invariants are checked. A violation is reported
// with the seed and the workspace's steps; shrink.ts finds the shortest
// steps that still reproduce it.
import type { Step } from './actions';
import type { SimEngine } from './engine';
import { checkFinal, checkWorkspace, type Finding } from './invariants';
import { Rng } from './rng';
import { runNonce, WorkspaceSim } from './workspace-sim';

export const DAY = 86_400_000;
/** Temporal's history warning: every run must stay under it. */
export const HISTORY_EVENTS_LIMIT = 10_240;

export interface SimulationOptions {
  workspaces: number;
  years: number;
  seed: number;
  /** Days per tick (default 1): time moves, Stripe renews and customers act once per tick; per-day chances are scaled. */
  tickDays?: number;
  /** Replay mode: the steps of each workspace (and the global ones) instead of random customers, with each workspace's seed. */
  scripts?: { workspaces: Step[][]; seeds: number[] };
  /** Check every workspace (not only those touched) this often, in days. */
  fullCheckEveryDays?: number;
  /** Stop at the first violation (default true). */
  stopAtFirst?: boolean;
  log?: (line: string) => void;
  concurrency?: number;
}

export interface Violation extends Finding {
  seed: number;
  tickDays: number;
  day: number;
  workspaceIndex: number;
  workspaceId: string;
  /** The workspace's own seed (its delivery noise), for replaying its steps. */
  workspaceSeed: number;
  profile: string;
  steps: Step[];
}

export interface HistoryFigures {
  /** Events in all runs of all of a workspace's workflows. */
  perWorkspace: number[];
  /** The longest single run seen. */
  maxRun: number;
  runs: number;
}

export interface SimulationResult {
  violations: Violation[];
  workspaceYears: number;
  wallMs: number;
  history: HistoryFigures;
  traces: Step[][];
  profiles: Record<string, number>;
  /** Wall time by phase of the ticks (ms): where a workspace-year's time goes. */
  phases: Record<Phase, number>;
}

export type Phase = 'time' | 'act' | 'deliver' | 'check' | 'final';

async function pool<T>(items: T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) await work(items[next++]);
    }),
  );
}

/** Applies every request the engine sent Stripe since last time to the account it belongs to. */
function syncFromRecorder(e: SimEngine, sims: WorkspaceSim[], cursor: { at: number }): void {
  const byRef = new Map<string, WorkspaceSim['own']>();
  for (const ws of sims) {
    for (const a of ws.accounts()) {
      for (const [k, v] of Object.entries(a.metadata)) byRef.set(`${k}:${v}`, a);
      if (a.customerId) byRef.set(`cus:${a.customerId}`, a);
      if (a.subscription) byRef.set(`sub:${a.subscription.id}`, a);
      for (const s of a.sessions) byRef.set(`cs:${s.id}`, a);
    }
    if (ws.claimed && ws.guest) byRef.set(`workspaceId:${ws.id}`, ws.guest.account);
  }
  const requests = e.recorder.requests;
  for (; cursor.at < requests.length; cursor.at++) {
    const r = requests[cursor.at];
    const f = r.form;
    const path = r.path.split('/');
    const account =
      (f['metadata[guestCheckoutId]'] && byRef.get(`guestCheckoutId:${f['metadata[guestCheckoutId]']}`)) ||
      (path[2] === 'subscriptions' && byRef.get(`sub:${path[3]}`)) ||
      (path[2] === 'checkout' && path[4] && byRef.get(`cs:${path[4]}`)) ||
      (f['metadata[workspaceId]'] && byRef.get(`workspaceId:${f['metadata[workspaceId]']}`)) ||
      (path[2] === 'customers' && path[3] && byRef.get(`cus:${path[3]}`)) ||
      undefined;
    account?.applyRequest(r, e.now());
  }
}

/**
 * The worker restarts of this tick: the workflows of every workspace that
 * restarted are replayed from their histories as they are now, together,
 * on the replayer's own thread. Returns when they have replayed (a failure
 * is recorded on its workspace); the ticks go on meanwhile.
 */
function replayRestarted(e: SimEngine, sims: WorkspaceSim[]): Promise<WorkspaceSim[]> {
  const restarted = sims.filter((ws) => ws.restartRequested);
  for (const ws of restarted) ws.restartRequested = false;
  if (restarted.length === 0) return Promise.resolve([]);
  const owner = new Map(restarted.flatMap((ws) => ws.workflowIds().map((id) => [id, ws] as const)));
  return e.replay([...owner.keys()]).then((failures) => {
    for (const failure of failures) owner.get(failure.workflowId)?.replayFailures.push(failure);
    return restarted;
  });
}

async function historyFigures(e: SimEngine, sims: WorkspaceSim[]): Promise<HistoryFigures> {
  const perWorkspace: number[] = [];
  let maxRun = 0;
  let runs = 0;
  await pool(sims, 8, async (ws) => {
    let total = 0;
    for (const id of ws.workflowIds()) {
      let runId: string | undefined = await e.env.client.workflow
        .getHandle(id)
        .describe()
        .then((d) => d.runId)
        .catch(() => undefined);
      while (runId) {
        const history = await e.env.client.workflow.getHandle(id, runId).fetchHistory();
        const events = history.events ?? [];
        total += events.length;
        runs += 1;
        maxRun = Math.max(maxRun, events.length);
        runId = events[0]?.workflowExecutionStartedEventAttributes?.continuedExecutionRunId ?? undefined;
      }
    }
    perWorkspace[ws.index] = total;
  });
  return { perWorkspace, maxRun, runs };
}

export async function simulate(e: SimEngine, options: SimulationOptions): Promise<SimulationResult> {
  const started = Date.now();
  const log = options.log ?? (() => undefined);
  const master = new Rng(options.seed);
  const prefix = `sim${runNonce()}`;
  const days = Math.round(options.years * 365);
  const sims = Array.from({ length: options.workspaces }, (_, i) => {
    const seed = master.seed();
    return new WorkspaceSim(i, prefix, options.scripts?.seeds[i] ?? seed, options.scripts?.workspaces[i] ?? null);
  });
  const fullEvery = options.fullCheckEveryDays ?? 30;
  const delivered = new Map<WorkspaceSim, string[]>();
  const violations: Violation[] = [];
  const cursor = { at: e.recorder.requests.length };
  const sync = () => syncFromRecorder(e, sims, cursor);
  /** The worker restarts of the previous tick, replaying meanwhile. */
  let replaying: Promise<{ restarted: WorkspaceSim[]; error?: unknown }> = Promise.resolve({ restarted: [] });
  const phases: Record<Phase, number> = { time: 0, act: 0, deliver: 0, check: 0, final: 0 };
  let phaseStart = Date.now();
  /** Closes the phase that just ended. */
  const lap = (phase: Phase) => {
    const t = Date.now();
    phases[phase] += t - phaseStart;
    phaseStart = t;
  };

  const report = async (ws: WorkspaceSim, day: number, findings: Finding[]) => {
    for (const f of findings) {
      violations.push({ ...f, seed: options.seed, tickDays: options.tickDays ?? 1, day, workspaceIndex: ws.index, workspaceId: ws.id, workspaceSeed: ws.seed, profile: ws.profile, steps: [...ws.trace] });
      log(`VIOLATION day ${day} ${ws.id} (${ws.profile}): ${f.invariant}: ${f.detail}`);
    }
    ws.replayFailures.length = 0;
  };
  /** Checks, and on a finding lets the engine settle and checks again before believing it. */
  const check = async (ws: WorkspaceSim, day: number) => {
    let findings = await checkWorkspace(e, ws);
    for (let again = 0; findings.length > 0 && again < 8; again++) {
      await e.settle();
      sync();
      await deliverAll([ws]);
      findings = await checkWorkspace(e, ws);
    }
    if (findings.length) await report(ws, day, findings);
  };
  const deliverAll = async (targets: WorkspaceSim[]) => {
    for (let round = 0; round < 4; round++) {
      let any = false;
      await pool(targets, options.concurrency ?? 12, async (ws) => {
        const events = ws.accounts().flatMap((a) => a.takeEvents());
        if (events.length === 0) return;
        any = true;
        const ids = await ws.deliver(e, events);
        delivered.set(ws, [...(delivered.get(ws) ?? []), ...ids]);
      });
      if (!any) return;
      await e.settle();
      sync();
    }
  };

  const tick = options.tickDays ?? 1;
  for (let day = 0; day <= days; day += tick) {
    if (day > 0) await e.sleep(tick * DAY);
    await e.settle();
    sync();
    lap('time');
    const now = e.now();
    for (const ws of sims) for (const a of ws.accounts()) {
      a.startTick();
      a.advance(now);
    }

    const touched = new Set<WorkspaceSim>();
    const wallets = await e.prisma.walletBalance.findMany({ where: { workspaceId: { in: sims.map((s) => s.id) } }, select: { workspaceId: true, balanceCents: true } });
    const pending = await e.prisma.workspaceBilling.findMany({ where: { workspaceId: { in: sims.map((s) => s.id) } }, select: { workspaceId: true, pendingChange: true } });
    await pool(sims, options.concurrency ?? 12, async (ws) => {
      const walletCents = Number(wallets.find((w) => w.workspaceId === ws.id)?.balanceCents ?? 0n);
      const pendingChange = (pending.find((p) => p.workspaceId === ws.id)?.pendingChange ?? null) !== null;
      const actions = ws.decide(day, tick, now, walletCents, pendingChange);
      for (const action of actions) {
        ws.trace.push({ day, action });
        touched.add(ws);
        const watchdog = setTimeout(() => console.error(`still performing ${JSON.stringify(action)} for ${ws.id} after 60 s`), 60_000);
        await ws.perform(action, e, sync);
        clearTimeout(watchdog);
      }
    });
    for (const ws of sims) if (ws.accounts().some((a) => a.outbox.length > 0)) touched.add(ws);
    await e.settle();
    sync();
    const replayed = replaying;
    // Caught here and rethrown when awaited: a rejection must not go unhandled while the tick goes on.
    replaying = replayRestarted(e, sims).then(
      (restarted) => ({ restarted }),
      (error: unknown) => ({ restarted: [], error }),
    );
    lap('act');
    await deliverAll(sims);
    lap('deliver');

    // The replays started a tick ago have run beside this one: their workspaces are checked with the others.
    const previous = await replayed;
    if (previous.error) throw previous.error;
    for (const ws of previous.restarted) touched.add(ws);
    const targets = day % fullEvery < tick || day + tick > days ? sims : [...touched];
    await pool(targets, 6, (ws) => check(ws, day));
    lap('check');

    if (violations.length && (options.stopAtFirst ?? true)) break;
    if (day % 30 < tick) log(`day ${day}/${days}: ${sims.length} workspaces, ${e.recorder.requests.length} Stripe requests so far`);
  }

  const last = await replaying;
  if (last.error) throw last.error;
  if (!violations.length || !(options.stopAtFirst ?? true)) {
    await e.settle();
    for (const ws of last.restarted) await check(ws, days);
    await pool(sims, 6, async (ws) => report(ws, days, await checkFinal(e, ws, delivered.get(ws) ?? [])));
  }
  const history = await historyFigures(e, sims);
  lap('final');
  if (history.maxRun >= HISTORY_EVENTS_LIMIT) {
    violations.push({ invariant: 'history_per_run', detail: `a run reached ${history.maxRun} events`, seed: options.seed, tickDays: tick, day: days, workspaceIndex: -1, workspaceId: '', workspaceSeed: 0, profile: '', steps: [] });
  }
  const profiles: Record<string, number> = {};
  for (const ws of sims) profiles[ws.profile] = (profiles[ws.profile] ?? 0) + 1;
  // Release the recorder's memory: a long run records every Stripe request.
  return {
    violations,
    workspaceYears: options.workspaces * options.years,
    wallMs: Date.now() - started,
    history,
    traces: sims.map((s) => s.trace),
    profiles,
    phases,
  };
}
