// The one family of domain errors. Each has a stable machine-readable code;
// src/api/problem.ts maps codes to HTTP statuses in exactly one place, and
// workflows raise the same codes as ApplicationFailure types.

export const ERROR_CODES = [
  'validation_failed',
  'unauthorized',
  'not_found',
  'method_not_allowed',
  'not_purchasable',
  'sales_assisted',
  'subscription_active',
  'checkout_in_progress',
  'no_active_subscription',
  'no_change',
  'no_pending_change',
  'no_grace_window',
  'workspace_not_found',
  'guest_checkout_not_found',
  'notification_not_found',
  'notification_in_flight',
  'email_mismatch',
  'already_claimed',
  'claim_in_progress',
  'nothing_to_claim',
  'workspace_already_subscribed',
  'id_token_required',
  'oidc_not_configured',
  'invalid_id_token',
  'email_not_verified',
  'identity_provider_unavailable',
  'payment_recovery_required',
  'idempotency_key_reused',
  'enforced_recovery',
  'subscription_not_synced',
  'not_available_on_plan',
  'invalid_signature',
  'malformed_event',
  'price_not_configured',
  'payment_provider_error',
  'temporal_unavailable',
  'database_unavailable',
  'change_stream_unavailable',
  'internal_error',
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && (ERROR_CODES as readonly string[]).includes(value);
}

export interface FieldError {
  path: string;
  message: string;
  /** For items of a batch (usage events): the item's position and id. */
  index?: number | null;
  id?: string | null;
}

export class DomainError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = 'DomainError';
  }
}

export class ValidationError extends DomainError {
  constructor(readonly fields: FieldError[], message = 'The request is invalid.') {
    super('validation_failed', message, { errors: fields });
  }
}
