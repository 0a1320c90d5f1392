// The moves the demo makes, each as the product app, an operator or Stripe
// would make it, and each safe to repeat:
//   - Stripe events carry ids derived from the workspace and the step, so a
//     second delivery is acknowledged as a duplicate and changes nothing;
//   - POSTs send an Idempotency-Key derived the same way;
//   - what cannot be keyed yet (a new checkout, a top-up, a plan change) is
//     skipped when /billing or the wallet already shows it done, as an app
//     would not offer it again;
//   - usage event ids and credit references are fixed per workspace.
import type { BillingView } from '../../src/domain/projection';
import type { GuestCheckoutListItem } from '../../src/read-model/guest-checkouts-reader';
import { PLANS, lookupKey, type Interval, type PlanId, type RequestFamily } from '../../src/domain/plans';
import {
  checkoutSessionObject,
  eventPayload,
  invoiceObject,
  paymentIntentObject,
  subscriptionObject,
} from '../lib/stripe-payloads';
import type { EngineClient } from './engine-client';

export interface DemoContext {
  client: EngineClient;
  /** Start of this run (epoch ms): every event time of the run is derived from it. */
  nowMs: number;
  /** The engine's BILLING_GRACE_PERIOD, as far as the demo knows it. */
  gracePeriodMs: number;
  progress(message: string): void;
}

export const DAY_MS = 86_400_000;
const RETURN_URLS = { successUrl: 'https://app.example.com/billing/done', cancelUrl: 'https://app.example.com/pricing' };

const seconds = (ms: number) => Math.floor(ms / 1000);

/** Stripe ids of a demo workspace's objects: fixed, so every run names the same objects. */
export function stripeIdsOf(workspaceId: string) {
  const p = workspaceId.replace(/[^A-Za-z0-9]/g, '_');
  return {
    customer: `cus_${p}`,
    subscription: `sub_${p}`,
    item: `si_${p}`,
    price: `price_${p}`,
    invoice: (n: number) => `in_${p}_${n}`,
    event: (step: string) => `evt_${p}_${step}`,
    paymentIntent: (step: string) => `pi_${p}_${step}`,
  };
}

export function billing(ctx: DemoContext, workspaceId: string): Promise<BillingView> {
  return ctx.client.request<BillingView>('GET', `/v1/workspaces/${workspaceId}/billing`).then((r) => r.body);
}

const isSubscribed = (b: BillingView) => b.status === 'active' || b.status === 'past_due';

function planPrice(planId: PlanId, interval: Interval, contractCents?: number): number {
  return contractCents ?? PLANS[planId].prices?.[interval] ?? 0;
}

const periodMs = (interval: Interval) => (interval === 'year' ? 365 : 30) * DAY_MS;

interface SubscriptionPlan {
  planId: PlanId;
  interval: Interval;
  /** A contract price without a public lookup key (Enterprise); the plan then comes from metadata. */
  contractCents?: number;
}

/** What the engine writes on the objects it creates for a workspace (a guest checkout's say `guestCheckoutId` instead). */
const workspaceMetadata = (workspaceId: string, plan: SubscriptionPlan) => ({ workspaceId, planId: plan.planId, interval: plan.interval });

function subscriptionEventObject(
  workspaceId: string,
  plan: SubscriptionPlan,
  customerId: string,
  status: string,
  startMs: number,
  metadata: Record<string, string> = workspaceMetadata(workspaceId, plan),
) {
  const ids = stripeIdsOf(workspaceId);
  return subscriptionObject({
    id: ids.subscription,
    customerId,
    status,
    metadata,
    itemId: ids.item,
    priceId: ids.price,
    lookupKey: plan.contractCents === undefined ? lookupKey(plan.planId, plan.interval) : null,
    interval: plan.interval,
    periodStart: seconds(startMs),
    periodEnd: seconds(startMs + periodMs(plan.interval)),
  });
}

function subscriptionInvoice(
  workspaceId: string,
  plan: SubscriptionPlan,
  customerId: string,
  n: number,
  status: 'paid' | 'open',
  billingReason: string,
  metadata: Record<string, string> = workspaceMetadata(workspaceId, plan),
) {
  const ids = stripeIdsOf(workspaceId);
  return invoiceObject({
    id: ids.invoice(n),
    customerId,
    subscriptionId: ids.subscription,
    subscriptionMetadata: metadata,
    status,
    amountDueCents: planPrice(plan.planId, plan.interval, plan.contractCents),
    billingReason,
    ...(status === 'open' ? { attempted: true } : {}),
  });
}

async function deliver(ctx: DemoContext, id: string, type: string, atMs: number, object: Record<string, unknown>): Promise<void> {
  await ctx.client.deliver(eventPayload(id, type, seconds(atMs), object));
}

/**
 * The product app opens a hosted checkout; Stripe then reports it completed,
 * the subscription created and its first invoice paid. Skipped for a
 * workspace that is already subscribed.
 */
export async function subscribeThroughCheckout(ctx: DemoContext, workspaceId: string, plan: SubscriptionPlan): Promise<void> {
  if (isSubscribed(await billing(ctx, workspaceId))) return;
  ctx.progress(`${workspaceId}: checkout for ${plan.planId} (${plan.interval}), paid`);
  const ids = stripeIdsOf(workspaceId);
  const { body: checkout } = await ctx.client.request<{ checkoutId: string }>('POST', `/v1/workspaces/${workspaceId}/checkout`, {
    body: { planId: plan.planId, interval: plan.interval, ...RETURN_URLS },
    idempotencyKey: `${workspaceId}:checkout`,
  });
  // The session belongs to the customer the workflow created for it.
  const open = await ctx.client.until(`${workspaceId}'s checkout`, () => billing(ctx, workspaceId), (b) => b.checkout?.checkoutId === checkout.checkoutId || isSubscribed(b));
  const customerId = open.stripe?.customerId ?? ids.customer;
  const at = ctx.nowMs;
  await deliver(ctx, ids.event('checkout_completed'), 'checkout.session.completed', at, checkoutSessionObject({
    id: checkout.checkoutId,
    mode: 'subscription',
    customerId,
    subscriptionId: ids.subscription,
    clientReferenceId: workspaceId,
    metadata: workspaceMetadata(workspaceId, plan),
    expiresAt: seconds(at + DAY_MS),
  }));
  await deliver(ctx, ids.event('subscription_created'), 'customer.subscription.created', at + 1000, subscriptionEventObject(workspaceId, plan, customerId, 'active', at));
  await deliver(ctx, ids.event('invoice_1_paid'), 'invoice.paid', at + 2000, subscriptionInvoice(workspaceId, plan, customerId, 1, 'paid', 'subscription_create'));
  await waitForPlan(ctx, workspaceId, plan.planId);
}

/**
 * A subscription Stripe already had before this run (sold by sales, or
 * started long ago): only Stripe's events, dated `startedAtMs`. Repeating
 * them is harmless (duplicates).
 */
export async function subscriptionFromStripe(ctx: DemoContext, workspaceId: string, plan: SubscriptionPlan, startedAtMs: number): Promise<void> {
  const ids = stripeIdsOf(workspaceId);
  if ((await billing(ctx, workspaceId)).stripe?.subscriptionId === ids.subscription) return;
  ctx.progress(`${workspaceId}: ${plan.planId} (${plan.interval}) subscription since ${new Date(startedAtMs).toISOString().slice(0, 10)}`);
  await deliver(ctx, ids.event('subscription_created'), 'customer.subscription.created', startedAtMs, subscriptionEventObject(workspaceId, plan, ids.customer, 'active', startedAtMs));
  await deliver(ctx, ids.event('invoice_1_paid'), 'invoice.paid', startedAtMs + 1000, subscriptionInvoice(workspaceId, plan, ids.customer, 1, 'paid', 'subscription_create'));
  await waitForPlan(ctx, workspaceId, plan.planId);
}

/**
 * The renewal at `failedAtMs` fails: Stripe reports the invoice's failed
 * payment and the subscription past_due. The grace window starts at that
 * time (the earliest evidence), so a date far enough back yields a window
 * that has already ended.
 */
export async function renewalFails(ctx: DemoContext, workspaceId: string, plan: SubscriptionPlan, failedAtMs: number): Promise<void> {
  const ids = stripeIdsOf(workspaceId);
  if ((await billing(ctx, workspaceId)).unpaidInvoice?.id === ids.invoice(2)) return;
  ctx.progress(`${workspaceId}: renewal payment failed on ${new Date(failedAtMs).toISOString().slice(0, 16)}Z`);
  await deliver(ctx, ids.event('invoice_2_payment_failed'), 'invoice.payment_failed', failedAtMs, subscriptionInvoice(workspaceId, plan, ids.customer, 2, 'open', 'subscription_cycle'));
  await deliver(ctx, ids.event('subscription_past_due'), 'customer.subscription.updated', failedAtMs + 1000, subscriptionEventObject(workspaceId, plan, ids.customer, 'past_due', failedAtMs));
  await ctx.client.until(`${workspaceId} past due`, () => billing(ctx, workspaceId), (b) => b.status === 'past_due' && b.grace !== null);
}

async function waitForPlan(ctx: DemoContext, workspaceId: string, planId: PlanId): Promise<void> {
  await ctx.client.until(`${workspaceId} on ${planId}`, () => billing(ctx, workspaceId), (b) => b.plan.id === planId && isSubscribed(b));
}

interface LedgerEntry {
  sourceType: string;
  amountCents: number;
}
interface Wallet {
  balanceCents: number;
  entries: LedgerEntry[];
}

export function wallet(ctx: DemoContext, workspaceId: string): Promise<Wallet> {
  return ctx.client.request<Wallet>('GET', `/v1/workspaces/${workspaceId}/wallet?limit=100`).then((r) => r.body);
}

/**
 * The app starts a wallet top-up (hosted Checkout in payment mode) and Stripe
 * reports it paid, twice as it does (session completed, payment intent
 * succeeded): credited once. Skipped when the wallet already shows a top-up.
 */
export async function topUp(ctx: DemoContext, workspaceId: string, amountCents: number): Promise<void> {
  if ((await wallet(ctx, workspaceId)).entries.some((e) => e.sourceType === 'top_up')) return;
  ctx.progress(`${workspaceId}: wallet top-up of $${(amountCents / 100).toFixed(2)}`);
  const ids = stripeIdsOf(workspaceId);
  const { body: started } = await ctx.client.request<{ topUpId: string; checkoutId: string }>('POST', `/v1/workspaces/${workspaceId}/wallet/top-ups`, {
    body: { amountCents, ...RETURN_URLS },
    idempotencyKey: `${workspaceId}:top-up:1`,
  });
  const metadata = { workspaceId, kind: 'wallet_top_up', topUpId: started.topUpId };
  const at = ctx.nowMs + 5000;
  await deliver(ctx, ids.event('top_up_1_completed'), 'checkout.session.completed', at, checkoutSessionObject({
    id: started.checkoutId,
    mode: 'payment',
    customerId: null,
    subscriptionId: null,
    clientReferenceId: workspaceId,
    metadata,
    amountTotalCents: amountCents,
    expiresAt: seconds(at + DAY_MS),
  }));
  await deliver(ctx, ids.event('top_up_1_succeeded'), 'payment_intent.succeeded', at + 1000, paymentIntentObject({
    id: ids.paymentIntent('top_up_1'),
    customerId: null,
    amountCents,
    metadata,
  }));
  await ctx.client.until(`${workspaceId}'s top-up credited`, () => wallet(ctx, workspaceId), (w) => w.entries.some((e) => e.sourceType === 'top_up'));
}

export const hasOperatorGrant = (w: Wallet) => w.entries.some((e) => e.sourceType === 'operator_grant');

/** An operator's credit grant; the reference makes a repeat grant nothing. */
export async function grantCredit(ctx: DemoContext, workspaceId: string, amountCents: number, reason: string): Promise<void> {
  ctx.progress(`${workspaceId}: operator credit grant of $${(amountCents / 100).toFixed(2)}`);
  await ctx.client.request('POST', `/v1/operator/workspaces/${workspaceId}/credits`, {
    as: 'operator',
    body: { amountCents, reason, reference: `${workspaceId}:opening-credit` },
    idempotencyKey: `${workspaceId}:opening-credit`,
  });
}

export interface DemoUsage {
  /** Unique within the workspace; the event id. */
  key: string;
  projectId: string;
  family: RequestFamily;
  environment: 'production' | 'sandbox' | 'staging' | 'console';
  quantity: number;
}

export const hasUsageDebit = (w: Wallet) => w.entries.some((e) => e.sourceType === 'usage_batch');

/**
 * The gateway reports usage; event ids make a resend count once. Waits
 * until production usage has been rated into the wallet, and is skipped
 * when the wallet already shows it rated (a gateway does not resend a
 * delivered batch either).
 */
export async function reportUsage(ctx: DemoContext, workspaceId: string, events: DemoUsage[]): Promise<void> {
  const production = events.some((e) => e.environment === 'production' && e.quantity > 0);
  if (production && hasUsageDebit(await wallet(ctx, workspaceId))) return;
  ctx.progress(`${workspaceId}: ${events.length} usage events`);
  const occurredAt = new Date(ctx.nowMs).toISOString();
  await ctx.client.request('POST', `/v1/workspaces/${workspaceId}/usage`, {
    body: { events: events.map(({ key, ...e }) => ({ id: `${workspaceId}:${key}`, ...e, occurredAt })) },
  });
  if (production) await ctx.client.until(`${workspaceId}'s usage rated`, () => wallet(ctx, workspaceId), hasUsageDebit);
}

export interface AccessAnswer {
  allowed: boolean;
  reasons: string[];
  graceEndsAt?: string;
}

/** The gateway asks about production traffic of a project; the first allowed ask makes it a production project. */
export async function askAccess(ctx: DemoContext, workspaceId: string, projectId: string): Promise<AccessAnswer> {
  const query = new URLSearchParams({ projectId, environment: 'production' });
  return (await ctx.client.request<AccessAnswer>('GET', `/v1/workspaces/${workspaceId}/access?${query}`)).body;
}

export async function registerProductionProjects(ctx: DemoContext, workspaceId: string, projectIds: string[]): Promise<void> {
  const answers = await Promise.all(projectIds.map((projectId) => askAccess(ctx, workspaceId, projectId)));
  const pending = projectIds.filter((_, i) => !answers[i].allowed);
  if (pending.length === 0) return;
  ctx.progress(`${workspaceId}: production traffic from ${pending.join(', ')}`);
  for (const projectId of pending) {
    // The gate reads the projection through a cache refreshed on change: wait for the wallet credit to show.
    await ctx.client.until(`${workspaceId}/${projectId} allowed in production`, () => askAccess(ctx, workspaceId, projectId), (a) => a.allowed);
  }
}

export const returnUrls = RETURN_URLS;

/** A guest checkout as operators list it (the listing carries the Stripe ids a paid event needs). */
export async function findGuest(ctx: DemoContext, match: (g: GuestCheckoutListItem) => boolean): Promise<GuestCheckoutListItem | undefined> {
  for (const status of ['open', 'paid', 'all']) {
    const { body } = await ctx.client.request<{ guestCheckouts: GuestCheckoutListItem[] }>('GET', `/v1/operator/guest-checkouts?status=${status}&limit=200`, {
      as: 'operator',
    });
    const found = body.guestCheckouts.find(match);
    if (found) return found;
  }
  return undefined;
}

/**
 * A visitor buys with an email (`POST /v1/checkout/guest`; the
 * Idempotency-Key always maps to the same guest checkout) and pays: Stripe
 * reports the subscription, the completed session and the paid invoice, all
 * tagged with the guest checkout id. Returns the guest checkout id; skipped
 * when that email's checkout is already paid.
 */
export async function guestCheckoutPaid(ctx: DemoContext, name: string, plan: SubscriptionPlan): Promise<string> {
  const email = `${name}@example.com`;
  const paid = await findGuest(ctx, (g) => g.email === email && g.status === 'paid');
  if (paid) return paid.checkoutId;
  const { body: link } = await ctx.client.request<{ checkoutId: string }>('POST', '/v1/checkout/guest', {
    body: { email, planId: plan.planId, interval: plan.interval, ...RETURN_URLS },
    idempotencyKey: `${name}:guest-checkout`,
  });
  const mine = (g: GuestCheckoutListItem) => g.checkoutId === link.checkoutId;
  const guest = await ctx.client.until(`guest checkout ${link.checkoutId}`, () => findGuest(ctx, mine), (g) => !!g?.stripe.checkoutSessionId && !!g.stripe.customerId);
  if (guest!.status === 'open') {
    ctx.progress(`${name}: guest checkout ${link.checkoutId} paid by ${email}`);
    const ids = stripeIdsOf(name);
    const customerId = guest!.stripe.customerId!;
    const metadata = { guestCheckoutId: link.checkoutId, planId: plan.planId, interval: plan.interval };
    const at = ctx.nowMs;
    await deliver(ctx, ids.event('subscription_created'), 'customer.subscription.created', at, subscriptionEventObject(name, plan, customerId, 'active', at, metadata));
    await deliver(ctx, ids.event('checkout_completed'), 'checkout.session.completed', at + 1000, checkoutSessionObject({
      id: guest!.stripe.checkoutSessionId!,
      mode: 'subscription',
      customerId,
      subscriptionId: ids.subscription,
      clientReferenceId: link.checkoutId,
      metadata,
      expiresAt: seconds(at + DAY_MS),
    }));
    await deliver(ctx, ids.event('invoice_1_paid'), 'invoice.paid', at + 2000, subscriptionInvoice(name, plan, customerId, 1, 'paid', 'subscription_create', metadata));
  }
  await ctx.client.until(`guest checkout ${link.checkoutId} paid`, () => findGuest(ctx, mine), (g) => g?.status === 'paid');
  return link.checkoutId;
}
