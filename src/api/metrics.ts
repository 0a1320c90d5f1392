// Prometheus metrics of the API process (prom-client): HTTP requests by
// method, route pattern and status; Stripe webhook outcomes by event type;
// the default Node.js process metrics. One registry per app, so tests can
// build several apps in one process. The worker's metrics come from
// Temporal's core and are served by the worker itself (src/worker.ts).
import type { ErrorRequestHandler, Request, RequestHandler, Response } from 'express';
import { performance } from 'node:perf_hooks';
import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client';

export interface ApiMetrics {
  registry: Registry;
  /** http_requests_total and http_request_duration_seconds, kept per series in plain counters (see createApiMetrics). */
  http: RequestMetrics;
  webhookEvents: Counter<'type' | 'outcome'>;
  /** The webhook relay's signal attempts: delivered, guest_checkout_closed, failed (retried). */
  webhookSignals: Counter<'outcome'>;
  /** Reports the relay's state (active, events held) at each scrape. */
  observeRelay(stats: () => { active: boolean; held: number }): void;
  /** Counts and times every request except GET /metrics itself. Mount first. */
  middleware: RequestHandler;
  /** Mount at the end of a sub-router: remembers the route pattern before an error leaves it. */
  rememberRoute: ErrorRequestHandler;
  /** GET /metrics. */
  handler: RequestHandler;
}

const DURATION_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

interface Series {
  labels: { method: string; route: string; status: string };
  count: number;
  sum: number;
  /** Non-cumulative counts per bucket; the last one is +Inf. */
  buckets: Float64Array;
}

/**
 * The HTTP request metrics. prom-client's Counter and Histogram hash the
 * label set and validate it on every inc/observe (about 2 µs per request
 * here, a tenth of what /access adds to a bare Express route), so each
 * series (method, route pattern, status) is a plain record found by one Map
 * lookup, and the two metrics are rendered from those records when
 * /metrics is scraped (prom-client custom metrics: the exposition is the
 * same as with its own classes).
 */
class RequestMetrics {
  private readonly series = new Map<string, Series>();

  record(method: string, route: string, status: number, seconds: number): void {
    const key = `${method} ${status} ${route}`;
    let s = this.series.get(key);
    if (s === undefined) {
      s = { labels: { method, route, status: String(status) }, count: 0, sum: 0, buckets: new Float64Array(DURATION_BUCKETS.length + 1) };
      this.series.set(key, s);
    }
    s.count++;
    s.sum += seconds;
    let b = 0;
    while (b < DURATION_BUCKETS.length && seconds > DURATION_BUCKETS[b]) b++;
    s.buckets[b]++;
  }

  /** The two metrics as prom-client registers them. */
  metrics(): [object, object] {
    const series = () => [...this.series.values()];
    const requests = {
      name: 'http_requests_total',
      help: 'HTTP requests answered, by method, route pattern and status.',
      type: 'counter',
      aggregator: 'sum',
      get: async () => ({ ...requests, values: series().map((s) => ({ labels: s.labels, value: s.count })) }),
      reset: () => this.series.clear(),
    };
    const duration = {
      name: 'http_request_duration_seconds',
      help: 'Time to answer an HTTP request, by method, route pattern and status.',
      type: 'histogram',
      aggregator: 'sum',
      get: async () => ({
        ...duration,
        values: series().flatMap((s) => {
          let cumulative = 0;
          const buckets = DURATION_BUCKETS.map((le, i) => {
            cumulative += s.buckets[i];
            return { labels: { ...s.labels, le }, value: cumulative, metricName: 'http_request_duration_seconds_bucket' };
          });
          return [
            ...buckets,
            { labels: { ...s.labels, le: '+Inf' }, value: s.count, metricName: 'http_request_duration_seconds_bucket' },
            { labels: s.labels, value: s.sum, metricName: 'http_request_duration_seconds_sum' },
            { labels: s.labels, value: s.count, metricName: 'http_request_duration_seconds_count' },
          ];
        }),
      }),
      reset: () => this.series.clear(),
    };
    return [requests, duration];
  }
}

/**
 * The Express route pattern (`/v1/workspaces/:workspaceId/billing`), never the
 * raw path: one series per route, whatever ids are in the URL. Requests that
 * matched no route are `unmatched`.
 */
function routeOf(req: Request, res: Response): string {
  const remembered = res.locals.metricsRoute as string | undefined;
  if (remembered) return remembered;
  const path = (req.route as { path?: unknown } | undefined)?.path;
  return typeof path === 'string' ? req.baseUrl + path : 'unmatched';
}

export function createApiMetrics(): ApiMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const http = new RequestMetrics();
  for (const metric of http.metrics()) registry.registerMetric(metric as Parameters<Registry['registerMetric']>[0]);
  const webhookEvents = new Counter({
    name: 'stripe_webhook_events_total',
    help: 'Stripe webhook requests by event type and outcome (accepted, duplicate, ignored, unroutable, rejected, failed).',
    labelNames: ['type', 'outcome'] as const,
    registers: [registry],
  });

  const webhookSignals = new Counter({
    name: 'stripe_webhook_signals_total',
    help: 'Signals sent by the webhook relay, by outcome (delivered, guest_checkout_closed, failed: retried later).',
    labelNames: ['outcome'] as const,
    registers: [registry],
  });
  let relayStats: (() => { active: boolean; held: number }) | undefined;
  new Gauge({
    name: 'stripe_webhook_relay_active',
    help: '1 while this process runs the active webhook relay of its task queue.',
    registers: [registry],
    collect() {
      this.set(relayStats?.().active ? 1 : 0);
    },
  });
  new Gauge({
    name: 'stripe_webhook_relay_held',
    help: 'Recorded webhook events the active relay has read and not yet marked delivered (a growing value: Temporal is not taking signals).',
    registers: [registry],
    collect() {
      this.set(relayStats?.().held ?? 0);
    },
  });
  const observeRelay = (stats: () => { active: boolean; held: number }) => {
    relayStats = stats;
  };

  const middleware: RequestHandler = (req, res, next) => {
    if (req.path === '/metrics') return next();
    const start = performance.now();
    res.on('finish', () => http.record(req.method, routeOf(req, res), res.statusCode, (performance.now() - start) / 1000));
    next();
  };

  const rememberRoute: ErrorRequestHandler = (err, req, res, next) => {
    res.locals.metricsRoute ??= routeOf(req, res);
    next(err);
  };

  const handler: RequestHandler = async (_req, res) => {
    res.set('Content-Type', registry.contentType);
    res.send(await registry.metrics());
  };

  return { registry, http, webhookEvents, webhookSignals, observeRelay, middleware, rememberRoute, handler };
}
