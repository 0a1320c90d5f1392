// The embedded access client against the real API and PostgreSQL: a block
// becomes visible in-process; the in-process answers agree with GET /access;
// a project's first production check registers it through /access; cold
// start; a killed stream reconnects and resumes; a lost feed (new epoch)
// resyncs; beyond the staleness bound the chosen policy answers, reported.
import request from 'supertest';
import { createAccessClient, type AccessClient, type AccessClientOptions, type ClientAnswer } from '../../src/access-client';
import type { PrismaClient } from '../../src/infra/prisma';
import { seedAccess, startStreamEngine, type StreamEngine } from '../support/access-stream';
import { testPrisma } from '../support/db';
import { eventually } from '../support/fake-activities';
import { TEST_SECRETS, testConfig } from '../support/test-env';

const config = testConfig();
let prisma: PrismaClient;
let engine: StreamEngine;
const clients: AccessClient[] = [];

function client(over: Partial<AccessClientOptions> = {}): AccessClient {
  const c = createAccessClient({ baseUrl: engine.url, token: TEST_SECRETS.APP_API_TOKEN, reconnectMs: { initial: 20, max: 200 }, ...over });
  clients.push(c);
  return c;
}

async function started(over: Partial<AccessClientOptions> = {}): Promise<AccessClient> {
  const c = client(over);
  c.start();
  await c.ready(30_000);
  return c;
}

async function overHttp(workspaceId: string, projectId: string, environment = 'production') {
  const res = await request(engine.server)
    .get(`/v1/workspaces/${workspaceId}/access`)
    .query({ projectId, environment })
    .set({ Authorization: `Bearer ${TEST_SECRETS.APP_API_TOKEN}` });
  expect(res.status).toBe(200);
  return res.body as { allowed: boolean; reasons: string[] };
}

/** Waits until the in-process answer satisfies `accept` (the change reached the client). */
const inProcess = (c: AccessClient, ws: string, projectId: string, accept: (a: ClientAnswer | null) => boolean) =>
  eventually(async () => c.checkLocal(ws, projectId, 'production'), accept, 20_000);

beforeAll(async () => {
  prisma = testPrisma();
  engine = await startStreamEngine(prisma, { heartbeatMs: 200 });
});

afterAll(async () => {
  await Promise.all(clients.map((c) => c.stop()));
  await engine?.close();
  await prisma?.$disconnect();
});

test('a block becomes visible in-process, and so does the unblock; answers agree with GET /access', async () => {
  const ws = await seedAccess(prisma, { planId: 'business', balanceCents: 50_000, projects: ['api'] });
  const c = await started();
  await inProcess(c, ws, 'api', (a) => a?.source === 'snapshot');
  expect(c.checkLocal(ws, 'api', 'production')).toEqual({ allowed: true, reasons: [], source: 'snapshot' });

  await prisma.walletBalance.update({ where: { workspaceId: ws }, data: { balanceCents: BigInt(config.WALLET_MINIMUM_CENTS - 1) } });
  await inProcess(c, ws, 'api', (a) => a?.allowed === false);
  const blocked = await c.check(ws, 'api', 'production');
  expect(blocked).toEqual({ allowed: false, reasons: ['wallet_below_minimum'], source: 'snapshot' });
  const { source: _blocked, ...blockedAnswer } = blocked;
  expect(blockedAnswer).toEqual(await overHttp(ws, 'api'));

  await prisma.spendControl.create({
    data: { workspaceId: ws, monthlyCapCents: 1n, alertThresholdsPercent: [50], action: 'block', blockedMonth: new Date().toISOString().slice(0, 7) },
  });
  await prisma.walletBalance.update({ where: { workspaceId: ws }, data: { balanceCents: 50_000n } });
  await inProcess(c, ws, 'api', (a) => a?.reasons.join() === 'spend_cap_reached');
  const { source: _capped, ...capped } = c.checkLocal(ws, 'api', 'production')!;
  expect(capped).toEqual(await overHttp(ws, 'api'));

  await prisma.spendControl.delete({ where: { workspaceId: ws } });
  await inProcess(c, ws, 'api', (a) => a?.allowed === true);
  expect(c.stats().httpAnswers).toBe(0);
});

test('a workspace the engine has no rows for is answered in-process as /access answers it', async () => {
  const c = await started();
  const answer = await c.check('ws_never_seen_anywhere', 'p1', 'production');
  expect(answer.source).toBe('snapshot');
  const { source: _s, ...rest } = answer;
  expect(rest).toEqual(await overHttp('ws_never_seen_anywhere', 'p1'));
  await expect(c.check('not a workspace id!', 'p1', 'production')).rejects.toMatchObject({ status: 400 });
  await expect(c.check('ws_x', undefined, 'production')).rejects.toMatchObject({ status: 400 });
});

test('project limit: a project’s first production check goes to /access once, which registers it, counted per plan; then in-process', async () => {
  const ws = await seedAccess(prisma, { planId: 'plus', balanceCents: 50_000 });
  const c = await started();
  await inProcess(c, ws, 'first', (a) => a === null); // allowed but not registered: only /access can answer
  const [one, two] = await Promise.all([c.check(ws, 'first', 'production'), c.check(ws, 'first', 'production')]);
  expect(one).toEqual({ allowed: true, reasons: [], source: 'http' });
  expect(two).toBe(one); // concurrent first checks share one request
  expect(await prisma.productionProject.findMany({ where: { workspaceId: ws } })).toEqual([expect.objectContaining({ projectId: 'first' })]);
  // The registration notified: the project is now known in-process.
  await inProcess(c, ws, 'first', (a) => a?.source === 'snapshot');
  // Plus has one production project: a second one is refused in-process, without a request.
  const before = c.stats().httpAnswers;
  expect(await c.check(ws, 'second', 'production')).toEqual({ allowed: false, reasons: ['project_limit'], source: 'snapshot' });
  expect(c.stats().httpAnswers).toBe(before);
  expect(await prisma.productionProject.count({ where: { workspaceId: ws } })).toBe(1);
});

test('cold start: before the first complete state, check answers through GET /access', async () => {
  const ws = await seedAccess(prisma, { planId: 'business', projects: ['api'] });
  const c = client();
  expect(c.checkLocal(ws, 'api', 'production')).toBeNull();
  expect(await c.check(ws, 'api', 'production')).toEqual({ allowed: true, reasons: [], source: 'http' });
  c.start();
  await c.ready(30_000);
  expect((await c.check(ws, 'api', 'production')).source).toBe('snapshot');
});

test('the stream is killed: the client reconnects, resumes from its last event id and misses nothing', async () => {
  const ws = await seedAccess(prisma, { planId: 'business', balanceCents: 50_000, projects: ['api'] });
  const c = await started();
  await inProcess(c, ws, 'api', (a) => a?.allowed === true);
  const resumesBefore = c.stats().resumes;
  engine.dropConnections();
  await prisma.walletBalance.update({ where: { workspaceId: ws }, data: { balanceCents: 0n } });
  await inProcess(c, ws, 'api', (a) => a?.reasons.join() === 'wallet_below_minimum');
  await eventually(async () => c.status(), (s) => s.connection === 'live');
  expect(c.stats().resumes).toBeGreaterThan(resumesBefore);
  expect(c.stats().resets).toBe(1);
});

test('the engine loses its notification feed: streams end, the client comes back under the new epoch with a full resync', async () => {
  const ws = await seedAccess(prisma, { planId: 'business', balanceCents: 50_000, projects: ['api'] });
  const c = await started();
  const epoch = c.status().epoch;
  await engine.access.stop(); // LISTEN connection gone: notifications may be missed from here on
  await prisma.walletBalance.update({ where: { workspaceId: ws }, data: { balanceCents: 0n } }); // missed by every feed
  await engine.access.start();
  await eventually(async () => c.status(), (s) => s.connection === 'live' && s.epoch !== epoch, 20_000);
  expect(c.stats().resets).toBe(2);
  expect(c.checkLocal(ws, 'api', 'production')).toEqual({ allowed: false, reasons: ['wallet_below_minimum'], source: 'snapshot' });
});

test('beyond the staleness bound the chosen policy answers, and is reported: fail-closed denies, fail-open allows', async () => {
  const ws = await seedAccess(prisma, { planId: 'business', balanceCents: 50_000, projects: ['api'] });
  const reported: ClientAnswer[] = [];
  const closed = await started({ maxStalenessMs: 400, idleTimeoutMs: 300, onPolicyAnswer: ({ answer }) => reported.push(answer) });
  const open = await started({ maxStalenessMs: 400, idleTimeoutMs: 300, policy: 'fail-open' });
  const poor = await seedAccess(prisma, { planId: 'business', balanceCents: 0, projects: ['api'] });
  await inProcess(open, poor, 'api', (a) => a?.allowed === false);
  expect(closed.checkLocal(ws, 'api', 'production')).toEqual({ allowed: true, reasons: [], source: 'snapshot' });

  // The feed goes away and stays away: the engine ends the streams and refuses new ones (503).
  await engine.access.stop();
  const deny = await eventually(async () => closed.checkLocal(ws, 'api', 'production'), (a) => a?.source === 'policy');
  expect(deny).toEqual({ allowed: false, reasons: ['access_state_stale'], source: 'policy', staleForMs: expect.any(Number) });
  expect(deny!.staleForMs).toBeGreaterThan(400);
  expect(reported.length).toBeGreaterThan(0);
  expect(closed.stats().policyDenied).toBeGreaterThan(0);
  expect(closed.status()).toMatchObject({ fresh: false });

  const allow = await eventually(async () => open.checkLocal(poor, 'api', 'production'), (a) => a?.source === 'policy');
  expect(allow).toEqual({ allowed: true, reasons: [], source: 'policy', staleForMs: expect.any(Number) });
  expect(open.stats().policyAllowed).toBeGreaterThan(0);

  // The feed is back: fresh answers again.
  await engine.access.start();
  await eventually(async () => closed.checkLocal(ws, 'api', 'production'), (a) => a?.source === 'snapshot');
});
