// npm run bench:usage — usage ingest: 100-event batches POSTed to
// /v1/workspaces/{id}/usage on the real API process (src/server.ts), rated
// and debited by the real worker (src/worker.ts) on a fresh Temporal dev
// server, PostgreSQL holding usage and the ledger; the load comes from a
// separate process (scripts/bench-usage-loader.ts) with `--concurrency`
// senders that never pause.
//
// Default mode, two scenarios, each measured against a baseline in the same run:
//   (a) many workspaces: `--batches` batches spread over `--workspaces`
//       workspaces (one wallet workflow each);
//   (b) one workspace: `--batches` batches on a single workspace.
// The baseline writes the same batches straight into usage_event with one
// INSERT each over as many PostgreSQL connections (no HTTP, no validation, no
// rating request, no Temporal): the one durable write the route does, so the
// ratio says what the API, validation and the wallet nudge cost on top of it.
// After the engine's run of a scenario the bench waits until every event is
// rated (polling the database; bounded), and prints how fast the wallet
// debited too. Then it resends batch 0 of every workspace (each must be
// answered 100 duplicates) and checks the debit exact (scripts/lib/usage-debit-check.ts).
//
// `--sustained`: one workspace, `--batches` (default 50,000) batches from
// `--concurrency` (default 8) senders without pause. Prints batches accepted
// and refused (any non-2xx fails the run), events/s, p50/p99, then waits
// for the wallet to catch up and prints its continue-as-new chain: runs,
// history events and signals per run (each must stay under 10,240 events and
// 10,000 signals), and the exact-debit check.
//
// Exits non-zero when a batch was refused for good, an event was lost or
// debited twice, a debit is not exact, or (sustained) a POST was refused or
// a run grew past the limits. It asserts nothing about the speed figures.
// Options: --batches N, --workspaces N (default mode), --concurrency N;
// BENCH_DATABASE_URL (default TEST_DATABASE_URL, else the local billing_test
// database; pending migrations are applied). The rows it wrote are removed at
// the end.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { Client } from '@temporalio/client';
import { temporal as proto } from '@temporalio/proto';
import { Client as PgClient } from 'pg';
import { walletWorkflowIdFor } from '../workflows/wallet-definitions';
import { runLoaderProcess } from './lib/loader-process';
import { startBenchStack, type BenchStack } from './lib/bench-engine';
import { BENCH_DATABASE_URL, ensureSchema } from './lib/bench-database';
import { BATCH_SIZE, expectedUsage, type ExpectedUsage } from './lib/usage-batches';
import { checkExactDebit, readWalletObservations } from './lib/usage-debit-check';
import type { UsageLoaderResult, UsageLoaderSpec } from './bench-usage-loader';

const TASK_QUEUE = 'bench-usage';
const SECRETS = {
  STRIPE_SECRET_KEY: 'sk_test_BenchUsage0123456789',
  STRIPE_WEBHOOK_SECRET: 'whsec_bench_usage',
  APP_API_TOKEN: 'bench-app-token-0123456789',
  OPERATOR_API_TOKEN: 'bench-operator-token-0123456789',
};
/** Temporal's limits for one run (the history size warning; signals per run). */
const HISTORY_EVENTS_LIMIT = 10_240;
const SIGNALS_LIMIT = 10_000;
/** Waiting for the wallet to rate everything is bounded (per 1,000 batches, at least 2 minutes). */
const catchUpTimeoutMs = (batches: number) => Math.max(120_000, batches * 60);
const EventType = proto.api.enums.v1.EventType;

function option(raw: string | undefined, name: string, fallback: number, min: number, max: number): number {
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) throw new Error(`--${name} must be an integer between ${min} and ${max} (got ${raw})`);
  return value;
}

const { values: args } = parseArgs({
  options: { sustained: { type: 'boolean', default: false }, batches: { type: 'string' }, workspaces: { type: 'string' }, concurrency: { type: 'string' } },
});
const SUSTAINED = args.sustained ?? false;
const BATCHES = option(args.batches, 'batches', SUSTAINED ? 50_000 : 2_000, 10, 200_000);
const WORKSPACES = option(args.workspaces, 'workspaces', 100, 2, 1_000);
const CONCURRENCY = option(args.concurrency, 'concurrency', 8, 1, 64);
const WARM_UP_BATCHES = 100;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const tmp = mkdtempSync(path.join(tmpdir(), 'bench-usage-'));
let specCount = 0;

function runLoader(spec: UsageLoaderSpec): Promise<UsageLoaderResult> {
  const file = path.join(tmp, `spec-${specCount++}.json`);
  writeFileSync(file, JSON.stringify(spec));
  return runLoaderProcess<UsageLoaderResult>(path.join(__dirname, 'bench-usage-loader.ts'), file, { stderr: 'inherit' });
}

/** Waits until every event of these workspaces is rated; returns when the last one was. */
async function caughtUp(pg: PgClient, workspaceIds: string[], expectedEvents: number, timeoutMs: number): Promise<{ lastRatedMs: number }> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { rows } = await pg.query<{ unrated: string; stored: string }>(
      `SELECT (SELECT count(*) FROM usage_event WHERE workspace_id = ANY($1) AND rated_at IS NULL) AS unrated,
              (SELECT count(*) FROM usage_event WHERE workspace_id = ANY($1)) AS stored`,
      [workspaceIds],
    );
    if (Number(rows[0].unrated) === 0 && Number(rows[0].stored) >= expectedEvents) break;
    if (Date.now() > deadline) throw new Error(`the wallet had not rated ${rows[0].unrated} of ${rows[0].stored} events within ${timeoutMs / 1000} s`);
    await sleep(250);
  }
  const { rows } = await pg.query<{ last: Date }>('SELECT max(rated_at) AS last FROM usage_event WHERE workspace_id = ANY($1)', [workspaceIds]);
  return { lastRatedMs: rows[0].last.getTime() };
}

interface RunFigures {
  runId: string;
  historyEvents: number;
  signals: number;
  status: string;
}

/** The wallet workflow's continue-as-new chain, newest run back to the first, read from the server's histories. */
async function walletRuns(client: Client, workspaceId: string): Promise<{ chain: RunFigures[]; listed: { runId: string; status: string }[] }> {
  const workflowId = walletWorkflowIdFor(workspaceId);
  const chain: RunFigures[] = [];
  const statuses = new Map<string, string>();
  const listed: { runId: string; status: string }[] = [];
  for await (const execution of client.workflow.list({ query: `WorkflowId = '${workflowId}'` })) {
    statuses.set(execution.runId, execution.status.name);
    listed.push({ runId: execution.runId, status: execution.status.name });
  }
  let runId: string | undefined = (await client.workflow.getHandle(workflowId).describe()).runId;
  while (runId) {
    const history: proto.api.history.v1.IHistory = await client.workflow.getHandle(workflowId, runId).fetchHistory();
    const events = history.events ?? [];
    const signals = events.filter((e) => e.eventType === EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED).length;
    chain.unshift({ runId, historyEvents: events.length, signals, status: statuses.get(runId) ?? '?' });
    runId = events[0]?.workflowExecutionStartedEventAttributes?.continuedExecutionRunId || undefined;
  }
  return { chain, listed };
}

const fmt = (n: number, digits = 1) => (Number.isFinite(n) ? n.toFixed(digits) : '—');
const row = (name: string, batchesPerSecond: number, eventsPerSecond: number, p50: number, p99: number, note = '') =>
  `${name.padEnd(44)} ${fmt(batchesPerSecond).padStart(9)} ${fmt(eventsPerSecond, 0).padStart(9)} ${fmt(p50).padStart(8)} ${fmt(p99).padStart(8)}  ${note}`;
const header = () => `${'target'.padEnd(44)} ${'batches/s'.padStart(9)} ${'events/s'.padStart(9)} ${'p50 ms'.padStart(8)} ${'p99 ms'.padStart(8)}`;
const seconds = (r: UsageLoaderResult) => (r.endedAtMs - r.startedAtMs) / 1000;
const refusedCount = (r: UsageLoaderResult) => Object.values(r.refused).reduce((a, b) => a + b, 0);

async function main(): Promise<void> {
  await ensureSchema();
  const pg = new PgClient({ connectionString: BENCH_DATABASE_URL });
  await pg.connect();
  const run = randomBytes(4).toString('hex');
  const occurredAt = new Date().toISOString();
  /** Every workspace the engine was sent usage for, with the batches it got. */
  const expected = new Map<string, ExpectedUsage>();
  const expectations = new Map<number, ExpectedUsage>();
  const expect = (workspaces: string[], batches: number) => {
    if (!expectations.has(batches)) expectations.set(batches, expectedUsage(batches, occurredAt));
    for (const w of workspaces) expected.set(w, expectations.get(batches)!);
  };
  const baselineWorkspaces: string[] = [];
  const problems: string[] = [];
  let stack: BenchStack | undefined;
  try {
    stack = await startBenchStack({ taskQueue: TASK_QUEUE, secrets: SECRETS });
    const { apiUrl, client } = stack;
    const http = (workspaces: string[], batches: number, firstBatch = 0, progressEvery = 0): UsageLoaderSpec => ({
      mode: 'http',
      concurrency: CONCURRENCY,
      apiUrl,
      token: SECRETS.APP_API_TOKEN,
      workspaces,
      firstBatch,
      batches,
      occurredAt,
      progressEvery,
    });
    const insert = (workspaces: string[], batches: number): UsageLoaderSpec => ({
      mode: 'insert',
      concurrency: CONCURRENCY,
      databaseUrl: BENCH_DATABASE_URL,
      workspaces,
      firstBatch: 0,
      batches,
      occurredAt,
    });
    /** The engine's run: every batch must end accepted; then the wallet must rate them all. */
    const engineRun = async (name: string, workspaces: string[], batches: number, progressEvery = 0) => {
      expect(workspaces, batches);
      const result = await runLoader(http(workspaces, batches, 0, progressEvery));
      if (result.abandoned > 0 || result.stoppedEarly) {
        problems.push(`${name}: ${result.abandoned} batches refused on every attempt${result.stoppedEarly ? ', the loader gave up' : ''}; first: ${result.firstRefusal}`);
      }
      const events = result.accepted * BATCH_SIZE;
      if (result.acceptedEvents !== events) problems.push(`${name}: the API counted ${result.acceptedEvents} events accepted for ${events} sent`);
      return result;
    };

    console.log(
      SUSTAINED
        ? `bench:usage --sustained — one workspace, ${BATCHES} batches of ${BATCH_SIZE} events, ${CONCURRENCY} senders without pause`
        : `bench:usage — ${BATCHES} batches of ${BATCH_SIZE} events per scenario, (a) over ${WORKSPACES} workspaces, (b) on one workspace; ${CONCURRENCY} senders without pause`,
    );
    console.log(`Temporal dev server + worker + API + PostgreSQL on this machine; node ${process.version}, ${cpus().length} CPUs, load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);

    // Warm-up (JIT, connection pools, the first wallet workflows), checked exact with the rest.
    const warm = Array.from({ length: CONCURRENCY }, (_, i) => `buw${run}_${i}`);
    const warmBase = Array.from({ length: CONCURRENCY }, (_, i) => `bub${run}_w${i}`);
    baselineWorkspaces.push(...warmBase);
    await runLoader(insert(warmBase, Math.ceil(WARM_UP_BATCHES / CONCURRENCY)));
    await engineRun('warm-up', warm, Math.ceil(WARM_UP_BATCHES / CONCURRENCY));
    await caughtUp(pg, warm, expected.get(warm[0])!.events * warm.length, catchUpTimeoutMs(WARM_UP_BATCHES));

    if (!SUSTAINED) {
      const scenarios = [
        { name: `(a) ${WORKSPACES} workspaces`, engine: Array.from({ length: WORKSPACES }, (_, i) => `bue${run}_${i}`), base: Array.from({ length: WORKSPACES }, (_, i) => `bub${run}_${i}`) },
        { name: '(b) one workspace', engine: [`bue${run}_one`], base: [`bub${run}_one`] },
      ];
      for (const s of scenarios) {
        const perWorkspace = Math.ceil(BATCHES / s.engine.length);
        baselineWorkspaces.push(...s.base);
        const baseline = await runLoader(insert(s.base, perWorkspace));
        const engine = await engineRun(s.name, s.engine, perWorkspace);
        const { lastRatedMs } = await caughtUp(pg, s.engine, perWorkspace * BATCH_SIZE * s.engine.length, catchUpTimeoutMs(perWorkspace * s.engine.length));
        const batches = perWorkspace * s.engine.length;
        const debitedSeconds = (Math.max(lastRatedMs, engine.endedAtMs) - engine.startedAtMs) / 1000;
        console.log(`\n${s.name}: ${batches} batches, ${batches * BATCH_SIZE} events`);
        console.log(header());
        console.log(row('baseline: one INSERT per batch (PostgreSQL)', batches / seconds(baseline), (batches * BATCH_SIZE) / seconds(baseline), baseline.p50, baseline.p99, `${CONCURRENCY} connections`));
        console.log(
          row('engine: POST /usage answered 202', engine.accepted / seconds(engine), (engine.accepted * BATCH_SIZE) / seconds(engine), engine.p50, engine.p99, `${refusedCount(engine)} attempts refused ${JSON.stringify(engine.refused)}`),
        );
        console.log(row('engine: rated and debited by the wallet', batches / debitedSeconds, (batches * BATCH_SIZE) / debitedSeconds, Number.NaN, Number.NaN, 'from the first POST to the last event rated'));
        console.log(`ratio engine (202) ÷ baseline: ${fmt((100 * seconds(baseline)) / seconds(engine))} %`);
        if (refusedCount(baseline) > 0) problems.push(`${s.name}: baseline inserts failed: ${baseline.firstRefusal}`);
      }
      // Redelivery: batch 0 of every workspace again; every event must be a duplicate and nothing debited twice.
      const resent = [...expected.keys()];
      const again = await runLoader(http(resent, 1));
      if (again.acceptedEvents !== 0 || again.duplicateEvents !== resent.length * BATCH_SIZE) {
        problems.push(`resent batches: ${again.acceptedEvents} events accepted again, ${again.duplicateEvents} duplicates (expected 0 and ${resent.length * BATCH_SIZE})`);
      }
      console.log(`\nresent batch 0 of ${resent.length} workspaces: ${again.duplicateEvents} events answered duplicate, ${again.acceptedEvents} accepted again`);
    } else {
      const workspace = `bus${run}`;
      const engine = await engineRun('sustained', [workspace], BATCHES, 5_000);
      const refused = refusedCount(engine);
      console.log(`\nsustained: ${BATCHES} batches, ${BATCHES * BATCH_SIZE} events on one workspace`);
      console.log(`batches accepted ${engine.accepted} of ${BATCHES}; attempts refused ${refused} ${JSON.stringify(engine.refused)}${engine.firstRefusal ? `; first: ${engine.firstRefusal}` : ''}`);
      console.log(header());
      console.log(row('engine: POST /usage answered 202', engine.accepted / seconds(engine), (engine.accepted * BATCH_SIZE) / seconds(engine), engine.p50, engine.p99, `max ${fmt(engine.max)} ms`));
      if (refused > 0) problems.push(`sustained: ${refused} POST /usage attempts were refused (must be 0)`);
      const started = Date.now();
      const { lastRatedMs } = await caughtUp(pg, [workspace], BATCHES * BATCH_SIZE, catchUpTimeoutMs(BATCHES));
      const debitedSeconds = (Math.max(lastRatedMs, engine.endedAtMs) - engine.startedAtMs) / 1000;
      console.log(row('engine: rated and debited by the wallet', BATCHES / debitedSeconds, (BATCHES * BATCH_SIZE) / debitedSeconds, Number.NaN, Number.NaN, `caught up ${fmt((Date.now() - started) / 1000)} s after the last POST`));
    }

    // The wallet workflows: runs and history per run (every workspace the engine served).
    let maxEvents = 0;
    let maxSignals = 0;
    let runs = 0;
    const detail: string[] = [];
    for (const workspaceId of expected.keys()) {
      const { chain, listed } = await walletRuns(client, workspaceId);
      runs += chain.length;
      for (const r of chain) {
        maxEvents = Math.max(maxEvents, r.historyEvents);
        maxSignals = Math.max(maxSignals, r.signals);
        if (r.historyEvents > HISTORY_EVENTS_LIMIT) problems.push(`${workspaceId}: wallet run ${r.runId} has ${r.historyEvents} history events (> ${HISTORY_EVENTS_LIMIT})`);
        if (r.signals >= SIGNALS_LIMIT) problems.push(`${workspaceId}: wallet run ${r.runId} received ${r.signals} signals (limit ${SIGNALS_LIMIT})`);
      }
      const unexpected = listed.filter((l) => l.status !== 'RUNNING' && l.status !== 'CONTINUED_AS_NEW');
      if (unexpected.length > 0) problems.push(`${workspaceId}: wallet runs ended ${unexpected.map((u) => u.status).join(', ')}`);
      if (SUSTAINED && workspaceId.startsWith('bus')) detail.push(...chain.map((r, i) => `  ${workspaceId} run ${i + 1}: ${r.historyEvents} history events, ${r.signals} signals, ${r.status}`));
    }
    console.log(`\nwallet workflows: ${expected.size} workspaces, ${runs} runs (continue-as-new chains); max ${maxEvents} history events and ${maxSignals} signals in one run`);
    detail.forEach((d) => console.log(d));

    const observed = await readWalletObservations(pg, [...expected.keys()]);
    problems.push(...checkExactDebit(expected, observed));
    const { rows } = await pg.query<{ n: string }>('SELECT count(*) AS n FROM usage_event WHERE workspace_id = ANY($1)', [baselineWorkspaces]);
    if (!SUSTAINED && Number(rows[0].n) === 0) problems.push('the baseline stored nothing');
    const debit = [...expected.values()].reduce((sum, e) => sum + e.debitCents, 0n);
    if (problems.length > 0) {
      console.log(`\nexact debit: ${problems.length} problems`);
      problems.slice(0, 30).forEach((p) => console.log(`  ${p}`));
      throw new Error('the usage was not debited exactly (or batches were refused)');
    }
    const events = [...expected.values()].reduce((sum, e) => sum + e.events, 0);
    console.log(
      `\nexact debit: ${expected.size} workspaces, ${events} events each stored and rated once; usage debits = rated usage (${debit} cents in all, remainders in the carry), no usage rows debited twice, balance = Σ ledger entries, month spend = debits`,
    );
  } finally {
    await stack?.stop();
    const ids = [...expected.keys(), ...baselineWorkspaces];
    for (const table of ['usage_event', 'wallet_entry', 'wallet_balance', 'monthly_spend', 'wallet_nudge', 'wallet_exception', 'notification']) {
      await pg.query(`DELETE FROM ${table} WHERE workspace_id = ANY($1)`, [ids]).catch((err: unknown) => console.error(`cleanup of ${table}: ${String(err)}`));
    }
    await pg.end();
    rmSync(tmp, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exitCode = 1;
});
