// Stripe webhook intake: verify the signature on the raw body, translate the
// event into a billing fact, find its workflow, and record the event with
// its fact in ONE statement (webhook-outbox.ts). The answer is sent once the
// event is durably recorded; the relay (webhook-relay.ts) signals it to the
// workflow, in order per target, at least once, and marks it delivered.
//
// Exactly-once: the event id is the row's key, so a redelivery finds the row
// and is answered `duplicate` (whether or not the relay has signalled it
// yet: it will); the workflow ignores an event id it has already applied,
// which covers a relay that signals again after a restart. A database that
// cannot record the event raises a 5xx so Stripe retries; Temporal being
// down does not: the event waits in the table until it can be signalled.
import type { PrismaClient } from '@prisma/client';
import Stripe from 'stripe';
import type { StripeFact } from '../domain/billing-facts';
import { DomainError } from '../domain/errors';
import { factFromEvent, MalformedEventError, routeEvent, stripeEventEnvelope, type EventRouting } from '../domain/stripe-events';
import { workflowIdFor } from '../../workflows/definitions';
import { guestWorkflowIdFor } from '../../workflows/guest-definitions';
import { targetOf } from './event-targets';
import { recordPending, recordUnroutable } from './webhook-outbox';

export interface WebhookDeps {
  prisma: PrismaClient;
  stripe: Stripe;
  webhookSecret: string;
  /** The task queue whose relay signals what this intake records (TEMPORAL_TASK_QUEUE). */
  taskQueue: string;
  /** This process's relay, woken after each recorded event (the NOTIFY wakes the active one wherever it runs). */
  relay?: { poke(): void };
  /** stripe_webhook_events_total{type,outcome} (src/api/metrics.ts); optional. */
  metrics?: { webhookEvents: { inc(labels: { type: string; outcome: string }): void } };
  /** Failures are logged here with stripeEventId, type, workspaceId and workflowId; optional. */
  log?: { warn(obj: object, msg: string): void };
}

export type WebhookOutcome =
  | { outcome: 'accepted' | 'duplicate'; eventId: string; type: string; workspaceId: string }
  | { outcome: 'accepted' | 'duplicate'; eventId: string; type: string; guestCheckoutId: string }
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
  if (!target) {
    await database(() => recordUnroutable(prisma, event));
    return { ...base, outcome: 'unroutable' };
  }
  const where =
    target.kind === 'workspace'
      ? { workspaceId: target.workspaceId, guestCheckoutId: null }
      : { workspaceId: null, guestCheckoutId: target.checkoutId };
  progress.workspaceId = where.workspaceId ?? undefined;
  const recorded = await database(() => recordPending(prisma, event, where, fact, deps.taskQueue));
  if (recorded) deps.relay?.poke();
  const outcome = recorded ? ('accepted' as const) : ('duplicate' as const);
  return target.kind === 'workspace'
    ? { ...base, outcome, workspaceId: target.workspaceId }
    : { ...base, outcome, guestCheckoutId: target.checkoutId };
}
