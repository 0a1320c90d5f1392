// What npm start shows of the API's and the worker's JSON lines
// (scripts/start/pretty-logs.ts): time, level, message and the other fields
// on one line; request lines summarised; anything else untouched. The
// processes themselves keep writing JSON (src/infra/logger.ts).
import { Writable } from 'node:stream';
import { createLogPrettifier, requestSummary } from '../../scripts/start/pretty-logs';
import { createLogger } from '../../src/infra/logger';

const pretty = createLogPrettifier({ colorize: false });
const TIME = /^\[\d{2}:\d{2}:\d{2}\.\d{3}\] /;

/** Lines exactly as the API's pino logger writes them. */
function loggedLines(write: (log: ReturnType<typeof createLogger>) => void): string[] {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(...chunk.toString().split('\n').filter(Boolean));
      done();
    },
  });
  write(createLogger('info', 'api', sink));
  return lines;
}

test('a request line reads as method, path, status and time, with the workspace fields after it; headers are not shown', () => {
  const [line] = loggedLines((log) =>
    log.info(
      {
        req: { id: 1, method: 'POST', url: '/v1/workspaces/acme/checkout', headers: { authorization: 'Bearer secret' } },
        res: { statusCode: 201, headers: {} },
        responseTime: 12,
        workspaceId: 'acme',
        workflowId: 'workspace/acme',
      },
      'request completed',
    ),
  );
  const shown = pretty(line);
  expect(shown).toMatch(TIME);
  expect(shown.replace(TIME, '')).toBe('INFO: POST /v1/workspaces/acme/checkout → 201 (12 ms) {"workspaceId":"acme","workflowId":"workspace/acme"}');
  expect(shown).not.toContain('authorization');
});

test('other lines: level and message, the fields a process repeats on every line left out', () => {
  const [line] = loggedLines((log) => log.warn({ stripeEventId: 'evt_1', outcome: 'unroutable' }, 'stripe webhook'));
  expect(JSON.parse(line)).toMatchObject({ service: 'api', name: 'api' });
  expect(pretty(line).replace(TIME, '')).toBe('WARN: stripe webhook {"stripeEventId":"evt_1","outcome":"unroutable"}');
});

test('an error keeps its stack, on the lines below', () => {
  const [line] = loggedLines((log) => log.error({ err: new Error('database unavailable') }, 'request failed'));
  const shown = pretty(line).split('\n');
  expect(shown[0].replace(TIME, '')).toMatch(/^ERROR: request failed/);
  expect(shown.join('\n')).toContain('Error: database unavailable');
  expect(shown.length).toBeGreaterThan(2);
});

test("a multi-line info message (the SDK's bundle report) shows its first line", () => {
  const [line] = loggedLines((log) => log.info('asset workflow-bundle.js 2.66 MiB\norphan modules 272 KiB\nwebpack compiled successfully'));
  expect(pretty(line).replace(TIME, '')).toBe('INFO: asset workflow-bundle.js 2.66 MiB (+2 more lines; --json-logs shows them)');
});

test('lines that are not pino JSON pass through unchanged', () => {
  for (const line of ['time=2026-11-29T09:41:32.974 level=WARN msg="network dial error"', '{"not":"a log line"}', '{broken', '']) {
    expect(pretty(line)).toBe(line);
  }
});

test('requestSummary ignores lines without a request', () => {
  expect(requestSummary({ level: 30, msg: 'api listening' })).toBeUndefined();
});
