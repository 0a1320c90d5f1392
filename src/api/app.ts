// The Express app: authentication, validation and translation only. Writes
// go to workflows (through WorkspaceClient), reads come from the projection.
import express from 'express';
import { pinoHttp } from 'pino-http';
import type { PrismaClient } from '@prisma/client';
import type Stripe from 'stripe';
import { DomainError } from '../domain/errors';
import type { Logger } from '../infra/logger';
import type { WorkspaceClient } from '../temporal/workspace-client';
import { requireBearer } from './auth';
import { docsRouter } from './openapi';
import { problemHandler } from './problem';
import { healthRouter } from './routes/health';
import { plansRouter } from './routes/plans';
import { webhooksRouter } from './routes/webhooks';
import { workspacesRouter } from './routes/workspaces';

export interface AppDeps {
  prisma: PrismaClient;
  stripe: Stripe;
  workspaces: Pick<WorkspaceClient, 'startCheckout' | 'deliverFact' | 'ping' | 'previewPlanChange' | 'applyPlanChange' | 'cancelPendingChange'>;
  log: Logger;
  config: {
    APP_API_TOKEN: string;
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

  const v1 = express.Router();
  v1.use(requireBearer(config.APP_API_TOKEN, 'billing'));
  v1.use(express.json({ limit: '1mb' }));
  v1.use(plansRouter());
  v1.use(
    workspacesRouter({ prisma: deps.prisma, workspaces: deps.workspaces, walletMinimumCents: config.WALLET_MINIMUM_CENTS }),
  );
  app.use('/v1', v1);

  app.use((req, _res, next) => next(new DomainError('not_found', `No route for ${req.method} ${req.path}.`)));
  app.use(problemHandler({ salesContactUrl: config.PUBLIC_SALES_CONTACT_URL, log }));
  return app;
}
