// Checkout and wallet top-up handlers of the workspace entity. Stripe
// idempotency keys and top-up ids come from the request id the API derived
// from the request's Idempotency-Key (or drew at random), so a retried
// request — also after a reset or a fresh run — names the same Stripe object.
// Requests from API versions that sent no request id fall back to the
// entity's sequence numbers.
import { openCheckout, type OpenCheckout } from '../src/domain/billing-state';
import { decideCheckout } from '../src/domain/checkout-rules';
import type { CheckoutCommand, TopUpCommand } from '../src/domain/schemas';
import type { CheckoutResult, TopUpResult } from './definitions';
import type { WorkspaceEntity } from './workspace-entity';
import { billing, durable, reject, rethrowActivityFailure } from './workflow-support';

const iso = (ms: number) => new Date(ms).toISOString();

/** Whole seconds (Stripe's unit), chosen by the workflow so a retried call sends identical parameters. */
export function sessionExpiry(entity: WorkspaceEntity): number {
  return Math.floor((Date.now() + entity.settings!.checkoutTtlMs) / 1000) * 1000;
}

/** The workspace's Stripe customer, created once (same idempotency key whoever asks first). */
export async function ensureCustomer(entity: WorkspaceEntity, email?: string): Promise<string> {
  const customerId =
    entity.state.customerId ??
    (await billing
      .ensureStripeCustomer({ workspaceId: entity.workspaceId, email, idempotencyKey: `${entity.workflowId}:customer` })
      .catch(rethrowActivityFailure));
  const state = entity.state;
  if (state.customerId !== customerId) entity.state = { ...state, customerId, version: state.version + 1 };
  return customerId;
}

export async function startCheckout(entity: WorkspaceEntity, request: CheckoutCommand): Promise<CheckoutResult> {
  const { workspaceId, workflowId } = entity;
  const decision = decideCheckout(entity.state, request, Date.now());
  if (decision.kind === 'reject' && decision.code === 'sales_assisted') {
    // Enterprise never goes through self-serve checkout: keep the interest as a sales lead.
    const seq = entity.state.checkoutSeq + 1;
    entity.state = { ...entity.state, checkoutSeq: seq };
    await durable.recordSalesLead({
      requestId: `${workflowId}:checkout:${request.requestId ?? seq}:lead`,
      workspaceId,
      email: request.email ?? null,
      planId: request.planId,
      interval: request.interval,
      source: 'checkout',
    });
  }
  if (decision.kind === 'reject') reject(decision.code, decision.message, decision.details);
  if (decision.kind === 'reuse') {
    const c = decision.checkout;
    return { checkoutId: c.id, url: c.url, expiresAt: iso(c.expiresAt), created: false };
  }
  const seq = entity.state.checkoutSeq + 1;
  // Reserve the sequence number first: a failed attempt never reuses its key with other parameters.
  entity.state = { ...entity.state, checkoutSeq: seq };
  const customerId = await ensureCustomer(entity, request.email);
  const created = await billing
    .createCheckoutSession({
      workspaceId,
      customerId,
      planId: request.planId,
      interval: request.interval,
      successUrl: request.successUrl,
      cancelUrl: request.cancelUrl,
      expiresAt: sessionExpiry(entity),
      idempotencyKey: `${workflowId}:checkout:${request.requestId ?? seq}`,
    })
    .catch(rethrowActivityFailure);
  const checkout: OpenCheckout = {
    id: created.checkoutId,
    url: created.url,
    expiresAt: created.expiresAt,
    planId: request.planId,
    interval: request.interval,
  };
  entity.state = { ...openCheckout(entity.state, checkout, customerId), checkoutSeq: seq };
  entity.armCheckoutExpiry(checkout);
  await entity.persist();
  return { checkoutId: checkout.id, url: checkout.url, expiresAt: iso(checkout.expiresAt), created: true };
}

/** The top-up id: from the request id (stable across retries, resets and fresh runs), else the legacy sequence. */
export function topUpIdFor(workspaceId: string, requestId: string | undefined, seq: number): string {
  return requestId ? `tu_${requestId}` : `tu_${workspaceId}_${seq}`;
}

export async function startTopUp(entity: WorkspaceEntity, request: TopUpCommand): Promise<TopUpResult> {
  const { workspaceId, workflowId } = entity;
  const seq = entity.state.topUpSeq + 1;
  entity.state = { ...entity.state, topUpSeq: seq };
  const customerId = await ensureCustomer(entity);
  const created = await billing
    .createTopUpCheckout({
      workspaceId,
      customerId,
      topUpId: topUpIdFor(workspaceId, request.requestId, seq),
      amountCents: request.amountCents,
      successUrl: request.successUrl,
      cancelUrl: request.cancelUrl,
      expiresAt: sessionExpiry(entity),
      idempotencyKey: `${workflowId}:top-up:${request.requestId ?? seq}`,
    })
    .catch(rethrowActivityFailure);
  await entity.persist();
  return { topUpId: created.topUpId, checkoutId: created.checkoutId, url: created.url, expiresAt: iso(created.expiresAt) };
}
