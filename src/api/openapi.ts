// The OpenAPI 3.1 document, generated from the same zod schemas the routes
// validate with, and a browsable docs page (Swagger UI served from the
// swagger-ui-dist package, no CDN).
import path from 'node:path';
import { OpenAPIRegistry, OpenApiGeneratorV31, type RouteConfig } from '@asteasolutions/zod-to-openapi';
import express, { Router } from 'express';
import { z } from 'zod';
import {
  accessQueryDocumentSchema,
  claimByIdTokenSchema,
  claimByVerifiedEmailSchema,
  checkoutRequestSchema,
  claimRequestSchema,
  contractPricesSchema,
  guestCheckoutIdSchema,
  guestCheckoutListQuerySchema,
  guestCheckoutRequestSchema,
  grantCreditRequestSchema,
  invoicingControlsSchema,
  planChangePreviewRequestSchema,
  planChangeRequestSchema,
  topUpRequestSchema,
  workspaceIdSchema,
} from '../domain/schemas';
import {
  accessChangesQuerySchema,
  accessSnapshotWireSchema,
  EVENT_ID,
  accessChangesHeadersSchema,
  heartbeatEventSchema,
  readyEventSchema,
  resetEventSchema,
  resumeEventSchema,
  workspaceEventSchema,
} from '../domain/access-stream';
import { extendGraceBodySchema, operatorActionBodySchema } from '../domain/operator-actions';
import { idempotencyKeySchema } from './idempotency';
import { spendControlsSchema } from '../domain/spend-rules';
import { autoTopUpSettingsSchema, autoTopUpViewSchema } from '../domain/auto-top-up';
import { spendOversightSchema } from '../domain/spend-oversight';
import {
  NOTIFICATION_TYPES,
  notificationDataSchemas,
  notificationEnvelopeSchemas,
  notificationIdSchema,
  notificationListQuerySchema,
  notificationListSchema,
  notificationViewSchema,
} from '../domain/notification-schemas';
import { backtestRequestSchema, backtestResultSchema } from '../domain/backtest';
import { timelineQuerySchema, timelineSchema } from '../domain/timeline/timeline';
import { usageBatchSchema } from '../domain/usage';
import { ledgerQuerySchema } from '../read-model/wallet-reader';
import {
  accessResponseSchema,
  billingViewSchema,
  pendingChangeSchema,
  planChangePreviewSchema,
  planChangeResultSchema,
  checkoutResponseSchema,
  claimResultSchema,
  guestCheckoutResponseSchema,
  problemSchema,
  conflictProblemSchema,
  salesAssistedProblemSchema,
  rateCardSchema,
  webhookResponseSchema,
  operatorActionResultSchema,
  topUpResponseSchema,
} from '../domain/response-schemas';

const json = (schema: z.ZodType, description: string) => ({ description, content: { 'application/json': { schema } } });
const problem = (description: string, schema: z.ZodType = problemSchema) => ({ description, content: { 'application/problem+json': { schema } } });

/**
 * What every operation answers beyond its own statuses, so the document lists
 * every status the API can return: a request body is required wherever one
 * is taken; an operation with any input answers 400 validation_failed
 * (malformed JSON included); a secured one 401 unauthorized.
 */
function withCommonAnswers(route: RouteConfig): RouteConfig {
  const responses = { ...route.responses };
  const request = route.request && { ...route.request, ...(route.request.body && { body: { ...route.request.body, required: true } }) };
  const takesInput = Boolean(request && (request.body || request.params || request.query || request.headers));
  if (takesInput && !responses[400]) responses[400] = problem('validation_failed: every offending field listed');
  if (route.security?.length && !responses[401]) responses[401] = problem('unauthorized: missing or wrong bearer token');
  return { ...route, request, responses };
}

/** A zod schema as plain JSON Schema (zod's own conversion, which keeps unions and every bound). */
function jsonSchemaOf(schema: z.ZodType): Record<string, unknown> {
  const { $schema: _dialect, ...jsonSchema } = z.toJSONSchema(schema, { io: 'input' }) as Record<string, unknown>;
  return jsonSchema;
}

export interface DocumentOptions {
  /** OIDC mode (OIDC_ISSUER and OIDC_AUDIENCE set): the claim by email takes idToken, else verifiedEmail. */
  oidc?: boolean;
}

export function openApiDocument(options: DocumentOptions = {}) {
  const registry = new OpenAPIRegistry();
  const registerPath = (route: RouteConfig) => registry.registerPath(withCommonAnswers(route));
  const bearer = registry.registerComponent('securitySchemes', 'appToken', { type: 'http', scheme: 'bearer' });
  const operatorBearer = registry.registerComponent('securitySchemes', 'operatorToken', { type: 'http', scheme: 'bearer' });
  const security = [{ [bearer.name]: [] }];
  const operatorSecurity = [{ [operatorBearer.name]: [] }];
  const body = (schema: z.ZodType) => ({ content: { 'application/json': { schema } } });
  const workspace = z.object({ workspaceId: workspaceIdSchema });

  /** Routes that start something take an Idempotency-Key (src/api/idempotency.ts). */
  const idempotencyHeaders = z.object({ 'idempotency-key': idempotencyKeySchema.optional() });
  const reused = 'idempotency_key_reused (the Idempotency-Key named another request)';

  registerPath({
    method: 'get',
    path: '/v1/plans',
    summary: 'The rate card: plans, prices by interval with Stripe lookup keys, request families',
    security,
    responses: { 200: json(rateCardSchema, 'Rate card'), 401: problem('Missing or wrong token') },
  });
  registerPath({
    method: 'post',
    path: '/v1/workspaces/{workspaceId}/checkout',
    summary: 'Start (or resume) a hosted Stripe Checkout for a self-serve plan',
    security,
    request: { params: workspace, headers: idempotencyHeaders, body: { content: { 'application/json': { schema: checkoutRequestSchema } } } },
    responses: {
      201: json(checkoutResponseSchema, 'Checkout created'),
      200: json(checkoutResponseSchema, 'The open checkout for the same plan, returned again'),
      400: problem('Validation failed (every offending field listed)'),
      401: problem('Missing or wrong token'),
      409: problem(
        `subscription_active (use plan changes), checkout_in_progress, payment_recovery_required (billing or enforced recovery, or a subscription waiting for its first payment: pay unpaidInvoice, never a second subscription), or ${reused}`,
        conflictProblemSchema,
      ),
      422: problem('sales_assisted (with contactUrl; currentPlanId when the workspace is on Enterprise) or not_purchasable', salesAssistedProblemSchema),
      503: problem('temporal_unavailable'),
    },
  });
  registerPath({
    method: 'post',
    path: '/v1/checkout/guest',
    summary: 'Start a hosted Stripe Checkout for a visitor without a workspace (claimed later)',
    description: 'A guest-checkout workflow (guest-checkout/{checkoutId}) owns it: the Stripe customer carries the email and no workspace. Enterprise is refused and recorded as a sales lead.',
    security,
    request: {
      headers: idempotencyHeaders,
      body: body(guestCheckoutRequestSchema),
    },
    responses: {
      201: json(guestCheckoutResponseSchema, 'Guest checkout created'),
      400: problem('Validation failed (every offending field listed)'),
      401: problem('Missing or wrong token'),
      409: problem(reused),
      422: problem('sales_assisted (with contactUrl) or not_purchasable'),
      503: problem('temporal_unavailable'),
    },
  });
  registerPath({
    method: 'post',
    path: '/v1/checkout/{checkoutId}/claim',
    summary: "Attach a guest checkout's billing state to a workspace after verified sign-in",
    description:
      'Works whether the guest paid before or after the claim; a payment webhook during the claim is neither lost nor applied twice. A repeated claim by the same workspace answers the same result.',
    security,
    request: { params: z.object({ checkoutId: guestCheckoutIdSchema }), headers: idempotencyHeaders, body: body(claimRequestSchema) },
    responses: {
      200: json(claimResultSchema, 'Claimed: the workspace holds the customer, subscription and any pending payment'),
      400: problem('Validation failed'),
      401: problem('Missing or wrong token'),
      403: problem('email_mismatch'),
      404: problem('guest_checkout_not_found (unknown, or ended 7 days after it was claimed or lapsed), or nothing_to_claim (not paid yet and no open session: expired unpaid)'),
      409: problem(`already_claimed, claim_in_progress, workspace_already_subscribed (naming both subscriptions), or ${reused}`),
      503: problem('temporal_unavailable (the claim stays reserved for this workspace; retry)'),
    },
  });
  registerPath({
    method: 'post',
    path: '/v1/workspaces/{workspaceId}/guest-checkouts/claim',
    summary: "Attach the guest billing of the signed-in user's email to a workspace, without a checkout id",
    description:
      'Claims the newest paid-or-open unclaimed guest checkout of the email (case-insensitive) through the guest-checkout workflow, like the claim by id: ' +
      'paid beats open whatever their ages; among paid ones the latest payment, among open ones (session not expired) the latest started. ' +
      'A checkout this workspace already claimed counts too, so a repeat answers the same. ' +
      'The email is verifiedEmail, or with OIDC_ISSUER and OIDC_AUDIENCE set the email of idToken (required then; verified against the issuer\'s JWKS: signature, iss, aud, exp; email_verified must be true). ' +
      'There is no email_mismatch: only checkouts of the email are candidates, and a stranger learns no more than 404 nothing_to_claim.',
    security,
    request: { params: workspace, headers: idempotencyHeaders, body: body(options.oidc ? claimByIdTokenSchema : claimByVerifiedEmailSchema) },
    responses: {
      200: json(claimResultSchema, 'Claimed (or claimed before by this workspace): the claim result, as the claim by id answers it'),
      400: problem(
        'validation_failed (exactly one of verifiedEmail or idToken), id_token_required (OIDC mode: verifiedEmail is not accepted), oidc_not_configured (idToken sent but no OIDC_ISSUER set)',
      ),
      401: problem('unauthorized (missing or wrong app token), or invalid_id_token with reason: malformed, algorithm_not_allowed, unknown_key, bad_signature, wrong_issuer, wrong_audience, expired, not_yet_valid, missing_claim'),
      403: problem('email_not_verified (reason not_verified: email_verified is not true; no_email: the ID token has no email)'),
      404: problem('nothing_to_claim: no paid or open guest checkout of this email waits to be claimed'),
      409: problem(`already_claimed or claim_in_progress (another workspace took the same checkout at the same moment), workspace_already_subscribed (naming both subscriptions), or ${reused}`),
      503: problem(
        'temporal_unavailable (the claim stays reserved for this workspace and completes in the background; repeat to read the result), database_unavailable, or identity_provider_unavailable (discovery or JWKS unreachable)',
      ),
    },
  });
  registerPath({
    method: 'get',
    path: '/v1/workspaces/{workspaceId}/billing',
    summary: "The workspace's billing state, from the PostgreSQL projection",
    description:
      'mode, grace.expired and production are evaluated at the request time from the recorded facts (the same evaluation /access answers with): a grace window whose end has passed is enforced_recovery at once, a send_invoice invoice past its due date is billing_recovery.',
    security,
    request: { params: workspace },
    responses: { 200: json(billingViewSchema, 'Billing state'), 400: problem('Invalid workspace id'), 401: problem('Missing or wrong token') },
  });
  registerPath({
    method: 'post',
    path: '/v1/workspaces/{workspaceId}/plan-changes/preview',
    summary: 'Preview a plan change: estimated invoice due (Stripe invoice preview), monthly-equivalent delta, effective date',
    security,
    request: { params: workspace, body: { content: { 'application/json': { schema: planChangePreviewRequestSchema } } } },
    responses: {
      200: json(planChangePreviewSchema, 'Preview'),
      400: problem('Validation failed'),
      409: problem('no_active_subscription, no_change, enforced_recovery (with unpaidInvoice; from the grace end, by the clock), subscription_not_synced', conflictProblemSchema),
      422: problem('sales_assisted: the target or the current plan is Enterprise (with contactUrl)', salesAssistedProblemSchema),
    },
  });
  registerPath({
    method: 'post',
    path: '/v1/workspaces/{workspaceId}/plan-changes',
    summary: 'Apply a plan change now or schedule it (auto: upgrades now, downgrades at period end; essential: cancel at period end)',
    security,
    request: { params: workspace, headers: idempotencyHeaders, body: { content: { 'application/json': { schema: planChangeRequestSchema } } } },
    responses: {
      200: json(planChangeResultSchema, 'Applied, scheduled, or held by Stripe until its proration invoice is paid'),
      400: problem('Validation failed'),
      409: problem(
        `no_active_subscription, no_change, payment_recovery_required (billing recovery, with unpaidInvoice), enforced_recovery (with unpaidInvoice), subscription_not_synced, or ${reused}`,
        conflictProblemSchema,
      ),
      422: problem('sales_assisted: the target or the current plan is Enterprise (with contactUrl)', salesAssistedProblemSchema),
    },
  });
  registerPath({
    method: 'delete',
    path: '/v1/workspaces/{workspaceId}/plan-changes/pending',
    summary: 'Cancel the scheduled plan change',
    security,
    request: { params: workspace },
    responses: { 200: json(z.object({ canceled: pendingChangeSchema }), 'The cancelled change'), 404: problem('no_pending_change') },
  });
  registerPath({
    method: 'get',
    path: '/v1/workspaces/{workspaceId}/access',
    summary: "May this project send this environment's traffic? (the gateway's hot path, from the projection)",
    security,
    request: { params: workspace },
    // One exploded object parameter: `?projectId=…&environment=…` on the wire, with the rule that projectId is required for production traffic stated in its schema.
    parameters: [
      {
        name: 'query',
        in: 'query',
        style: 'form',
        explode: true,
        required: true,
        description: 'projectId (1-128 characters), environment (default production): projectId is required unless environment is sandbox, staging or console',
        schema: jsonSchemaOf(accessQueryDocumentSchema),
      },
    ],
    responses: { 200: json(accessResponseSchema, 'Decision with every failing reason'), 400: problem('Validation failed') },
  });
  // The event payloads of the change stream, as components (JSON Schema from zod; OpenAPI 3.1 schemas are JSON Schema).
  const eventSchemas = {
    AccessSnapshot: accessSnapshotWireSchema,
    AccessResetEvent: resetEventSchema,
    AccessResumeEvent: resumeEventSchema,
    AccessWorkspaceEvent: workspaceEventSchema,
    AccessReadyEvent: readyEventSchema,
    AccessHeartbeatEvent: heartbeatEventSchema,
  };
  for (const [name, schema] of Object.entries(eventSchemas)) {
    const { $schema: _dialect, ...jsonSchema } = z.toJSONSchema(schema) as Record<string, unknown>;
    registry.registerComponent('schemas', name, jsonSchema);
  }
  registerPath({
    method: 'get',
    path: '/v1/access/changes',
    summary: "The access change stream (server-sent events): every workspace's access inputs as they change, for embedded access clients",
    description: [
      'A text/event-stream, app token or operator token. Each event is `event: <name>` with `data: <JSON>`, the schemas below:',
      '`reset` (AccessResetEvent) starts a full resync: a `workspace` event (AccessWorkspaceEvent, without an id) for every workspace with any access input, then `ready`;',
      '`resume` (AccessResumeEvent) answers a Last-Event-ID of this stream: the current snapshot of each workspace changed after it, with ids in ascending order, then `ready`;',
      '`ready` (AccessReadyEvent, with an id) ends the catch-up; live `workspace` events (with ids) follow as changes are committed, and a `heartbeat` (AccessHeartbeatEvent) every second while nothing is held back.',
      'Event ids are `<epoch>-<sequence>`. Resuming after an id is exact; an id of another epoch (another API process, a restart, a reconnection of its notification listener), older than the kept window, or ahead of the stream answers `reset` with the reason.',
      'The stream ends when the engine loses its notification listener; reconnect with the last id (new streams are 503 until the listener is back).',
      'A workspace absent after a full resync has no access inputs: evaluate it as Essential with no wallet.',
    ].join(' '),
    security: [...security, ...operatorSecurity],
    request: { headers: accessChangesHeadersSchema, query: accessChangesQuerySchema },
    responses: {
      200: {
        description: 'The stream. Event data schemas: AccessResetEvent, AccessResumeEvent, AccessWorkspaceEvent, AccessReadyEvent, AccessHeartbeatEvent (components).',
        content: {
          'text/event-stream': {
            // OpenAPI 3.1 reading of an event stream: the schema describes one event (its fields), `data` is JSON of the named component.
            schema: {
              description: 'One server-sent event: reset | resume, workspace…, ready, then workspace and heartbeat events',
              oneOf: (
                [
                  ['reset', 'AccessResetEvent', false],
                  ['resume', 'AccessResumeEvent', false],
                  ['workspace', 'AccessWorkspaceEvent', false],
                  ['ready', 'AccessReadyEvent', true],
                  ['heartbeat', 'AccessHeartbeatEvent', false],
                ] as const
              ).map(([event, component, hasId]) => ({
                type: 'object' as const,
                required: ['event', 'data', ...(hasId ? ['id'] : [])],
                properties: {
                  event: { type: 'string' as const, enum: [event] },
                  data: { type: 'string' as const, contentMediaType: 'application/json', contentSchema: { $ref: `#/components/schemas/${component}` } },
                  // An event's id is the stream's last id (SSE keeps it for the events after one that set it); ready always sets one.
                  id: { type: 'string' as const, pattern: EVENT_ID.source },
                },
                additionalProperties: false,
              })),
            },
          },
        },
      },
      400: problem('validation_failed: a malformed Last-Event-ID (header or lastEventId), before the stream starts'),
      401: problem('Missing or wrong token'),
      503: problem('change_stream_unavailable: the engine is not receiving notifications; retry'),
    },
  });
  registerPath({
    method: 'post',
    path: '/v1/workspaces/{workspaceId}/usage',
    summary: 'Record a batch of usage events (event ids are idempotency keys; an invalid batch is rejected whole)',
    security,
    request: { params: workspace, body: body(usageBatchSchema) },
    responses: {
      202: json(z.object({ accepted: z.number().int(), duplicates: z.number().int(), rejected: z.literal(0) }), 'Recorded; rating and debit follow'),
      400: problem('Every offending event listed (index, id, field); nothing recorded'),
    },
  });
  registerPath({
    method: 'get',
    path: '/v1/workspaces/{workspaceId}/wallet',
    summary: 'Wallet balance, minimum and ledger entries (newest first, paged by cursor)',
    security,
    request: { params: workspace, query: ledgerQuerySchema },
    responses: { 200: { description: 'Balance and entries' }, 400: problem('Invalid paging') },
  });
  registerPath({
    method: 'post',
    path: '/v1/workspaces/{workspaceId}/wallet/top-ups',
    summary: 'Start a hosted Stripe Checkout (payment mode) adding credit to the wallet; credited once when paid',
    security,
    request: { params: workspace, headers: idempotencyHeaders, body: body(topUpRequestSchema) },
    responses: { 201: json(topUpResponseSchema, 'Hosted Checkout opened; the top-up id is stable for a retried Idempotency-Key'), 400: problem('Validation failed'), 409: problem(reused) },
  });
  registerPath({
    method: 'put',
    path: '/v1/workspaces/{workspaceId}/wallet/auto-top-up',
    summary: 'Auto top-up: charge the card saved by a hosted top-up off-session when a debit takes the balance below the threshold',
    description:
      'One charge per crossing, at most AUTO_TOP_UP_MAX_PER_DAY per UTC day; a failed charge turns auto top-up off (disabledReason) and sends wallet.auto_top_up.failed. Enabling again clears disabledReason. See docs/auto-top-up.md.',
    security,
    request: { params: workspace, headers: idempotencyHeaders, body: body(autoTopUpSettingsSchema) },
    responses: {
      200: json(autoTopUpViewSchema, 'The settings as saved'),
      400: problem('Validation failed (every offending field listed); nothing saved'),
      401: problem('Missing or wrong token'),
      409: problem(reused),
    },
  });
  registerPath({
    method: 'get',
    path: '/v1/workspaces/{workspaceId}/wallet/auto-top-up',
    summary: 'Auto top-up settings, whether a card is saved, why the engine turned it off, and charges today',
    security,
    request: { params: workspace },
    responses: { 200: json(autoTopUpViewSchema, 'Never set: enabled false with zeros'), 400: problem('Invalid workspace id'), 401: problem('Missing or wrong token') },
  });
  registerPath({
    method: 'put',
    path: '/v1/workspaces/{workspaceId}/spend-controls',
    summary: 'Business team spend controls: monthly cap, alert thresholds, alert or block at the cap',
    security,
    request: { params: workspace, body: body(spendControlsSchema) },
    responses: { 200: { description: 'The controls and this month\'s spend state' }, 400: problem('Validation failed'), 409: problem('not_available_on_plan') },
  });
  registerPath({
    method: 'get',
    path: '/v1/workspaces/{workspaceId}/spend-controls',
    summary: "Business oversight: the spend controls, this month's spend, the alerts fired and whether the cap blocks",
    description:
      'Read from the tables the wallet workflow keeps. A workspace without controls (never set, or not Business) answers controls: null, remainingCents: null, capBlocks: false, with its spend; an unknown workspace is Essential with nothing spent.',
    security,
    request: { params: workspace },
    responses: { 200: json(spendOversightSchema, 'Controls, spend and alerts of the current UTC month'), 400: problem('Invalid workspace id'), 401: problem('Missing or wrong token') },
  });
  registerPath({
    method: 'get',
    path: '/v1/operator/notifications',
    summary: 'Operator: outbound webhook notifications, newest first, with every delivery attempt',
    security: operatorSecurity,
    request: { query: notificationListQuerySchema },
    responses: {
      200: json(notificationListSchema, 'Notifications (status pending, delivered, failed or not_sent) with their attempt logs'),
      400: problem('validation_failed: an unknown status or type, a bad workspace id, limit or cursor'),
      401: problem('Operator token required'),
    },
  });
  registerPath({
    method: 'post',
    path: '/v1/operator/notifications/{notificationId}/redeliver',
    summary: 'Operator: send a notification again — a new round of attempts, due now, with the same webhook-id',
    security: operatorSecurity,
    request: { params: z.object({ notificationId: notificationIdSchema }), headers: idempotencyHeaders },
    responses: {
      202: json(notificationViewSchema, 'Pending again (round + 1, attempts 0); the worker sends it at once. A retry with the same Idempotency-Key gets this answer again instead of another round'),
      400: problem('validation_failed: not a notification id, or a bad Idempotency-Key'),
      401: problem('Operator token required'),
      404: problem('notification_not_found'),
      409: problem(`notification_in_flight: an attempt is being made right now; or ${reused}`),
    },
  });
  registerPath({
    method: 'post',
    path: '/v1/operator/workspaces/{workspaceId}/credits',
    summary: 'Operator: grant custom credit to the wallet, with a reason (recorded in the ledger)',
    security: operatorSecurity,
    request: { params: workspace, headers: idempotencyHeaders, body: body(grantCreditRequestSchema) },
    responses: { 201: { description: 'Granted' }, 200: { description: 'That reference was already granted' }, 401: problem('Operator token required'), 409: problem(reused) },
  });
  registerPath({
    method: 'get',
    path: '/v1/operator/sales-leads',
    summary: 'Operator: Enterprise requests refused by self-serve checkout, newest first',
    security: operatorSecurity,
    request: { query: z.object({ limit: z.number().int().min(1).max(200).optional() }) },
    responses: { 200: { description: '{ leads: [{ id, workspaceId, email, planId, interval, source, createdAt }] }' }, 401: problem('Operator token required') },
  });
  registerPath({
    method: 'get',
    path: '/v1/operator/guest-checkouts',
    summary: 'Operator: guest checkouts — by default the paid ones nobody claimed (flagged first)',
    security: operatorSecurity,
    request: { query: guestCheckoutListQuerySchema },
    responses: { 200: { description: '{ guestCheckouts: [{ checkoutId, email, planId, interval, status, flagged, stripe, paidAt, flaggedAt, claimedWorkspaceId, … }] }' }, 401: problem('Operator token required') },
  });
  registerPath({
    method: 'put',
    path: '/v1/operator/workspaces/{workspaceId}/contract-prices',
    summary: 'Operator: Enterprise contract prices per request family (cents per 1,000 requests)',
    security: operatorSecurity,
    request: { params: workspace, body: body(contractPricesSchema) },
    responses: { 200: { description: 'Saved' }, 409: problem('not_available_on_plan') },
  });
  registerPath({
    method: 'put',
    path: '/v1/operator/workspaces/{workspaceId}/invoicing',
    summary: 'Operator: Enterprise invoicing controls (collection by invoice with net terms)',
    security: operatorSecurity,
    request: { params: workspace, body: body(invoicingControlsSchema) },
    responses: { 200: { description: 'Applied to the Stripe subscription' }, 409: problem('no_active_subscription or not_available_on_plan') },
  });
  const operatorActions: [string, string, z.ZodType][] = [
    ['grace/extend', 'Operator: move the grace window\'s end later (byMs or untilMs); an expired window extended into the future opens again', extendGraceBodySchema],
    ['grace/end', 'Operator: end the grace window as forgiven (no window, no block until newer delinquency evidence)', operatorActionBodySchema],
    ['resync', 'Operator: re-read the subscription and its latest invoice from Stripe and apply them', operatorActionBodySchema],
    ['scheduled-change/cancel', 'Operator: cancel the scheduled plan change', operatorActionBodySchema],
  ];
  for (const [suffix, summary, schema] of operatorActions) {
    registerPath({
      method: 'post',
      path: `/v1/operator/workspaces/{workspaceId}/${suffix}`,
      summary,
      description: 'A validated Update on the workspace workflow with a required reason and a request id (the body\'s requestId, else the one the Idempotency-Key maps to, else random; a repeated request id is applied once); recorded in operator_audit with actor operator-api. Answers the action, what it did and the resulting state summary.',
      security: operatorSecurity,
      request: { params: workspace, headers: idempotencyHeaders, body: body(schema) },
      responses: {
        200: json(operatorActionResultSchema, 'The action, what it did and the resulting state summary'),
        400: problem('validation_failed (a reason of at least 3 characters is required)'),
        404: problem('workspace_not_found or no_pending_change'),
        409: problem(`no_grace_window, no_active_subscription, or ${reused}`),
      },
    });
  }
  registerPath({
    method: 'get',
    path: '/v1/operator/workspaces/{workspaceId}/timeline',
    summary: 'Operator: why the workspace is in its state — the ordered facts and decisions behind it',
    description:
      'Built from the histories of workspace/{id} and wallet/{id} (back through continue-as-new) and the stripe_event, operator_audit, wallet_entry, ' +
      'dunning_reminder, spend_alert and sales_lead tables. Each entry: time, kind, one line, and its source (workflow id + run + event id, Stripe event id, table rows). ' +
      'Bounded: the newest `limit` entries in [from, to), oldest first; `truncated` says older ones exist. Reads only.',
    security: operatorSecurity,
    request: { params: workspace, query: timelineQuerySchema },
    responses: {
      200: json(timelineSchema, 'The timeline'),
      400: problem('validation_failed: invalid workspace id, limit, from or to (every offending field listed)'),
      401: problem('Operator token required'),
      404: problem('workspace_not_found: no workflow and no billing record of this workspace'),
      503: problem('temporal_unavailable or database_unavailable'),
    },
  });
  registerPath({
    method: 'post',
    path: '/v1/operator/backtests',
    summary: 'Operator: re-rate recorded usage under a proposed rate card, per workspace and in total, exact to the cent',
    description:
      'Usage (usage_event, by occurredAt in [from, to)) is rated with the engine\'s own exact rating, current and proposed, in one read-only transaction, ' +
      'page by page. Enterprise contract prices stay in force under the proposal; each workspace starts from a zero carry and reports the remainder below one cent. ' +
      'Plan prices, when proposed, are compared per billing period for self-serve subscriptions. Writes nothing.',
    security: operatorSecurity,
    request: { body: body(backtestRequestSchema) },
    responses: {
      200: json(backtestResultSchema, 'Current, proposed and difference in cents, per workspace and in total'),
      400: problem('validation_failed: every offending field listed, e.g. body.rates.requestFamilies.wafx'),
      401: problem('Operator token required'),
      404: problem('workspace_not_found: the workspaceId has no billing record and no recorded usage'),
      500: problem('internal_error: a recorded usage event cannot be rated (unknown family or environment)'),
      503: problem('database_unavailable'),
    },
  });
  registerPath({
    method: 'post',
    path: '/webhooks/stripe',
    summary: 'Stripe webhook endpoint (raw body, Stripe-Signature verified)',
    request: { headers: z.object({ 'stripe-signature': z.string() }) },
    responses: {
      200: json(webhookResponseSchema, 'Accepted: delivered, duplicate, ignored or unroutable'),
      400: problem('invalid_signature or malformed_event'),
      503: problem('Not recorded: Stripe retries'),
    },
  });
  registerPath({ method: 'get', path: '/healthz', summary: 'Process alive', responses: { 200: { description: 'ok' } } });
  registerPath({
    method: 'get',
    path: '/readyz',
    summary: 'Database and Temporal reachable',
    responses: { 200: { description: 'ready' }, 503: { description: 'not ready' } },
  });

  // Outbound webhooks: what the engine POSTs to OUTBOUND_WEBHOOK_URL (Standard Webhooks).
  const webhookHeaders = z.object({
    'webhook-id': z.string().describe('The notification id: the same on every retry and redelivery — deduplicate by it'),
    'webhook-timestamp': z.string().describe('Seconds since the epoch when this attempt was signed'),
    'webhook-signature': z.string().describe('v1,<base64 HMAC-SHA256 of "webhook-id.webhook-timestamp.body"> with the key of OUTBOUND_WEBHOOK_SECRET'),
  });
  for (const type of NOTIFICATION_TYPES) {
    registry.registerWebhook({
      method: 'post',
      path: type,
      summary: notificationDataSchemas[type].description ?? type,
      description:
        'Signed per the Standard Webhooks specification; delivered at least once (retried with bounded exponential backoff until a 2xx answer). Answer 2xx quickly; any other answer or a timeout is retried.',
      request: { headers: webhookHeaders, body: body(notificationEnvelopeSchemas[type]) },
      responses: {
        200: { description: 'Any 2xx acknowledges the notification' },
        default: { description: 'Anything else (or no answer within OUTBOUND_WEBHOOK_TIMEOUT) is retried; after the last attempt the notification is failed' },
      },
    });
  }

  return new OpenApiGeneratorV31(registry.definitions).generateDocument({
    openapi: '3.1.0',
    info: { title: 'Subscription lifecycle engine', version: '1', description: 'Plans, checkout and billing state of workspaces.' },
  });
}

const DOCS_PAGE = `<!doctype html>
<html><head><meta charset="utf-8"><title>Billing engine API</title>
<link rel="stylesheet" href="/docs/assets/swagger-ui.css"></head>
<body><div id="ui"></div><script src="/docs/assets/swagger-ui-bundle.js"></script>
<script src="/docs/init.js"></script></body></html>`;

export function docsRouter(document: ReturnType<typeof openApiDocument> = openApiDocument()): Router {
  const router = Router();
  router.get('/openapi.json', (_req, res) => {
    res.json(document);
  });
  router.get('/docs', (_req, res) => {
    res.type('html').send(DOCS_PAGE);
  });
  router.get('/docs/init.js', (_req, res) => {
    res.type('js').send("window.ui = SwaggerUIBundle({ url: '/openapi.json', dom_id: '#ui' });");
  });
  router.use('/docs/assets', express.static(path.dirname(require.resolve('swagger-ui-dist/package.json')), { index: false }));
  return router;
}
