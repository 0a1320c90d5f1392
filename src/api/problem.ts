// The one place where errors become HTTP: application/problem+json with a
// stable `code`. Everything else throws DomainError (or lets an unexpected
// error fall through to a logged 500).
import type { ErrorRequestHandler, Response } from 'express';
import { DomainError, type ErrorCode } from '../domain/errors';

const STATUS: Record<ErrorCode, number> = {
  validation_failed: 400,
  invalid_signature: 400,
  malformed_event: 400,
  unauthorized: 401,
  id_token_required: 400,
  oidc_not_configured: 400,
  invalid_id_token: 401,
  email_not_verified: 403,
  not_found: 404,
  method_not_allowed: 405,
  no_pending_change: 404,
  workspace_not_found: 404,
  guest_checkout_not_found: 404,
  notification_not_found: 404,
  notification_in_flight: 409,
  email_mismatch: 403,
  already_claimed: 409,
  claim_in_progress: 409,
  nothing_to_claim: 404,
  workspace_already_subscribed: 409,
  no_grace_window: 409,
  subscription_active: 409,
  checkout_in_progress: 409,
  no_active_subscription: 409,
  no_change: 409,
  payment_recovery_required: 409,
  idempotency_key_reused: 409,
  enforced_recovery: 409,
  subscription_not_synced: 409,
  not_available_on_plan: 409,
  not_purchasable: 422,
  sales_assisted: 422,
  internal_error: 500,
  price_not_configured: 500,
  payment_provider_error: 502,
  temporal_unavailable: 503,
  database_unavailable: 503,
  identity_provider_unavailable: 503,
  change_stream_unavailable: 503,
};

const TITLE: Record<ErrorCode, string> = {
  validation_failed: 'Invalid request',
  invalid_signature: 'Invalid webhook signature',
  malformed_event: 'Malformed webhook event',
  unauthorized: 'Unauthorized',
  not_found: 'Not found',
  method_not_allowed: 'Method not allowed',
  subscription_active: 'Subscription already active',
  checkout_in_progress: 'Another checkout is open',
  no_active_subscription: 'No active subscription',
  no_change: 'Nothing to change',
  no_pending_change: 'No pending change',
  workspace_not_found: 'Workspace not found',
  guest_checkout_not_found: 'Guest checkout not found',
  notification_not_found: 'Notification not found',
  notification_in_flight: 'Notification being delivered',
  email_mismatch: 'Email does not match',
  already_claimed: 'Already claimed',
  claim_in_progress: 'Claim in progress',
  nothing_to_claim: 'Nothing to claim',
  id_token_required: 'ID token required',
  oidc_not_configured: 'ID tokens not accepted',
  invalid_id_token: 'Invalid ID token',
  email_not_verified: 'Email not verified',
  identity_provider_unavailable: 'Identity provider unavailable',
  workspace_already_subscribed: 'Workspace already subscribed',
  no_grace_window: 'No grace window open',
  payment_recovery_required: 'Payment recovery required',
  idempotency_key_reused: 'Idempotency-Key reused',
  enforced_recovery: 'Enforced recovery',
  subscription_not_synced: 'Subscription not synchronised yet',
  not_available_on_plan: 'Not available on this plan',
  not_purchasable: 'Plan is not purchasable',
  sales_assisted: 'Plan is sales-assisted',
  internal_error: 'Internal error',
  price_not_configured: 'Price not configured',
  payment_provider_error: 'Payment provider error',
  temporal_unavailable: 'Workflow service unavailable',
  database_unavailable: 'Database unavailable',
  change_stream_unavailable: 'Access change stream unavailable',
};

export function statusOf(code: ErrorCode): number {
  return STATUS[code];
}

export function sendProblem(res: Response, code: ErrorCode, detail: string, extra: Record<string, unknown> = {}): void {
  const status = STATUS[code];
  res
    .status(status)
    .type('application/problem+json')
    .json({ type: `https://docs.billing-engine.dev/errors/${code}`, title: TITLE[code], status, detail, code, ...extra });
}

export function problemHandler(options: { salesContactUrl: string; log: { error: (obj: object, msg: string) => void } }): ErrorRequestHandler {
  return (err, req, res, _next) => {
    if (err instanceof DomainError) {
      const extra = { ...err.details };
      if (err.code === 'sales_assisted') extra.contactUrl = options.salesContactUrl;
      if (statusOf(err.code) >= 500) options.log.error({ err, path: req.path, code: err.code }, 'request failed');
      return sendProblem(res, err.code, err.message, extra);
    }
    // express.json() parse failures and oversize bodies arrive here with a status.
    const status = typeof err?.status === 'number' ? err.status : 500;
    if (status >= 400 && status < 500) {
      return sendProblem(res, 'validation_failed', err.type === 'entity.parse.failed' ? 'The body is not valid JSON.' : String(err.message), {
        errors: [{ path: '', message: String(err.message) }],
      });
    }
    options.log.error({ err, path: req.path }, 'unexpected error');
    return sendProblem(res, 'internal_error', 'An unexpected error occurred.');
  };
}
