// The reference web app at /app, driven in Chromium (playwright-core) on the
// real stack: the API harness (Express app, PostgreSQL, time-skipping
// Temporal with a worker running the real activities against stripe-mock)
// listening on a port, the web app calling that API over HTTP, and Stripe's
// side played by signed webhook events (the demo's steps). Stripe's hosted
// pages are stubbed in the browser: nothing leaves the machine. Every state
// of the pricing page and the dashboard is visited and screenshotted into
// test-artifacts/web-app/ (git-ignored).
import { mkdirSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import express from 'express';
import type { Page } from 'playwright-core';
import request from 'supertest';
import { projectRoot } from '../../scripts/lib/binaries';
import { EngineClient } from '../../scripts/demo/engine-client';
import { billing, DAY_MS, renewalFails, reportUsage, subscribeThroughCheckout, subscriptionFromStripe, topUp, wallet, type DemoContext } from '../../scripts/demo/steps';
import { startApiHarness, type ApiHarness } from '../support/api-harness';
import { launchChromium, type LaunchedBrowser } from '../support/chromium';
import { uniqueId } from '../support/db';
import { TEST_SECRETS } from '../support/test-env';
import { webAppRouter } from '../../src/web-app/router';

const ARTIFACTS = path.join(projectRoot, 'test-artifacts', 'web-app');
const SESSION_SECRET = 'web-app-test-session-secret-0123456789';

let h: ApiHarness;
let server: Server;
let base: string;
let browser: LaunchedBrowser;
let page: Page;
let ctx: DemoContext;
/** URLs outside the app the browser was sent to (Stripe's hosted pages, stubbed). */
const hostedVisits: string[] = [];

beforeAll(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  h = await startApiHarness('web-app-test', { WEB_APP_ENABLED: 'true', WEB_APP_DEV_SIGN_IN: 'true', WEB_APP_SESSION_SECRET: SESSION_SECRET });
  server = await new Promise<Server>((resolve) => {
    const s = h.app.listen(0, '127.0.0.1', () => resolve(s));
  });
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  ctx = {
    client: new EngineClient({ apiUrl: base, appToken: TEST_SECRETS.APP_API_TOKEN, operatorToken: TEST_SECRETS.OPERATOR_API_TOKEN, webhookSecret: TEST_SECRETS.STRIPE_WEBHOOK_SECRET }),
    nowMs: Date.now(),
    gracePeriodMs: h.config.BILLING_GRACE_PERIOD,
    progress: () => undefined,
  };
  browser = await launchChromium();
  // Everything outside the app is a stub: Stripe's hosted Checkout and invoice pages.
  await browser.context.route('**/*', async (route) => {
    const url = route.request().url();
    if (url.startsWith(base)) return route.continue();
    hostedVisits.push(url);
    return route.fulfill({ status: 200, contentType: 'text/html', body: '<!doctype html><title>Stripe (stub)</title><h1>Stripe hosted page (stub)</h1>' });
  });
  page = browser.context.pages()[0] ?? (await browser.context.newPage());
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await new Promise((resolve) => server?.close(resolve));
  await h?.close();
});

const shot = (name: string) => page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`), fullPage: true });
const text = (testId: string) => page.getByTestId(testId).innerText();
const count = (selector: string) => page.locator(selector).count();

async function signIn(workspaceId: string): Promise<void> {
  await page.goto(`${base}/app/sign-in`);
  await page.getByLabel('Workspace id').fill(workspaceId);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(`${base}/app?notice=signed-in`);
  expect(await text('signed-in-workspace')).toBe(workspaceId);
}

/** Submits a form and waits for the browser to land outside the app (a stubbed hosted page). */
async function leavesForStripe(click: () => Promise<void>): Promise<string> {
  const before = hostedVisits.length;
  await click();
  await page.waitForURL((url) => !url.href.startsWith(base));
  await page.getByText('Stripe hosted page (stub)').waitFor();
  expect(hostedVisits.length).toBe(before + 1);
  return page.url();
}

test('a visitor sees plan cards with prices, monthly equivalents and request-family rates, and starts a guest checkout', async () => {
  await page.goto(`${base}/app`);
  expect(await page.title()).toBe('Pricing · Billing');
  expect(await count('main h1')).toBe(1);
  expect(await text('price-plus-month')).toContain('$29.00');
  expect(await text('price-plus-year')).toBe('or $290.00 / year ($24.17 / month equivalent)');
  expect(await text('price-business-year')).toContain('($415.83 / month equivalent)');
  expect(await page.getByTestId('plan-enterprise').innerText()).toContain('Contract pricing');
  const rates = await text('request-family-rates');
  for (const row of ['Rate limiting\tFrontend protection\t$0.10', 'Email validation\tBackend verification\t$1.00', 'IP intelligence\tBackend verification\t$0.60']) expect(rates).toContain(row);
  await shot('01-visitor-pricing');

  // A plan card leads to the guest form with its plan chosen.
  await page.getByRole('link', { name: 'Start with Family' }).click();
  expect(await page.getByLabel('Plan', { exact: true }).inputValue()).toBe('family');

  // Nothing typed: the form says so before any call.
  await page.getByRole('button', { name: 'Continue to checkout' }).click();
  expect(await text('form-error-guest-checkout')).toContain('Enter your email address');
  // Not an email: the API's validation problem, inline, on the field; nothing written.
  const before = await h.prisma.guestCheckout.count();
  await page.getByLabel('Email address').fill('not-an-email');
  await page.getByRole('button', { name: 'Continue to checkout' }).click();
  expect(await text('form-error-guest-checkout')).toMatch(/email/i);
  expect(await page.getByLabel('Email address').getAttribute('aria-invalid')).toBe('true');
  expect(await page.getByLabel('Email address').inputValue()).toBe('not-an-email');
  expect(await h.prisma.guestCheckout.count()).toBe(before);
  await shot('02-visitor-guest-checkout-error');

  const email = `${uniqueId('visitor')}@example.com`;
  await page.getByLabel('Email address').fill(email);
  await page.getByLabel('Billing interval').selectOption('year');
  await leavesForStripe(() => page.getByRole('button', { name: 'Continue to checkout' }).click());
  const guest = await h.prisma.guestCheckout.findFirst({ where: { email } });
  expect(guest).toMatchObject({ planId: 'family', interval: 'year' });
});

test('a POST without the session\'s CSRF token is refused and writes nothing; the app token never reaches the browser', async () => {
  await page.goto(`${base}/app`);
  const cookies = await browser.context.cookies(`${base}/app`);
  const session = cookies.find((c) => c.name === 'billing_app_session');
  expect(session).toMatchObject({ httpOnly: true, sameSite: 'Lax', path: '/app' });
  const email = `${uniqueId('forged')}@example.com`;
  const forged = await page.request.post(`${base}/app/guest-checkout`, { form: { email, planId: 'plus', interval: 'month', _csrf: 'forged' }, maxRedirects: 0 });
  expect(forged.status()).toBe(403);
  expect(await h.prisma.guestCheckout.count({ where: { email } })).toBe(0);
  const html = await page.content();
  expect(html).not.toContain(TEST_SECRETS.APP_API_TOKEN);
});

test('sign in, check out from a plan card, then preview, apply and schedule plan changes and cancel the scheduled one', async () => {
  // A workspace id the engine refuses: the API's problem inline.
  await page.goto(`${base}/app/sign-in`);
  await page.getByLabel('Workspace id').fill('not a workspace id!');
  await page.getByRole('button', { name: 'Sign in' }).click();
  expect(await text('form-error-sign-in')).toMatch(/workspaceId/);

  const workspaceId = uniqueId('ws-web');
  await signIn(workspaceId);
  expect(await text('billing-summary')).toContain('Current plan: Essential');
  await shot('03-essential-pricing');

  // Enterprise is sales-assisted: the engine's refusal, with its contact route.
  await page.getByRole('button', { name: 'Talk to sales' }).click();
  expect(await text('form-error-checkout')).toMatch(/sales/i);
  expect(await page.getByTestId('contact-sales').getAttribute('href')).toBe(h.config.PUBLIC_SALES_CONTACT_URL);

  // Checkout from the Plus card goes to the hosted Checkout URL the engine made.
  const hosted = await leavesForStripe(() => page.getByRole('button', { name: 'Subscribe to Plus, billed monthly' }).click());
  const open = await billing(ctx, workspaceId);
  expect(open).toMatchObject({ mode: 'checkout_pending' });
  expect(hosted).toBe(open.checkout!.url);
  await page.goto(`${base}/app?notice=checkout-done`);
  expect(await page.getByRole('link', { name: 'Resume it on Stripe' }).getAttribute('href')).toBe(open.checkout!.url);
  await shot('04-checkout-pending');

  // Stripe reports the checkout paid.
  await subscribeThroughCheckout(ctx, workspaceId, { planId: 'plus', interval: 'month' });
  await page.goto(`${base}/app`);
  expect(await text('billing-summary')).toContain('Current plan: Plus (monthly)');
  expect(await page.getByRole('button', { name: /Subscribe to/ }).count()).toBe(0);

  // The plan-change dialog: the five preview fields, then apply.
  await page.getByRole('link', { name: 'Preview a change to Business, billed monthly' }).click();
  const dialog = page.getByRole('dialog', { name: 'Change to Business (monthly)' });
  await dialog.waitFor();
  expect(await text('preview-current')).toBe('Plus (monthly)');
  expect(await text('preview-target')).toBe('Business (monthly)');
  expect(await text('preview-invoice')).toMatch(/^\$[\d,]+\.\d\d USD, calculated by Stripe$/);
  expect(await text('preview-delta')).toBe('+$470.00 / month');
  expect(await text('preview-effective')).toMatch(/^Now \(\d{4}-\d\d-\d\d \d\d:\d\d UTC\)$/);
  await shot('05-plan-change-dialog-upgrade');
  await dialog.getByRole('button', { name: 'Apply the change now' }).click();
  // stripe-mock's subscription always carries a pending update: the engine says the change waits for its payment.
  await page.waitForURL(`${base}/app?notice=change-payment_pending`);
  expect(await page.getByRole('status').innerText()).toContain('waits for its payment');

  // A downgrade is scheduled for the period end; then canceled.
  await page.getByRole('link', { name: 'Preview a downgrade to Essential' }).click();
  const downgrade = page.getByRole('dialog', { name: 'Change to Essential' });
  expect(await text('preview-delta')).toBe('−$29.00 / month');
  expect(await text('preview-effective')).toContain('at the end of the current period');
  await shot('06-plan-change-dialog-downgrade');
  await downgrade.getByRole('button', { name: /^Schedule the change for \d{4}-\d\d-\d\d$/ }).click();
  await page.waitForURL(`${base}/app?notice=change-scheduled`);
  // The projection shows the scheduled change once the workflow wrote it.
  await ctx.client.until('pending change', () => billing(ctx, workspaceId), (b) => b.pendingChange !== null);
  await page.reload();
  expect(await text('pending-change')).toMatch(/Your plan changes to Essential on \d{4}-\d\d-\d\d/);
  await shot('07-pending-change');
  await page.getByRole('button', { name: 'Cancel the scheduled change' }).click();
  await page.waitForURL(`${base}/app?notice=change-canceled`);
  await ctx.client.until('pending change canceled', () => billing(ctx, workspaceId), (b) => b.pendingChange === null);
  await page.reload();
  expect(await page.getByTestId('pending-change').count()).toBe(0);
}, 120_000);

test('the dashboard: readiness with every failing reason, wallet balance against the minimum, top-up, ledger, auto top-up error, Business spend controls with alerts', async () => {
  const workspaceId = uniqueId('ws-biz');
  await subscribeThroughCheckout(ctx, workspaceId, { planId: 'business', interval: 'month' });
  await signIn(workspaceId);
  await page.getByRole('link', { name: 'Billing dashboard' }).click();
  expect(await text('production-blocked')).toContain('blocked');
  expect(await page.locator('[data-reason]').evaluateAll((els) => els.map((e) => e.getAttribute('data-reason')))).toEqual(['wallet_below_minimum']);
  expect(await text('wallet-balance')).toContain('Balance $0.00 · minimum runtime credit $10.00 · $10.00 below the minimum');
  expect(await page.getByTestId('ledger-empty').count()).toBe(1);

  // Top-up: a typo is caught by the form; an amount the engine refuses is its problem, inline; a good one goes to Stripe.
  const visits = hostedVisits.length;
  const amount = page.getByLabel('Amount (USD)', { exact: true });
  await amount.fill('ten');
  await page.getByRole('button', { name: 'Continue to payment' }).click();
  expect(await text('form-error-top-up')).toContain('Enter an amount in dollars');
  await amount.fill('1');
  await page.getByRole('button', { name: 'Continue to payment' }).click();
  expect(await text('form-error-top-up')).toMatch(/amount: .*(500|greater|>=)/i);
  expect(await amount.getAttribute('aria-invalid')).toBe('true');
  expect(hostedVisits.length).toBe(visits);
  await shot('08-dashboard-top-up-error');
  await amount.fill('25');
  await leavesForStripe(() => page.getByRole('button', { name: 'Continue to payment' }).click());

  // Auto top-up: an amount the engine refuses is its problem, inline, nothing saved; then saved and shown.
  await page.goto(`${base}/app/dashboard`);
  expect(await text('auto-top-up-status')).toContain('Not set up');
  await page.getByLabel('Threshold (USD)').fill('10');
  await page.getByLabel('Amount to add (USD)').fill('1');
  await page.getByRole('button', { name: 'Save auto top-up' }).click();
  expect(await text('form-error-auto-top-up')).toMatch(/amount: /);
  expect(await page.getByLabel('Amount to add (USD)').getAttribute('aria-invalid')).toBe('true');
  await shot('09-dashboard-auto-top-up-error');
  expect((await ctx.client.request<{ amountCents: number }>('GET', `/v1/workspaces/${workspaceId}/wallet/auto-top-up`)).body.amountCents).toBe(0);
  await page.getByLabel('Amount to add (USD)').fill('25');
  await page.getByRole('button', { name: 'Save auto top-up' }).click();
  await page.waitForURL(`${base}/app/dashboard?notice=auto-top-up-saved`);
  expect(await text('auto-top-up-status')).toContain('On: below $10.00, add $25.00');
  expect(await page.getByLabel('Amount to add (USD)').inputValue()).toBe('25.00');

  // Spend controls: a bad list is caught; the engine refuses a 0 cap; then a $1 cap that blocks, alerting at 50% and 80%.
  await page.getByLabel('Monthly cap (USD)').fill('0');
  await page.getByLabel('Alert thresholds (% of the cap)').fill('50, 80');
  await page.getByLabel('At the cap').selectOption('block');
  await page.getByRole('button', { name: 'Save spend controls' }).click();
  expect(await text('form-error-spend-controls')).toMatch(/monthlyCapCents|cap/i);
  expect(await h.prisma.spendControl.count({ where: { workspaceId } })).toBe(0);
  await page.getByLabel('Monthly cap (USD)').fill('1');
  await page.getByRole('button', { name: 'Save spend controls' }).click();
  await page.waitForURL(`${base}/app/dashboard?notice=spend-controls-saved`);
  expect(await text('spend-summary')).toContain('spent $0.00 of a $1.00 cap');
  expect(await page.getByTestId('spend-alerts-none').count()).toBe(1);

  // Stripe credits a $5 top-up; production usage worth $1.00 is rated: both alerts fire and the cap blocks.
  await topUp(ctx, workspaceId, 500);
  await reportUsage(ctx, workspaceId, [{ key: 'u1', projectId: 'p1', family: 'email_validation', environment: 'production', quantity: 1000 }]);
  expect((await wallet(ctx, workspaceId)).balanceCents).toBe(400);
  // The wallet workflow records the alerts and the cap's block just after the debit.
  await ctx.client.until('the cap blocks', () => billing(ctx, workspaceId), (b) => b.production.reasons.includes('spend_cap_reached'));
  await ctx.client.until(
    'both alerts',
    () => ctx.client.request<{ alerts: unknown[] }>('GET', `/v1/workspaces/${workspaceId}/spend-controls`).then((r) => r.body),
    (s) => s.alerts.length === 2,
  );
  await page.goto(`${base}/app/dashboard`);
  expect(await page.locator('[data-reason]').evaluateAll((els) => els.map((e) => e.getAttribute('data-reason')))).toEqual(['wallet_below_minimum', 'spend_cap_reached']);
  expect(await text('wallet-balance')).toContain('Balance $4.00 · minimum runtime credit $10.00 · $6.00 below the minimum');
  const ledger = await text('ledger');
  expect(ledger).toMatch(/Usage[^\n]*−\$1\.00/);
  expect(ledger).toMatch(/Top-up[^\n]*\+\$5\.00/);
  expect(await text('spend-alerts')).toMatch(/50%[\s\S]*80%/);
  expect(await page.getByTestId('spend-cap-blocks').count()).toBe(1);
  await shot('10-dashboard-business');
}, 120_000);

test('billing recovery: the banner with the hosted invoice and the grace countdown; previews shown, applying not offered', async () => {
  const workspaceId = uniqueId('ws-grace');
  const plan = { planId: 'family', interval: 'month' } as const;
  const failedAt = ctx.nowMs - 2 * DAY_MS;
  await subscriptionFromStripe(ctx, workspaceId, plan, failedAt - 30 * DAY_MS);
  await renewalFails(ctx, workspaceId, plan, failedAt);
  const b = await billing(ctx, workspaceId);
  expect(b.mode).toBe('billing_recovery');
  await signIn(workspaceId);
  expect(await page.getByTestId('billing-recovery').count()).toBe(1);
  expect(await page.getByTestId('pay-invoice').getAttribute('href')).toBe(b.unpaidInvoice!.hostedInvoiceUrl);
  // Grace of 7 days from two days ago: 4 days and some hours are left.
  expect(await text('grace-countdown')).toMatch(/^Production access stays on for 4 days( \d+ hours?)? \(grace window ends \d{4}-\d\d-\d\d \d\d:\d\d UTC\)\.$/);
  await page.getByRole('link', { name: 'Preview a change to Business, billed monthly' }).click();
  expect(await text('preview-target')).toBe('Business (monthly)');
  expect(await page.getByRole('button', { name: /Apply the change|Schedule the change/ }).count()).toBe(0);
  expect(await page.getByTestId('plan-change-dialog').innerText()).toContain('Pay the open invoice first');
  await shot('11-billing-recovery');
  await page.getByTestId('pay-invoice').click();
  await page.waitForURL(b.unpaidInvoice!.hostedInvoiceUrl);
}, 120_000);

test('enforced recovery: previews and changes hidden, only payment recovery offered; readiness says why', async () => {
  const workspaceId = uniqueId('ws-enforced');
  const plan = { planId: 'business', interval: 'month' } as const;
  const failedAt = ctx.nowMs - ctx.gracePeriodMs - DAY_MS;
  await subscriptionFromStripe(ctx, workspaceId, plan, failedAt - 30 * DAY_MS);
  await renewalFails(ctx, workspaceId, plan, failedAt);
  const b = await ctx.client.until('enforced recovery', () => billing(ctx, workspaceId), (v) => v.mode === 'enforced_recovery');
  await signIn(workspaceId);
  expect(await page.getByTestId('enforced-recovery').innerText()).toContain('Production access is blocked');
  expect(await page.getByTestId('pay-invoice').getAttribute('href')).toBe(b.unpaidInvoice!.hostedInvoiceUrl);
  expect(await page.getByRole('link', { name: /Preview a/ }).count()).toBe(0);
  expect(await page.getByRole('button', { name: /Subscribe|Talk to sales/ }).count()).toBe(0);
  // Even asked for directly, no preview is shown.
  await page.goto(`${base}/app?change=plus&interval=month`);
  expect(await page.getByTestId('plan-change-dialog').count()).toBe(0);
  await shot('12-enforced-recovery-pricing');
  await page.getByRole('link', { name: 'Billing dashboard' }).click();
  expect(await page.locator('[data-reason]').evaluateAll((els) => els.map((e) => e.getAttribute('data-reason')))).toEqual(['wallet_below_minimum', 'enforced_recovery']);
  await shot('13-enforced-recovery-dashboard');
}, 120_000);

test("embedded in a product: the product's own sign-in names the workspace, the dev sign-in is gone, the API is reached at apiUrl", async () => {
  const workspaceId = uniqueId('ws-embedded');
  const product = express();
  // The product's session (here: a header its own auth middleware would have set).
  product.use(
    '/app',
    webAppRouter({
      appToken: TEST_SECRETS.APP_API_TOKEN,
      sessionSecret: SESSION_SECRET,
      devSignIn: true,
      apiUrl: base,
      workspaceOf: (req) => req.get('X-Product-Workspace') ?? null,
    }),
  );
  const signedIn = await request(product).get('/app/dashboard').set('X-Product-Workspace', workspaceId);
  expect(signedIn.status).toBe(200);
  expect(signedIn.text).toContain(`data-testid="signed-in-workspace">${workspaceId}<`);
  expect(signedIn.text).toContain('Balance <strong>$0.00</strong>');
  expect(signedIn.headers['content-security-policy']).toContain("default-src 'self'");
  const visitor = await request(product).get('/app/dashboard');
  expect(visitor.status).toBe(401);
  expect((await request(product).get('/app/sign-in')).status).toBe(404);
});
