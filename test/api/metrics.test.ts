// GET /metrics (Prometheus) and the structured request logs: the app built
// as the API process builds it, with PostgreSQL for the projection and a
// Temporal address that answers nothing (no route here needs Temporal to
// succeed: a webhook is recorded and signalled later by the relay; one the
// database cannot record fails with 503, which is counted).
import { Writable } from 'node:stream';
import { Client as TemporalClient, Connection } from '@temporalio/client';
import request from 'supertest';
import { createApp } from '../../src/api/app';
import { createApiMetrics } from '../../src/api/metrics';
import { createLogger } from '../../src/infra/logger';
import { createPrisma, type PrismaClient } from '../../src/infra/prisma';
import { createStripeClient } from '../../src/infra/stripe-client';
import { WorkspaceClient } from '../../src/temporal/workspace-client';
import { testPrisma, uniqueId } from '../support/db';
import { checkoutFixture, checkoutSession, invoice, signedPayload, stripeEvent } from '../support/stripe-events';
import { TEST_SECRETS, testConfig } from '../support/test-env';

const auth = { Authorization: `Bearer ${TEST_SECRETS.APP_API_TOKEN}` };
const config = testConfig();
const stripe = createStripeClient(config.STRIPE_SECRET_KEY, config.STRIPE_API_URL);
const connection = Connection.lazy({ address: '127.0.0.1:1', connectTimeout: 500 });
const unreachableTemporal = new WorkspaceClient(new TemporalClient({ connection }), 'metrics-test');
const access = { check: async () => ({ allowed: true, reasons: [] }) };

/** Every JSON line the app logs, parsed. */
const lines: Record<string, unknown>[] = [];
const sink = new Writable({
  write(chunk: Buffer, _encoding, done) {
    for (const line of chunk.toString('utf8').split('\n').filter(Boolean)) lines.push(JSON.parse(line) as Record<string, unknown>);
    done();
  },
});
const log = createLogger('info', 'api', sink);

let prisma: PrismaClient;
let app: ReturnType<typeof createApp>;

beforeAll(() => {
  prisma = testPrisma();
  app = createApp({ prisma, stripe, workspaces: unreachableTemporal, access, log, config });
});

afterAll(async () => {
  await prisma?.$disconnect();
  await connection.close().catch(() => undefined);
});

async function scrape(): Promise<string> {
  const res = await request(app).get('/metrics').expect(200);
  expect(res.headers['content-type']).toMatch(/^text\/plain/);
  return res.text;
}

/** The value of one series, or undefined when it is not exposed. */
function sample(text: string, name: string, labels: Record<string, string>): number | undefined {
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`)) continue;
    const body = line.slice(name.length + 1, line.indexOf('}'));
    const found = Object.fromEntries([...body.matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
    if (Object.entries(labels).every(([k, v]) => found[k] === v)) return Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return undefined;
}

describe('GET /metrics', () => {
  it('counts HTTP requests by route pattern, not raw path, and times them', async () => {
    const a = uniqueId('ws');
    const b = uniqueId('ws');
    await request(app).get(`/v1/workspaces/${a}/billing`).set(auth).expect(200);
    await request(app).get(`/v1/workspaces/${b}/billing`).set(auth).expect(200);
    await request(app).get(`/v1/workspaces/${a}/access?projectId=p1&environment=production`).set(auth).expect(200);
    await request(app).get('/v1/plans').set(auth).expect(200);
    await request(app).get('/v1/nowhere').set(auth).expect(404);

    const text = await scrape();
    const billing = { method: 'GET', route: '/v1/workspaces/:workspaceId/billing', status: '200' };
    expect(sample(text, 'http_requests_total', billing)).toBe(2);
    expect(sample(text, 'http_request_duration_seconds_count', billing)).toBe(2);
    expect(sample(text, 'http_requests_total', { method: 'GET', route: '/v1/workspaces/:workspaceId/access', status: '200' })).toBe(1);
    expect(sample(text, 'http_requests_total', { method: 'GET', route: '/v1/plans', status: '200' })).toBe(1);
    expect(sample(text, 'http_requests_total', { method: 'GET', route: 'unmatched', status: '404' })).toBe(1);
    // No raw ids in labels, and /metrics does not count itself.
    expect(text).not.toContain(a);
    expect(text).not.toMatch(/route="\/metrics"/);
    // The default process metrics are there too.
    expect(text).toMatch(/^process_cpu_user_seconds_total /m);
  });

  it('counts and times /access, which counts itself ahead of the middleware: answers, refusals and bad input', async () => {
    const route = '/v1/workspaces/:workspaceId/access';
    const before = await scrape();
    const count = (text: string, status: string) => sample(text, 'http_requests_total', { method: 'GET', route, status }) ?? 0;
    await request(app).get(`/v1/workspaces/${uniqueId('ws')}/access?projectId=p1&environment=production`).set(auth).expect(200);
    await request(app).get(`/v1/workspaces/${uniqueId('ws')}/access?projectId=p1&environment=production`).expect(401);
    await request(app).get(`/v1/workspaces/${uniqueId('ws')}/access?environment=production`).set(auth).expect(400);
    const after = await scrape();
    for (const status of ['200', '401', '400']) expect(count(after, status) - count(before, status)).toBe(1);
    expect(sample(after, 'http_request_duration_seconds_count', { method: 'GET', route, status: '401' })).toBe(count(after, '401'));
  });

  it('labels a failed request with its route pattern (the error left the router)', async () => {
    await request(app).post(`/v1/workspaces/${uniqueId('ws')}/checkout`).set(auth).send({ planId: 'nope' }).expect(400);
    const text = await scrape();
    expect(sample(text, 'http_requests_total', { method: 'POST', route: '/v1/workspaces/:workspaceId/checkout', status: '400' })).toBe(1);
  });

  it('counts Stripe webhook outcomes by event type', async () => {
    const ignored = signedPayload(stripeEvent('customer.created', { id: 'cus_metrics', object: 'customer' }));
    await request(app)
      .post('/webhooks/stripe')
      .set('Stripe-Signature', ignored.signature)
      .set('Content-Type', 'application/json')
      .send(ignored.payload)
      .expect(200);
    await request(app)
      .post('/webhooks/stripe')
      .set('Stripe-Signature', 't=1,v1=bad')
      .set('Content-Type', 'application/json')
      .send(ignored.payload)
      .expect(400);

    const text = await scrape();
    expect(sample(text, 'stripe_webhook_events_total', { type: 'customer.created', outcome: 'ignored' })).toBe(1);
    expect(sample(text, 'stripe_webhook_events_total', { type: 'unknown', outcome: 'rejected' })).toBe(1);
    expect(sample(text, 'http_requests_total', { method: 'POST', route: '/webhooks/stripe', status: '200' })).toBe(1);
  });

  it('is absent when METRICS_ENABLED is false', async () => {
    const off = createApp({ prisma, stripe, workspaces: unreachableTemporal, access, log, config: { ...config, METRICS_ENABLED: false } });
    await request(off).get('/metrics').expect(404);
  });
});

describe('structured request logs', () => {
  it('every request line on a workspace route carries workspaceId and workflowId', async () => {
    const workspaceId = uniqueId('ws');
    lines.length = 0;
    await request(app).get(`/v1/workspaces/${workspaceId}/billing`).set(auth).expect(200);
    const completed = lines.filter((l) => l.msg === 'request completed');
    expect(completed).toHaveLength(1);
    expect(completed[0]).toMatchObject({ workspaceId, workflowId: `workspace/${workspaceId}`, res: { statusCode: 200 } });
    // Credentials never reach the logs.
    expect(completed[0]).toMatchObject({ req: { headers: { authorization: '[redacted]' } } });
    expect(JSON.stringify(lines)).not.toContain(TEST_SECRETS.APP_API_TOKEN);
  });

  it('the gateway hot path, the scrape and the liveness probe write no request line (npm start shows every line it gets)', async () => {
    lines.length = 0;
    await request(app).get(`/v1/workspaces/${uniqueId('ws')}/access?projectId=p1&environment=production`).set(auth).expect(200);
    await request(app).get('/metrics').expect(200);
    await request(app).get('/healthz').expect(200);
    expect(lines.filter((l) => l.msg === 'request completed')).toEqual([]);
  });

  it('a webhook recorded while Temporal is unreachable is counted as accepted (the relay signals it later)', async () => {
    const workspaceId = uniqueId('ws');
    const event = stripeEvent('checkout.session.completed', checkoutSession({ ...checkoutFixture('plus', 'month'), workspaceId }));
    const { payload, signature } = signedPayload(event);
    const res = await request(app).post('/webhooks/stripe').set('Stripe-Signature', signature).set('Content-Type', 'application/json').send(payload).expect(200);
    expect(res.body).toMatchObject({ outcome: 'accepted', workspaceId });
    const text = await scrape();
    expect(sample(text, 'stripe_webhook_events_total', { type: 'checkout.session.completed', outcome: 'accepted' })).toBe(1);
  });

  it('a webhook the database cannot record is counted as failed and logged with its event, workspace and workflow', async () => {
    const deadDatabase = createPrisma('postgresql://billing:billing@127.0.0.1:1/nowhere');
    const broken = createApp({ prisma: deadDatabase, stripe, workspaces: unreachableTemporal, access, log, config });
    try {
      const workspaceId = uniqueId('ws');
      const f = { ...checkoutFixture('plus', 'month'), workspaceId };
      const event = stripeEvent('invoice.paid', invoice(f, { status: 'paid' }));
      const { payload, signature } = signedPayload(event);
      lines.length = 0;
      await request(broken).post('/webhooks/stripe').set('Stripe-Signature', signature).set('Content-Type', 'application/json').send(payload).expect(503);

      const failure = lines.find((l) => l.msg === 'stripe webhook not processed');
      expect(failure).toMatchObject({ stripeEventId: event.id, type: 'invoice.paid', workspaceId, workflowId: `workspace/${workspaceId}` });
      const res = await request(broken).get('/metrics').expect(200);
      expect(sample(res.text, 'stripe_webhook_events_total', { type: 'invoice.paid', outcome: 'failed' })).toBe(1);
    } finally {
      await deadDatabase.$disconnect();
    }
  }, 30_000);

  it("exposes the webhook relay's signals and state", async () => {
    const metrics = createApiMetrics();
    metrics.observeRelay(() => ({ active: true, held: 7 }));
    metrics.webhookSignals.inc({ outcome: 'delivered' });
    metrics.webhookSignals.inc({ outcome: 'failed' });
    const withRelay = createApp({ prisma, stripe, workspaces: unreachableTemporal, access, log, config, metrics });
    const res = await request(withRelay).get('/metrics').expect(200);
    expect(sample(res.text, 'stripe_webhook_signals_total', { outcome: 'delivered' })).toBe(1);
    expect(sample(res.text, 'stripe_webhook_signals_total', { outcome: 'failed' })).toBe(1);
    expect(res.text).toMatch(/^stripe_webhook_relay_active 1$/m);
    expect(res.text).toMatch(/^stripe_webhook_relay_held 7$/m);
  });

  it('a processed webhook logs its event id, type and outcome on the request line too', async () => {
    const ignored = signedPayload(stripeEvent('customer.updated', { id: 'cus_logs', object: 'customer' }));
    lines.length = 0;
    await request(app)
      .post('/webhooks/stripe')
      .set('Stripe-Signature', ignored.signature)
      .set('Content-Type', 'application/json')
      .send(ignored.payload)
      .expect(200);
    const eventId = (JSON.parse(ignored.payload) as { id: string }).id;
    expect(lines.find((l) => l.msg === 'stripe webhook')).toMatchObject({ stripeEventId: eventId, type: 'customer.updated', outcome: 'ignored' });
    expect(lines.find((l) => l.msg === 'request completed')).toMatchObject({
      stripeEventId: eventId,
      type: 'customer.updated',
      req: { headers: { 'stripe-signature': '[redacted]' } },
    });
  });
});
