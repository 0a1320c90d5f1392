// A method that a documented path does not take answers 405
// method_not_allowed (problem+json) with an Allow header built from the
// OpenAPI document, on every documented path, before authentication; OPTIONS
// answers 204 with the same Allow; an undocumented path is still 404.
import request from 'supertest';
import { openApiDocument } from '../../src/api/openapi';
import { problemSchema } from '../../src/domain/response-schemas';
import type { PrismaClient } from '../../src/infra/prisma';
import { startStreamEngine, type StreamEngine } from '../support/access-stream';
import { testPrisma } from '../support/db';
import { TEST_SECRETS } from '../support/test-env';

let prisma: PrismaClient;
let engine: StreamEngine;

beforeAll(async () => {
  prisma = testPrisma();
  engine = await startStreamEngine(prisma);
});

afterAll(async () => {
  await engine?.close();
  await prisma?.$disconnect();
});

const documentedPaths = Object.entries(openApiDocument().paths as Record<string, Record<string, unknown>>);
const concrete = (template: string) => template.replace(/\{checkoutId\}/g, `gco_${'0'.repeat(32)}`).replace(/\{notificationId\}/g, '1').replace(/\{[^}]+\}/g, 'ws_405');

test.each(['/healthz', '/readyz', '/v1/plans', '/v1/checkout/guest'])('TRACE %s → 405 with Allow (problem+json)', async (path) => {
  const res = await request(engine.server).trace(path).set('Authorization', `Bearer ${TEST_SECRETS.APP_API_TOKEN}`);
  expect(res.status).toBe(405);
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  expect(problemSchema.parse(res.body).code).toBe('method_not_allowed');
  const documented = Object.keys(documentedPaths.find(([p]) => p === path)![1]).map((m) => m.toUpperCase());
  expect(res.headers.allow.split(', ')).toEqual(expect.arrayContaining(documented));
});

test('every documented path: an undocumented method is 405 with exactly its methods in Allow (HEAD beside GET), with or without a token', async () => {
  for (const [template, item] of documentedPaths) {
    const methods = Object.keys(item).map((m) => m.toUpperCase());
    const expected = [...methods, ...(methods.includes('GET') ? ['HEAD'] : [])].sort();
    for (const method of ['TRACE', 'PATCH'].filter((m) => !methods.includes(m))) {
      const res = await request(engine.server)[method.toLowerCase() as 'trace' | 'patch'](concrete(template));
      expect({ template, method, status: res.status, allow: res.headers.allow }).toEqual({ template, method, status: 405, allow: expected.join(', ') });
    }
    const options = await request(engine.server).options(concrete(template));
    expect({ template, status: options.status, allow: options.headers.allow }).toEqual({ template, status: 204, allow: expected.join(', ') });
  }
});

test('a documented method still reaches its route (401 without a token), and an undocumented path is 404', async () => {
  expect((await request(engine.server).get('/v1/plans')).status).toBe(401);
  const unknown = await request(engine.server).trace('/nothing-here');
  expect(unknown.status).toBe(404);
  expect(unknown.body.code).toBe('not_found');
});
