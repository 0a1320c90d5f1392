// npm run bench:access — loads GET /v1/workspaces/{id}/access (the real app:
// bearer auth, validation, the access service with its LISTEN/NOTIFY cache,
// against the local PostgreSQL) and, in the same run, a bare Express endpoint
// returning a constant JSON body. Both servers run in this process; the load
// comes from a SECOND process (scripts/bench-access-loader.ts, autocannon)
// over loopback, one target at a time, each after a warm-up. Prints
// requests/s, p50/p99 latency, this process's CPU time per request and GC
// pauses for both, and the throughput ratio. It asserts nothing about the
// figures (they depend on the machine); it fails only when a request fails.
//
// The machine is shared, so its load drifts: each target's time is cut into
// BENCH_ROUNDS slices run alternately (bare, access, bare, access, …) and the
// figures are those of all slices together (latency percentiles from the
// combined histograms), so both targets see the same mix of quiet and busy
// moments. Each round's ratio is printed too.
//
// Options (environment, bounded): BENCH_DURATION (s per target, default 10,
// 1–60), BENCH_ROUNDS (default 5, 1–20; each slice lasts at least 1 s),
// BENCH_WARMUP (s, default 3, 0–30), BENCH_CONNECTIONS (keep-alive
// connections, default 4, 1–256), BENCH_LOG_LEVEL (default warn),
// BENCH_DATABASE_URL (default: TEST_DATABASE_URL, else the local billing_test
// database; pending migrations are applied). The seeded workspace is removed
// at the end.
import { randomUUID } from 'node:crypto';
import { cpus, loadavg } from 'node:os';
import { PerformanceObserver, type PerformanceEntry } from 'node:perf_hooks';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import path from 'node:path';
import { Client as TemporalClient, Connection } from '@temporalio/client';
import express from 'express';
import { createAccessService } from '../src/access/access-service';
import { createApp } from '../src/api/app';
import { loadConfig } from '../src/config';
import { runLoaderProcess } from './lib/loader-process';
import { createLogger } from '../src/infra/logger';
import { createPrisma } from '../src/infra/prisma';
import { createStripeClient } from '../src/infra/stripe-client';
import { WorkspaceClient } from '../src/temporal/workspace-client';
import { BENCH_DATABASE_URL, bounded, ensureSchema } from './lib/bench-database';

const DURATION_S = bounded('BENCH_DURATION', 10, 1, 60);
const WARMUP_S = bounded('BENCH_WARMUP', 3, 0, 30);
const ROUNDS = bounded('BENCH_ROUNDS', 5, 1, 20);
const CONNECTIONS = bounded('BENCH_CONNECTIONS', 4, 1, 256);
const DATABASE_URL = BENCH_DATABASE_URL;
const TOKEN = 'bench-app-token-0123456789';

export interface Figures {
  requestsPerSecond: number;
  p50: number;
  p99: number;
  total: number;
  failures: number;
  /** Measured seconds (autocannon's duration). */
  seconds: number;
  /** Latencies of the 2xx responses: [bucket of 10 µs, count] pairs. */
  histogram: [number, number][];
}

function listen(app: express.Express): Promise<{ server: Server; url: string }> {
  return new Promise((resolve, reject) => {
    const server = app.listen(0, '127.0.0.1', (err?: Error) => {
      if (err) return reject(err);
      const { port } = server.address() as AddressInfo;
      resolve({ server, url: `http://127.0.0.1:${port}` });
    });
  });
}

function close(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}

/** One measured (or warm-up) run from a second process. */
function load(url: string, seconds: number, headers: Record<string, string>): Promise<Figures> {
  const spec = JSON.stringify({ url, seconds, connections: CONNECTIONS, headers });
  // Bounded: the run plus a generous margin, then it is stopped.
  return runLoaderProcess<Figures>(path.join(__dirname, 'bench-access-loader.ts'), spec, { timeoutMs: (seconds + 30) * 1000 });
}

interface GcFigures {
  pauses: number;
  maxMs: number;
  totalMs: number;
}

/** One target's slices added up. */
interface Totals {
  requests: number;
  seconds: number;
  failures: number;
  cpuUs: number;
  histogram: Map<number, number>;
  gc: GcFigures;
}

const emptyTotals = (): Totals => ({ requests: 0, seconds: 0, failures: 0, cpuUs: 0, histogram: new Map(), gc: { pauses: 0, maxMs: 0, totalMs: 0 } });

function percentileOf(histogram: Map<number, number>, q: number): number {
  const buckets = [...histogram].sort((a, b) => a[0] - b[0]);
  const total = buckets.reduce((sum, [, n]) => sum + n, 0);
  const rank = Math.max(1, Math.ceil(q * total));
  let seen = 0;
  for (const [bucket, n] of buckets) {
    seen += n;
    if (seen >= rank) return (bucket + 1) / 100; // the bucket's upper edge, in ms
  }
  return Number.NaN;
}

/** A measured slice, added to `into`, with this (the server) process's CPU time and GC pauses meanwhile. */
async function measure(url: string, seconds: number, headers: Record<string, string>, into: Totals): Promise<Figures> {
  const cpuBefore = process.cpuUsage();
  const observer = new PerformanceObserver((list) => {
    list.getEntries().forEach((e: PerformanceEntry) => {
      into.gc.pauses++;
      into.gc.totalMs += e.duration;
      into.gc.maxMs = Math.max(into.gc.maxMs, e.duration);
    });
  });
  observer.observe({ entryTypes: ['gc'] });
  try {
    const figures = await load(url, seconds, headers);
    const cpu = process.cpuUsage(cpuBefore);
    into.cpuUs += cpu.user + cpu.system;
    into.requests += figures.total;
    into.seconds += figures.seconds;
    into.failures += figures.failures;
    for (const [bucket, n] of figures.histogram) into.histogram.set(bucket, (into.histogram.get(bucket) ?? 0) + n);
    return figures;
  } finally {
    observer.disconnect();
  }
}

async function main(): Promise<void> {
  await ensureSchema(DATABASE_URL);
  const config = loadConfig({
    DATABASE_URL,
    STRIPE_SECRET_KEY: 'sk_test_BenchAccess0123456789',
    STRIPE_WEBHOOK_SECRET: 'whsec_bench_access',
    STRIPE_API_URL: 'http://127.0.0.1:1',
    APP_API_TOKEN: TOKEN,
    OPERATOR_API_TOKEN: 'bench-operator-token-0123456789',
    LOG_LEVEL: process.env.BENCH_LOG_LEVEL || 'warn',
  });
  const log = createLogger(config.LOG_LEVEL, 'bench');
  const prisma = createPrisma(config.DATABASE_URL);
  // Temporal is never reached on /access: the client points at an address that answers nothing.
  const connection = Connection.lazy({ address: '127.0.0.1:1', connectTimeout: 500 });
  const workspaces = new WorkspaceClient(new TemporalClient({ connection }), config.TEMPORAL_TASK_QUEUE);
  const stripe = createStripeClient(config.STRIPE_SECRET_KEY, config.STRIPE_API_URL);
  const access = createAccessService({
    prisma,
    databaseUrl: config.DATABASE_URL,
    walletMinimumCents: config.WALLET_MINIMUM_CENTS,
    log,
  });

  const workspaceId = `bench_${randomUUID().replace(/-/g, '').slice(0, 16)}`;
  const projectId = 'bench-project';
  const servers: Server[] = [];
  try {
    await prisma.workspaceBilling.create({
      data: { workspaceId, planId: 'business', interval: 'month', status: 'active', mode: 'self_serve', version: 1 },
    });
    await prisma.walletBalance.create({ data: { workspaceId, balanceCents: BigInt(config.WALLET_MINIMUM_CENTS + 100_000) } });

    await access.start();
    if (!access.listening) throw new Error('the access service could not LISTEN on the bench database');
    const real = await listen(createApp({ prisma, stripe, workspaces, access, log, config }));
    servers.push(real.server);
    const body = { allowed: true, reasons: [] };
    const bareApp = express();
    bareApp.disable('x-powered-by');
    bareApp.get('/bare', (_req, res) => {
      res.json(body);
    });
    const bare = await listen(bareApp);
    servers.push(bare.server);

    const accessUrl = `${real.url}/v1/workspaces/${workspaceId}/access?projectId=${projectId}&environment=production`;
    const bareUrl = `${bare.url}/bare`;
    const headers = { Authorization: `Bearer ${TOKEN}` };
    const first = await fetch(accessUrl, { headers });
    const firstBody: unknown = await first.json();
    if (first.status !== 200 || JSON.stringify(firstBody) !== JSON.stringify(body)) {
      throw new Error(`the seeded workspace is not allowed: ${first.status} ${JSON.stringify(firstBody)}`);
    }

    console.log(
      `bench:access — ${CONNECTIONS} connections, ${WARMUP_S} s warm-up + ${DURATION_S} s per target, load from a separate process (autocannon) over loopback`,
    );
    console.log(`node ${process.version}, ${cpus().length} CPUs, load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
    if (WARMUP_S > 0) {
      await load(bareUrl, WARMUP_S, {});
      await load(accessUrl, WARMUP_S, headers);
    }
    const before = access.stats();
    const bareTotals = emptyTotals();
    const gate = emptyTotals();
    const slice = Math.max(1, Math.round(DURATION_S / ROUNDS));
    const roundRatios: string[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const b = await measure(bareUrl, slice, {}, bareTotals);
      const a = await measure(accessUrl, slice, headers, gate);
      roundRatios.push(`${((a.requestsPerSecond / b.requestsPerSecond) * 100).toFixed(0)} %`);
    }
    const after = access.stats();

    const rps = (t: Totals) => t.requests / t.seconds;
    const row = (name: string, t: Totals) =>
      `${name.padEnd(26)} ${rps(t).toFixed(0).padStart(9)} ${percentileOf(t.histogram, 0.5).toFixed(2).padStart(8)} ${percentileOf(t.histogram, 0.99).toFixed(2).padStart(8)} ${String(t.requests).padStart(10)} ${(t.cpuUs / Math.max(1, t.requests)).toFixed(1).padStart(10)}   ${t.gc.pauses} pauses, max ${t.gc.maxMs.toFixed(1)} ms, total ${t.gc.totalMs.toFixed(0)} ms`;
    console.log(`${ROUNDS} rounds of ${slice} s per target, alternating; figures over all rounds`);
    console.log(
      `${'target'.padEnd(26)} ${'req/s'.padStart(9)} ${'p50 ms'.padStart(8)} ${'p99 ms'.padStart(8)} ${'requests'.padStart(10)} ${'CPU µs/req'.padStart(10)}   server GC during the run`,
    );
    console.log(row('bare express (constant)', bareTotals));
    console.log(row('GET /access (real app)', gate));
    const ratio = rps(gate) / rps(bareTotals);
    const p99 = percentileOf(gate.histogram, 0.99);
    const bareP99 = percentileOf(bareTotals.histogram, 0.99);
    console.log(`throughput ratio /access ÷ bare: ${(ratio * 100).toFixed(1)} %  (target ≥ 90 %: ${ratio >= 0.9 ? 'met' : 'NOT met'}); per round: ${roundRatios.join(', ')}`);
    console.log(
      `server CPU per request /access ÷ bare: ${((gate.cpuUs / gate.requests / (bareTotals.cpuUs / bareTotals.requests)) * 100).toFixed(1)} %  (the cost the gate adds, less sensitive to the machine's load than req/s)`,
    );
    console.log(`/access p99: ${p99.toFixed(2)} ms, bare p99: ${bareP99.toFixed(2)} ms  (target ≤ 2 ms: ${p99 <= 2 ? 'met' : 'NOT met'})`);
    if (p99 > 2 && bareP99 >= 0.8 * p99) {
      console.log(
        'note: the bare endpoint is about as slow at p99, so the tail is the runtime (young-generation GC pauses, see the GC column) ' +
          'or a busy machine (see the load average), not the gate.',
      );
    }
    console.log(
      `access cache during the measured run: ${after.hits - before.hits} hits, ${after.misses - before.misses} misses, ${after.loads - before.loads} database reads`,
    );
    if (bareTotals.failures > 0 || gate.failures > 0) {
      throw new Error(`failed requests: bare ${bareTotals.failures}, access ${gate.failures}`);
    }
  } finally {
    await Promise.all(servers.map(close));
    await access.stop();
    await prisma.productionProject.deleteMany({ where: { workspaceId } }).catch(() => undefined);
    await prisma.walletBalance.deleteMany({ where: { workspaceId } }).catch(() => undefined);
    await prisma.workspaceBilling.deleteMany({ where: { workspaceId } }).catch(() => undefined);
    await prisma.$disconnect();
    await connection.close().catch(() => undefined);
  }
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exitCode = 1;
});
