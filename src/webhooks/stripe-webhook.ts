// Stripe webhook intake: verify the signature on the raw body, translate the
// event into a billing fact, find its workspace, record the event id
// durably, signal the workspace workflow, mark the event delivered.
//
// Exactly-once: a row is written before the signal and marked delivered
// after it. A redelivery of a delivered event is a no-op (200); a redelivery
// of an event whose signal failed is signalled again, and the workflow
// itself ignores an event id it has already applied. Anything that prevents
// recording or signalling raises a 5xx so Stripe retries.
import type { PrismaClient } from '@prisma/client';
import Stripe from 'stripe';
import type { StripeFact } from '../domain/billing-facts';
import { DomainError } from '../domain/errors';
import { factFromEvent, MalformedEventError, routeEvent, stripeEventEnvelope, type EventRouting } from '../domain/stripe-events';
import { workflowIdFor } from '../../workflows/definitions';
import { guestWorkflowIdFor } from '../../workflows/guest-definitions';
import { claimedWorkspaceOf, targetOf } from './event-targets';

export interface WebhookDeps {
  prisma: PrismaClient;
  stripe: Stripe;
  webhookSecret: string;
  workspaces: {
    deliverFact(workspaceId: string, fact: StripeFact): Promise<void>;
    /** False when the guest checkout's workflow is no longer running. */
    deliverGuestFact(checkoutId: string, fact: StripeFact): Promise<boolean>;
  };
  /** stripe_webhook_events_total{type,outcome} (src/api/metrics.ts); optional. */
  metrics?: { webhookEvents: { inc(labels: { type: string; outcome: string }): void } };
  /** Failures are logged here with stripeEventId, type, workspaceId and workflowId; optional. */
  log?: { warn(obj: object, msg: string): void };
}

export type WebhookOutcome =
  | { outcome: 'delivered' | 'duplicate'; eventId: string; type: string; workspaceId: string }
  | { outcome: 'delivered' | 'duplicate'; eventId: string; type: string; guestCheckoutId: string }
  | { outcome: 'ignored' | 'unroutable'; eventId: string; type: string };

function verifiedJson(deps: WebhookDeps, rawBody: Buffer, signature: string | undefined): unknown {
  if (!signature) throw new DomainError('invalid_signature', 'The Stripe-Signature header is missing.');
  try {
    deps.stripe.webhooks.signature!.verifyHeader(rawBody, signature, deps.webhookSecret);
  } catch (err) {
    if (err instanceof Stripe.errors.StripeSignatureVerificationError) {
      throw new DomainError('invalid_signature', 'The Stripe-Signature header does not match the body.');
    }
    throw err;
  }
  try {
    return JSON.parse(rawBody.toString('utf8'));
  } catch {
    throw new DomainError('malformed_event', 'The body is not valid JSON.');
  }
}

async function database<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    throw new DomainError('database_unavailable', 'The event could not be recorded; Stripe should retry.', {
      cause: err instanceof Error ? err.message : String(err),
    });
  }
}

/** The fields every log line about this event carries. */
export function webhookLogFields(outcome: { eventId: string; type: string; workspaceId?: string; guestCheckoutId?: string }) {
  return {
    stripeEventId: outcome.eventId,
    type: outcome.type,
    ...(outcome.workspaceId ? { workspaceId: outcome.workspaceId, workflowId: workflowIdFor(outcome.workspaceId) } : {}),
    ...(outcome.guestCheckoutId ? { guestCheckoutId: outcome.guestCheckoutId, workflowId: guestWorkflowIdFor(outcome.guestCheckoutId) } : {}),
  };
}

export async function ingestStripeWebhook(deps: WebhookDeps, rawBody: Buffer, signature: string | undefined): Promise<WebhookOutcome> {
  let event: StripeEventEnvelope;
  try {
    const json = verifiedJson(deps, rawBody, signature);
    const parsed = stripeEventEnvelope.safeParse(json);
    if (!parsed.success) throw new DomainError('malformed_event', 'The body is not a Stripe event.');
    event = parsed.data;
  } catch (err) {
    // Unverified bodies never name a label value: their type is not trusted.
    deps.metrics?.webhookEvents.inc({ type: 'unknown', outcome: 'rejected' });
    throw err;
  }
  const progress: { workspaceId?: string } = {};
  try {
    const result = await processEvent(deps, event, progress);
    deps.metrics?.webhookEvents.inc({ type: event.type, outcome: result.outcome });
    return result;
  } catch (err) {
    const rejected = err instanceof DomainError && err.code === 'malformed_event';
    deps.metrics?.webhookEvents.inc({ type: event.type, outcome: rejected ? 'rejected' : 'failed' });
    deps.log?.warn(
      { ...webhookLogFields({ eventId: event.id, type: event.type, workspaceId: progress.workspaceId }), err },
      'stripe webhook not processed',
    );
    throw err;
  }
}

type StripeEventEnvelope = ReturnType<typeof stripeEventEnvelope.parse>;

async function processEvent(deps: WebhookDeps, event: StripeEventEnvelope, progress: { workspaceId?: string }): Promise<WebhookOutcome> {
  let fact: StripeFact | null;
  let routing: EventRouting;
  try {
    fact = factFromEvent(event);
    routing = routeEvent(event);
  } catch (err) {
    if (err instanceof MalformedEventError) throw new DomainError('malformed_event', err.message);
    throw err;
  }
  const base = { eventId: event.id, type: event.type };
  if (!fact) return { ...base, outcome: 'ignored' };

  const { prisma } = deps;
  const target = await database(() => targetOf(prisma, routing));
  /** The event's row, written once (a redelivery finds it, delivered or not). */
  const record = (fields: { outcome: string; workspaceId?: string; guestCheckoutId?: string }) =>
    database(() =>
      prisma.stripeEvent.upsert({
        where: { id: event.id },
        create: { id: event.id, type: event.type, createdAt: new Date(event.created * 1000), ...fields },
        update: {},
      }),
    );
  if (!target) {
    await record({ outcome: 'unroutable' });
    return { ...base, outcome: 'unroutable' };
  }
  const markDelivered = (data: { workspaceId?: string; outcome?: string } = {}) =>
    database(() => prisma.stripeEvent.update({ where: { id: event.id }, data: { deliveredAt: new Date(), outcome: 'delivered', ...data } }));

  const toWorkspace = async (workspaceId: string): Promise<WebhookOutcome> => {
    progress.workspaceId = workspaceId;
    await deps.workspaces.deliverFact(workspaceId, fact);
    await markDelivered({ workspaceId });
    return { ...base, outcome: 'delivered', workspaceId };
  };

  if (target.kind === 'workspace') {
    const { workspaceId } = target;
    progress.workspaceId = workspaceId;
    const recorded = await record({ outcome: 'received', workspaceId });
    if (recorded.deliveredAt) return { ...base, outcome: 'duplicate', workspaceId };
    return toWorkspace(workspaceId);
  }

  const { checkoutId } = target;
  const recorded = await record({ outcome: 'received', guestCheckoutId: checkoutId });
  if (recorded.deliveredAt) return { ...base, outcome: 'duplicate', guestCheckoutId: checkoutId };
  if (await deps.workspaces.deliverGuestFact(checkoutId, fact)) {
    await markDelivered();
    return { ...base, outcome: 'delivered', guestCheckoutId: checkoutId };
  }
  // The guest workflow ended: a claimed checkout's events go to its workspace; a lapsed one's change nothing.
  const claimedBy = await database(() => claimedWorkspaceOf(prisma, checkoutId));
  if (claimedBy) return toWorkspace(claimedBy);
  await markDelivered({ outcome: 'guest_checkout_closed' });
  return { ...base, outcome: 'ignored' };
}
