// Bearer auth, validation problems and read routes of the HTTP API.
import request from 'supertest';
import { uniqueId } from '../support/db';
import { startApiHarness, type ApiHarness } from '../support/api-harness';
import { TEST_SECRETS } from '../support/test-env';
import { billingViewSchema, problemSchema, rateCardSchema } from '../../src/domain/response-schemas';

let h: ApiHarness;
beforeAll(async () => {
  h = await startApiHarness('api-auth-test');
}, 120_000);
afterAll(() => h?.close());

const auth = { Authorization: `Bearer ${TEST_SECRETS.APP_API_TOKEN}` };
const validCheckout = {
  planId: 'plus',
  interval: 'month',
  successUrl: 'https://app.example.com/ok',
  cancelUrl: 'https://app.example.com/cancel',
};

describe('authentication', () => {
  test.each([
    ['no header', {}],
    ['a wrong token', { Authorization: 'Bearer not-the-token-at-all' }],
    ['the operator token', { Authorization: `Bearer ${TEST_SECRETS.OPERATOR_API_TOKEN}` }],
    ['another scheme', { Authorization: `Basic ${TEST_SECRETS.APP_API_TOKEN}` }],
  ])('%s is a 401 problem and nothing happens', async (_name, headers) => {
    const workspaceId = uniqueId('ws');
    const res = await request(h.app).post(`/v1/workspaces/${workspaceId}/checkout`).set(headers).send(validCheckout);
    expect(res.status).toBe(401);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.headers['www-authenticate']).toMatch(/^Bearer/);
    expect(res.body).toMatchObject({ status: 401, code: 'unauthorized', title: 'Unauthorized' });
    expect(problemSchema.safeParse(res.body).success).toBe(true);
    expect(res.body.type).toEqual(expect.any(String));
    expect(res.body.detail).toEqual(expect.any(String));
    // Nothing was started: the workspace has no workflow and no projection.
    await expect(h.env.client.workflow.getHandle(`workspace/${workspaceId}`).describe()).rejects.toThrow();
    expect(await h.prisma.workspaceBilling.findUnique({ where: { workspaceId } })).toBeNull();
  });

  test('health endpoints need no token', async () => {
    await request(h.app).get('/healthz').expect(200, { status: 'ok' });
    const ready = await request(h.app).get('/readyz');
    expect(ready.status).toBe(200);
    expect(ready.body).toEqual({ status: 'ready', checks: { database: 'ok', temporal: 'ok' } });
  });

  test('readyz reports Temporal down as 503', async () => {
    const res = await request(h.appWithoutTemporal()).get('/readyz');
    expect(res.status).toBe(503);
    expect(res.body.checks.database).toBe('ok');
    expect(res.body.checks.temporal).toMatch(/^unavailable/);
  });
});

describe('validation', () => {
  test('a checkout body with several problems lists each offending field', async () => {
    const res = await request(h.app)
      .post(`/v1/workspaces/${uniqueId('ws')}/checkout`)
      .set(auth)
      .send({ planId: 'gold', interval: 'week', successUrl: 'javascript:alert(1)', extra: true });
    expect(res.status).toBe(400);
    expect(res.body.code).toBe('validation_failed');
    const paths = res.body.errors.map((e: { path: string }) => e.path);
    expect(paths).toEqual(expect.arrayContaining(['body.planId', 'body.interval', 'body.successUrl', 'body.cancelUrl']));
    expect(paths.some((p: string) => p.startsWith('body'))).toBe(true);
    expect(res.body.errors.every((e: { message: string }) => e.message.length > 0)).toBe(true);
  });

  test('an invalid workspace id is a 400 naming the parameter', async () => {
    const res = await request(h.app).get('/v1/workspaces/bad%20id!/billing').set(auth);
    expect(res.status).toBe(400);
    expect(res.body.errors).toEqual([expect.objectContaining({ path: 'params.workspaceId' })]);
  });

  test('malformed JSON is a 400 problem', async () => {
    const res = await request(h.app)
      .post(`/v1/workspaces/${uniqueId('ws')}/checkout`)
      .set(auth)
      .set('Content-Type', 'application/json')
      .send('{"planId": ');
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ code: 'validation_failed', status: 400 });
  });

  test('unknown routes are 404 problems', async () => {
    const res = await request(h.app).get('/v1/nothing-here').set(auth);
    expect(res.status).toBe(404);
    expect(res.body.code).toBe('not_found');
  });
});

describe('reads', () => {
  test('GET /v1/plans serves the rate card with lookup keys', async () => {
    const res = await request(h.app).get('/v1/plans').set(auth).expect(200);
    const plus = res.body.plans.find((p: { id: string }) => p.id === 'plus');
    expect(plus.prices).toEqual([
      { interval: 'month', amountCents: 2900, lookupKey: 'plus_month' },
      { interval: 'year', amountCents: 29000, lookupKey: 'plus_year' },
    ]);
    expect(res.body.plans.find((p: { id: string }) => p.id === 'enterprise')).toMatchObject({ purchase: 'sales_assisted', prices: [] });
    expect(res.body.requestFamilies).toContainEqual({ id: 'email_validation', group: 'backend_verification', centsPer1000Requests: 100 });
    expect(res.body.freeEnvironments).toEqual(['sandbox', 'staging', 'console']);
    expect(rateCardSchema.parse(res.body)).toEqual(res.body);
  });

  test('an unknown workspace is Essential with status none', async () => {
    const workspaceId = uniqueId('ws');
    const res = await request(h.app).get(`/v1/workspaces/${workspaceId}/billing`).set(auth).expect(200);
    expect(res.body).toEqual({
      workspaceId,
      plan: { id: 'essential', interval: null },
      status: 'none',
      mode: 'self_serve',
      grace: null,
      unpaidInvoice: null,
      pendingChange: null,
      checkout: null,
      currentPeriodEnd: null,
      production: { allowed: false, reasons: ['plan_not_production_capable', 'wallet_below_minimum'] },
      wallet: { balanceCents: 0, minimumCents: 1000 },
      stripe: null,
    });
    expect(billingViewSchema.parse(res.body)).toEqual(res.body);
  });
});

describe('API description', () => {
  test('/openapi.json is an OpenAPI 3.1 document generated from the schemas', async () => {
    const res = await request(h.app).get('/openapi.json').expect(200);
    expect(res.body.openapi).toBe('3.1.0');
    expect(Object.keys(res.body.paths)).toEqual(
      expect.arrayContaining(['/v1/plans', '/v1/workspaces/{workspaceId}/checkout', '/v1/workspaces/{workspaceId}/billing', '/webhooks/stripe']),
    );
    const body = res.body.paths['/v1/workspaces/{workspaceId}/checkout'].post.requestBody.content['application/json'].schema;
    expect(body.properties.planId.enum).toEqual(['essential', 'plus', 'family', 'business', 'enterprise']);
    expect(body.required).toEqual(expect.arrayContaining(['planId', 'interval', 'successUrl', 'cancelUrl']));
  });

  test('/docs is a browsable page whose assets are served locally', async () => {
    const page = await request(h.app).get('/docs').expect(200);
    expect(page.text).toContain('/docs/assets/swagger-ui-bundle.js');
    await request(h.app).get('/docs/assets/swagger-ui-bundle.js').expect(200).expect('content-type', /javascript/);
    await request(h.app).get('/docs/init.js').expect(200).expect(/openapi\.json/);
  });
});
