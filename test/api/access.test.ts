// GET /v1/workspaces/{id}/access — the gateway's hot path — over HTTP against
// the real PostgreSQL projection and the access service (LISTEN/NOTIFY
// cache). Temporal is never reached on this path, so the app here has a
// WorkspaceClient pointing at an address that answers nothing. Workspaces are
// seeded by writing the projection rows directly, as the activities would.
import type { Server } from 'node:http';
import { performance } from 'node:perf_hooks';
import { Client as TemporalClient, Connection } from '@temporalio/client';
import request from 'supertest';
import { createAccessService, type AccessService, type AccessServiceOptions } from '../../src/access/access-service';
import { createApp } from '../../src/api/app';
import { utcMonth } from '../../src/domain/access';
import { accessResponseSchema } from '../../src/domain/response-schemas';
import { createLogger } from '../../src/infra/logger';
import type { PrismaClient } from '../../src/infra/prisma';
import { createStripeClient } from '../../src/infra/stripe-client';
import { WorkspaceClient } from '../../src/temporal/workspace-client';
import { testPrisma, uniqueId } from '../support/db';
import { TEST_DATABASE_URL, TEST_SECRETS, testConfig } from '../support/test-env';

const auth = { Authorization: `Bearer ${TEST_SECRETS.APP_API_TOKEN}` };
const config = testConfig();
const log = createLogger('silent');
const stripe = createStripeClient(config.STRIPE_SECRET_KEY, config.STRIPE_API_URL);
const connection = Connection.lazy({ address: '127.0.0.1:1', connectTimeout: 500 });
const unreachableTemporal = new WorkspaceClient(new TemporalClient({ connection }), 'access-test');

let prisma: PrismaClient;
/** A long safety TTL: any freshness seen within a second here came from NOTIFY, not from expiry. */
let access: AccessService;
let server: Server;
const services: AccessService[] = [];

async function startService(overrides: Partial<AccessServiceOptions> = {}): Promise<AccessService> {
  const service = createAccessService({
    prisma,
    databaseUrl: TEST_DATABASE_URL,
    walletMinimumCents: config.WALLET_MINIMUM_CENTS,
    ttlMs: 60_000,
    ...overrides,
  });
  services.push(service);
  await service.start();
  expect(service.listening).toBe(true);
  return service;
}

function serve(service: AccessService, db: PrismaClient = prisma): Server {
  const app = createApp({ prisma: db, stripe, workspaces: unreachableTemporal, access: service, log, config });
  return app.listen(0, '127.0.0.1');
}

beforeAll(async () => {
  prisma = testPrisma();
  access = await startService();
  server = serve(access);
});

afterAll(async () => {
  await new Promise((resolve) => server?.close(resolve));
  await Promise.all(services.map((s) => s.stop()));
  await prisma?.$disconnect();
  await connection.close().catch(() => undefined);
});

interface Seed {
  planId?: 'essential' | 'plus' | 'family' | 'business' | 'enterprise';
  mode?: 'self_serve' | 'billing_recovery' | 'enforced_recovery' | 'sales_assisted';
  balanceCents?: number;
  graceEndsAt?: Date;
  spend?: { action: 'alert' | 'block'; blockedMonth: string | null };
  projects?: string[];
}

async function seed(s: Seed = {}): Promise<string> {
  const workspaceId = uniqueId('ws');
  const planId = s.planId ?? 'plus';
  const mode = s.mode ?? 'self_serve';
  const delinquent = mode === 'billing_recovery' || mode === 'enforced_recovery';
  const graceEndsAt = s.graceEndsAt ?? (mode === 'enforced_recovery' ? new Date(Date.now() - 60_000) : undefined);
  await prisma.workspaceBilling.create({
    data: {
      workspaceId,
      planId,
      interval: planId === 'essential' ? null : 'month',
      status: planId === 'essential' ? 'none' : delinquent ? 'past_due' : 'active',
      mode,
      graceStartedAt: graceEndsAt ? new Date(graceEndsAt.getTime() - 7 * 86_400_000) : null,
      graceEndsAt: graceEndsAt ?? null,
      graceExpired: mode === 'enforced_recovery',
      version: 1,
    },
  });
  await prisma.walletBalance.create({ data: { workspaceId, balanceCents: BigInt(s.balanceCents ?? 5_000) } });
  if (s.spend) {
    await prisma.spendControl.create({
      data: { workspaceId, monthlyCapCents: 100_000n, alertThresholdsPercent: [50, 90], action: s.spend.action, blockedMonth: s.spend.blockedMonth },
    });
  }
  for (const projectId of s.projects ?? []) await prisma.productionProject.create({ data: { workspaceId, projectId } });
  return workspaceId;
}

async function check(workspaceId: string, projectId: string | undefined, environment = 'production', target: Server = server) {
  const query: Record<string, string> = { environment };
  if (projectId !== undefined) query.projectId = projectId;
  const res = await request(target).get(`/v1/workspaces/${workspaceId}/access`).query(query).set(auth);
  expect(res.status).toBe(200);
  expect(accessResponseSchema.parse(res.body)).toEqual(res.body);
  return res.body as { allowed: boolean; reasons: string[]; graceEndsAt?: string };
}

async function productionProjects(workspaceId: string): Promise<string[]> {
  const rows = await prisma.productionProject.findMany({ where: { workspaceId }, orderBy: { firstAllowedAt: 'asc' } });
  return rows.map((r) => r.projectId);
}

/** Polls /access until `accept` holds; returns the milliseconds it took from `since`. */
async function visibleWithin(workspaceId: string, projectId: string, accept: (b: { reasons: string[] }) => boolean, since: number, budgetMs = 1_000) {
  for (;;) {
    const body = await check(workspaceId, projectId);
    const elapsed = performance.now() - since;
    if (accept(body)) return elapsed;
    if (elapsed > budgetMs) throw new Error(`not visible within ${budgetMs} ms; last answer ${JSON.stringify(body)}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('each failing reason', () => {
  test('plan_not_production_capable: Essential has no production keys', async () => {
    const ws = await seed({ planId: 'essential' });
    expect(await check(ws, 'p1')).toEqual({ allowed: false, reasons: ['plan_not_production_capable'] });
  });

  test('wallet_below_minimum: below the minimum runtime credit (equal is enough)', async () => {
    const low = await seed({ balanceCents: config.WALLET_MINIMUM_CENTS - 1 });
    expect(await check(low, 'p1')).toEqual({ allowed: false, reasons: ['wallet_below_minimum'] });
    const exact = await seed({ balanceCents: config.WALLET_MINIMUM_CENTS });
    expect(await check(exact, 'p1')).toEqual({ allowed: true, reasons: [] });
  });

  test('enforced_recovery: grace expired, with the grace end in the answer', async () => {
    const graceEndsAt = new Date(Date.now() - 3_600_000);
    const ws = await seed({ mode: 'enforced_recovery', graceEndsAt });
    expect(await check(ws, 'p1')).toEqual({ allowed: false, reasons: ['enforced_recovery'], graceEndsAt: graceEndsAt.toISOString() });
  });

  test('project_limit: a Plus workspace has one production project', async () => {
    const ws = await seed({ planId: 'plus', projects: ['first'] });
    expect(await check(ws, 'second')).toEqual({ allowed: false, reasons: ['project_limit'] });
    expect(await check(ws, 'first')).toEqual({ allowed: true, reasons: [] });
  });

  test('spend_cap_reached: a Business cap that blocks in the current UTC month', async () => {
    const month = utcMonth(Date.now());
    const blocked = await seed({ planId: 'business', spend: { action: 'block', blockedMonth: month } });
    expect(await check(blocked, 'p1')).toEqual({ allowed: false, reasons: ['spend_cap_reached'] });
    const lastMonth = await seed({ planId: 'business', spend: { action: 'block', blockedMonth: '2000-01' } });
    expect(await check(lastMonth, 'p1')).toEqual({ allowed: true, reasons: [] });
    const alertOnly = await seed({ planId: 'business', spend: { action: 'alert', blockedMonth: month } });
    expect(await check(alertOnly, 'p1')).toEqual({ allowed: true, reasons: [] });
  });

  test('every failing reason is listed together, in a stable order', async () => {
    const month = utcMonth(Date.now());
    const plus = await seed({ planId: 'plus', mode: 'enforced_recovery', balanceCents: 0, projects: ['taken'] });
    expect((await check(plus, 'other')).reasons).toEqual(['wallet_below_minimum', 'enforced_recovery', 'project_limit']);
    const business = await seed({ planId: 'business', mode: 'enforced_recovery', balanceCents: -10, spend: { action: 'block', blockedMonth: month } });
    expect((await check(business, 'p1')).reasons).toEqual(['wallet_below_minimum', 'enforced_recovery', 'spend_cap_reached']);
    const essential = await seed({ planId: 'essential', mode: 'enforced_recovery', balanceCents: 0 });
    expect((await check(essential, 'p1')).reasons).toEqual(['plan_not_production_capable', 'wallet_below_minimum', 'enforced_recovery']);
  });

  test('an unknown workspace is Essential with an empty wallet', async () => {
    expect(await check(uniqueId('ws'), 'p1')).toEqual({ allowed: false, reasons: ['plan_not_production_capable', 'wallet_below_minimum'] });
  });
});

describe('environments and validation', () => {
  test('non-production environments are always allowed and register nothing', async () => {
    const graceEndsAt = new Date(Date.now() - 60_000);
    const ws = await seed({ planId: 'plus', mode: 'enforced_recovery', graceEndsAt, balanceCents: 0, projects: ['taken'] });
    for (const environment of ['sandbox', 'staging', 'console']) {
      expect(await check(ws, 'other', environment)).toEqual({ allowed: true, reasons: [], graceEndsAt: graceEndsAt.toISOString() });
      expect(await check(ws, undefined, environment)).toMatchObject({ allowed: true, reasons: [] });
    }
    const fresh = await seed({ planId: 'plus' });
    expect(await check(fresh, 'p1', 'staging')).toEqual({ allowed: true, reasons: [] });
    expect(await productionProjects(fresh)).toEqual([]);
  });

  test('production needs a projectId (400 listing the field); environment is validated; auth comes first', async () => {
    const ws = await seed();
    const missing = await request(server).get(`/v1/workspaces/${ws}/access`).query({ environment: 'production' }).set(auth);
    expect(missing.status).toBe(400);
    expect(missing.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(missing.body).toMatchObject({ code: 'validation_failed', errors: [{ path: 'query.projectId' }] });
    // environment defaults to production
    expect((await request(server).get(`/v1/workspaces/${ws}/access`).set(auth)).body.errors[0].path).toBe('query.projectId');
    const moon = await request(server).get(`/v1/workspaces/${ws}/access`).query({ environment: 'moon', projectId: 'p' }).set(auth);
    expect(moon.status).toBe(400);
    expect(moon.body.errors[0].path).toBe('query.environment');
    const badId = await request(server).get('/v1/workspaces/bad%20id/access').query({ projectId: 'p' }).set(auth);
    expect(badId.status).toBe(400);
    const anonymous = await request(server).get(`/v1/workspaces/${ws}/access`).query({ projectId: 'p' });
    expect(anonymous.status).toBe(401);
    const wrong = await request(server).get(`/v1/workspaces/${ws}/access`).query({ projectId: 'p' }).set({ Authorization: 'Bearer not-the-token-at-all' });
    expect(wrong.status).toBe(401);
    expect(await productionProjects(ws)).toEqual([]);
  });
});

describe('production projects', () => {
  test('Plus: the first project allowed becomes the production project; a second is refused; the first stays allowed', async () => {
    const ws = await seed({ planId: 'plus' });
    expect(await check(ws, 'alpha')).toEqual({ allowed: true, reasons: [] });
    expect(await check(ws, 'beta')).toEqual({ allowed: false, reasons: ['project_limit'] });
    expect(await check(ws, 'alpha')).toEqual({ allowed: true, reasons: [] });
    expect(await productionProjects(ws)).toEqual(['alpha']);
  });

  test('a project is registered only when everything else passes', async () => {
    const ws = await seed({ planId: 'plus', balanceCents: 0 });
    expect(await check(ws, 'early')).toEqual({ allowed: false, reasons: ['wallet_below_minimum'] });
    expect(await productionProjects(ws)).toEqual([]);
    await prisma.walletBalance.update({ where: { workspaceId: ws }, data: { balanceCents: 50_000n } });
    await visibleWithin(ws, 'late', (b) => b.reasons.length === 0, performance.now());
    expect(await productionProjects(ws)).toEqual(['late']);
    expect(await check(ws, 'early')).toEqual({ allowed: false, reasons: ['project_limit'] });
  });

  test('Family: ten production projects, the eleventh is refused', async () => {
    const ws = await seed({ planId: 'family' });
    const ids = Array.from({ length: 10 }, (_, i) => `project-${i}`);
    for (const id of ids) expect(await check(ws, id)).toEqual({ allowed: true, reasons: [] });
    expect(await check(ws, 'project-10')).toEqual({ allowed: false, reasons: ['project_limit'] });
    for (const id of ids) expect((await check(ws, id)).allowed).toBe(true);
    expect((await productionProjects(ws)).sort()).toEqual([...ids].sort());
  });

  test('Business: unlimited production projects (and they are still recorded)', async () => {
    const ws = await seed({ planId: 'business' });
    const ids = Array.from({ length: 25 }, (_, i) => `svc-${i}`);
    for (const id of ids) expect(await check(ws, id)).toEqual({ allowed: true, reasons: [] });
    expect(await productionProjects(ws)).toHaveLength(25);
  });

  test('after a downgrade the earliest projects keep their place', async () => {
    const ws = await seed({ planId: 'family' });
    for (const id of ['one', 'two', 'three']) expect((await check(ws, id)).allowed).toBe(true);
    await prisma.workspaceBilling.update({ where: { workspaceId: ws }, data: { planId: 'plus', version: 2 } });
    await visibleWithin(ws, 'two', (b) => b.reasons.includes('project_limit'), performance.now());
    expect(await check(ws, 'one')).toEqual({ allowed: true, reasons: [] });
    expect(await check(ws, 'three')).toEqual({ allowed: false, reasons: ['project_limit'] });
  });

  test('concurrent first requests of new projects on Plus, from two API processes, register exactly one', async () => {
    const other = await startService();
    const otherServer = serve(other);
    try {
      for (let round = 0; round < 3; round++) {
        const ws = await seed({ planId: 'plus' });
        // Warm both caches so every request below sees "no production project yet".
        await Promise.all([check(ws, 'warm', 'sandbox'), check(ws, 'warm', 'sandbox', otherServer)]);
        const projects = Array.from({ length: 8 }, (_, i) => `race-${i}`);
        const answers = await Promise.all(projects.map((p, i) => check(ws, p, 'production', i % 2 === 0 ? server : otherServer)));
        const winners = projects.filter((_, i) => answers[i].allowed);
        expect(winners).toHaveLength(1);
        answers.filter((a) => !a.allowed).forEach((a) => expect(a.reasons).toEqual(['project_limit']));
        expect(await productionProjects(ws)).toEqual(winners);
      }
    } finally {
      await new Promise((resolve) => otherServer.close(resolve));
    }
  });
});

describe('freshness: a block is visible within one second', () => {
  async function warm(ws: string, projectId: string) {
    expect(await check(ws, projectId)).toMatchObject({ allowed: true, reasons: [] });
    // The registration's notification evicts the workspace when it arrives,
    // which on a busy machine can be after the next read: read until an
    // answer comes from the cache (no new load), within a bound.
    const deadline = Date.now() + 5_000;
    for (;;) {
      const before = access.stats().loads;
      expect(await check(ws, projectId)).toMatchObject({ allowed: true, reasons: [] });
      if (access.stats().loads === before) return;
      if (Date.now() > deadline) throw new Error(`workspace ${ws} was never answered from the cache`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  const report = (what: string, ms: number) => console.log(`access: ${what} visible after ${ms.toFixed(1)} ms`);

  test('grace expired (mode enforced_recovery written to the projection)', async () => {
    const ws = await seed({ planId: 'plus', mode: 'billing_recovery', graceEndsAt: new Date(Date.now() + 3_600_000) });
    await warm(ws, 'p1');
    const since = performance.now();
    await prisma.workspaceBilling.update({ where: { workspaceId: ws }, data: { mode: 'enforced_recovery', graceExpired: true, version: 2 } });
    const ms = await visibleWithin(ws, 'p1', (b) => b.reasons.includes('enforced_recovery'), since);
    report('enforced_recovery', ms);
    expect(ms).toBeLessThan(1_000);
  });

  test('wallet lowered below the minimum, then topped up again', async () => {
    const ws = await seed({ planId: 'business' });
    await warm(ws, 'p1');
    let since = performance.now();
    await prisma.walletBalance.update({ where: { workspaceId: ws }, data: { balanceCents: 10n } });
    const blocked = await visibleWithin(ws, 'p1', (b) => b.reasons.includes('wallet_below_minimum'), since);
    report('wallet_below_minimum', blocked);
    expect(blocked).toBeLessThan(1_000);
    since = performance.now();
    await prisma.walletBalance.update({ where: { workspaceId: ws }, data: { balanceCents: 20_000n } });
    const restored = await visibleWithin(ws, 'p1', (b) => b.reasons.length === 0, since);
    report('top-up', restored);
    expect(restored).toBeLessThan(1_000);
  });

  test('Business spend cap blocked by the wallet workflow', async () => {
    const ws = await seed({ planId: 'business', spend: { action: 'block', blockedMonth: null } });
    await warm(ws, 'p1');
    const since = performance.now();
    await prisma.spendControl.update({ where: { workspaceId: ws }, data: { blockedMonth: utcMonth(Date.now()) } });
    const ms = await visibleWithin(ws, 'p1', (b) => b.reasons.includes('spend_cap_reached'), since);
    report('spend_cap_reached', ms);
    expect(ms).toBeLessThan(1_000);
  });

  test('a grace window that ends blocks at its end, by the clock, without any write', async () => {
    const endsAt = Date.now() + 1_500;
    const ws = await seed({ planId: 'plus', mode: 'billing_recovery', graceEndsAt: new Date(endsAt) });
    await warm(ws, 'p1');
    const sinceEnd = performance.now() + (endsAt - Date.now());
    const ms = await visibleWithin(ws, 'p1', (b) => b.reasons.includes('enforced_recovery'), sinceEnd, 1_000);
    report('grace end (no projection write)', ms);
    expect(Date.now()).toBeGreaterThanOrEqual(endsAt);
  });
});

describe('the cache', () => {
  /** Counts every query the service sends through Prisma. */
  function countingPrisma(inner: PrismaClient) {
    let queries = 0;
    const db = new Proxy(inner, {
      get(target, prop) {
        const value: unknown = Reflect.get(target, prop);
        if (typeof prop === 'string' && /^\$(queryRaw|queryRawUnsafe|executeRaw|executeRawUnsafe|transaction)$/.test(prop) && typeof value === 'function') {
          return (...args: unknown[]) => {
            queries++;
            return (value as (...a: unknown[]) => unknown).apply(target, args);
          };
        }
        return value;
      },
    });
    return { db, queries: () => queries };
  }

  test('a hit sends no query; a change sends exactly one reload', async () => {
    const counting = countingPrisma(prisma);
    const service = await startService({ prisma: counting.db });
    const target = serve(service);
    try {
      const ws = await seed({ planId: 'business' });
      expect(await check(ws, 'p1', 'production', target)).toEqual({ allowed: true, reasons: [] });
      expect(await check(ws, 'p1', 'production', target)).toEqual({ allowed: true, reasons: [] });
      const warmed = counting.queries();
      expect(warmed).toBeGreaterThan(0);
      for (let i = 0; i < 100; i++) await check(ws, 'p1', 'production', target);
      expect(counting.queries()).toBe(warmed);

      await prisma.walletBalance.update({ where: { workspaceId: ws }, data: { balanceCents: 1n } });
      const since = performance.now();
      for (;;) {
        const body = await check(ws, 'p1', 'production', target);
        if (body.reasons.includes('wallet_below_minimum')) break;
        if (performance.now() - since > 1_000) throw new Error('the change was not seen');
      }
      const reloaded = counting.queries();
      expect(reloaded - warmed).toBeGreaterThanOrEqual(1);
      for (let i = 0; i < 20; i++) await check(ws, 'p1', 'production', target);
      expect(counting.queries()).toBe(reloaded);
    } finally {
      await new Promise((resolve) => target.close(resolve));
    }
  });

  test('when the listener connection is lost: uncached reads, reconnect, then cached and notified again', async () => {
    const applicationName = uniqueId('access_listener');
    const service = await startService({ applicationName, reconnectMs: { initial: 1_500, max: 3_000 } });
    const target = serve(service);
    try {
      const ws = await seed({ planId: 'business' });
      await check(ws, 'p1', 'production', target);
      await check(ws, 'p1', 'production', target);

      const killed = await prisma.$queryRaw<{ ok: boolean }[]>`
        SELECT pg_terminate_backend(pid) AS ok FROM pg_stat_activity WHERE application_name = ${applicationName}`;
      expect(killed).toEqual([{ ok: true }]);
      const lostBy = Date.now() + 5_000;
      while (service.listening) {
        if (Date.now() > lostBy) throw new Error('the service did not notice the lost listener');
        await new Promise((r) => setTimeout(r, 10));
      }
      // Not listening: every check reads the projection, so a change is seen at once.
      const before = service.stats().loads;
      await check(ws, 'p1', 'production', target);
      await check(ws, 'p1', 'production', target);
      expect(service.stats().loads - before).toBe(2);
      await prisma.walletBalance.update({ where: { workspaceId: ws }, data: { balanceCents: 2n } });
      expect((await check(ws, 'p1', 'production', target)).reasons).toEqual(['wallet_below_minimum']);

      const backBy = Date.now() + 10_000;
      while (!service.listening) {
        if (Date.now() > backBy) throw new Error('the listener did not come back');
        await new Promise((r) => setTimeout(r, 20));
      }
      expect(service.stats().listenerReconnects).toBe(1);
      await check(ws, 'p1', 'production', target);
      const cachedFrom = service.stats().loads;
      await check(ws, 'p1', 'production', target);
      expect(service.stats().loads).toBe(cachedFrom);
      const since = performance.now();
      await prisma.walletBalance.update({ where: { workspaceId: ws }, data: { balanceCents: 30_000n } });
      for (;;) {
        if ((await check(ws, 'p1', 'production', target)).allowed) break;
        if (performance.now() - since > 1_000) throw new Error('the reconnected listener does not invalidate');
      }
    } finally {
      await new Promise((resolve) => target.close(resolve));
      await service.stop();
    }
    const goneBy = Date.now() + 5_000;
    for (;;) {
      const left = await prisma.$queryRaw<unknown[]>`SELECT pid FROM pg_stat_activity WHERE application_name = ${applicationName}`;
      if (left.length === 0) break;
      if (Date.now() > goneBy) throw new Error('stop() left the listener connection open');
      await new Promise((r) => setTimeout(r, 20));
    }
  });
});
