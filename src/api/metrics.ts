// Prometheus metrics of the API process (prom-client): HTTP requests by
// method, route pattern and status; Stripe webhook outcomes by event type;
// the default Node.js process metrics. One registry per app, so tests can
// build several apps in one process. The worker's metrics come from
// Temporal's core and are served by the worker itself (src/worker.ts).
import type { ErrorRequestHandler, Request, RequestHandler, Response } from 'express';
import { performance } from 'node:perf_hooks';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

export interface ApiMetrics {
  registry: Registry;
  httpRequests: Counter<'method' | 'route' | 'status'>;
  httpDuration: Histogram<'method' | 'route' | 'status'>;
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
  const httpRequests = new Counter({
    name: 'http_requests_total',
    help: 'HTTP requests answered, by method, route pattern and status.',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [registry],
  });
  const httpDuration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'Time to answer an HTTP request, by method, route pattern and status.',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
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

  // The /access hot path goes through here: the labelled children are
  // looked up once per (method, route, status) and kept, so a request costs
  // a Map lookup, an increment and an observe (no label hashing).
  const series = new Map<string, { count: { inc(): void }; time: { observe(value: number): void } }>();
  const seriesOf = (method: string, route: string, status: string) => {
    const key = `${method} ${status} ${route}`;
    let found = series.get(key);
    if (!found) {
      found = { count: httpRequests.labels(method, route, status), time: httpDuration.labels(method, route, status) };
      series.set(key, found);
    }
    return found;
  };

  const middleware: RequestHandler = (req, res, next) => {
    if (req.path === '/metrics') return next();
    const start = performance.now();
    res.once('finish', () => {
      const { count, time } = seriesOf(req.method, routeOf(req, res), String(res.statusCode));
      count.inc();
      time.observe((performance.now() - start) / 1000);
    });
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

  return { registry, httpRequests, httpDuration, webhookEvents, webhookSignals, observeRelay, middleware, rememberRoute, handler };
}
