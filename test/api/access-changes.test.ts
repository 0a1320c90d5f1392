// GET /v1/access/changes — the access change stream (server-sent events) over
// HTTP against the real PostgreSQL projection: authentication, refusals
// before the stream starts, a full resync, events on a projection / wallet /
// spend / production-project change, and exact resumption with Last-Event-ID.
import request from 'supertest';
import { accessSnapshotWireSchema, eventIdSchema, readyEventSchema, resetEventSchema, resumeEventSchema } from '../../src/domain/access-stream';
import { openApiDocument } from '../../src/api/openapi';
import { problemSchema } from '../../src/domain/response-schemas';
import type { PrismaClient } from '../../src/infra/prisma';
import { isWorkspace, openRawStream, parsed, seedAccess, startStreamEngine, type RawStream, type StreamEngine } from '../support/access-stream';
import { testPrisma } from '../support/db';
import { TEST_SECRETS, testConfig } from '../support/test-env';

const app = { Authorization: `Bearer ${TEST_SECRETS.APP_API_TOKEN}` };
const operator = { Authorization: `Bearer ${TEST_SECRETS.OPERATOR_API_TOKEN}` };
const config = testConfig();

let prisma: PrismaClient;
let engine: StreamEngine;
const streams: RawStream[] = [];

async function open(headers: Record<string, string>): Promise<RawStream> {
  const stream = await openRawStream(engine.url, headers);
  streams.push(stream);
  return stream;
}

/** Opens a stream and waits until it is live; returns it with its ready event's id. */
async function live(headers: Record<string, string> = app): Promise<{ stream: RawStream; readyId: string }> {
  const stream = await open(headers);
  expect(stream.status).toBe(200);
  const ready = await stream.next((e) => e.event === 'ready');
  return { stream, readyId: ready.id as string };
}

beforeAll(async () => {
  prisma = testPrisma();
  engine = await startStreamEngine(prisma);
});

afterAll(async () => {
  streams.forEach((s) => s.close());
  await engine?.close();
  await prisma?.$disconnect();
});

describe('refused before the stream starts (problem+json)', () => {
  test('no token or a wrong token → 401', async () => {
    for (const headers of [{}, { Authorization: 'Bearer wrong-token-0123456789' }]) {
      const res = await request(engine.server).get('/v1/access/changes').set(headers);
      expect(res.status).toBe(401);
      expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
      expect(problemSchema.parse(res.body).code).toBe('unauthorized');
    }
  });

  test.each(['garbage', 'abc-1', 'ABCDEFGH-1', 'abcdefgh-', 'abcdefgh-01', 'abcdefgh-1-2', 'abcdefgh-99999999999999999'])(
    'a malformed Last-Event-ID (%s) → 400 naming the header',
    async (id) => {
      const res = await request(engine.server).get('/v1/access/changes').set(app).set('Last-Event-ID', id);
      expect(res.status).toBe(400);
      expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
      const body = problemSchema.parse(res.body) as { code: string; errors?: { path: string }[] };
      expect(body.code).toBe('validation_failed');
      expect(body.errors?.[0]?.path).toBe('headers.last-event-id');
    },
  );

  test('a malformed lastEventId query parameter → 400 naming it', async () => {
    const res = await request(engine.server).get('/v1/access/changes').query({ lastEventId: 'nope' }).set(operator);
    expect(res.status).toBe(400);
    expect((res.body as { errors: { path: string }[] }).errors[0].path).toBe('query.lastEventId');
  });

  test('while the engine is not LISTENing → 503 change_stream_unavailable', async () => {
    const other = await startStreamEngine(prisma);
    await other.access.stop();
    const res = await request(other.server).get('/v1/access/changes').set(app);
    await other.close();
    expect(res.status).toBe(503);
    expect(problemSchema.parse(res.body).code).toBe('change_stream_unavailable');
  });
});

describe('a full resync', () => {
  test('with the app token or the operator token: reset, every workspace with access inputs, then ready with an id', async () => {
    const ws = await seedAccess(prisma, { planId: 'business', balanceCents: 123_456, projects: ['first', 'second'] });
    for (const headers of [app, operator]) {
      const { stream, readyId } = await live(headers);
      expect(stream.events[0].event).toBe('reset');
      expect(resetEventSchema.parse(parsed(stream.events[0]))).toMatchObject({
        walletMinimumCents: config.WALLET_MINIMUM_CENTS,
        reason: 'no_last_event_id',
      });
      const mine = stream.events.find(isWorkspace(ws));
      expect(mine?.id).toBeUndefined(); // resync events carry no id: an interrupted resync never moves the client's position
      expect(accessSnapshotWireSchema.parse(parsed(mine!).snapshot)).toEqual({
        billing: { planId: 'business', status: 'active', grace: null, invoiceRecoveryAt: null, checkoutExpiresAt: null },
        balanceCents: 123_456,
        spendControl: null,
        projects: ['first', 'second'],
      });
      expect(eventIdSchema.safeParse(readyId).success).toBe(true);
      expect(readyEventSchema.parse(parsed(stream.events.find((e) => e.event === 'ready')!)).epoch).toBe(readyId.split('-')[0]);
      expect(stream.events.filter((e) => e.event === 'ready')).toHaveLength(1);
    }
  });
});

describe('live events', () => {
  test('a wallet, a projection, a spend control and a production project change each arrive as the workspace snapshot, with increasing ids', async () => {
    const ws = await seedAccess(prisma, { balanceCents: 5_000 });
    const { stream } = await live();
    const snapshotAfter = async (change: () => Promise<unknown>, accept: (s: Record<string, unknown>) => boolean) => {
      const from = stream.events.length;
      await change();
      const e = await stream.next((x) => isWorkspace(ws)(x) && accept(parsed(x).snapshot as Record<string, unknown>), from);
      return e;
    };
    const wallet = await snapshotAfter(
      () => prisma.walletBalance.update({ where: { workspaceId: ws }, data: { balanceCents: 1n } }),
      (s) => s.balanceCents === 1,
    );
    const projection = await snapshotAfter(
      () => prisma.workspaceBilling.update({ where: { workspaceId: ws }, data: { status: 'past_due', version: 2 } }),
      (s) => (s.billing as { status: string }).status === 'past_due',
    );
    const spend = await snapshotAfter(
      () =>
        prisma.spendControl.create({
          data: { workspaceId: ws, monthlyCapCents: 100n, alertThresholdsPercent: [50], action: 'block', blockedMonth: '2026-11' },
        }),
      (s) => (s.spendControl as { blockedMonth: string } | null)?.blockedMonth === '2026-11',
    );
    const project = await snapshotAfter(
      () => prisma.productionProject.create({ data: { workspaceId: ws, projectId: 'p-new' } }),
      (s) => (s.projects as string[]).includes('p-new'),
    );
    const seqs = [wallet, projection, spend, project].map((e) => eventIdSchema.parse(e.id).seq);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    expect(new Set(seqs).size).toBe(4);
  });

  test('heartbeats arrive on a live stream (no id: they never move the position)', async () => {
    const { stream } = await live();
    const beat = await stream.next((e) => e.event === 'heartbeat');
    expect(beat.id).toBeUndefined();
    expect(typeof parsed(beat).serverTime).toBe('number');
  });
});

describe('resumption with Last-Event-ID', () => {
  test('after a reconnect: resume, only what changed meanwhile (ids ascending), then ready; nothing missed', async () => {
    const quiet = await seedAccess(prisma);
    const changed = await seedAccess(prisma, { balanceCents: 10_000 });
    const { stream, readyId } = await live();
    stream.close();
    await prisma.walletBalance.update({ where: { workspaceId: changed }, data: { balanceCents: 7 } });
    await prisma.walletBalance.update({ where: { workspaceId: changed }, data: { balanceCents: 8 } });
    // Wait until the engine has emitted the change (a stream opened now resumes over it).
    const watcher = await live();
    await watcher.stream.next((e) => isWorkspace(changed)(e) && (parsed(e).snapshot as { balanceCents: number }).balanceCents === 8);

    const resumed = await open({ ...app, 'Last-Event-ID': readyId });
    const ready = await resumed.next((e) => e.event === 'ready');
    const kinds = resumed.events.slice(0, resumed.events.indexOf(ready) + 1);
    expect(kinds[0].event).toBe('resume');
    expect(resumeEventSchema.parse(parsed(kinds[0])).after).toBe(eventIdSchema.parse(readyId).seq);
    const replayed = kinds.filter((e) => e.event === 'workspace');
    expect(replayed.some(isWorkspace(quiet))).toBe(false);
    const mine = replayed.filter(isWorkspace(changed));
    expect(mine).toHaveLength(1); // two notifications, one snapshot: the current one
    expect((parsed(mine[0]).snapshot as { balanceCents: number }).balanceCents).toBe(8);
    const ids = replayed.map((e) => eventIdSchema.parse(e.id).seq);
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
    expect(eventIdSchema.parse(ready.id).seq).toBeGreaterThanOrEqual(ids[ids.length - 1]);
  });

  test('the same id as query parameter works too (for EventSource in browsers)', async () => {
    const { readyId } = await live();
    const res = await fetch(`${engine.url}/v1/access/changes?lastEventId=${readyId}`, { headers: app });
    const reader = res.body!.getReader();
    const { value } = await reader.read();
    await reader.cancel();
    expect(new TextDecoder().decode(value)).toMatch(/^event: resume\n/);
  });

  test('an id of another epoch (another API process, a restart) → a full resync saying why', async () => {
    const stream = await open({ ...app, 'Last-Event-ID': 'abcdef012345-3' });
    const reset = await stream.next((e) => e.event === 'reset');
    expect(parsed(reset).reason).toBe('unknown_epoch');
    await stream.next((e) => e.event === 'ready');
  });

  test('an id ahead of what this epoch sent, or older than the ring → a full resync', async () => {
    const { readyId } = await live();
    const { epoch } = eventIdSchema.parse(readyId);
    const ahead = await open({ ...app, 'Last-Event-ID': `${epoch}-999999999` });
    expect(parsed(await ahead.next((e) => e.event === 'reset')).reason).toBe('ahead');

    const small = await startStreamEngine(prisma, { ringSize: 2 });
    const first = await openRawStream(small.url, app);
    streams.push(first);
    const firstReady = await first.next((e) => e.event === 'ready');
    const ws = await seedAccess(prisma); // three notifications: billing row, wallet… and one more below
    await prisma.walletBalance.update({ where: { workspaceId: ws }, data: { balanceCents: 1 } });
    await first.next((e) => isWorkspace(ws)(e) && (parsed(e).snapshot as { balanceCents: number }).balanceCents === 1);
    const old = await openRawStream(small.url, { ...app, 'Last-Event-ID': firstReady.id as string });
    streams.push(old);
    expect(parsed(await old.next((e) => e.event === 'reset')).reason).toBe('too_old');
    await old.next((e) => e.event === 'ready');
    await small.close();
  });

  test('a stream whose connection is dropped ends; the engine keeps serving new ones', async () => {
    const { stream } = await live();
    engine.dropConnections();
    await expect(stream.next(() => false)).rejects.toThrow(/ended/);
    const again = await live();
    expect(again.stream.events[0].event).toBe('reset');
  });
});

test('the OpenAPI document describes the route: both tokens, Last-Event-ID, text/event-stream, the refusals, the event schemas', () => {
  const doc = openApiDocument() as unknown as {
    paths: Record<string, { get: { security: object[]; parameters: { name: string; in: string }[]; responses: Record<string, { content: Record<string, unknown> }> } }>;
    components: { schemas: Record<string, unknown> };
  };
  const op = doc.paths['/v1/access/changes'].get;
  expect(op.security).toEqual([{ appToken: [] }, { operatorToken: [] }]);
  expect(op.parameters.map((p) => `${p.in}:${p.name}`)).toEqual(expect.arrayContaining(['header:last-event-id', 'query:lastEventId']));
  expect(Object.keys(op.responses['200'].content)).toEqual(['text/event-stream']);
  expect(Object.keys(op.responses).sort()).toEqual(['200', '400', '401', '503']);
  for (const name of ['AccessSnapshot', 'AccessResetEvent', 'AccessResumeEvent', 'AccessWorkspaceEvent', 'AccessReadyEvent', 'AccessHeartbeatEvent']) {
    expect(doc.components.schemas[name]).toBeDefined();
  }
});
