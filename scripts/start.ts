// `npm start`: the whole engine on this machine, one command.
//
//   1. PostgreSQL: without DATABASE_URL, the local cluster (started if down,
//      scripts/ensure-postgres.sh); then pending migrations are applied.
//   2. Temporal: without TEMPORAL_ADDRESS, `temporal server start-dev` on
//      127.0.0.1:7233 with the Web UI on :8233, state in .data/temporal.db.
//   3. Stripe: without STRIPE_SECRET_KEY, stripe-mock on 127.0.0.1:12111.
//   4. The worker, then the API (PORT, default 3000), once /healthz answers
//      a summary box says where everything is.
//
// Missing secrets get printed development-only defaults. The children's JSON
// log lines are shown pretty-printed (--json-logs keeps them raw). One
// Ctrl-C or SIGTERM stops the children newest first, each drained (SIGTERM,
// SIGKILL only after its own drain time) and exits 0; a second Ctrl-C a
// moment later kills everything at once; a child dying on its own stops
// everything and exits 1. Ports can be moved with TEMPORAL_DEV_PORT,
// TEMPORAL_UI_PORT and STRIPE_MOCK_PORT, the .data folder with
// LOCAL_DATA_DIR. `--demo` runs `npm run demo` once everything answers.
import path from 'node:path';
import { ConfigError, loadConfig } from '../src/config';
import { projectRoot } from './lib/binaries';
import { isPortFree, spawnManaged, startStripeMock, startTemporalDevServer, waitForHttp, waitUntil } from './lib/dev-servers';
import { ensureLocalPostgres, migrate } from './start/database';
import { isUnset, LOCAL_DEFAULTS, LOCAL_PORTS, localDataDir, redactUrl } from './start/local-defaults';
import { printBox } from './start/summary';
import { demoOptionsFromEnv } from './demo/options';
import { runDemo } from './demo/run';
import { createInterruptPolicy } from './start/interrupts';
import { createLogPrettifier } from './start/pretty-logs';
import { Supervisor } from './start/supervisor';

const log = (message: string) => process.stdout.write(`[start] ${message}\n`);

const USAGE = 'usage: npm start [-- --demo] [-- --json-logs]';
const flags = new Set(process.argv.slice(2));
for (const flag of flags) {
  if (flag !== '--demo' && flag !== '--json-logs') {
    process.stderr.write(`[start] unknown option ${flag}\n${USAGE}\n`);
    process.exit(2);
  }
}
/** The API's and the worker's JSON lines, as a person reads them (raw with --json-logs). */
const formatJsonLogs = flags.has('--json-logs') ? undefined : createLogPrettifier({ colorize: Boolean(process.stdout.isTTY) && !process.env.NO_COLOR });

// Each child gets longer than its own drain before SIGKILL: the API gives
// in-flight requests 15 s (src/server.ts), the worker gives in-flight
// activities SHUTDOWN_GRACE_MS = 20 s (src/worker.ts).
const API_STOP_TIMEOUT_MS = 20_000;
const WORKER_STOP_TIMEOUT_MS = 30_000;

let exitCode = 0;
const supervisor = new Supervisor(log, (child, description) => {
  log(`${child.name} ${description}: stopping everything`);
  void shutdown(1);
});

async function shutdown(code: number): Promise<void> {
  if (supervisor.isStopping) return;
  exitCode = Math.max(exitCode, code);
  await supervisor.stopAll();
  log('all stopped');
  process.exit(exitCode);
}

// One Ctrl-C drains everything in order; its echoes (npm forwards the
// signal a second time) are ignored; a second Ctrl-C later kills at once.
const interrupt = createInterruptPolicy();
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    switch (interrupt(performance.now())) {
      case 'drain':
        log(`${signal}: stopping everything in order (press Ctrl-C again to kill at once)`);
        void shutdown(0);
        return;
      case 'ignore':
        return;
      case 'kill':
        log(`${signal} again: killing everything`);
        supervisor.killAll();
        process.exit(130);
    }
  });
}

/** Stops here if a signal or a dead child began the shutdown meanwhile. */
function checkpoint(): void {
  if (supervisor.isStopping) throw new Stopped();
}
class Stopped extends Error {}

async function assertPortFree(port: number, what: string, hint: string): Promise<void> {
  if (!(await isPortFree(port))) throw new Error(`${what}: port 127.0.0.1:${port} is already in use. ${hint}`);
}

async function main(): Promise<void> {
  const env: NodeJS.ProcessEnv = { ...process.env, CHECKPOINT_DISABLE: '1' };
  const startTemporal = isUnset(env, 'TEMPORAL_ADDRESS');
  const startStripe = isUnset(env, 'STRIPE_SECRET_KEY') && isUnset(env, 'STRIPE_API_URL');
  const localDatabase = isUnset(env, 'DATABASE_URL');
  const apiPort = Number(env.PORT || 3000);
  const defaulted = new Set<string>();

  // Fail before starting anything when a port we need is taken.
  await assertPortFree(apiPort, 'API', 'Stop what runs there or set PORT.');
  if (startTemporal) {
    await assertPortFree(LOCAL_PORTS.temporal, 'Temporal dev server', 'Is another `npm start` running? Set TEMPORAL_ADDRESS to use a running server, or TEMPORAL_DEV_PORT.');
    await assertPortFree(LOCAL_PORTS.temporalUi, 'Temporal Web UI', 'Set TEMPORAL_UI_PORT.');
  }
  if (startStripe) await assertPortFree(LOCAL_PORTS.stripeMock, 'stripe-mock', 'Set STRIPE_MOCK_PORT, or STRIPE_API_URL to use a running one.');

  // 1. Database.
  if (localDatabase) {
    log('DATABASE_URL is unset: using the local PostgreSQL cluster');
    await ensureLocalPostgres(env);
    env.DATABASE_URL = LOCAL_DEFAULTS.DATABASE_URL;
  }
  const databaseUrl = env.DATABASE_URL!;
  const applied = await migrate(databaseUrl, env);
  log(applied.length ? `applied migrations: ${applied.join(', ')}` : `database ${redactUrl(databaseUrl)} is up to date`);
  checkpoint();

  // 2 and 3. Temporal and Stripe stand-ins, side by side.
  if (startTemporal) log(`starting the Temporal dev server on 127.0.0.1:${LOCAL_PORTS.temporal}`);
  if (startStripe) log(`starting stripe-mock on 127.0.0.1:${LOCAL_PORTS.stripeMock}`);
  const [temporalStart, stripeStart] = await Promise.allSettled([
    startTemporal
      ? startTemporalDevServer({
          port: LOCAL_PORTS.temporal,
          uiPort: LOCAL_PORTS.temporalUi,
          dbFile: path.join(localDataDir(env), 'temporal.db'),
          namespace: env.TEMPORAL_NAMESPACE || 'default',
          output: 'prefixed',
          ownProcessGroup: true,
          // Its own shutdown is chatty (warnings about connections it is closing); nothing to act on.
          formatLine: (line) => (supervisor.isStopping ? undefined : line),
        })
      : undefined,
    startStripe
      ? startStripeMock({
          port: LOCAL_PORTS.stripeMock,
          output: 'prefixed',
          ownProcessGroup: true,
          // One line per request and per response; the full form data of each request is too much for a terminal.
          formatLine: (line) => (line.startsWith('Request data') && !flags.has('--json-logs') ? undefined : line),
        })
      : undefined,
  ]);
  // Register whatever did start before reporting what did not, so it is stopped too.
  const temporal = temporalStart.status === 'fulfilled' ? temporalStart.value : undefined;
  const stripeMock = stripeStart.status === 'fulfilled' ? stripeStart.value : undefined;
  if (temporal) {
    supervisor.add(temporal.process);
    env.TEMPORAL_ADDRESS = temporal.address;
  }
  if (stripeMock) {
    supervisor.add(stripeMock.process);
    env.STRIPE_API_URL = stripeMock.url;
  }
  if (temporalStart.status === 'rejected') throw temporalStart.reason;
  if (stripeStart.status === 'rejected') throw stripeStart.reason;
  checkpoint();

  // Development-only secrets for whatever is still unset.
  for (const name of [
    'STRIPE_SECRET_KEY',
    'STRIPE_WEBHOOK_SECRET',
    'APP_API_TOKEN',
    'OPERATOR_API_TOKEN',
    'WEB_APP_ENABLED',
    'WEB_APP_DEV_SIGN_IN',
    'WEB_APP_SESSION_SECRET',
  ] as const) {
    if (isUnset(env, name)) {
      env[name] = LOCAL_DEFAULTS[name];
      defaulted.add(name);
    }
  }
  const config = loadConfig(env); // every problem at once, before the children start

  // 4. The engine: worker first (it polls the task queue), then the API.
  const entry = (file: string) => ['--import', 'tsx', path.join(projectRoot, 'src', file)];
  let workerStarted = false;
  const worker = spawnManaged('worker', process.execPath, entry('worker.ts'), {
    env,
    cwd: projectRoot,
    ownProcessGroup: true,
    color: 33,
    formatLine: formatJsonLogs,
    // src/worker.ts logs this (at info) just before it starts polling the task queue.
    onLine: (line) => {
      if (line.includes('"msg":"worker started"')) workerStarted = true;
    },
  });
  supervisor.add(worker, WORKER_STOP_TIMEOUT_MS);
  // A larger young generation keeps GC pauses out of /access's p99 (see README).
  const api = spawnManaged('api', process.execPath, ['--max-semi-space-size=32', ...entry('server.ts')], {
    env,
    cwd: projectRoot,
    ownProcessGroup: true,
    color: 36,
    formatLine: formatJsonLogs,
  });
  supervisor.add(api, API_STOP_TIMEOUT_MS);
  const apiUrl = `http://127.0.0.1:${config.PORT}`;
  await waitForHttp(`${apiUrl}/healthz`, { timeoutMs: 120_000, process: api, what: 'the API', accept: (status) => status === 200 });
  checkpoint();
  // The summary comes once the worker runs workflows too (it bundles them
  // first, which takes a few seconds); with LOG_LEVEL above info there is no line to wait for.
  if (['trace', 'debug', 'info'].includes(config.LOG_LEVEL)) {
    await waitUntil(
      async () => {
        if (!workerStarted) throw new Error('no "worker started" line yet');
      },
      { timeoutMs: 120_000, process: worker, what: 'the worker' },
    );
  }
  checkpoint();

  const devOnly = (name: string, value: string) => (defaulted.has(name) ? `${value}  (development only)` : '(from your environment)');
  printBox(
    'Subscription lifecycle engine is running',
    [
      ['API', apiUrl],
      ['API docs', `${apiUrl}/docs`],
      ['Web app', config.WEB_APP_ENABLED ? `${apiUrl}/app${config.WEB_APP_DEV_SIGN_IN ? '  (development sign-in: any workspace)' : ''}` : 'off (WEB_APP_ENABLED=false)'],
      ['Temporal Web UI', temporal?.uiUrl ?? '(your Temporal cluster: TEMPORAL_ADDRESS is set)'],
      ['Temporal', `${config.TEMPORAL_ADDRESS}  namespace ${config.TEMPORAL_NAMESPACE}, task queue ${config.TEMPORAL_TASK_QUEUE}`],
      ['Stripe', stripeMock ? `stripe-mock ${stripeMock.url}` : config.STRIPE_API_URL ?? 'api.stripe.com'],
      ['Database', redactUrl(config.DATABASE_URL)],
      ['Webhook secret', devOnly('STRIPE_WEBHOOK_SECRET', config.STRIPE_WEBHOOK_SECRET)],
      ['App token', devOnly('APP_API_TOKEN', config.APP_API_TOKEN)],
      ['Operator token', devOnly('OPERATOR_API_TOKEN', config.OPERATOR_API_TOKEN)],
    ],
    [
      `Try: curl -H 'Authorization: Bearer ${defaulted.has('APP_API_TOKEN') ? config.APP_API_TOKEN : '$APP_API_TOKEN'}' ${apiUrl}/v1/plans`,
      flags.has('--demo') ? 'Demo workspaces: being created below (npm run demo).' : 'Demo workspaces in every billing state: npm run demo (in another terminal).',
      'Ctrl-C stops everything (drained, in order); Ctrl-C again a moment later kills it at once.',
    ],
  );

  if (flags.has('--demo')) {
    // The user's environment says what the printed ops commands need; the engine's config says the rest.
    const options = {
      ...demoOptionsFromEnv({ ...process.env, PORT: String(config.PORT) }),
      appToken: config.APP_API_TOKEN,
      operatorToken: config.OPERATOR_API_TOKEN,
      webhookSecret: config.STRIPE_WEBHOOK_SECRET,
      gracePeriodMs: config.BILLING_GRACE_PERIOD,
      webUiUrl: temporal?.uiUrl,
    };
    // A failing demo is reported; the engine keeps running.
    await runDemo(options).catch((error: unknown) => {
      if (!supervisor.isStopping) log(`demo failed: ${error instanceof Error ? error.message : String(error)}`);
    });
  }
}

main().catch((error: unknown) => {
  if (error instanceof Stopped) return; // a signal or a dead child is already shutting down
  const message = error instanceof ConfigError || error instanceof Error ? error.message : String(error);
  process.stderr.write(`[start] failed: ${message}\n`);
  void shutdown(1);
});
