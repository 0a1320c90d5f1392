import express, { Router } from 'express';
import { ingestStripeWebhook, webhookLogFields, type WebhookDeps } from '../../webhooks/stripe-webhook';

export function webhooksRouter(deps: WebhookDeps & { log: { info: (obj: object, msg: string) => void } }): Router {
  const router = Router();
  // The signature covers the exact bytes Stripe sent: keep the body raw.
  router.post('/webhooks/stripe', express.raw({ type: () => true, limit: '1mb' }), async (req, res) => {
    const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    const result = await ingestStripeWebhook(deps, body, req.get('stripe-signature'));
    // Carried by this line and by pino-http's request line (res.locals → customProps).
    const fields = webhookLogFields(result);
    res.locals.logFields = fields;
    deps.log.info({ ...fields, outcome: result.outcome }, 'stripe webhook');
    res.json({ received: true, ...result });
  });
  return router;
}
