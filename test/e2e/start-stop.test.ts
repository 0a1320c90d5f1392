// `npm start` stopped the way a terminal stops it: Ctrl-C sends SIGINT to
// the whole foreground process group (npm, its shell, scripts/start.ts), and
// npm forwards it once more. One such SIGINT must drain everything in order
// — the API, then the worker, then stripe-mock and the dev server — and exit
// 0, not take npm's echo for a second Ctrl-C and kill the worker. The copy
// runs on its own ports, data folder and test database, beside whatever a
// developer runs.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePort } from '../../scripts/lib/dev-servers';
import { projectRoot } from '../../scripts/lib/binaries';
import { eventually } from '../support/fake-activities';
import { TEST_DATABASE_URL } from '../support/test-env';

let dataDir: string;
let npm: ChildProcess;
let exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
let output = '';
let apiUrl: string;

beforeAll(async () => {
  dataDir = mkdtempSync(path.join(tmpdir(), 'start-stop-'));
  const [api, temporal, ui, stripeMock, workerMetrics] = [await freePort(), await freePort(), await freePort(), await freePort(), await freePort()];
  apiUrl = `http://127.0.0.1:${api}`;
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PORT: String(api),
    TEMPORAL_DEV_PORT: String(temporal),
    TEMPORAL_UI_PORT: String(ui),
    STRIPE_MOCK_PORT: String(stripeMock),
    WORKER_METRICS_PORT: String(workerMetrics),
    LOCAL_DATA_DIR: dataDir,
    DATABASE_URL: TEST_DATABASE_URL,
    LOG_LEVEL: 'info', // the drain lines below are info
  };
  // npm start runs its own Temporal and stripe-mock, with its development secrets, only when these are unset.
  for (const name of ['TEMPORAL_ADDRESS', 'TEMPORAL_NAMESPACE', 'TEMPORAL_TASK_QUEUE', 'STRIPE_API_URL', 'STRIPE_SECRET_KEY', 'STRIPE_WEBHOOK_SECRET', 'APP_API_TOKEN', 'OPERATOR_API_TOKEN', 'WEB_APP_ENABLED', 'WEB_APP_DEV_SIGN_IN', 'WEB_APP_SESSION_SECRET', 'WEB_APP_API_URL']) {
    delete env[name];
  }
  // Its own process group, as a shell gives a foreground job.
  npm = spawn('npm', ['start'], { cwd: projectRoot, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  npm.stdout!.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  npm.stderr!.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  exited = new Promise((resolve) => npm.once('exit', (code, signal) => resolve({ code, signal })));
}, 30_000);

afterAll(() => {
  // Only if the test failed half way: nothing of this copy may outlive it.
  for (const pid of childPids()) killQuietly(pid);
  if (npm?.pid && npm.exitCode === null && npm.signalCode === null) killQuietly(-npm.pid);
  rmSync(dataDir, { recursive: true, force: true });
});

function killQuietly(pid: number): void {
  try {
    process.kill(pid < 0 ? pid : -pid, 'SIGKILL'); // children lead their own process groups
  } catch {
    // already gone
  }
}

/** The children npm start reported stopping (`stopping api (pid 123)`). */
function childPids(): number[] {
  return [...output.matchAll(/\[start\] stopping [\w-]+ \(pid (\d+)\)/g)].map((m) => Number(m[1]));
}

const isAlive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

test('one SIGINT to the process group drains every child in order and exits 0', async () => {
  // Ready: the API answers /readyz and the summary box is printed (after the worker started).
  await eventually(
    async () => {
      if (npm.exitCode !== null) throw new Error(`npm start exited early:\n${output}`);
      const ready = await fetch(`${apiUrl}/readyz`).then((r) => r.status === 200, () => false);
      return ready && output.includes('Subscription lifecycle engine is running');
    },
    (ready) => ready,
    120_000,
  );

  // The reference web app is on under npm start, with its development sign-in.
  expect(output).toContain(`${apiUrl}/app  (development sign-in: any workspace)`);
  const app = await fetch(`${apiUrl}/app`);
  expect(app.status).toBe(200);
  expect(await app.text()).toContain('<h1>Pricing</h1>');
  expect((await fetch(`${apiUrl}/app/sign-in`)).status).toBe(200);

  process.kill(-npm.pid!, 'SIGINT');
  const exit = await exited;
  expect(output).not.toContain('killing everything');
  expect(exit).toEqual({ code: 0, signal: null });
  const steps = output
    .split('\n')
    .filter((line) => line.startsWith('[start] ') && /stopping|stopped|SIGINT/.test(line))
    .map((line) => line.replace(/ \(pid \d+\)/, ''));
  expect(steps).toEqual([
    '[start] SIGINT: stopping everything in order (press Ctrl-C again to kill at once)',
    '[start] stopping api',
    '[start] api stopped (exit code 0)',
    '[start] stopping worker',
    '[start] worker stopped (exit code 0)',
    '[start] stopping stripe-mock',
    expect.stringMatching(/^\[start\] stripe-mock stopped \((exit code 0|SIGTERM)\)$/),
    '[start] stopping temporal',
    '[start] temporal stopped (exit code 0)',
    '[start] all stopped',
  ]);
  // Each drained itself: the API finished its requests, the worker its tasks.
  expect(output).toMatch(/\[api\] .*api stopping: finishing in-flight requests/);
  expect(output).toMatch(/\[api\] .*api stopped/);
  expect(output).toMatch(/\[worker\] .*worker stopped/);
  expect(childPids()).toHaveLength(4);
  expect(childPids().filter(isAlive)).toEqual([]);
}, 180_000);
