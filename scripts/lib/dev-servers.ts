// Local stand-ins for the engine's outside services, run as child processes:
// the Temporal dev server (`temporal server start-dev`, with the Web UI) and
// stripe-mock. `npm start` and the tests both use these, so a server is
// always started, awaited and stopped the same way. Development and tests
// only: production talks to a real Temporal cluster and to Stripe.
import { spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { ensureSearchAttributes, searchAttributeFlags } from '../../src/temporal/search-attributes';
import { binaryPath } from './binaries';

// ---------------------------------------------------------------------------
// Child processes

/**
 * What happens to a child's output: `prefixed` writes each line to our
 * stdout/stderr as `[name] line`; `quiet` keeps only the last lines, which
 * are shown when the process fails to start or dies.
 */
export type OutputMode = 'prefixed' | 'quiet';

export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface ManagedProcess {
  readonly name: string;
  readonly pid: number;
  /** Settles when the process has exited (never rejects). */
  readonly exited: Promise<ExitInfo>;
  isRunning(): boolean;
  /** The last lines it printed, for error messages. */
  recentOutput(): string;
  /** SIGTERM (to its process group, if it has its own), then SIGKILL after `timeoutMs`. Idempotent. */
  stop(timeoutMs?: number): Promise<ExitInfo>;
  /** SIGKILL now, no grace period. */
  kill(): void;
}

export interface SpawnOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  output?: OutputMode;
  /** Line prefix colour on a terminal (ANSI code, e.g. 36 for cyan). */
  color?: number;
  /**
   * Rewrites each line before it is shown in `prefixed` mode (e.g. `npm
   * start` pretty-prints JSON logs); a result with several lines gets the
   * prefix on each, and undefined hides it. recentOutput() keeps the lines
   * as printed by the child.
   */
  formatLine?: (line: string) => string | undefined;
  /** Called with every line the child prints (both streams), e.g. to notice a readiness message. */
  onLine?: (line: string) => void;
  /**
   * Run in its own process group. Then a terminal's Ctrl-C reaches only us
   * and we decide the order in which children stop (`npm start`); without
   * it, whoever kills our process group kills the child too (tests, CI).
   */
  ownProcessGroup?: boolean;
}

const RECENT_LINES = 40;

function describeExit({ code, signal }: ExitInfo): string {
  return signal ? `killed by ${signal}` : `exited with code ${code}`;
}

// Children still running when this process exits (a forgotten stop(), an
// uncaught error) are killed then, so no server outlives its owner. Only
// SIGKILL of this process itself can still leave one behind.
const running = new Set<() => void>();
let exitHookInstalled = false;
function killOnExit(kill: () => void): () => void {
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.once('exit', () => running.forEach((killNow) => killNow()));
  }
  running.add(kill);
  return () => running.delete(kill);
}

/** Spawns `command` with its output prefixed or kept quiet; see ManagedProcess. */
export function spawnManaged(name: string, command: string, args: string[], options: SpawnOptions = {}): ManagedProcess {
  const output = options.output ?? 'prefixed';
  const ownGroup = options.ownProcessGroup ?? false;
  const child = spawn(command, args, {
    cwd: options.cwd,
    env: options.env ?? process.env,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: ownGroup,
  });
  const recent: string[] = [];
  let exitInfo: ExitInfo | undefined;

  const useColor = options.color !== undefined && process.stdout.isTTY && !process.env.NO_COLOR;
  const prefix = useColor ? `\x1b[${options.color}m[${name}]\x1b[0m ` : `[${name}] `;
  const pipeLines = (stream: NodeJS.ReadableStream, sink: NodeJS.WriteStream) => {
    let partial = '';
    const emit = (line: string) => {
      recent.push(line);
      if (recent.length > RECENT_LINES) recent.shift();
      options.onLine?.(line);
      if (output !== 'prefixed') return;
      const shown = options.formatLine ? options.formatLine(line) : line;
      if (shown === undefined) return;
      sink.write(`${shown.split('\n').map((part) => `${prefix}${part}`).join('\n')}\n`);
    };
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      const lines = (partial + chunk).split(/\r?\n/);
      partial = lines.pop() ?? '';
      lines.forEach(emit);
    });
    stream.on('end', () => {
      if (partial) emit(partial);
      partial = '';
    });
  };
  pipeLines(child.stdout!, process.stdout);
  pipeLines(child.stderr!, process.stderr);

  const exited = new Promise<ExitInfo>((resolve) => {
    child.once('error', (error) => {
      recent.push(`failed to start ${command}: ${error.message}`);
      exitInfo ??= { code: -1, signal: null };
      resolve(exitInfo);
    });
    child.once('exit', (code, signal) => {
      exitInfo ??= { code, signal };
      resolve(exitInfo);
    });
  });

  // With its own group, signal the whole group (anything it started too).
  const killGroupQuietly = (signal: NodeJS.Signals) => {
    if (!ownGroup || child.pid === undefined) return;
    try {
      process.kill(-child.pid, signal);
    } catch {
      // no such process group: everything in it is gone
    }
  };
  const signalGroup = (signal: NodeJS.Signals) => {
    if (exitInfo || child.pid === undefined) return;
    try {
      if (ownGroup) process.kill(-child.pid, signal);
      else child.kill(signal);
    } catch {
      // already gone
    }
  };
  const forget = killOnExit(() => signalGroup('SIGKILL'));
  void exited.then(forget);

  let stopping: Promise<ExitInfo> | undefined;
  return {
    name,
    pid: child.pid ?? -1,
    exited,
    isRunning: () => exitInfo === undefined,
    recentOutput: () => recent.join('\n'),
    kill: () => signalGroup('SIGKILL'),
    stop(timeoutMs = 10_000) {
      stopping ??= (async () => {
        if (exitInfo) return exitInfo;
        signalGroup('SIGTERM');
        let timer: NodeJS.Timeout | undefined;
        const timedOut = new Promise<'timeout'>((resolve) => {
          timer = setTimeout(() => resolve('timeout'), timeoutMs);
        });
        const first = await Promise.race([exited, timedOut]);
        clearTimeout(timer);
        if (first === 'timeout') {
          signalGroup('SIGKILL');
          return exited;
        }
        // The leader is gone; make sure nothing it started lingers.
        killGroupQuietly('SIGKILL');
        return first;
      })();
      return stopping;
    },
  };
}

/** The error to report when `proc` exited while we were waiting for it. */
export function exitedEarlyError(proc: ManagedProcess, what: string, info: ExitInfo): Error {
  const tail = proc.recentOutput();
  return new Error(`${what} ${describeExit(info)} before it was ready${tail ? `:\n${tail}` : ''}`);
}

// ---------------------------------------------------------------------------
// Ports and readiness

/** A TCP port that is free on `host` right now (the OS picks it). */
export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.once('error', reject);
    server.listen({ port: 0, host, exclusive: true }, () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** True when nothing listens on `host:port`. */
export function isPortFree(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.unref();
    server.once('error', () => resolve(false));
    server.listen({ port, host, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

/** The port to use: a free one for 0/unset, else `port` if nothing listens there. */
async function resolvePort(port: number | undefined, host: string, what: string): Promise<number> {
  if (!port) return freePort(host);
  // Checked first: our readiness probe would happily talk to whatever
  // already listens there while our own server fails to bind.
  if (!(await isPortFree(port, host))) throw new Error(`${what}: port ${host}:${port} is already in use`);
  return port;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export interface WaitOptions {
  timeoutMs?: number;
  intervalMs?: number;
  /** Give up early, with its output, if this process exits while we wait. */
  process?: ManagedProcess;
  /** Named in the timeout error. */
  what?: string;
}

/** Retries `attempt` until it resolves, the timeout passes, or `process` exits. */
export async function waitUntil<T>(attempt: () => Promise<T>, options: WaitOptions = {}): Promise<T> {
  const { timeoutMs = 30_000, intervalMs = 200, process: proc, what = 'service' } = options;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    let failure: unknown;
    try {
      return await attempt();
    } catch (error) {
      failure = error;
    }
    if (proc && !proc.isRunning()) throw exitedEarlyError(proc, what, await proc.exited);
    if (Date.now() >= deadline) {
      const reason = failure instanceof Error ? `: ${failure.message}` : '';
      const tail = proc?.recentOutput();
      throw new Error(`${what} was not ready within ${timeoutMs} ms${reason}${tail ? `\n${tail}` : ''}`);
    }
    await sleep(intervalMs);
  }
}

/** Resolves once a TCP connection to `host:port` succeeds. */
export function waitForPort(port: number, host = '127.0.0.1', options: WaitOptions = {}): Promise<void> {
  return waitUntil(
    () =>
      new Promise<void>((resolve, reject) => {
        const socket = net.connect({ port, host });
        socket.setTimeout(1_000);
        socket.once('connect', () => {
          socket.destroy();
          resolve();
        });
        socket.once('timeout', () => {
          socket.destroy();
          reject(new Error(`timed out connecting to ${host}:${port}`));
        });
        socket.once('error', (error) => {
          socket.destroy();
          reject(error);
        });
      }),
    { what: `${host}:${port}`, ...options },
  );
}

/** Resolves once `url` answers with a status `accept` likes (default: any below 500). */
export function waitForHttp(
  url: string,
  options: WaitOptions & { accept?: (status: number) => boolean } = {},
): Promise<void> {
  const accept = options.accept ?? ((status: number) => status < 500);
  return waitUntil(
    async () => {
      const response = await fetch(url, { signal: AbortSignal.timeout(2_000) });
      await response.body?.cancel();
      if (!accept(response.status)) throw new Error(`${url} answered ${response.status}`);
    },
    { what: url, ...options },
  );
}

// ---------------------------------------------------------------------------
// Temporal dev server

export interface TemporalDevServerOptions {
  /** gRPC port; 0 or unset picks a free one. */
  port?: number;
  /** Web UI port; 0 or unset picks a free one. Ignored when headless. */
  uiPort?: number;
  ip?: string;
  /** Persist to this SQLite file (its folder is created); unset keeps state in memory. */
  dbFile?: string;
  /** No Web UI (tests). */
  headless?: boolean;
  namespace?: string;
  /** `--dynamic-config-value KEY=JSON`, e.g. `{ 'limit.historyCount.suggestContinueAsNew': 50 }`. */
  dynamicConfig?: Record<string, unknown>;
  logLevel?: 'debug' | 'info' | 'warn' | 'error' | 'never';
  output?: OutputMode;
  /** Name used as the output prefix (default `temporal`). */
  name?: string;
  /** See SpawnOptions.formatLine. */
  formatLine?: SpawnOptions['formatLine'];
  startTimeoutMs?: number;
  /** See SpawnOptions.ownProcessGroup. */
  ownProcessGroup?: boolean;
}

export interface TemporalDevServer {
  /** `host:port` for Connection.connect / TEMPORAL_ADDRESS. */
  address: string;
  namespace: string;
  /** Web UI, unless headless. */
  uiUrl?: string;
  process: ManagedProcess;
  stop(): Promise<void>;
}

/**
 * Starts `temporal server start-dev` and resolves once its namespace answers
 * and our custom search attributes are registered (the CLI flag only applies
 * when the namespace is created, so with an existing db file we add missing
 * ones through the operator service).
 */
export async function startTemporalDevServer(options: TemporalDevServerOptions = {}): Promise<TemporalDevServer> {
  const ip = options.ip ?? '127.0.0.1';
  const namespace = options.namespace ?? 'default';
  const port = await resolvePort(options.port, ip, 'Temporal dev server');
  const uiPort = options.headless ? undefined : await resolvePort(options.uiPort, ip, 'Temporal Web UI');
  const args = ['server', 'start-dev', '--ip', ip, '--port', String(port), '--namespace', namespace];
  args.push('--log-level', options.logLevel ?? 'warn');
  for (const flag of searchAttributeFlags()) args.push('--search-attribute', flag);
  if (uiPort === undefined) args.push('--headless');
  else args.push('--ui-port', String(uiPort), '--ui-disable-news-fetch');
  if (options.dbFile) {
    mkdirSync(path.dirname(path.resolve(options.dbFile)), { recursive: true });
    args.push('--db-filename', options.dbFile);
  }
  for (const [key, value] of Object.entries(options.dynamicConfig ?? {})) {
    args.push('--dynamic-config-value', `${key}=${JSON.stringify(value)}`);
  }

  const proc = spawnManaged(options.name ?? 'temporal', binaryPath('temporal'), args, {
    output: options.output ?? 'quiet',
    color: 35,
    ownProcessGroup: options.ownProcessGroup,
    formatLine: options.formatLine,
  });
  const address = `${ip}:${port}`;
  const stop = async () => {
    await proc.stop();
  };
  try {
    await waitUntil(
      async () => {
        const connection = await Connection.connect({ address, connectTimeout: 1_000 });
        try {
          await connection.workflowService.describeNamespace({ namespace });
          await ensureSearchAttributes(connection, namespace);
        } finally {
          await connection.close();
        }
      },
      { timeoutMs: options.startTimeoutMs ?? 60_000, intervalMs: 250, process: proc, what: `Temporal dev server on ${address}` },
    );
  } catch (error) {
    await stop();
    throw error;
  }
  return { address, namespace, uiUrl: uiPort === undefined ? undefined : `http://${ip}:${uiPort}`, process: proc, stop };
}

// ---------------------------------------------------------------------------
// stripe-mock

export interface StripeMockOptions {
  /** HTTP port; 0 or unset picks a free one. */
  port?: number;
  output?: OutputMode;
  name?: string;
  startTimeoutMs?: number;
  /** See SpawnOptions.ownProcessGroup. */
  ownProcessGroup?: boolean;
  /** See SpawnOptions.formatLine. */
  formatLine?: SpawnOptions['formatLine'];
}

export interface StripeMock {
  /** Base URL for STRIPE_API_URL, e.g. http://127.0.0.1:12111 */
  url: string;
  port: number;
  process: ManagedProcess;
  stop(): Promise<void>;
}

/** Starts stripe-mock on 127.0.0.1 and resolves once it answers HTTP. */
export async function startStripeMock(options: StripeMockOptions = {}): Promise<StripeMock> {
  const host = '127.0.0.1';
  const port = await resolvePort(options.port, host, 'stripe-mock');
  // stripe-mock opens an HTTPS listener too unless HTTP was asked for with
  // -http-port (which binds every interface): -http-addr does not turn it
  // off, and that listener takes $PORT or 12112. Keep it on a random
  // loopback port, and hide our PORT (the API's) from it.
  const env = { ...process.env };
  delete env.PORT;
  const proc = spawnManaged(
    options.name ?? 'stripe-mock',
    binaryPath('stripeMock'),
    ['-http-addr', `${host}:${port}`, '-https-addr', `${host}:0`],
    { env, output: options.output ?? 'quiet', color: 34, ownProcessGroup: options.ownProcessGroup, formatLine: options.formatLine },
  );
  const url = `http://${host}:${port}`;
  const stop = async () => {
    await proc.stop();
  };
  try {
    await waitForHttp(`${url}/v1/balance`, {
      timeoutMs: options.startTimeoutMs ?? 30_000,
      process: proc,
      what: `stripe-mock on ${url}`,
    });
  } catch (error) {
    await stop();
    throw error;
  }
  return { url, port, process: proc, stop };
}
