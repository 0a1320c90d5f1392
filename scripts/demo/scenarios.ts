// The demo's workspaces, one per interesting state, each built from the
// steps in ./steps.ts. Workspace ids are `<prefix>-<name>` (prefix `demo`
// unless told otherwise), so every run addresses the same workspaces.
import { parseDuration } from '../../src/domain/duration';
import type { BillingView } from '../../src/domain/projection';
import { checkoutSessionObject, eventPayload } from '../lib/stripe-payloads';
import {
  askAccess,
  billing,
  DAY_MS,
  grantCredit,
  guestCheckoutPaid,
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
      // Usage already rated: an earlier run got here (the cap blocks until the UTC month ends).
      if (hasUsageDebit(await wallet(ctx, ws))) return ws;
      await registerProductionProjects(ctx, ws, ['checkout-service']);
      ctx.progress(`${ws}: spend controls (cap $50, alerts at 50/80/100 %, block)`);
      await ctx.client.request('PUT', `/v1/workspaces/${ws}/spend-controls`, {
        body: { monthlyCapCents: 5_000, alertThresholdsPercent: [50, 80, 100], action: 'block' },
      });
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
      const done = (b: BillingView) => b.pendingChange?.targetPlanId === target.targetPlanId || b.plan.id === target.targetPlanId;
      if (!done(await billing(ctx, ws))) {
        ctx.progress(`${ws}: preview, then schedule the downgrade to Family`);
        await ctx.client.request('POST', `/v1/workspaces/${ws}/plan-changes/preview`, { body: target });
        await ctx.client.request('POST', `/v1/workspaces/${ws}/plan-changes`, { body: { ...target, timing: 'auto' }, idempotencyKey: `${ws}:downgrade` });
      }
      // Done once scheduled (and, after the period end, once applied).
      await ctx.client.until(`${ws}'s scheduled change`, () => billing(ctx, ws), done);
      return ws;
    },
  },
  {
    name: 'guest',
    title: 'Guest checkout (Plus, year) paid with an email, not claimed by any workspace yet',
    kind: 'guest',
    run: (ctx, name) => guestCheckoutPaid(ctx, name, { planId: 'plus', interval: 'year' }),
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

/** BILLING_GRACE_PERIOD as the engine reads it (default 7d); the demo needs it to date failures. */
export function gracePeriodFrom(env: NodeJS.ProcessEnv): number {
  const raw = env.BILLING_GRACE_PERIOD;
  if (!raw) return 7 * DAY_MS;
  const ms = parseDuration(raw);
  if (ms === null || ms <= 0) throw new Error(`BILLING_GRACE_PERIOD must be a duration such as 7d or 36h, got "${raw}"`);
  return ms;
}
