// The load generator of `npm run bench:webhooks`, run by it as a separate
// process: argv[2] is the path of a JSON spec (see LoaderSpec). Each sender
// takes the next workspace that has nothing in flight and sends its next
// event, so one workspace's events go out one after another, in order,
// while `concurrency` senders keep the target busy:
//   - `http`: signed Stripe events POSTed to the engine's /webhooks/stripe
//     (keep-alive connections, one per sender);
//   - `signal`: the same events turned into billing facts and sent with
//     signal-with-start straight to the Temporal server (the floor).
// Prints one JSON line (LoaderResult). Bounded: every event is sent once.
import http from 'node:http';
import { readFileSync } from 'node:fs';
import { Client, Connection } from '@temporalio/client';
import { factFromEvent, stripeEventEnvelope } from '../src/domain/stripe-events';
import type { StripeFact } from '../src/domain/billing-facts';
import { WorkspaceClient } from '../src/temporal/workspace-client';
import { stripeSignature } from './lib/stripe-payloads';

export interface LoaderSpec {
  mode: 'http' | 'signal';
  concurrency: number;
  /** http: the webhook endpoint (loopback only) and the endpoint secret. */
  url?: string;
  webhookSecret?: string;
  /** signal: the Temporal server and the task queue of the workflows. */
  temporalAddress?: string;
  taskQueue?: string;
  /** Event payloads (JSON strings) per workspace, in the order to send them. */
  workspaces: { workspaceId: string; events: string[] }[];
}

export interface LoaderResult {
  startedAtMs: number;
  endedAtMs: number;
  sent: number;
  failures: number;
  /** Acknowledgement latency (http) or signal-with-start latency (signal), ms. */
  p50: number;
  p99: number;
  max: number;
  /** http: the `outcome` field of the answers, counted. */
  outcomes: Record<string, number>;
  firstFailure?: string;
}

function percentile(sorted: Float64Array, q: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
}

type Send = (workspaceId: string, index: number) => Promise<string>;

function httpSender(spec: LoaderSpec): { send: Send; close(): Promise<void> } {
  const url = new URL(spec.url ?? '');
  if (!url.hostname.startsWith('127.')) throw new Error('the loader only targets loopback addresses');
  const agent = new http.Agent({ keepAlive: true, maxSockets: spec.concurrency });
  // Signed before the clock starts (Stripe signs when it sends; the signature stays valid for 300 s).
  const signed = new Map(spec.workspaces.map((w) => [w.workspaceId, w.events.map((payload) => ({ payload, signature: stripeSignature(payload, spec.webhookSecret ?? '') }))]));
  const send: Send = (workspaceId, index) => {
    const { payload, signature } = signed.get(workspaceId)![index];
    return new Promise((resolve, reject) => {
      const req = http.request(
        url,
        { method: 'POST', agent, headers: { 'content-type': 'application/json', 'stripe-signature': signature, 'content-length': Buffer.byteLength(payload) } },
        (res) => {
          let body = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => (body += chunk));
          res.on('end', () => {
            if (res.statusCode !== 200) return reject(new Error(`${res.statusCode}: ${body.slice(0, 300)}`));
            try {
              resolve(String((JSON.parse(body) as { outcome?: unknown }).outcome));
            } catch {
              reject(new Error(`unreadable answer: ${body.slice(0, 300)}`));
            }
          });
        },
      );
      req.setTimeout(30_000, () => req.destroy(new Error('no answer within 30 s')));
      req.on('error', reject);
      req.end(payload);
    });
  };
  return { send, close: async () => agent.destroy() };
}

async function signalSender(spec: LoaderSpec): Promise<{ send: Send; close(): Promise<void> }> {
  const connection = await Connection.connect({ address: spec.temporalAddress ?? '' });
  const client = new WorkspaceClient(new Client({ connection }), spec.taskQueue ?? '');
  // The same facts the webhook intake would derive, computed before the clock starts.
  const facts = new Map<string, StripeFact[]>(
    spec.workspaces.map((w) => [
      w.workspaceId,
      w.events.map((payload) => {
        const fact = factFromEvent(stripeEventEnvelope.parse(JSON.parse(payload)));
        if (!fact) throw new Error('a bench event carries no billing fact');
        return fact;
      }),
    ]),
  );
  const send: Send = async (workspaceId, index) => {
    await client.deliverFact(workspaceId, facts.get(workspaceId)![index]);
    return 'signalled';
  };
  return { send, close: () => connection.close() };
}

async function main(): Promise<void> {
  const spec = JSON.parse(readFileSync(process.argv[2] ?? '', 'utf8')) as LoaderSpec;
  const sender = spec.mode === 'http' ? httpSender(spec) : await signalSender(spec);
  const total = spec.workspaces.reduce((n, w) => n + w.events.length, 0);
  const latencies = new Float64Array(total);
  const outcomes: Record<string, number> = {};
  let count = 0;
  let failures = 0;
  let firstFailure: string | undefined;
  // Workspaces with something left to send and nothing in flight, round robin.
  const ready = spec.workspaces.map((w) => ({ workspaceId: w.workspaceId, next: 0, length: w.events.length })).filter((w) => w.length > 0);
  const waiting: (() => void)[] = [];
  let inFlight = 0;
  const startedAtMs = Date.now();
  const senderLoop = async () => {
    for (;;) {
      const w = ready.shift();
      if (!w) {
        if (inFlight === 0) return;
        // Another sender holds the remaining workspaces: wait for one to come back.
        await new Promise<void>((resolve) => waiting.push(resolve));
        continue;
      }
      inFlight++;
      const t0 = performance.now();
      try {
        const outcome = await sender.send(w.workspaceId, w.next);
        latencies[count++] = performance.now() - t0;
        outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
      } catch (err) {
        failures++;
        firstFailure ??= err instanceof Error ? err.message : String(err);
      }
      inFlight--;
      w.next++;
      if (w.next < w.length) ready.push(w);
      waiting.splice(0).forEach((wake) => wake());
    }
  };
  await Promise.all(Array.from({ length: spec.concurrency }, senderLoop));
  const endedAtMs = Date.now();
  await sender.close();
  const sorted = latencies.subarray(0, count).sort();
  const result: LoaderResult = {
    startedAtMs,
    endedAtMs,
    sent: count + failures,
    failures,
    p50: percentile(sorted, 0.5),
    p99: percentile(sorted, 0.99),
    max: sorted.length ? sorted[sorted.length - 1] : Number.NaN,
    outcomes,
    ...(firstFailure ? { firstFailure } : {}),
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

main().catch((err) => {
  console.error(err instanceof Error ? err.stack : err);
  process.exit(1);
});
