// npm run bench:access — loads GET /v1/workspaces/{id}/access (the real app:
// bearer auth, validation, the access service with its LISTEN/NOTIFY cache,
// against the local PostgreSQL) and, in the same run, a bare Express endpoint
// returning a constant JSON body. Both servers run in this process; the load
// comes from a SECOND process (scripts/bench-access-loader.ts, autocannon)
// over loopback, one target at a time, each after a warm-up. Prints
// requests/s, p50/p99 latency and this process's GC pauses for both, and the
// throughput ratio. It asserts nothing about the figures (they depend on the
// machine); it fails only when a request fails.
//
// Options (environment, bounded): BENCH_DURATION (s per target, default 10,
// 1–60), BENCH_WARMUP (s, default 3, 0–30), BENCH_CONNECTIONS (keep-alive
// connections, default 4, 1–256), BENCH_LOG_LEVEL (default warn),
// BENCH_DATABASE_URL (default: TEST_DATABASE_URL, else the local billing_test
// database; pending migrations are applied). The seeded workspace is removed
// at the end.
import { spawn } from 'node:child_process';
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
import { projectRoot } from './lib/binaries';
import { createLogger } from '../src/infra/logger';
import { createPrisma } from '../src/infra/prisma';
import { createStripeClient } from '../src/infra/stripe-client';
import { WorkspaceClient } from '../src/temporal/workspace-client';
import { BENCH_DATABASE_URL, bounded, ensureSchema } from './lib/bench-database';

const DURATION_S = bounded('BENCH_DURATION', 10, 1, 60);
const WARMUP_S = bounded('BENCH_WARMUP', 3, 0, 30);
const CONNECTIONS = bounded('BENCH_CONNECTIONS', 4, 1, 256);
const DATABASE_URL = BENCH_DATABASE_URL;
const TOKEN = 'bench-app-token-0123456789';

export interface Figures {
  requestsPerSecond: number;
  p50: number;
  p99: number;
  total: number;
  failures: number;
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
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(__dirname, 'bench-access-loader.ts'), spec], {
      cwd: projectRoot,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
    // Bounded: the run plus a generous margin, then it is stopped.
    const guard = setTimeout(() => child.kill('SIGKILL'), (seconds + 30) * 1000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(guard);
      if (code !== 0) return reject(new Error(`the loader exited with ${code}: ${err.trim()}`));
      try {
        resolve(JSON.parse(out.trim().split('\n').pop() ?? '') as Figures);
      } catch (e) {
        reject(new Error(`the loader printed no result: ${String(e)}\n${out}\n${err}`));
      }
    });
  });
}

interface GcFigures {
  pauses: number;
  maxMs: number;
  totalMs: number;
}

/** A measured run, with the garbage-collection pauses of this (the server) process meanwhile. */
async function measure(url: string, seconds: number, headers: Record<string, string>): Promise<Figures & { gc: GcFigures }> {
  const gc: GcFigures = { pauses: 0, maxMs: 0, totalMs: 0 };
  const observer = new PerformanceObserver((list) => {
    list.getEntries().forEach((e: PerformanceEntry) => {
      gc.pauses++;
      gc.totalMs += e.duration;
      gc.maxMs = Math.max(gc.maxMs, e.duration);
    });
  });
  observer.observe({ entryTypes: ['gc'] });
  try {
    return { ...(await load(url, seconds, headers)), gc };
  } finally {
    observer.disconnect();
  }
}

async function main(): Promise<void> {
  await ensureSchema();
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
    const bareFigures = await measure(bareUrl, DURATION_S, {});
    const accessFigures = await measure(accessUrl, DURATION_S, headers);
    const after = access.stats();

    const row = (name: string, f: Figures & { gc: GcFigures }) =>
      `${name.padEnd(26)} ${f.requestsPerSecond.toFixed(0).padStart(9)} ${f.p50.toFixed(2).padStart(8)} ${f.p99.toFixed(2).padStart(8)} ${String(f.total).padStart(10)}   ${f.gc.pauses} pauses, max ${f.gc.maxMs.toFixed(1)} ms, total ${f.gc.totalMs.toFixed(0)} ms`;
    console.log(
      `${'target'.padEnd(26)} ${'req/s'.padStart(9)} ${'p50 ms'.padStart(8)} ${'p99 ms'.padStart(8)} ${'requests'.padStart(10)}   server GC during the run`,
    );
    console.log(row('bare express (constant)', bareFigures));
    console.log(row('GET /access (real app)', accessFigures));
    const ratio = accessFigures.requestsPerSecond / bareFigures.requestsPerSecond;
    console.log(`throughput ratio /access ÷ bare: ${(ratio * 100).toFixed(1)} %  (target ≥ 70 %: ${ratio >= 0.7 ? 'met' : 'NOT met'})`);
    console.log(`/access p99: ${accessFigures.p99.toFixed(2)} ms  (target < 5 ms: ${accessFigures.p99 < 5 ? 'met' : 'NOT met'})`);
    if (accessFigures.p99 >= 5 && bareFigures.p99 >= 0.8 * accessFigures.p99) {
      console.log(
        'note: the bare endpoint is about as slow at p99, so the tail is the runtime (young-generation GC pauses, see the GC column) ' +
          'or a busy machine, not the gate; NODE_OPTIONS=--max-semi-space-size=32 shortens it.',
      );
    }
    console.log(
      `access cache during the measured run: ${after.hits - before.hits} hits, ${after.misses - before.misses} misses, ${after.loads - before.loads} database reads`,
    );
    if (bareFigures.failures > 0 || accessFigures.failures > 0) {
      throw new Error(`failed requests: bare ${bareFigures.failures}, access ${accessFigures.failures}`);
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
