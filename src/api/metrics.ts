// Prometheus metrics of the API process (prom-client): HTTP requests by
// method, route pattern and status; Stripe webhook outcomes by event type;
// the default Node.js process metrics. One registry per app, so tests can
// build several apps in one process. The worker's metrics come from
// Temporal's core and are served by the worker itself (src/worker.ts).
import type { ErrorRequestHandler, Request, RequestHandler, Response } from 'express';
import { performance } from 'node:perf_hooks';
import { collectDefaultMetrics, Counter, Histogram, Registry } from 'prom-client';

export interface ApiMetrics {
  registry: Registry;
  httpRequests: Counter<'method' | 'route' | 'status'>;
  httpDuration: Histogram<'method' | 'route' | 'status'>;
  webhookEvents: Counter<'type' | 'outcome'>;
  /** Counts and times every request except GET /metrics itself. Mount first. */
  middleware: RequestHandler;
  /** Mount at the end of a sub-router: remembers the route pattern before an error leaves it. */
  rememberRoute: ErrorRequestHandler;
  /** GET /metrics. */
  handler: RequestHandler;
}

const STARTED_AT = Symbol('metrics.startedAt');
type Timed = Response & { [STARTED_AT]: number };

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
    help: 'Stripe webhook events by type and outcome (delivered, duplicate, ignored, unroutable, rejected, failed).',
    labelNames: ['type', 'outcome'] as const,
    registers: [registry],
  });

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

  // One shared 'finish' listener (no closure per request); the start time rides on the response.
  function finished(this: Response): void {
    const start = (this as Timed)[STARTED_AT];
    const { count, time } = seriesOf(this.req.method, routeOf(this.req, this), String(this.statusCode));
    count.inc();
    time.observe((performance.now() - start) / 1000);
  }
  const middleware: RequestHandler = (req, res, next) => {
    if (req.path === '/metrics') return next();
    (res as Timed)[STARTED_AT] = performance.now();
    res.on('finish', finished);
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

  return { registry, httpRequests, httpDuration, webhookEvents, middleware, rememberRoute, handler };
}
