// The OpenAPI document is the behaviour: Schemathesis (PyPI, pinned by
// `npm run setup`) fuzzes the running API from its served /openapi.json, as a
// user would run it, with every check on — once with the app token and once
// with the operator token — and must find nothing. The API runs on the real
// stack: PostgreSQL, the time-skipping Temporal server with a worker running
// the real activities against stripe-mock, the access change stream.
// Options and exclusions: docs/contract-testing.md.
import { spawn } from 'node:child_process';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { binaryPath, projectRoot } from '../../scripts/lib/binaries';
import { startApiHarness, type ApiHarness } from '../support/api-harness';
import { createScratchDatabase, type ScratchDatabase } from '../support/scratch-database';
import { TEST_SECRETS } from '../support/test-env';

const SEED = process.env.CONTRACT_FUZZ_SEED ?? '20261129';

/** The arguments this suite runs `st` with (docs/contract-testing.md explains each). */
function schemathesisArgs(baseUrl: string, token: string): string[] {
  return [
    'run',
    `${baseUrl}/openapi.json`,
    '--url',
    baseUrl,
    '-H',
    `Authorization: Bearer ${token}`,
    '--checks',
    'all',
    // The Stripe webhook endpoint takes only bodies signed with the webhook secret.
    '--exclude-path',
    '/webhooks/stripe',
    '--max-examples',
    process.env.CONTRACT_FUZZ_MAX_EXAMPLES ?? '10',
    '--workers',
    '1',
    // Writes wait for their workflow (up to 60 s before the API answers 503): on a loaded
    // 2-core CI machine an operator write can take longer than schemathesis' 10 s default.
    '--request-timeout',
    '75',
    '--no-color',
    // The same cases on every run (a red suite means a change broke the contract, not that a new case turned up
    // an old bug); CONTRACT_FUZZ_SEED=random explores, any number replays a printed seed.
    ...(SEED === 'random' ? [] : ['--seed', SEED]),
  ];
}

function runSchemathesis(args: string[]): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(binaryPath('schemathesis'), args, {
      cwd: projectRoot,
      env: { ...process.env, NO_COLOR: '1', COLUMNS: '160' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, output }));
  });
}

let database: ScratchDatabase;
let harness: ApiHarness;
let server: Server;
let baseUrl: string;

beforeAll(async () => {
  // A database of its own: the fuzzer writes thousands of rows (usage, credits, checkouts) that other test
  // files must not see, and it must not read theirs (e.g. a deliberately unratable usage event).
  database = await createScratchDatabase('contract_fuzz');
  harness = await startApiHarness('contract-fuzz', {}, { changeStream: true, databaseUrl: database.url });
  server = await new Promise<Server>((resolve) => {
    const s = harness.app.listen(0, '127.0.0.1', () => resolve(s));
  });
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}, 120_000);

afterAll(async () => {
  server?.closeAllConnections();
  await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
  await harness?.close();
  await database?.drop();
});

// One after the other: run together they share the one Node process serving the API and take longer than in turn.
test.each([
  ['app token', TEST_SECRETS.APP_API_TOKEN],
  ['operator token', TEST_SECRETS.OPERATOR_API_TOKEN],
])('schemathesis --checks all with the %s finds no disagreement with the document', async (_name, token) => {
  const { code, output } = await runSchemathesis(schemathesisArgs(baseUrl, token));
  if (process.env.CONTRACT_FUZZ_VERBOSE) console.log(output);
  // CI keeps only the end of a long log: on a failure print what was found (from the FAILURES header on) first.
  else if (code !== 0) console.log(output.includes(' FAILURES ') ? output.slice(output.indexOf(' FAILURES ')) : output);
  expect(code).toBe(0);
}, 600_000);
