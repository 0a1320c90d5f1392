// npm run bench:webhooks — the engine's Stripe webhook intake against the
// floor under it, in one run on one Temporal server:
//   1. floor: the same billing facts sent with signal-with-start straight to
//      the workspace workflows (no HTTP, no PostgreSQL in front);
//   2. engine: signed Stripe events POSTed to the real API process
//      (src/server.ts), which records and signals them as in production.
// Both run against a fresh Temporal dev server with the real worker
// (src/worker.ts) applying every fact, PostgreSQL holding the projection and
// the webhook log; each target gets its own workspaces, one warm-up event
// each, then BENCH_EVENTS events (distinct, signed
// `customer.subscription.updated`, each moving the period end), sent by a
// separate loader process (scripts/bench-webhooks-loader.ts) with
// BENCH_CONCURRENCY senders, one workspace's events one after another.
// The machine is quiet between targets (every fact applied) before the next
// one starts. Prints events/s and p50/p99 for the floor (signal-with-start
// latency), the engine's acknowledgements and the engine's signalling (the
// time until the last event was signalled, from stripe_event.delivered_at),
// and the ratio signalled ÷ floor. Then it redelivers a sample of the events
// (each must be answered `duplicate`) and checks that every event was
// applied exactly once: each workspace's projection moved by exactly its
// number of events, its workflow's state lists every event id, its history
// holds exactly one stripeFact signal per event (across runs), and every
// webhook row is delivered. It asserts nothing about the figures; it fails
// when an event failed, was lost or doubled.
//
// Options (environment, bounded): BENCH_WORKSPACES (default 100, 1–400),
// BENCH_EVENTS (per target, default 3000, 100–20000; at most 400 per
// workspace), BENCH_CONCURRENCY (senders, default 16, 1–256),
// BENCH_REDELIVER_PERCENT (default 5, 0–100), BENCH_DATABASE_URL (default
// TEST_DATABASE_URL, else the local billing_test database; pending
// migrations are applied). The rows it wrote are removed at the end.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import { Client as PgClient } from 'pg';
import { runLoaderProcess } from './lib/loader-process';
import { readWorkflowHistory } from '../src/temporal/workflow-history';
import { stateQuery, stripeFactSignal, workflowIdFor } from '../workflows/definitions';
import type { WorkspaceState } from '../src/domain/billing-state';
import { startBenchStack, type BenchStack } from './lib/bench-engine';
import { BENCH_DATABASE_URL, bounded, ensureSchema } from './lib/bench-database';
import { eventPayload, subscriptionObject } from './lib/stripe-payloads';
import type { LoaderResult, LoaderSpec } from './bench-webhooks-loader';

const WORKSPACES = bounded('BENCH_WORKSPACES', 100, 1, 400);
const EVENTS = bounded('BENCH_EVENTS', 3000, 100, 20_000);
const CONCURRENCY = bounded('BENCH_CONCURRENCY', 16, 1, 256);
const REDELIVER_PERCENT = bounded('BENCH_REDELIVER_PERCENT', 5, 0, 100);
const PER_WORKSPACE = Math.ceil(EVENTS / WORKSPACES);
const TASK_QUEUE = 'bench-webhooks';
const SECRETS = {
  STRIPE_SECRET_KEY: 'sk_test_BenchWebhooks0123456789',
  STRIPE_WEBHOOK_SECRET: 'whsec_bench_webhooks',
  APP_API_TOKEN: 'bench-app-token-0123456789',
  OPERATOR_API_TOKEN: 'bench-operator-token-0123456789',
};
const DAY = 86_400;
/** Waiting for the worker to apply everything, or for the last signal, is bounded. */
const SETTLE_TIMEOUT_MS = 300_000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Target {
  name: string;
  workspaces: { workspaceId: string; warmUp: string; events: string[]; eventIds: string[] }[];
}

/** Distinct subscription events for one workspace: event k moves the period end to day k, `created` one second apart. */
function eventsFor(workspaceId: string, count: number, t0: number): { payloads: string[]; ids: string[] } {
  const payloads: string[] = [];
  const ids: string[] = [];
  for (let k = 0; k <= count; k++) {
    const id = `evt_${workspaceId}_${k}`;
    const object = subscriptionObject({
      id: `sub_${workspaceId}`,
      customerId: `cus_${workspaceId}`,
      status: 'active',
      metadata: { workspaceId, planId: 'plus', interval: 'month' },
      itemId: `si_${workspaceId}`,
      priceId: 'price_bench_plus_month',
      lookupKey: 'plus_month',
      interval: 'month',
      periodStart: t0,
      periodEnd: t0 + (30 + k) * DAY,
    });
    payloads.push(JSON.stringify(eventPayload(id, 'customer.subscription.updated', t0 + k, object)));
    ids.push(id);
  }
  return { payloads, ids };
}

function target(name: string, prefix: string, t0: number): Target {
  return {
    name,
    workspaces: Array.from({ length: WORKSPACES }, (_, i) => {
      const workspaceId = `${prefix}${String(i).padStart(3, '0')}`;
      const { payloads, ids } = eventsFor(workspaceId, PER_WORKSPACE, t0);
      return { workspaceId, warmUp: payloads[0], events: payloads.slice(1), eventIds: ids };
    }),
  };
}

const tmp = mkdtempSync(path.join(tmpdir(), 'bench-webhooks-'));
let specCount = 0;

/** One loader run in a separate process. */
async function runLoader(spec: LoaderSpec): Promise<LoaderResult> {
  const file = path.join(tmp, `spec-${specCount++}.json`);
  writeFileSync(file, JSON.stringify(spec));
  const result = await runLoaderProcess<LoaderResult>(path.join(__dirname, 'bench-webhooks-loader.ts'), file, { timeoutMs: 600_000 });
  if (result.failures > 0) throw new Error(`${result.failures} of ${result.sent} sends failed; first: ${result.firstFailure}`);
  return result;
}

/** Waits until every workspace's projection shows the period end of its last event; returns their versions. */
async function settled(pg: PgClient, t: Target, lastIndex: (w: Target['workspaces'][number]) => number, t0: number): Promise<Map<string, number>> {
  const ids = t.workspaces.map((w) => w.workspaceId);
  const want = new Map(t.workspaces.map((w) => [w.workspaceId, (t0 + (30 + lastIndex(w)) * DAY) * 1000]));
  const deadline = Date.now() + SETTLE_TIMEOUT_MS;
  for (;;) {
    const { rows } = await pg.query<{ workspace_id: string; version: number; current_period_end: Date | null }>(
      'SELECT workspace_id, version, current_period_end FROM workspace_billing WHERE workspace_id = ANY($1)',
      [ids],
    );
    const done = rows.filter((r) => r.current_period_end?.getTime() === want.get(r.workspace_id));
    if (done.length === ids.length) return new Map(rows.map((r) => [r.workspace_id, r.version]));
    if (Date.now() > deadline) throw new Error(`${t.name}: only ${done.length} of ${ids.length} workspaces applied their events within ${SETTLE_TIMEOUT_MS / 1000} s`);
    await sleep(200);
  }
}

/** Waits until every listed webhook row is delivered; returns the delivery times. */
async function delivered(pg: PgClient, eventIds: string[]): Promise<{ lastMs: number; delaysMs: number[] }> {
  const deadline = Date.now() + SETTLE_TIMEOUT_MS;
  for (;;) {
    const { rows } = await pg.query<{ n: string }>('SELECT count(*) AS n FROM stripe_event WHERE id = ANY($1) AND delivered_at IS NOT NULL', [eventIds]);
    if (Number(rows[0].n) === eventIds.length) break;
    if (Date.now() > deadline) throw new Error(`only ${rows[0].n} of ${eventIds.length} webhook events were signalled within ${SETTLE_TIMEOUT_MS / 1000} s`);
    await sleep(100);
  }
  const { rows } = await pg.query<{ delivered: Date; delay: number }>(
    'SELECT delivered_at AS delivered, extract(epoch FROM delivered_at - received_at) * 1000 AS delay FROM stripe_event WHERE id = ANY($1)',
    [eventIds],
  );
  return { lastMs: Math.max(...rows.map((r) => r.delivered.getTime())), delaysMs: rows.map((r) => Number(r.delay)) };
}

function percentile(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
}

/** Every event applied once: projection moved by exactly its events, state lists them, one signal each in history. */
async function checkExactlyOnce(
  client: Client,
  t: Target,
  baseVersions: Map<string, number>,
  finalVersions: Map<string, number>,
): Promise<{ problems: string[]; repeats: string[] }> {
  const problems: string[] = [];
  /** Signals sent again (a retried signal that had been recorded after all): allowed, and explained below. */
  const repeats: string[] = [];
  for (const w of t.workspaces) {
    const moved = finalVersions.get(w.workspaceId)! - baseVersions.get(w.workspaceId)!;
    if (moved !== w.events.length) problems.push(`${w.workspaceId}: projection moved ${moved} versions for ${w.events.length} events`);
  }
  const queue = [...t.workspaces];
  const check = async () => {
    for (let w = queue.shift(); w; w = queue.shift()) {
      const handle = client.workflow.getHandle(workflowIdFor(w.workspaceId));
      const state: WorkspaceState = await handle.query(stateQuery);
      const missing = w.eventIds.filter((id) => !state.recentEventIds.includes(id));
      if (missing.length > 0) problems.push(`${w.workspaceId}: ${missing.length} events never applied (e.g. ${missing[0]})`);
      const history = await readWorkflowHistory(client, workflowIdFor(w.workspaceId), { wantOlder: () => true, maxRuns: 10 });
      if (!history) {
        problems.push(`${w.workspaceId}: no workflow`);
        continue;
      }
      const signals = new Map<string, number>();
      for (const run of history.runs) {
        for (const r of run.records) {
          if (r.type !== 'signal' || r.name !== stripeFactSignal.name) continue;
          const id = (r.args[0] as { eventId?: string } | undefined)?.eventId ?? '?';
          signals.set(id, (signals.get(id) ?? 0) + 1);
        }
      }
      const expected = new Set(w.eventIds);
      for (const id of w.eventIds) {
        const n = signals.get(id) ?? 0;
        if (n === 0) problems.push(`${w.workspaceId}: event ${id} never signalled`);
        if (n > 1) repeats.push(`${w.workspaceId}: event ${id} signalled ${n} times`);
      }
      for (const id of signals.keys()) if (!expected.has(id)) problems.push(`${w.workspaceId}: unexpected event ${id} signalled`);
    }
  };
  await Promise.all(Array.from({ length: 8 }, check));
  return { problems, repeats };
}

/** The API's count of failed relay signal attempts (each retried), from its /metrics. */
async function failedSignalAttempts(apiUrl: string): Promise<number> {
  const text = await (await fetch(`${apiUrl}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith('stripe_webhook_signals_total{outcome="failed"}'));
  return line ? Number(line.slice(line.lastIndexOf(' ') + 1)) : 0;
}

async function checkWebhookRows(pg: PgClient, t: Target): Promise<string[]> {
  const ids = t.workspaces.flatMap((w) => w.eventIds);
  const { rows } = await pg.query<{ id: string; workspace_id: string | null; delivered_at: Date | null; outcome: string | null }>(
    'SELECT id, workspace_id, delivered_at, outcome FROM stripe_event WHERE id = ANY($1)',
    [ids],
  );
  const problems: string[] = [];
  if (rows.length !== ids.length) problems.push(`stripe_event holds ${rows.length} of ${ids.length} events`);
  for (const r of rows) {
    if (!r.delivered_at || r.outcome !== 'delivered') problems.push(`stripe_event ${r.id}: outcome ${r.outcome}, delivered ${r.delivered_at?.toISOString() ?? 'never'}`);
    if (r.workspace_id === null || !r.id.startsWith(`evt_${r.workspace_id}_`)) problems.push(`stripe_event ${r.id}: workspace ${r.workspace_id}`);
  }
  return problems;
}

async function main(): Promise<void> {
  await ensureSchema();
  const pg = new PgClient({ connectionString: BENCH_DATABASE_URL });
  await pg.connect();
  const run = randomBytes(4).toString('hex');
  const t0 = Math.floor(Date.now() / 1000) - 3_600;
  const floor = target('signal-with-start', `bwf${run}_`, t0);
  const engine = target('webhook intake', `bwe${run}_`, t0);
  const all = [...floor.workspaces, ...engine.workspaces];
  let stack: BenchStack | undefined;
  try {
    stack = await startBenchStack({ taskQueue: TASK_QUEUE, secrets: SECRETS });
    const { temporal, apiUrl, client } = stack;
    const http = (t: Target, events: (w: Target['workspaces'][number]) => string[]): LoaderSpec => ({
      mode: 'http',
      concurrency: CONCURRENCY,
      url: `${apiUrl}/webhooks/stripe`,
      webhookSecret: SECRETS.STRIPE_WEBHOOK_SECRET,
      workspaces: t.workspaces.map((w) => ({ workspaceId: w.workspaceId, events: events(w) })),
    });
    const signal = (t: Target, events: (w: Target['workspaces'][number]) => string[]): LoaderSpec => ({
      mode: 'signal',
      concurrency: CONCURRENCY,
      temporalAddress: temporal.address,
      taskQueue: TASK_QUEUE,
      workspaces: t.workspaces.map((w) => ({ workspaceId: w.workspaceId, events: events(w) })),
    });

    console.log(
      `bench:webhooks — ${WORKSPACES} workspaces, ${PER_WORKSPACE * WORKSPACES} events per target (${PER_WORKSPACE} per workspace), ${CONCURRENCY} senders; Temporal dev server + worker + API + PostgreSQL on this machine`,
    );
    console.log(`node ${process.version}, ${cpus().length} CPUs, load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
    // Warm-up: every workflow started and its first fact applied, through the path of its target.
    await runLoader(signal(floor, (w) => [w.warmUp]));
    await runLoader(http(engine, (w) => [w.warmUp]));
    const base = new Map([...(await settled(pg, floor, () => 0, t0)), ...(await settled(pg, engine, () => 0, t0))]);

    const floorRun = await runLoader(signal(floor, (w) => w.events));
    const floorVersions = await settled(pg, floor, () => PER_WORKSPACE, t0);
    const engineRun = await runLoader(http(engine, (w) => w.events));
    const engineIds = engine.workspaces.flatMap((w) => w.eventIds.slice(1));
    const signalled = await delivered(pg, engineIds);
    const engineVersions = await settled(pg, engine, () => PER_WORKSPACE, t0);

    const n = PER_WORKSPACE * WORKSPACES;
    const rate = (ms: number) => n / (ms / 1000);
    const floorRate = rate(floorRun.endedAtMs - floorRun.startedAtMs);
    const ackRate = rate(engineRun.endedAtMs - engineRun.startedAtMs);
    const signalledRate = rate(Math.max(signalled.lastMs, engineRun.endedAtMs) - engineRun.startedAtMs);
    const row = (name: string, perSecond: number, p50: number, p99: number, note = '') =>
      `${name.padEnd(40)} ${perSecond.toFixed(1).padStart(9)} ${p50.toFixed(1).padStart(8)} ${p99.toFixed(1).padStart(8)}  ${note}`;
    console.log(`${'target'.padEnd(40)} ${'events/s'.padStart(9)} ${'p50 ms'.padStart(8)} ${'p99 ms'.padStart(8)}`);
    console.log(row('floor: signal-with-start (bare client)', floorRate, floorRun.p50, floorRun.p99, 'latency of the signal-with-start call'));
    console.log(row('engine: webhook acknowledged', ackRate, engineRun.p50, engineRun.p99, `latency of the 200; answers ${JSON.stringify(engineRun.outcomes)}`));
    console.log(
      row(
        'engine: webhook signalled',
        signalledRate,
        percentile(signalled.delaysMs, 0.5),
        percentile(signalled.delaysMs, 0.99),
        'until the last event was signalled; latency recorded → signalled',
      ),
    );
    const ratio = signalledRate / floorRate;
    console.log(`ratio engine (signalled) ÷ floor: ${(ratio * 100).toFixed(1)} %  (target ≥ 70 %: ${ratio >= 0.7 ? 'met' : 'NOT met'})`);

    // Stripe redelivers: a sample of the events again, each must be a duplicate and signal nothing.
    const every = REDELIVER_PERCENT > 0 ? Math.max(1, Math.round(100 / REDELIVER_PERCENT)) : 0;
    const sample = engine.workspaces.map((w, i) => ({ ...w, events: every ? w.events.filter((_, k) => (k + i) % every === 0) : [] }));
    const redelivery = await runLoader(http({ name: 'redelivery', workspaces: sample }, (w) => w.events));
    const problems: string[] = [];
    const notDuplicate = Object.entries(redelivery.outcomes).filter(([outcome]) => outcome !== 'duplicate');
    if (notDuplicate.length > 0) problems.push(`redelivered events answered ${JSON.stringify(redelivery.outcomes)}`);
    problems.push(...(await checkWebhookRows(pg, engine)));
    const floorCheck = await checkExactlyOnce(client, floor, base, floorVersions);
    const engineCheck = await checkExactlyOnce(client, engine, base, engineVersions);
    problems.push(...floorCheck.problems, ...engineCheck.problems, ...floorCheck.repeats.map((r) => `floor: ${r}`));
    // At least once: a signal that failed (a timeout, the server busy) is sent again, and may have been
    // recorded the first time too; the workflow ignores the repeat by event id. More repeats than
    // failed attempts would be a relay that sends an event twice by itself.
    const failed = await failedSignalAttempts(apiUrl);
    if (engineCheck.repeats.length > failed) {
      problems.push(`${engineCheck.repeats.length} events signalled more than once, but only ${failed} signal attempts failed`, ...engineCheck.repeats);
    }
    console.log(`relay: ${failed} signal attempts failed and were retried; ${engineCheck.repeats.length} events reached their workflow twice (ignored there by event id)`);
    const checked = all.reduce((sum, w) => sum + w.eventIds.length, 0);
    if (problems.length > 0) {
      console.log(`exactly once: ${problems.length} problems`);
      problems.slice(0, 20).forEach((p) => console.log(`  ${p}`));
      throw new Error('events were lost or doubled');
    }
    console.log(
      `exactly once: ${checked} events on ${all.length} workflows each applied once (projection versions, workflow state, one stripeFact signal each in history, webhook rows delivered); ${redelivery.sent} redeliveries answered duplicate`,
    );
  } finally {
    await stack?.stop();
    const ids = all.map((w) => w.workspaceId);
    await pg.query('DELETE FROM stripe_event WHERE workspace_id = ANY($1)', [ids]).catch(() => undefined);
    await pg.query('DELETE FROM workspace_billing WHERE workspace_id = ANY($1)', [ids]).catch(() => undefined);
    await pg.end();
    rmSync(tmp, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exitCode = 1;
});
