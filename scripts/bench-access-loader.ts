// The load generator of `npm run bench:access`, run by it as a separate
// process: argv[2] is { url, seconds, connections, headers } as JSON. Uses
// autocannon's programmatic API and records every 2xx response time at full
// resolution (autocannon's own histogram keeps whole milliseconds), so p50
// and p99 are exact. Prints one JSON line: requestsPerSecond, p50, p99 (ms),
// total, failures, and the latencies as a sparse histogram of 10 µs buckets
// (so the bench can combine several rounds exactly). Bounded by `seconds`
// (at most 60).
import autocannon from 'autocannon';
import type { Figures } from './bench-access';

interface Spec {
  url: string;
  seconds: number;
  connections: number;
  headers: Record<string, string>;
}

function percentile(sorted: Float64Array, q: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
}

function main(): void {
  const spec = JSON.parse(process.argv[2] ?? '') as Spec;
  if (!new URL(spec.url).hostname.startsWith('127.')) throw new Error('the loader only targets loopback addresses');
  if (!(spec.seconds >= 1 && spec.seconds <= 60)) throw new Error('seconds must be between 1 and 60');
  let latencies = new Float64Array(1 << 16);
  let count = 0;
  const instance = autocannon(
    { url: spec.url, connections: spec.connections, duration: spec.seconds, headers: spec.headers },
    (err, result) => {
      if (err) {
        console.error(err.message);
        process.exit(1);
      }
      const sorted = latencies.subarray(0, count).sort();
      const histogram = new Map<number, number>();
      for (const ms of sorted) {
        const bucket = Math.floor(ms * 100);
        histogram.set(bucket, (histogram.get(bucket) ?? 0) + 1);
      }
      const figures: Figures = {
        requestsPerSecond: result.requests.total / result.duration,
        p50: percentile(sorted, 0.5),
        p99: percentile(sorted, 0.99),
        total: result.requests.total,
        failures: result.errors + result.timeouts + result.non2xx,
        seconds: result.duration,
        histogram: [...histogram],
      };
      process.stdout.write(`${JSON.stringify(figures)}\n`);
    },
  );
  instance.on('response', (_client: unknown, status: number, _bytes: number, ms: number) => {
    if (status < 200 || status >= 300) return;
    if (count === latencies.length) {
      const bigger = new Float64Array(latencies.length * 2);
      bigger.set(latencies);
      latencies = bigger;
    }
    latencies[count++] = ms;
  });
}

main();
