// The demo's workspaces, one per interesting state, each built from the
// steps in ./steps.ts. Workspace ids are `<prefix>-<name>` (prefix `demo`
// unless told otherwise), so every run addresses the same workspaces.
import type { GuestCheckoutListItem } from '../../src/read-model/guest-checkouts-reader';
import { parseDuration } from '../../src/domain/duration';
import {
  askAccess,
  billing,
  DAY_MS,
  grantCredit,
  hasOperatorGrant,
  hasUsageDebit,
  registerProductionProjects,
  renewalFails,
  reportUsage,
  returnUrls,
  stripeIdsOf,
  subscribeThroughCheckout,
  subscriptionFromStripe,
  topUp,
  wallet,
  type DemoContext,
} from './steps';
import { checkoutSessionObject, eventPayload, invoiceObject, subscriptionObject } from '../lib/stripe-payloads';
import { lookupKey } from '../../src/domain/plans';

export interface Scenario {
  /** `<prefix>-<name>` is the workspace id (the guest checkout's email for the guest). */
  name: string;
  /** What the workspace shows, in a few words. */
  title: string;
  kind: 'workspace' | 'guest';
  /** A production project whose /access answer the report shows (it can say more than /billing, e.g. a spend cap). */
  project?: string;
  /** Builds the state; returns the id to link to (the workspace id, or the guest checkout id). */
  run(ctx: DemoContext, id: string): Promise<string>;
}

const seconds = (ms: number) => Math.floor(ms / 1000);

/** How far into its grace window the in-grace workspace is: half way, so some reminders are due and the end is ahead. */
const GRACE_ELAPSED_FRACTION = 0.5;

export const SCENARIOS: Scenario[] = [
  {
    name: 'essential',
    title: 'Essential: sandbox traffic only (free), a checkout started and abandoned',
    kind: 'workspace',
    async run(ctx, ws) {
      // A started checkout gives the workspace its Stripe customer: the mark that an earlier run got this far.
      if ((await billing(ctx, ws)).stripe === null) {
        await reportUsage(ctx, ws, [
          { key: 'sandbox-1', projectId: 'prototype', family: 'rate_limiting', environment: 'sandbox', quantity: 12_000 },
          { key: 'console-1', projectId: 'prototype', family: 'email_validation', environment: 'console', quantity: 300 },
        ]);
        ctx.progress(`${ws}: a Plus checkout, left to expire`);
        const { body } = await ctx.client.request<{ checkoutId: string }>('POST', `/v1/workspaces/${ws}/checkout`, {
          body: { planId: 'plus', interval: 'month', ...returnUrls },
          idempotencyKey: `${ws}:checkout`,
        });
        const ids = stripeIdsOf(ws);
        await ctx.client.deliver(
          eventPayload(ids.event('checkout_expired'), 'checkout.session.expired', seconds(ctx.nowMs), checkoutSessionObject({
            id: body.checkoutId,
            mode: 'subscription',
            customerId: null,
            subscriptionId: null,
            clientReferenceId: ws,
            metadata: { workspaceId: ws, planId: 'plus', interval: 'month' },
            status: 'expired',
            paymentStatus: 'unpaid',
            expiresAt: seconds(ctx.nowMs),
          })),
        );
      }
      await ctx.client.until(`${ws} back to Essential`, () => billing(ctx, ws), (b) => b.status === 'none' && b.checkout === null && b.stripe !== null);
      return ws;
    },
  },
  {
    name: 'plus',
    title: 'Plus (month), active: wallet credit, production and sandbox usage of one project',
    kind: 'workspace',
    project: 'storefront',
    async run(ctx, ws) {
      await subscribeThroughCheckout(ctx, ws, { planId: 'plus', interval: 'month' });
      await topUp(ctx, ws, 5_000);
      await registerProductionProjects(ctx, ws, ['storefront']);
      await reportUsage(ctx, ws, [
        { key: 'storefront-rate-limiting-1', projectId: 'storefront', family: 'rate_limiting', environment: 'production', quantity: 40_000 },
        { key: 'storefront-email-1', projectId: 'storefront', family: 'email_validation', environment: 'production', quantity: 2_000 },
        { key: 'storefront-waf-sandbox-1', projectId: 'storefront', family: 'waf', environment: 'sandbox', quantity: 10_000 },
      ]);
      return ws;
    },
  },
  {
    name: 'family',
    title: 'Family (year), active: four production projects sharing one wallet',
    kind: 'workspace',
    project: 'web-shop',
    async run(ctx, ws) {
      const projects = ['web-shop', 'mobile-app', 'partner-api', 'internal-tools'];
      await subscribeThroughCheckout(ctx, ws, { planId: 'family', interval: 'year' });
      await topUp(ctx, ws, 10_000);
      await registerProductionProjects(ctx, ws, projects);
      await reportUsage(
        ctx,
        ws,
        projects.map((projectId, i) => ({ key: `${projectId}-1`, projectId, family: i % 2 ? 'bot_protection' : 'waf', environment: 'production', quantity: 5_000 * (i + 1) })),
      );
      return ws;
    },
  },
  {
    name: 'business-capped',
    title: 'Business (month): monthly spend cap $50 with action "block", reached — production blocked',
    kind: 'workspace',
    project: 'checkout-service',
    async run(ctx, ws) {
      await subscribeThroughCheckout(ctx, ws, { planId: 'business', interval: 'month' });
      await topUp(ctx, ws, 20_000);
      const blocked = async () => (await askAccess(ctx, ws, 'checkout-service')).reasons.includes('spend_cap_reached');
      if (await blocked()) return ws; // an earlier run this month got here
      await registerProductionProjects(ctx, ws, ['checkout-service']);
      if (!hasUsageDebit(await wallet(ctx, ws))) {
        ctx.progress(`${ws}: spend controls (cap $50, alerts at 50/80/100 %, block)`);
        await ctx.client.request('PUT', `/v1/workspaces/${ws}/spend-controls`, {
          body: { monthlyCapCents: 5_000, alertThresholdsPercent: [50, 80, 100], action: 'block' },
        });
      }
      await reportUsage(ctx, ws, [
        { key: 'checkout-service-email-1', projectId: 'checkout-service', family: 'email_validation', environment: 'production', quantity: 60_000 },
      ]);
      await ctx.client.until(`${ws} blocked by its cap`, () => askAccess(ctx, ws, 'checkout-service'), (a) => a.reasons.includes('spend_cap_reached'));
      return ws;
    },
  },
  {
    name: 'grace',
    title: 'Family (month), past due inside its grace window: reminders due, production still allowed',
    kind: 'workspace',
    async run(ctx, ws) {
      const plan = { planId: 'family', interval: 'month' } as const;
      const failedAt = ctx.nowMs - Math.round(ctx.gracePeriodMs * GRACE_ELAPSED_FRACTION);
      await subscriptionFromStripe(ctx, ws, plan, failedAt - 30 * DAY_MS);
      await topUp(ctx, ws, 5_000);
      await renewalFails(ctx, ws, plan, failedAt);
      return ws;
    },
  },
  {
    name: 'recovery',
    title: 'Business (month), grace window over and still unpaid: enforced recovery, production blocked',
    kind: 'workspace',
    async run(ctx, ws) {
      const plan = { planId: 'business', interval: 'month' } as const;
      // Failed more than a grace period ago: the window, anchored there, has ended by the clock.
      const failedAt = ctx.nowMs - ctx.gracePeriodMs - DAY_MS;
      await subscriptionFromStripe(ctx, ws, plan, failedAt - 30 * DAY_MS);
      await topUp(ctx, ws, 5_000);
      await renewalFails(ctx, ws, plan, failedAt);
      await ctx.client.until(`${ws} in enforced recovery`, () => billing(ctx, ws), (b) => b.mode === 'enforced_recovery');
      return ws;
    },
  },
  {
    name: 'downgrade',
    title: 'Business (month), active, downgrade to Family scheduled for the period end',
    kind: 'workspace',
    async run(ctx, ws) {
      await subscribeThroughCheckout(ctx, ws, { planId: 'business', interval: 'month' });
      await topUp(ctx, ws, 2_500);
      const target = { targetPlanId: 'family', interval: 'month' } as const;
      if ((await billing(ctx, ws)).pendingChange?.targetPlanId !== target.targetPlanId) {
        ctx.progress(`${ws}: preview, then schedule the downgrade to Family`);
        await ctx.client.request('POST', `/v1/workspaces/${ws}/plan-changes/preview`, { body: target });
        await ctx.client.request('POST', `/v1/workspaces/${ws}/plan-changes`, { body: { ...target, timing: 'auto' }, idempotencyKey: `${ws}:downgrade` });
      }
      await ctx.client.until(`${ws}'s scheduled change`, () => billing(ctx, ws), (b) => b.pendingChange?.targetPlanId === target.targetPlanId);
      return ws;
    },
  },
  {
    name: 'guest',
    title: 'Guest checkout (Plus, year) paid with an email, not claimed by any workspace yet',
    kind: 'guest',
    async run(ctx, name) {
      const email = `${name}@example.com`;
      const plan = { planId: 'plus', interval: 'year' } as const;
      const paid = await findGuest(ctx, (g) => g.email === email && g.status === 'paid');
      if (paid) return paid.checkoutId; // paid in an earlier run
      // The Idempotency-Key maps to one guest checkout id: a second run gets the same checkout back.
      const { body: link } = await ctx.client.request<{ checkoutId: string }>('POST', '/v1/checkout/guest', {
        body: { email, ...plan, ...returnUrls },
        idempotencyKey: `${name}:guest-checkout`,
      });
      const guest = await ctx.client.until(`guest checkout ${link.checkoutId}`, () => findGuest(ctx, (g) => g.checkoutId === link.checkoutId), (g) => g?.stripe.checkoutSessionId != null && g.stripe.customerId != null);
      if (guest!.status === 'open') {
        ctx.progress(`${name}: guest checkout ${link.checkoutId} paid by ${email}`);
        const ids = stripeIdsOf(name);
        const customerId = guest!.stripe.customerId!;
        const metadata = { guestCheckoutId: link.checkoutId, planId: plan.planId, interval: plan.interval };
        const at = ctx.nowMs;
        await ctx.client.deliver(
          eventPayload(ids.event('subscription_created'), 'customer.subscription.created', seconds(at), subscriptionObject({
            id: ids.subscription,
            customerId,
            status: 'active',
            metadata,
            itemId: ids.item,
            priceId: ids.price,
            lookupKey: lookupKey(plan.planId, plan.interval),
            interval: plan.interval,
            periodStart: seconds(at),
            periodEnd: seconds(at + 365 * DAY_MS),
          })),
        );
        await ctx.client.deliver(
          eventPayload(ids.event('checkout_completed'), 'checkout.session.completed', seconds(at + 1000), checkoutSessionObject({
            id: guest!.stripe.checkoutSessionId!,
            mode: 'subscription',
            customerId,
            subscriptionId: ids.subscription,
            clientReferenceId: link.checkoutId,
            metadata,
            expiresAt: seconds(at + DAY_MS),
          })),
        );
        await ctx.client.deliver(
          eventPayload(ids.event('invoice_1_paid'), 'invoice.paid', seconds(at + 2000), invoiceObject({
            id: ids.invoice(1),
            customerId,
            subscriptionId: ids.subscription,
            subscriptionMetadata: metadata,
            status: 'paid',
            amountDueCents: 29_000,
            billingReason: 'subscription_create',
          })),
        );
      }
      await ctx.client.until(`guest checkout ${link.checkoutId} paid`, () => findGuest(ctx, (g) => g.checkoutId === link.checkoutId), (g) => g?.status === 'paid');
      return link.checkoutId;
    },
  },
  {
    name: 'enterprise',
    title: 'Enterprise (year, contract price): contract unit prices, an operator credit grant, production usage',
    kind: 'workspace',
    project: 'core-api',
    async run(ctx, ws) {
      await subscriptionFromStripe(ctx, ws, { planId: 'enterprise', interval: 'year', contractCents: 1_200_000 }, ctx.nowMs - 60 * DAY_MS);
      // Contract prices go in before the credit: a granted credit means both are done.
      if (!hasOperatorGrant(await wallet(ctx, ws))) {
        ctx.progress(`${ws}: contract prices (operator)`);
        await ctx.client.request('PUT', `/v1/operator/workspaces/${ws}/contract-prices`, {
          as: 'operator',
          body: { prices: { email_validation: 60, ip_intelligence: 35, bot_protection: 20 } },
        });
        await grantCredit(ctx, ws, 100_000, 'Opening credit from the signed contract (demo)');
      }
      await registerProductionProjects(ctx, ws, ['core-api', 'fraud-checks']);
      await reportUsage(ctx, ws, [
        { key: 'core-api-bot-1', projectId: 'core-api', family: 'bot_protection', environment: 'production', quantity: 250_000 },
        { key: 'fraud-checks-email-1', projectId: 'fraud-checks', family: 'email_validation', environment: 'production', quantity: 40_000 },
        { key: 'fraud-checks-ip-1', projectId: 'fraud-checks', family: 'ip_intelligence', environment: 'production', quantity: 30_000 },
      ]);
      return ws;
    },
  },
];

/** A guest checkout as operators list it (the listing carries the Stripe ids a paid event needs). */
export async function findGuest(ctx: DemoContext, match: (g: GuestCheckoutListItem) => boolean): Promise<GuestCheckoutListItem | undefined> {
  for (const status of ['open', 'paid', 'all']) {
    const { body } = await ctx.client.request<{ guestCheckouts: GuestCheckoutListItem[] }>('GET', `/v1/operator/guest-checkouts?status=${status}&limit=200`, { as: 'operator' });
    const found = body.guestCheckouts.find(match);
    if (found) return found;
  }
  return undefined;
}

/** BILLING_GRACE_PERIOD as the engine reads it (default 7d); the demo needs it to date failures. */
export function gracePeriodFrom(env: NodeJS.ProcessEnv): number {
  const raw = env.BILLING_GRACE_PERIOD;
  if (!raw) return 7 * DAY_MS;
  const ms = parseDuration(raw);
  if (ms === null || ms <= 0) throw new Error(`BILLING_GRACE_PERIOD must be a duration such as 7d or 36h, got "${raw}"`);
  return ms;
}
