// npm run bench:access-client — the embedded access client against the real
// engine side (the app with the access service LISTENing and the change
// stream, on the local PostgreSQL), all in this process:
//
// 1. In-process checks per second: checkLocal over BENCH_WORKSPACES seeded
//    workspaces (random workspace, registered production project, by the
//    clock), and check() (the same, as a promise). Baselines measured in
//    the same run: the bare evaluation (evaluateAccess on the same
//    snapshots, no client) — the floor — and GET /access over loopback
//    HTTP (sequential, keep-alive) — what a gateway pays without the client.
// 2. Change-to-client latency: a wallet balance is updated (one committed
//    statement) and the time until the client has applied the new snapshot
//    (onWorkspaceChange) is measured, BENCH_CHANGES times one after the
//    other, then as one burst of BENCH_CHANGES concurrent updates. Baseline
//    in the same run: the raw LISTEN/NOTIFY delivery of the same updates to
//    a plain pg connection, the floor the stream is built on (measured from
//    before the UPDATE, since a notification can arrive before the
//    statement's answer; the client's figure from there is printed beside it).
// It asserts nothing about the figures; it fails only if an answer is wrong
// (the client and /access disagree) or a change never arrives.
//
// Options (environment, bounded): BENCH_WORKSPACES (default 1,000, 10–20,000),
// BENCH_SECONDS (s per throughput figure, default 3, 1–30), BENCH_CHANGES
// (default 200, 10–2,000), BENCH_DATABASE_URL (default TEST_DATABASE_URL,
// else the local billing_test database; migrations applied). The seeded
// workspaces are removed at the end.
import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { cpus, loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { Client as TemporalClient, Connection } from '@temporalio/client';
import { Client as PgClient } from 'pg';
import { createAccessClient } from '../src/access-client';
import { createAccessService } from '../src/access/access-service';
import { createAccessChangeHub } from '../src/access/change-hub';
import { createApp } from '../src/api/app';
import { loadConfig } from '../src/config';
import { evaluateAccess, type AccessSnapshot } from '../src/domain/access-query';
import { createLogger } from '../src/infra/logger';
import { createPrisma } from '../src/infra/prisma';
import { createStripeClient } from '../src/infra/stripe-client';
import { WorkspaceClient } from '../src/temporal/workspace-client';
import { BENCH_DATABASE_URL, bounded, ensureSchema } from './lib/bench-database';

const WORKSPACES = bounded('BENCH_WORKSPACES', 1_000, 10, 20_000);
const SECONDS = bounded('BENCH_SECONDS', 3, 1, 30);
const CHANGES = bounded('BENCH_CHANGES', 200, 10, 2_000);
const DATABASE_URL = BENCH_DATABASE_URL;
const TOKEN = 'bench-app-token-0123456789';
const PROJECT = 'api';

const yieldToLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * Calls `batch` (which does `size` operations) until `seconds` have passed;
 * operations per second. It yields to the event loop every 20 ms (as a
 * gateway serving requests does), so the stream's heartbeats keep being
 * read; that time counts.
 */
async function rate(seconds: number, size: number, batch: () => void): Promise<number> {
  for (let i = 0; i < 20; i++) batch(); // warm-up
  let done = 0;
  const start = performance.now();
  const end = start + seconds * 1000;
  let now = start;
  let nextYield = start + 20;
  while (now < end) {
    batch();
    done += size;
    now = performance.now();
    if (now >= nextYield) {
      await yieldToLoop();
      nextYield = performance.now() + 20;
    }
  }
  return done / ((performance.now() - start) / 1000);
}

async function asyncRate(seconds: number, size: number, batch: () => Promise<void>): Promise<number> {
  let done = 0;
  const start = performance.now();
  const end = start + seconds * 1000;
  let now = start;
  let nextYield = start + 20;
  while (now < end) {
    await batch();
    done += size;
    now = performance.now();
    if (now >= nextYield) {
      await yieldToLoop(); // resolved promises never let I/O in by themselves
      nextYield = performance.now() + 20;
    }
  }
  return done / ((performance.now() - start) / 1000);
}

function percentile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
}

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
const ms = (n: number) => `${n.toFixed(2)} ms`;
const latencyRow = (name: string, values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return `${name.padEnd(44)} p50 ${ms(percentile(sorted, 0.5)).padStart(10)}   p99 ${ms(percentile(sorted, 0.99)).padStart(10)}   max ${ms(sorted[sorted.length - 1]).padStart(10)}   (${values.length})`;
};

async function main(): Promise<void> {
  await ensureSchema(DATABASE_URL);
  const config = loadConfig({
    DATABASE_URL,
    STRIPE_SECRET_KEY: 'sk_test_BenchAccessClient0123456789',
    STRIPE_WEBHOOK_SECRET: 'whsec_bench_access_client',
    STRIPE_API_URL: 'http://127.0.0.1:1',
    APP_API_TOKEN: TOKEN,
    OPERATOR_API_TOKEN: 'bench-operator-token-0123456789',
    LOG_LEVEL: process.env.BENCH_LOG_LEVEL || 'warn',
    METRICS_ENABLED: 'false',
  });
  const log = createLogger(config.LOG_LEVEL, 'bench');
  const prisma = createPrisma(config.DATABASE_URL);
  const connection = Connection.lazy({ address: '127.0.0.1:1', connectTimeout: 500 });
  const workspaces = new WorkspaceClient(new TemporalClient({ connection }), config.TEMPORAL_TASK_QUEUE);
  const access = createAccessService({ prisma, databaseUrl: DATABASE_URL, walletMinimumCents: config.WALLET_MINIMUM_CENTS, log });
  const hub = createAccessChangeHub({ prisma, access, walletMinimumCents: config.WALLET_MINIMUM_CENTS, log });
  const listener = new PgClient({ connectionString: DATABASE_URL });
  const prefix = `benchc_${randomUUID().replace(/-/g, '').slice(0, 8)}_`;
  const ids = Array.from({ length: WORKSPACES }, (_, i) => `${prefix}${i}`);
  let server: Server | null = null;
  let client: ReturnType<typeof createAccessClient> | null = null;
  try {
    // Seed: Business workspaces with a wallet above the minimum and one registered production project each.
    for (let i = 0; i < ids.length; i += 1_000) {
      const page = ids.slice(i, i + 1_000);
      await prisma.workspaceBilling.createMany({
        data: page.map((workspaceId) => ({ workspaceId, planId: 'business', interval: 'month', status: 'active', mode: 'self_serve', version: 1 })),
      });
      await prisma.walletBalance.createMany({ data: page.map((workspaceId) => ({ workspaceId, balanceCents: 100_000n })) });
      await prisma.productionProject.createMany({ data: page.map((workspaceId) => ({ workspaceId, projectId: PROJECT })) });
    }

    await access.start();
    if (!access.listening) throw new Error('the access service could not LISTEN on the bench database');
    hub.start();
    const app = createApp({ prisma, stripe: createStripeClient(config.STRIPE_SECRET_KEY, config.STRIPE_API_URL), workspaces, access, changes: hub, log, config });
    server = await new Promise<Server>((resolve) => {
      const s = app.listen(0, '127.0.0.1', () => resolve(s));
    });
    const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

    const changed = new Map<string, () => void>();
    client = createAccessClient({
      baseUrl,
      token: TOKEN,
      onWorkspaceChange: (id) => {
        changed.get(id)?.();
      },
    });
    const syncStart = performance.now();
    client.start();
    await client.ready(120_000);
    const syncMs = performance.now() - syncStart;
    const held = client.status().workspaces;

    console.log(`bench:access-client — ${fmt(WORKSPACES)} seeded workspaces, ${SECONDS} s per throughput figure, ${CHANGES} changes`);
    console.log(`node ${process.version}, ${cpus().length} CPUs, load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
    console.log(`cold start: full resync of ${fmt(held)} workspaces (every workspace in the database) in ${ms(syncMs)}`);

    // Agreement first: the in-process answers are the HTTP answers.
    for (const id of ids.slice(0, 20)) {
      const local = client.checkLocal(id, PROJECT, 'production');
      const http = (await (await fetch(`${baseUrl}/v1/workspaces/${id}/access?projectId=${PROJECT}&environment=production`, { headers: { Authorization: `Bearer ${TOKEN}` } })).json()) as object;
      const { source, ...answer } = local ?? { source: 'none' };
      if (source !== 'snapshot' || JSON.stringify(answer) !== JSON.stringify(http)) throw new Error(`client and /access disagree on ${id}: ${JSON.stringify(local)} vs ${JSON.stringify(http)}`);
    }

    // 1. Throughput.
    const BATCH = 1_000;
    const picks = Array.from({ length: 4_096 }, () => ids[Math.floor(Math.random() * ids.length)]);
    const snapshots = picks.map((id) => client!.snapshot(id) as AccessSnapshot);
    let k = 0;
    let sink = 0;
    const c = client;
    const httpRate = await asyncRate(SECONDS, 10, async () => {
      for (let i = 0; i < 10; i++) {
        const res = await fetch(`${baseUrl}/v1/workspaces/${picks[k++ & 4095]}/access?projectId=${PROJECT}&environment=production`, {
          headers: { Authorization: `Bearer ${TOKEN}` },
        });
        if (((await res.json()) as { allowed: boolean }).allowed) sink++;
      }
    });
    const local = await rate(SECONDS, BATCH, () => {
      for (let i = 0; i < BATCH; i++) {
        const a = c.checkLocal(picks[k++ & 4095], PROJECT, 'production');
        if (a !== null && a.allowed) sink++;
      }
    });
    const floor = await rate(SECONDS, BATCH, () => {
      const nowMs = Date.now();
      for (let i = 0; i < BATCH; i++) {
        const v = evaluateAccess(snapshots[k++ & 4095], config.WALLET_MINIMUM_CENTS, nowMs + (i & 1), PROJECT, 'production');
        if (v.answer.allowed) sink++;
      }
    });
    const promised = await asyncRate(SECONDS, BATCH, async () => {
      for (let i = 0; i < BATCH; i++) {
        const a = await c.check(picks[k++ & 4095], PROJECT, 'production');
        if (a.allowed) sink++;
      }
    });
    if (sink === 0) throw new Error('no check was allowed');
    console.log('');
    console.log('in-process checks (one thread, random workspace, by the clock)');
    console.log(`${'  client.checkLocal (sync)'.padEnd(44)} ${fmt(local).padStart(12)} checks/s   (target ≥ 1,000,000/s: ${local >= 1_000_000 ? 'met' : 'NOT met'})`);
    console.log(`${'  client.check (promise)'.padEnd(44)} ${fmt(promised).padStart(12)} checks/s`);
    console.log(`${'  baseline: evaluateAccess alone (floor)'.padEnd(44)} ${fmt(floor).padStart(12)} checks/s   (client ÷ floor: ${((local / floor) * 100).toFixed(0)} %)`);
    console.log(`${'  baseline: GET /access over loopback HTTP'.padEnd(44)} ${fmt(httpRate).padStart(12)} checks/s   (sequential, keep-alive; client ÷ HTTP: ${fmt(local / httpRate)}×)`);

    // 2. Change-to-client latency, with the raw LISTEN/NOTIFY delivery as the floor.
    await listener.connect();
    const notified = new Map<string, () => void>();
    listener.on('notification', (msg) => {
      if (msg.payload) notified.get(msg.payload)?.();
    });
    await listener.query('LISTEN access_changed');
    const live = c.status().connection === 'live';
    if (!live) throw new Error(`the client's stream is ${c.status().connection} before the latency run`);
    let value = 200_000;
    const change = async (id: string) => {
      const balance = ++value;
      let committedAt = 0;
      let notifiedAt = 0;
      const seen = new Promise<number>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`the change of ${id} never reached the client`)), 30_000);
        changed.set(id, () => {
          if (c.snapshot(id)?.balanceCents === balance) {
            clearTimeout(timer);
            resolve(performance.now());
          }
        });
      });
      const raw = new Promise<void>((resolve) => notified.set(id, () => resolve()));
      const before = performance.now();
      await prisma.walletBalance.update({ where: { workspaceId: id }, data: { balanceCents: BigInt(balance) } });
      committedAt = performance.now();
      void raw.then(() => (notifiedAt = performance.now()));
      const at = await seen;
      await raw;
      changed.delete(id);
      notified.delete(id);
      return { fromCommit: at - committedAt, fromStatement: at - before, notify: notifiedAt - before };
    };
    const sequential = [];
    for (let i = 0; i < CHANGES; i++) sequential.push(await change(ids[i % ids.length]));
    const burst = await Promise.all(ids.slice(0, Math.min(CHANGES, ids.length)).map((id) => change(id)));
    console.log('');
    console.log('change-to-client latency (wallet update committed → snapshot applied in the client)');
    console.log(latencyRow('  one change at a time', sequential.map((r) => r.fromCommit)));
    console.log(latencyRow(`  a burst of ${burst.length} concurrent changes`, burst.map((r) => r.fromCommit)));
    console.log(latencyRow('  one at a time, from before the UPDATE', sequential.map((r) => r.fromStatement)));
    console.log(latencyRow('  baseline: raw NOTIFY, from before the UPDATE', sequential.map((r) => r.notify)));
    const p99 = percentile(
      sequential.map((r) => r.fromCommit).sort((a, b) => a - b),
      0.99,
    );
    const burstP99 = percentile(
      burst.map((r) => r.fromCommit).sort((a, b) => a - b),
      0.99,
    );
    console.log(`change-to-client p99: ${ms(p99)} one at a time, ${ms(burstP99)} in the burst  (target ≤ 1 s: ${Math.max(p99, burstP99) <= 1_000 ? 'met' : 'NOT met'})`);
    console.log(`hub: ${JSON.stringify(hub.stats())}`);
  } finally {
    await client?.stop();
    hub.stop();
    if (server) {
      server.closeAllConnections();
      await new Promise((resolve) => server!.close(resolve));
    }
    await listener.end().catch(() => undefined);
    await access.stop();
    await prisma.productionProject.deleteMany({ where: { workspaceId: { startsWith: prefix } } }).catch(() => undefined);
    await prisma.walletBalance.deleteMany({ where: { workspaceId: { startsWith: prefix } } }).catch(() => undefined);
    await prisma.workspaceBilling.deleteMany({ where: { workspaceId: { startsWith: prefix } } }).catch(() => undefined);
    await prisma.$disconnect();
    await connection.close().catch(() => undefined);
  }
}

main().catch((err) => {
  console.error(err instanceof Error ? `${err.message}${err.cause ? ` (${String(err.cause)})` : ''}` : err);
  process.exitCode = 1;
});
