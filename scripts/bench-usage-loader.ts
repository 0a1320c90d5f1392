// The load generator of `npm run bench:usage`, run by it as a separate
// process: argv[2] is the path of a JSON spec (UsageLoaderSpec). Jobs are
// (workspace, batch) pairs, batch by batch across the workspaces, taken in
// order by `concurrency` senders that never pause:
//   - `http`: POST /v1/workspaces/{id}/usage on the engine's API (one
//     keep-alive connection per sender), as a gateway would;
//   - `insert`: the baseline — the same batch written straight into
//     usage_event with one INSERT … SELECT FROM unnest (the statement the
//     route's durable write is built on, without its rating request), over
//     `concurrency` PostgreSQL connections.
// A refused batch (non-2xx, or a failed connection) is counted and sent
// again, at most MAX_ATTEMPTS times, so that the exact-debit check afterwards
// still expects every batch; the run stops early after STOP_AFTER batches in
// a row were refused on every attempt. Prints one JSON line (UsageLoaderResult).
import http from 'node:http';
import { readFileSync } from 'node:fs';
import { Pool } from 'pg';
import { usageBatch } from './lib/usage-batches';

export interface UsageLoaderSpec {
  mode: 'http' | 'insert';
  concurrency: number;
  /** http: the API's base URL (loopback only) and the app token. */
  apiUrl?: string;
  token?: string;
  /** insert: the database. */
  databaseUrl?: string;
  workspaces: string[];
  /** Batches firstBatch..firstBatch+batches-1 of every workspace. */
  firstBatch: number;
  batches: number;
  occurredAt: string;
  /** Print a progress line to stderr every this many batches (0: never). */
  progressEvery?: number;
}

export interface UsageLoaderResult {
  startedAtMs: number;
  endedAtMs: number;
  /** Batches answered 2xx (or inserted). */
  accepted: number;
  /** Attempts refused: status (or `error`) → count. */
  refused: Record<string, number>;
  /** Batches refused on every attempt (lost unless resent later). */
  abandoned: number;
  stoppedEarly: boolean;
  /** Events the answers counted as accepted / duplicates (http). */
  acceptedEvents: number;
  duplicateEvents: number;
  /** Latency of the accepted attempts, ms. */
  p50: number;
  p99: number;
  max: number;
  firstRefusal?: string;
}

const MAX_ATTEMPTS = 3;
const STOP_AFTER = 200;

function percentile(sorted: Float64Array, q: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
}

class Refused extends Error {
  constructor(
    readonly key: string,
    message: string,
  ) {
    super(message);
  }
}

type Send = (workspaceId: string, batch: number) => Promise<{ accepted: number; duplicates: number }>;

function httpSender(spec: UsageLoaderSpec): { send: Send; close(): Promise<void> } {
  const base = new URL(spec.apiUrl ?? '');
  if (!base.hostname.startsWith('127.')) throw new Error('the loader only targets loopback addresses');
  const agent = new http.Agent({ keepAlive: true, maxSockets: spec.concurrency });
  const send: Send = (workspaceId, batch) => {
    const body = JSON.stringify({ events: usageBatch(batch, spec.occurredAt) });
    return new Promise((resolve, reject) => {
      const req = http.request(
        new URL(`/v1/workspaces/${workspaceId}/usage`, base),
        {
          method: 'POST',
          agent,
          headers: { 'content-type': 'application/json', authorization: `Bearer ${spec.token}`, 'content-length': Buffer.byteLength(body) },
        },
        (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => (text += chunk));
          res.on('end', () => {
            const status = res.statusCode ?? 0;
            if (status < 200 || status >= 300) return reject(new Refused(String(status), `${status}: ${text.slice(0, 300)}`));
            try {
              const answer = JSON.parse(text) as { accepted: number; duplicates: number };
              resolve({ accepted: answer.accepted, duplicates: answer.duplicates });
            } catch {
              reject(new Refused('unreadable', `unreadable answer: ${text.slice(0, 300)}`));
            }
          });
        },
      );
      req.setTimeout(60_000, () => req.destroy(new Error('no answer within 60 s')));
      req.on('error', (err) => reject(new Refused('error', err.message)));
      req.end(body);
    });
  };
  return { send, close: async () => agent.destroy() };
}

function insertSender(spec: UsageLoaderSpec): { send: Send; close(): Promise<void> } {
  const pool = new Pool({ connectionString: spec.databaseUrl, max: spec.concurrency });
  const send: Send = async (workspaceId, batch) => {
    const events = usageBatch(batch, spec.occurredAt);
    const rows = [...events].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    try {
      const { rowCount } = await pool.query(
        `INSERT INTO usage_event (workspace_id, event_id, project_id, family, environment, quantity, occurred_at)
         SELECT $1, e.event_id, e.project_id, e.family, e.environment, e.quantity, e.occurred_at
         FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::bigint[], $7::timestamptz[])
           WITH ORDINALITY AS e(event_id, project_id, family, environment, quantity, occurred_at, ord)
         ORDER BY e.ord
         ON CONFLICT (workspace_id, event_id) DO NOTHING`,
        [
          workspaceId,
          rows.map((e) => e.id),
          rows.map((e) => e.projectId),
          rows.map((e) => e.family),
          rows.map((e) => e.environment),
          rows.map((e) => e.quantity),
          rows.map((e) => new Date(e.occurredAt).toISOString()),
        ],
      );
      return { accepted: rowCount ?? 0, duplicates: rows.length - (rowCount ?? 0) };
    } catch (err) {
      throw new Refused('error', err instanceof Error ? err.message : String(err));
    }
  };
  return { send, close: () => pool.end() };
}

async function main(): Promise<void> {
  const spec = JSON.parse(readFileSync(process.argv[2], 'utf8')) as UsageLoaderSpec;
  const { send, close } = spec.mode === 'http' ? httpSender(spec) : insertSender(spec);
  const total = spec.batches * spec.workspaces.length;
  const latencies = new Float64Array(total);
  const result: UsageLoaderResult = {
    startedAtMs: 0,
    endedAtMs: 0,
    accepted: 0,
    refused: {},
    abandoned: 0,
    stoppedEarly: false,
    acceptedEvents: 0,
    duplicateEvents: 0,
    p50: 0,
    p99: 0,
    max: 0,
  };
  let next = 0;
  let abandonedInARow = 0;
  const sender = async () => {
    for (let job = next++; job < total && !result.stoppedEarly; job = next++) {
      const workspaceId = spec.workspaces[job % spec.workspaces.length];
      const batch = spec.firstBatch + Math.floor(job / spec.workspaces.length);
      let done = false;
      for (let attempt = 1; attempt <= MAX_ATTEMPTS && !done; attempt++) {
        const t = performance.now();
        try {
          const answer = await send(workspaceId, batch);
          latencies[result.accepted++] = performance.now() - t;
          result.acceptedEvents += answer.accepted;
          result.duplicateEvents += answer.duplicates;
          done = true;
        } catch (err) {
          const key = err instanceof Refused ? err.key : 'error';
          result.refused[key] = (result.refused[key] ?? 0) + 1;
          result.firstRefusal ??= `${workspaceId} batch ${batch}: ${err instanceof Error ? err.message : String(err)}`;
        }
      }
      if (done) abandonedInARow = 0;
      else {
        result.abandoned++;
        if (++abandonedInARow >= STOP_AFTER) result.stoppedEarly = true;
      }
      const sent = job + 1;
      if (spec.progressEvery && sent % spec.progressEvery === 0) {
        const seconds = (Date.now() - result.startedAtMs) / 1000;
        const refused = Object.values(result.refused).reduce((a, b) => a + b, 0);
        process.stderr.write(`  ${sent} batches sent in ${seconds.toFixed(0)} s (${(sent / seconds).toFixed(0)}/s), ${refused} attempts refused\n`);
      }
    }
  };
  result.startedAtMs = Date.now();
  await Promise.all(Array.from({ length: spec.concurrency }, sender));
  result.endedAtMs = Date.now();
  await close();
  const sorted = latencies.subarray(0, result.accepted).sort();
  Object.assign(result, { p50: percentile(sorted, 0.5), p99: percentile(sorted, 0.99), max: sorted[sorted.length - 1] ?? Number.NaN });
  console.log(JSON.stringify(result));
}

main().catch((err) => {
  console.error(err instanceof Error ? (err.stack ?? err.message) : err);
  process.exit(1);
});
