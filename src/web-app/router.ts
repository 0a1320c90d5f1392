// The reference web app at /app: a pricing page and a billing dashboard,
// server-rendered, built only on the engine's public HTTP API (called from
// here with the app token, which never reaches the browser). Sessions are
// signed cookies; every POST form carries a CSRF token; every form answers
// with POST-redirect-GET on success, or the same page with the error inline
// (the API's problem+json) and nothing written.
import express, { Router, type Request, type Response } from 'express';
import { csrfToken, verifyCsrfToken, CSRF_FIELD } from './csrf';
import { createEngineApi, EngineApiError, type BillingView, type EngineApi, type PlanChangePreview, type PlanChangeResult, type Problem, type RateCard, type SpendOversight, type WalletView, type CheckoutLink, type AutoTopUpView } from './engine-api';
import { formValues, readAutoTopUp, readGuestCheckout, readPlanChange, readSignIn, readSpendControls, readTopUp, type FormValues, type Parsed } from './forms';
import { html, type Markup } from './html';
import { noticeFor, type NoticeKey } from './notices';
import { newSession, readCookie, sessionCookie, signSession, verifySession, SESSION_COOKIE, type Session } from './session';
import { APP_CSS, COUNTDOWN_JS } from './styles';
import { formErrorFromProblem, type FormError, type PageContext } from './views/components';
import { dashboardPage } from './views/dashboard-view';
import { errorPage } from './views/error-view';
import { pricingPage, type PricingModel } from './views/pricing-view';
import { signInPage } from './views/sign-in-view';

export interface WebAppOptions {
  /** The engine's APP_API_TOKEN: sent by the server to the API, never to the browser. */
  appToken: string;
  /** Signs session cookies and CSRF tokens (WEB_APP_SESSION_SECRET). */
  sessionSecret: string;
  /** The development sign-in (choose any workspace): never in production. */
  devSignIn: boolean;
  /** The engine's API base URL; default: the server this request came in on. */
  apiUrl?: string;
  now?: () => number;
  /**
   * A product's own sign-in: the workspace of this request (from the
   * product's session), or null for a visitor. Replaces the dev sign-in.
   */
  workspaceOf?: (req: Request) => string | null | Promise<string | null>;
}

interface RequestState {
  session: Session;
  workspaceId: string | null;
  api: EngineApi;
  ctx: PageContext;
}

/** The server this request came in on, as a URL the app can call (loopback calls to the same engine). */
function ownBaseUrl(req: Request): string {
  let address = req.socket.localAddress ?? '127.0.0.1';
  if (address.startsWith('::ffff:')) address = address.slice('::ffff:'.length);
  const host = address.includes(':') ? `[${address}]` : address;
  return `http://${host}:${req.socket.localPort}`;
}

const ws = (workspaceId: string) => `/v1/workspaces/${encodeURIComponent(workspaceId)}`;

function send(res: Response, status: number, page: Markup): void {
  res.status(status).type('html').send(page.text);
}

function redirect(res: Response, location: string): void {
  res.redirect(303, location);
}

export function webAppRouter(options: WebAppOptions): Router {
  const now = options.now ?? Date.now;
  const secret = options.sessionSecret;
  const devSignIn = options.devSignIn && !options.workspaceOf;
  const router = Router();

  router.get('/assets/app.css', (_req, res) => {
    res.type('text/css').set('Cache-Control', 'public, max-age=3600').send(APP_CSS);
  });
  router.get('/assets/countdown.js', (_req, res) => {
    res.type('text/javascript').set('Cache-Control', 'public, max-age=3600').send(COUNTDOWN_JS);
  });

  router.use(express.urlencoded({ extended: false, limit: '16kb', parameterLimit: 50 }));

  const setSession = (req: Request, res: Response, session: Session) => {
    res.append('Set-Cookie', sessionCookie(signSession(session, secret), { secure: req.secure }));
  };

  // Session, page context and security headers for every page.
  router.use(async (req, res, next) => {
    const nowMs = now();
    let session = verifySession(readCookie(req.headers.cookie, SESSION_COOKIE), secret, nowMs);
    if (!session) {
      session = newSession(nowMs);
      setSession(req, res, session);
    }
    const workspaceId = options.workspaceOf ? await options.workspaceOf(req) : devSignIn ? session.workspaceId : null;
    const state: RequestState = {
      session,
      workspaceId,
      api: createEngineApi(options.apiUrl ?? ownBaseUrl(req), options.appToken),
      ctx: { csrf: csrfToken(session.sid, secret), workspaceId, devSignIn, nowMs, notice: noticeFor(req.query.notice) },
    };
    res.locals.webApp = state;
    res.set({
      'Content-Security-Policy':
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; form-action 'self' https:; frame-ancestors 'none'; base-uri 'none'; object-src 'none'",
      'X-Content-Type-Options': 'nosniff',
      'Referrer-Policy': 'same-origin',
      'Cache-Control': 'no-store',
    });
    if (req.method === 'POST' && !verifyCsrfToken((req.body as Record<string, unknown> | undefined)?.[CSRF_FIELD], session.sid, secret)) {
      send(res, 403, errorPage(state.ctx, 'This form has expired', 'The page was open too long or came from elsewhere. Reload the page and try again.'));
      return;
    }
    next();
  });

  const stateOf = (res: Response) => res.locals.webApp as RequestState;
  const origin = (req: Request) => `${req.protocol}://${req.get('host')}`;

  async function pricingModel(s: RequestState, extra: Partial<PricingModel> = {}): Promise<PricingModel> {
    const [card, billing] = await Promise.all([
      s.api.read<RateCard>('/v1/plans'),
      s.workspaceId ? s.api.read<BillingView>(`${ws(s.workspaceId)}/billing`) : Promise.resolve(null),
    ]);
    return { card, billing, ...extra };
  }

  async function preview(s: RequestState, targetPlanId: string, interval: string): Promise<PricingModel['change']> {
    const answer = await s.api.call<PlanChangePreview>('POST', `${ws(s.workspaceId!)}/plan-changes/preview`, { targetPlanId, interval });
    return answer.ok ? { targetPlanId, interval, preview: answer.body } : { targetPlanId, interval, problem: answer.problem };
  }

  async function renderPricing(res: Response, status: number, extra: Partial<PricingModel> = {}): Promise<void> {
    const s = stateOf(res);
    send(res, status, pricingPage(s.ctx, await pricingModel(s, extra)));
  }

  async function renderDashboard(res: Response, status: number, error?: FormError): Promise<void> {
    const s = stateOf(res);
    const base = ws(s.workspaceId!);
    const [billing, wallet, spend, autoTopUp] = await Promise.all([
      s.api.read<BillingView>(`${base}/billing`),
      s.api.read<WalletView>(`${base}/wallet?limit=20`),
      s.api.read<SpendOversight>(`${base}/spend-controls`),
      // An engine without auto top-up answers 404: the form is still shown, and says so when used.
      s.api.call<AutoTopUpView>('GET', `${base}/wallet/auto-top-up`).then((a) => (a.ok ? a.body : null)),
    ]);
    send(res, status, dashboardPage(s.ctx, { billing, wallet, spend, autoTopUp, error }));
  }

  /** Signed in, or sent to the sign-in (or told there is none). */
  function signedIn(res: Response): boolean {
    const s = stateOf(res);
    if (s.workspaceId) return true;
    if (devSignIn) redirect(res, '/app/sign-in');
    else send(res, 401, errorPage(s.ctx, 'Sign in first', 'This page belongs to a signed-in workspace.'));
    return false;
  }

  const status = (problem: Problem) => (problem.status >= 400 && problem.status < 600 ? problem.status : 502);

  // ---- Pricing --------------------------------------------------------------

  router.get('/', async (req, res) => {
    const s = stateOf(res);
    const extra: Partial<PricingModel> = {};
    if (typeof req.query.plan === 'string') extra.guestPlan = req.query.plan;
    if (s.workspaceId && typeof req.query.change === 'string' && typeof req.query.interval === 'string') {
      const model = await pricingModel(s);
      if (model.billing?.mode !== 'enforced_recovery') model.change = await preview(s, req.query.change, req.query.interval);
      send(res, 200, pricingPage(s.ctx, { ...model, ...extra }));
      return;
    }
    await renderPricing(res, 200, extra);
  });

  router.post('/checkout', async (req, res) => {
    if (!signedIn(res)) return;
    const s = stateOf(res);
    const values = formValues(req.body);
    const answer = await s.api.call<CheckoutLink>('POST', `${ws(s.workspaceId!)}/checkout`, {
      planId: values.planId,
      interval: values.interval,
      successUrl: `${origin(req)}/app?notice=checkout-done`,
      cancelUrl: `${origin(req)}/app?notice=checkout-canceled`,
    });
    if (answer.ok) return redirect(res, answer.body.url);
    const error = formErrorFromProblem('checkout', answer.problem, values);
    error.extra = problemLinks(answer.problem);
    await renderPricing(res, status(answer.problem), { error });
  });

  router.post('/guest-checkout', async (req, res) => {
    const s = stateOf(res);
    const values = formValues(req.body);
    const form = readGuestCheckout(values);
    if (!form.ok) return renderPricing(res, 422, { error: form.error, guestPlan: values.planId });
    const answer = await s.api.call<CheckoutLink>('POST', '/v1/checkout/guest', {
      ...form.body,
      successUrl: `${origin(req)}/app?notice=checkout-done`,
      cancelUrl: `${origin(req)}/app?notice=checkout-canceled`,
    });
    if (answer.ok) return redirect(res, answer.body.url);
    await renderPricing(res, status(answer.problem), { error: formErrorFromProblem('guest-checkout', answer.problem, values), guestPlan: values.planId });
  });

  router.post('/plan-change', async (req, res) => {
    if (!signedIn(res)) return;
    const s = stateOf(res);
    const values = formValues(req.body);
    const form = readPlanChange(values);
    const answer = form.ok ? await s.api.call<PlanChangeResult>('POST', `${ws(s.workspaceId!)}/plan-changes`, form.body) : null;
    if (answer?.ok) return redirect(res, `/app?notice=change-${answer.body.status}`);
    const error: FormError = answer ? formErrorFromProblem('plan-change', answer.problem, values) : (form as Extract<Parsed<unknown>, { ok: false }>).error;
    if (answer) error.extra = problemLinks(answer.problem);
    const model = await pricingModel(s, { error });
    if (model.billing?.mode !== 'enforced_recovery') model.change = await preview(s, values.targetPlanId ?? '', values.interval ?? '');
    send(res, answer ? status(answer.problem) : 422, pricingPage(s.ctx, model));
  });

  router.post('/pending-change/cancel', async (req, res) => {
    if (!signedIn(res)) return;
    const s = stateOf(res);
    const answer = await s.api.call('DELETE', `${ws(s.workspaceId!)}/plan-changes/pending`);
    if (answer.ok) return redirect(res, '/app?notice=change-canceled');
    await renderPricing(res, status(answer.problem), { error: formErrorFromProblem('cancel-change', answer.problem, {}) });
  });

  // ---- Dashboard ------------------------------------------------------------

  router.get('/dashboard', async (_req, res) => {
    if (!signedIn(res)) return;
    await renderDashboard(res, 200);
  });

  /** A dashboard form: read it, call the API, then redirect with a notice or show the error inline. */
  function dashboardForm<T>(
    form: string,
    read: (values: FormValues) => Parsed<T>,
    call: (s: RequestState, body: T, req: Request) => Promise<{ ok: true; redirectTo: string } | { ok: false; problem: Problem }>,
    fieldOf: Record<string, string> = {},
    explain?: (problem: Problem) => string | undefined,
  ) {
    return async (req: Request, res: Response) => {
      if (!signedIn(res)) return;
      const values = formValues(req.body);
      const parsed = read(values);
      if (!parsed.ok) return renderDashboard(res, 422, parsed.error);
      const outcome = await call(stateOf(res), parsed.body, req);
      if (outcome.ok) return redirect(res, outcome.redirectTo);
      const error = formErrorFromProblem(form, outcome.problem, values, fieldOf);
      error.message = explain?.(outcome.problem) ?? error.message;
      await renderDashboard(res, status(outcome.problem), error);
    };
  }

  router.post(
    '/dashboard/top-up',
    dashboardForm('top-up', readTopUp, async (s, body, req) => {
      const answer = await s.api.call<CheckoutLink>('POST', `${ws(s.workspaceId!)}/wallet/top-ups`, {
        amountCents: body.amountCents,
        successUrl: `${origin(req)}/app/dashboard?notice=top-up-done`,
        cancelUrl: `${origin(req)}/app/dashboard?notice=top-up-canceled`,
      });
      return answer.ok ? { ok: true, redirectTo: answer.body.url } : answer;
    }, { amountCents: 'amount' }),
  );

  router.post(
    '/dashboard/auto-top-up',
    dashboardForm(
      'auto-top-up',
      readAutoTopUp,
      async (s, body) => {
        const answer = await s.api.call('PUT', `${ws(s.workspaceId!)}/wallet/auto-top-up`, body);
        return answer.ok ? { ok: true, redirectTo: noticeUrl('/app/dashboard', 'auto-top-up-saved') } : answer;
      },
      { thresholdCents: 'threshold', amountCents: 'amount' },
      (problem) => (problem.status === 404 ? 'Auto top-up is not available on this billing engine yet (its API answered 404). Nothing was saved.' : undefined),
    ),
  );

  router.post(
    '/dashboard/spend-controls',
    dashboardForm(
      'spend-controls',
      readSpendControls,
      async (s, body) => {
        const answer = await s.api.call('PUT', `${ws(s.workspaceId!)}/spend-controls`, body);
        return answer.ok ? { ok: true, redirectTo: noticeUrl('/app/dashboard', 'spend-controls-saved') } : answer;
      },
      { monthlyCapCents: 'cap', alertThresholdsPercent: 'thresholds' },
    ),
  );

  // ---- Sign-in (development) ------------------------------------------------

  router.get('/sign-in', (_req, res) => {
    const s = stateOf(res);
    if (!devSignIn) return send(res, 404, errorPage(s.ctx, 'No sign-in here', 'This billing app is signed into by the product that embeds it.'));
    send(res, 200, signInPage(s.ctx));
  });

  router.post('/sign-in', async (req, res) => {
    const s = stateOf(res);
    if (!devSignIn) return send(res, 404, errorPage(s.ctx, 'No sign-in here', 'This billing app is signed into by the product that embeds it.'));
    const values = formValues(req.body);
    const form = readSignIn(values);
    if (!form.ok) return send(res, 422, signInPage(s.ctx, form.error));
    // The engine says whether the id is one (an unknown id is an Essential workspace).
    const answer = await s.api.call<BillingView>('GET', `${ws(form.body.workspaceId)}/billing`);
    if (!answer.ok) return send(res, status(answer.problem), signInPage(s.ctx, formErrorFromProblem('sign-in', answer.problem, values)));
    // A new session id on every sign-in (no session fixation).
    setSession(req, res, newSession(now(), form.body.workspaceId));
    redirect(res, noticeUrl('/app', 'signed-in'));
  });

  router.post('/sign-out', (req, res) => {
    setSession(req, res, newSession(now()));
    redirect(res, noticeUrl('/app', 'signed-out'));
  });

  router.use((_req, res) => send(res, 404, errorPage(stateOf(res).ctx, 'Not found', 'There is no such page in the billing app.')));

  // The engine unreachable or a read refused: a page, not a stack trace.
  router.use(((err, req, res, _next) => {
    req.log?.error({ err }, 'web app request failed');
    const s = res.locals.webApp as RequestState | undefined;
    const ctx = s?.ctx ?? { csrf: '', workspaceId: null, devSignIn, nowMs: now() };
    const message = err instanceof EngineApiError ? err.problem.detail : 'The billing engine could not be reached. Try again in a moment.';
    send(res, err instanceof EngineApiError ? status(err.problem) : 502, errorPage(ctx, 'Billing is unavailable', message));
  }) as express.ErrorRequestHandler);

  return router;
}

function noticeUrl(path: string, key: NoticeKey): string {
  return `${path}?notice=${key}`;
}

/** Links a refusal carries: the invoice to pay, the sales contact. */
function problemLinks(problem: Problem): Markup | undefined {
  const invoice = problem.unpaidInvoice as { hostedInvoiceUrl?: string } | null | undefined;
  if (invoice?.hostedInvoiceUrl) return html`<p><a href="${invoice.hostedInvoiceUrl}">Pay the open invoice on Stripe</a></p>`;
  if (typeof problem.contactUrl === 'string') return html`<p><a href="${problem.contactUrl}" data-testid="contact-sales">Contact sales</a></p>`;
  return undefined;
}
