// The Express app: authentication, validation and translation only. Writes
// go to workflows (through WorkspaceClient), reads come from the projection.
import express from 'express';
import { pinoHttp } from 'pino-http';
import type { PrismaClient } from '@prisma/client';
import type Stripe from 'stripe';
import type { AccessService } from '../access/access-service';
import type { AccessChangeHub } from '../access/change-hub';
import { DomainError } from '../domain/errors';
import type { Logger } from '../infra/logger';
import type { WorkspaceClient } from '../temporal/workspace-client';
import { workflowIdFor } from '../../workflows/definitions';
import { guestWorkflowIdFor } from '../../workflows/guest-definitions';
import { requireAnyBearer, requireBearer } from './auth';
import { idempotency } from './idempotency';
import { createApiMetrics, type ApiMetrics } from './metrics';
import { createOidcVerifier } from './oidc';
import { methodNotAllowed } from './method-not-allowed';
import { docsRouter, openApiDocument } from './openapi';
import { problemHandler } from './problem';
import { healthRouter } from './routes/health';
import { guestCheckoutRouter } from './routes/guest-checkout';
import { operatorRouter } from './routes/operator';
import { operatorAnswersRouter } from './routes/operator-answers';
import { plansRouter } from './routes/plans';
import { walletRouter } from './routes/wallet';
import { webhooksRouter } from './routes/webhooks';
import { accessChangesRoute } from './routes/access-changes';
import { accessRoute, workspacesRouter } from './routes/workspaces';
import { webAppRouter } from '../web-app/router';

export interface AppDeps {
  prisma: PrismaClient;
  stripe: Stripe;
  workspaces: Pick<
    WorkspaceClient,
    | 'startCheckout'
    | 'ping'
    | 'previewPlanChange'
    | 'applyPlanChange'
    | 'cancelPendingChange'
    | 'usageRecorded'
    | 'startTopUp'
    | 'setSpendControls'
    | 'grantCredit'
    | 'setContractPrices'
    | 'setInvoicingControls'
    | 'extendGrace'
    | 'endGrace'
    | 'resyncFromStripe'
    | 'cancelScheduledChange'
    | 'startGuestCheckout'
    | 'claimGuestCheckout'
    | 'workflowHistory'
  >;
  /** GET /v1/access/changes (started and stopped by the owner of the app); without it the route answers 503. */
  changes?: AccessChangeHub;
  /** The /access hot path (started and stopped by the owner of the app). */
  access: Pick<AccessService, 'check'> & Partial<Pick<AccessService, 'answerCached'>>;
  log: Logger;
  /** The clock /billing is evaluated at (default Date.now; give the access service the same one). */
  now?: () => number;
  config: {
    APP_API_TOKEN: string;
    OPERATOR_API_TOKEN: string;
    STRIPE_WEBHOOK_SECRET: string;
    WALLET_MINIMUM_CENTS: number;
    /** Auto top-up charges per workspace per UTC day (default 3). */
    AUTO_TOP_UP_MAX_PER_DAY?: number;
    PUBLIC_SALES_CONTACT_URL: string;
    /** How long answers to requests with an Idempotency-Key are kept (default 7 days). */
    IDEMPOTENCY_KEY_TTL?: number;
    /** OIDC mode of the claim by email (both or neither): ID tokens from this issuer for this audience. */
    OIDC_ISSUER?: string;
    OIDC_AUDIENCE?: string;
    /** GET /metrics (Prometheus); default true. */
    METRICS_ENABLED?: boolean;
    /** Webhook events are recorded for this task queue's relay. */
    TEMPORAL_TASK_QUEUE: string;
    /** The reference web app at /app (it calls this API with APP_API_TOKEN); default off. */
    WEB_APP_ENABLED?: boolean;
    WEB_APP_SESSION_SECRET?: string;
    WEB_APP_DEV_SIGN_IN?: boolean;
    WEB_APP_API_URL?: string;
  };
  /** This process's webhook relay (started and stopped by the owner of the app), woken when an event is recorded. */
  webhookRelay?: { poke(): void };
  /** The registry behind /metrics; a new one per app when not given. */
  metrics?: ApiMetrics;
}

/**
 * Every log line of a request on /v1/workspaces/{id}/… (and the operator's)
 * carries workspaceId and its workflowId, and a guest claim's carries
 * guestCheckoutId and its workflowId; params are known only once the path
 * matched, hence a middleware on that path rather than pino-http's request
 * start.
 */
function logFields(param: string, fieldsOf: (id: string) => Record<string, string>): express.RequestHandler {
  return (req, res, next) => {
    const id = req.params[param];
    if (typeof id === 'string' && id) {
      const fields = fieldsOf(id);
      res.locals.logFields = fields;
      req.log = req.log.child(fields);
    }
    next();
  };
}
const workspaceLogFields = logFields('workspaceId', (workspaceId) => ({ workspaceId, workflowId: workflowIdFor(workspaceId) }));
const guestLogFields = logFields('checkoutId', (guestCheckoutId) => ({ guestCheckoutId, workflowId: guestWorkflowIdFor(guestCheckoutId) }));

const ACCESS_ROUTE = '/v1/workspaces/:workspaceId/access';

export function createApp(deps: AppDeps): express.Express {
  const { config, log } = deps;
  const metricsEnabled = config.METRICS_ENABLED ?? true;
  const idempotencyTtl = config.IDEMPOTENCY_KEY_TTL ?? 7 * 86_400_000;
  const metrics = metricsEnabled ? (deps.metrics ?? createApiMetrics()) : undefined;
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', 'loopback');
  // The gateway's hot path goes first, ahead of the metrics middleware,
  // per-request logging and body parsing (it has no body): bearer auth,
  // validation, the cached answer; it counts itself in the request metrics
  // (one router layer and one 'finish' listener less per request). Its
  // failures still reach problemHandler, which logs every 5xx.
  app.get(
    ACCESS_ROUTE,
    accessRoute(deps.access, { token: config.APP_API_TOKEN, realm: 'billing' }, metrics && ((status, seconds) => metrics.http.record('GET', ACCESS_ROUTE, status, seconds))),
  );
  // A method a documented path does not take: 405 with Allow, from the document itself.
  const document = openApiDocument({ oidc: Boolean(config.OIDC_ISSUER && config.OIDC_AUDIENCE) });
  app.use(methodNotAllowed(document.paths as Record<string, Record<string, unknown>>));
  if (metrics) {
    // Unauthenticated, like most scrape targets: keep it inside the network.
    app.get('/metrics', metrics.handler);
    app.use(metrics.middleware);
  }
  app.use(
    pinoHttp({
      logger: log,
      autoLogging: { ignore: (req) => req.url === '/healthz' || req.url === '/metrics' },
      customProps: (_req, res) => ((res as express.Response).locals?.logFields as object | undefined) ?? {},
    }),
  );
  app.use(['/v1/workspaces/:workspaceId', '/v1/operator/workspaces/:workspaceId'], workspaceLogFields);
  // The access change stream for embedded access clients: the app's token or the operator's.
  app.get(
    '/v1/access/changes',
    requireAnyBearer([config.APP_API_TOKEN, config.OPERATOR_API_TOKEN], 'billing'),
    accessChangesRoute(deps.changes),
  );
  app.use('/v1/checkout/:checkoutId/claim', guestLogFields);

  app.use(healthRouter({ prisma: deps.prisma, temporal: deps.workspaces }));
  app.use(docsRouter(document));
  app.use(
    webhooksRouter({
      prisma: deps.prisma,
      stripe: deps.stripe,
      webhookSecret: config.STRIPE_WEBHOOK_SECRET,
      taskQueue: config.TEMPORAL_TASK_QUEUE,
      relay: deps.webhookRelay,
      log,
      metrics,
    }),
  );

  // Operator routes first: /v1/operator/... takes the operator token, not the app token.
  const operator = express.Router();
  operator.use(requireBearer(config.OPERATOR_API_TOKEN, 'billing-operator'));
  operator.use(express.json({ limit: '1mb' }));
  operator.use(operatorRouter({ workspaces: deps.workspaces, prisma: deps.prisma, idempotent: idempotency({ prisma: deps.prisma, principal: 'operator', ttlMs: idempotencyTtl }) }));
  operator.use(operatorAnswersRouter({ workspaces: deps.workspaces, prisma: deps.prisma }));
  operator.use((req, _res, next) => next(new DomainError('not_found', `No operator route for ${req.method} ${req.path}.`)));
  if (metrics) operator.use(metrics.rememberRoute);
  app.use('/v1/operator', operator);

  const v1 = express.Router();
  v1.use(requireBearer(config.APP_API_TOKEN, 'billing'));
  v1.use(express.json({ limit: '1mb' }));
  v1.use(plansRouter());
  const idempotent = idempotency({ prisma: deps.prisma, principal: 'app', ttlMs: idempotencyTtl });
  const idTokens = config.OIDC_ISSUER && config.OIDC_AUDIENCE ? createOidcVerifier({ issuer: config.OIDC_ISSUER, audience: config.OIDC_AUDIENCE }) : null;
  v1.use(guestCheckoutRouter({ prisma: deps.prisma, workspaces: deps.workspaces, idempotent, idTokens, now: deps.now ?? Date.now }));
  v1.use(
    workspacesRouter({ prisma: deps.prisma, workspaces: deps.workspaces, walletMinimumCents: config.WALLET_MINIMUM_CENTS, now: deps.now ?? Date.now, idempotent }),
  );
  v1.use(
    walletRouter({
      prisma: deps.prisma,
      workspaces: deps.workspaces,
      walletMinimumCents: config.WALLET_MINIMUM_CENTS,
      autoTopUpMaxPerDay: config.AUTO_TOP_UP_MAX_PER_DAY,
      now: deps.now ?? Date.now,
      idempotent,
    }),
  );
  if (metrics) v1.use(metrics.rememberRoute);
  app.use('/v1', v1);

  // The reference web app: its own pages and sessions; it reaches the engine only through the routes above, over HTTP.
  if (config.WEB_APP_ENABLED) {
    if (!config.WEB_APP_SESSION_SECRET) throw new Error('WEB_APP_ENABLED needs WEB_APP_SESSION_SECRET');
    app.use(
      '/app',
      webAppRouter({
        appToken: config.APP_API_TOKEN,
        sessionSecret: config.WEB_APP_SESSION_SECRET,
        devSignIn: config.WEB_APP_DEV_SIGN_IN ?? false,
        apiUrl: config.WEB_APP_API_URL,
        now: deps.now,
      }),
    );
  }

  app.use((req, _res, next) => next(new DomainError('not_found', `No route for ${req.method} ${req.path}.`)));
  // The request's logger (with workspaceId where the route has one) when pino-http ran.
  const problems = problemHandler({ salesContactUrl: config.PUBLIC_SALES_CONTACT_URL, log });
  app.use(((err, req, res, next) =>
    req.log
      ? problemHandler({ salesContactUrl: config.PUBLIC_SALES_CONTACT_URL, log: req.log })(err, req, res, next)
      : problems(err, req, res, next)) as express.ErrorRequestHandler);
  return app;
}
