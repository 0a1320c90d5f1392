// The Express app: authentication, validation and translation only. Writes
// go to workflows (through WorkspaceClient), reads come from the projection.
import express from 'express';
import { pinoHttp } from 'pino-http';
import type { PrismaClient } from '@prisma/client';
import type Stripe from 'stripe';
import type { AccessService } from '../access/access-service';
import { DomainError } from '../domain/errors';
import type { Logger } from '../infra/logger';
import type { WorkspaceClient } from '../temporal/workspace-client';
import { requireBearer } from './auth';
import { docsRouter } from './openapi';
import { problemHandler } from './problem';
import { healthRouter } from './routes/health';
import { operatorRouter } from './routes/operator';
import { plansRouter } from './routes/plans';
import { walletRouter } from './routes/wallet';
import { webhooksRouter } from './routes/webhooks';
import { accessRoute, workspacesRouter } from './routes/workspaces';

export interface AppDeps {
  prisma: PrismaClient;
  stripe: Stripe;
  workspaces: Pick<
    WorkspaceClient,
    | 'startCheckout'
    | 'deliverFact'
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
  >;
  /** The /access hot path (started and stopped by the owner of the app). */
  access: Pick<AccessService, 'check'>;
  log: Logger;
  config: {
    APP_API_TOKEN: string;
    OPERATOR_API_TOKEN: string;
    STRIPE_WEBHOOK_SECRET: string;
    WALLET_MINIMUM_CENTS: number;
    PUBLIC_SALES_CONTACT_URL: string;
  };
}

export function createApp(deps: AppDeps): express.Express {
  const { config, log } = deps;
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', 'loopback');
  // The gateway's hot path goes first, ahead of per-request logging and body
  // parsing (it has no body): bearer auth, validation, the cached answer.
  // Its failures still reach problemHandler, which logs every 5xx.
  app.get('/v1/workspaces/:workspaceId/access', requireBearer(config.APP_API_TOKEN, 'billing'), accessRoute(deps.access));
  app.use(pinoHttp({ logger: log, autoLogging: { ignore: (req) => req.url === '/healthz' } }));

  app.use(healthRouter({ prisma: deps.prisma, temporal: deps.workspaces }));
  app.use(docsRouter());
  app.use(
    webhooksRouter({
      prisma: deps.prisma,
      stripe: deps.stripe,
      webhookSecret: config.STRIPE_WEBHOOK_SECRET,
      workspaces: deps.workspaces,
      log,
    }),
  );

  // Operator routes first: /v1/operator/... takes the operator token, not the app token.
  const operator = express.Router();
  operator.use(requireBearer(config.OPERATOR_API_TOKEN, 'billing-operator'));
  operator.use(express.json({ limit: '1mb' }));
  operator.use(operatorRouter({ workspaces: deps.workspaces }));
  operator.use((req, _res, next) => next(new DomainError('not_found', `No operator route for ${req.method} ${req.path}.`)));
  app.use('/v1/operator', operator);

  const v1 = express.Router();
  v1.use(requireBearer(config.APP_API_TOKEN, 'billing'));
  v1.use(express.json({ limit: '1mb' }));
  v1.use(plansRouter());
  v1.use(
    workspacesRouter({ prisma: deps.prisma, workspaces: deps.workspaces, walletMinimumCents: config.WALLET_MINIMUM_CENTS }),
  );
  v1.use(walletRouter({ prisma: deps.prisma, workspaces: deps.workspaces, walletMinimumCents: config.WALLET_MINIMUM_CENTS }));
  app.use('/v1', v1);

  app.use((req, _res, next) => next(new DomainError('not_found', `No route for ${req.method} ${req.path}.`)));
  app.use(problemHandler({ salesContactUrl: config.PUBLIC_SALES_CONTACT_URL, log }));
  return app;
}
