// One long-running workflow per workspace owns its billing lifecycle. State
// is a plain JSON object changed only through the pure rules in src/domain;
// handlers change it, the main loop persists the projection and keeps the
// search attributes current, and the run continues as new when the history
// grows. Timers are never cancelled (see armCheckoutExpiry).
import {
  allHandlersFinished,
  ApplicationFailure,
  condition,
  continueAsNew,
  isCancellation,
  log,
  proxyActivities,
  proxyLocalActivities,
  setHandler,
  sleep,
  upsertSearchAttributes,
  workflowInfo,
  ActivityFailure,
} from '@temporalio/workflow';
import type { Activities, RunContext } from '../activities';
import { applyFact, expireCheckoutIfDue, initialState, openCheckout, type OpenCheckout, type WorkspaceState } from '../src/domain/billing-state';
import { decideCheckout, type CheckoutRequest } from '../src/domain/checkout-rules';
import { toProjection } from '../src/domain/projection';
import { checkoutRequestSchema } from '../src/domain/schemas';
import {
  searchAttributes,
  startCheckoutUpdate,
  stateQuery,
  stripeFactSignal,
  type CheckoutResult,
  type WorkspaceWorkflowInput,
} from './definitions';

const billing = proxyActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 8 },
});
const projection = proxyActivities<Activities>({
  startToCloseTimeout: '15 seconds',
  // The read model must catch up eventually; keep trying.
  retry: { initialInterval: '1 second', maximumInterval: '30 seconds' },
});
const runContext = proxyLocalActivities<Activities>({ startToCloseTimeout: '10 seconds' });

function reject(code: string, message: string, details?: Record<string, unknown>): never {
  throw ApplicationFailure.create({ type: code, message, nonRetryable: true, details: details ? [details] : [] });
}

/** Passes a failed activity's stable type (e.g. price_not_configured) on to the update's caller. */
function rethrowActivityFailure(err: unknown): never {
  if (err instanceof ActivityFailure && err.cause instanceof ApplicationFailure) {
    reject(err.cause.type ?? 'payment_provider_error', err.cause.message);
  }
  throw err;
}

export async function workspaceWorkflow(input: WorkspaceWorkflowInput): Promise<void> {
  const { workspaceId } = input;
  const { workflowId } = workflowInfo();
  // Handlers are registered before the first await: an update-with-start or
  // signal-with-start arrives in the very first workflow task.
  let state: WorkspaceState = input.state ?? initialState(workspaceId);
  let savedVersion = input.state ? state.version : -1;
  let settings: RunContext['settings'] | undefined = undefined;
  let persisting = false;
  let checkoutBusy = false;
  let publishedAttributes = '';

  function publishSearchAttributes(snapshot: WorkspaceState): void {
    const p = toProjection(snapshot);
    const key = `${p.planId}|${p.status}|${p.mode}|${p.grace?.endsAt ?? ''}`;
    if (key === publishedAttributes) return;
    publishedAttributes = key;
    upsertSearchAttributes([
      { key: searchAttributes.workspaceId, value: workspaceId },
      { key: searchAttributes.planId, value: p.planId },
      { key: searchAttributes.billingStatus, value: p.status },
      { key: searchAttributes.billingMode, value: p.mode },
      { key: searchAttributes.graceEndsAt, value: p.grace ? new Date(p.grace.endsAt) : null },
    ]);
  }

  /** Writes the projection up to the current version; one writer at a time. */
  async function persist(): Promise<void> {
    const target = state.version;
    await condition(() => !persisting || savedVersion >= target);
    if (savedVersion >= target) return;
    persisting = true;
    try {
      while (savedVersion < state.version) {
        const snapshot = state;
        await projection.saveBillingProjection(toProjection(snapshot));
        savedVersion = snapshot.version;
        publishSearchAttributes(snapshot);
      }
    } finally {
      persisting = false;
    }
  }

  /**
   * Closes the checkout at its expiry unless a webhook closed it first. The
   * timer is deliberately never cancelled: cancelling a timer that fired in
   * the same task hangs the time-skipping test server (sdk-java #2606,
   * #3088), and a timer that outlives its purpose costs nothing.
   */
  function armCheckoutExpiry(checkout: OpenCheckout): void {
    sleep(Math.max(0, checkout.expiresAt - Date.now())).then(
      () => {
        state = expireCheckoutIfDue(state, checkout.id, Date.now());
      },
      (err) => {
        if (!isCancellation(err)) throw err;
      },
    );
  }

  async function startCheckout(request: CheckoutRequest): Promise<CheckoutResult> {
    await condition(() => !checkoutBusy && settings !== undefined);
    checkoutBusy = true;
    try {
      const decision = decideCheckout(state, request, Date.now());
      if (decision.kind === 'reject') reject(decision.code, decision.message, decision.details);
      if (decision.kind === 'reuse') {
        const c = decision.checkout;
        return { checkoutId: c.id, url: c.url, expiresAt: new Date(c.expiresAt).toISOString(), created: false };
      }
      const seq = state.checkoutSeq + 1;
      // Reserve the sequence number first: a failed attempt never reuses its key with other parameters.
      state = { ...state, checkoutSeq: seq };
      const customerId =
        state.customerId ??
        (await billing
          .ensureStripeCustomer({ workspaceId, email: request.email, idempotencyKey: `${workflowId}:customer` })
          .catch(rethrowActivityFailure));
      if (state.customerId !== customerId) state = { ...state, customerId, version: state.version + 1 };
      const expiresAt = Math.floor((Date.now() + settings!.checkoutTtlMs) / 1000) * 1000;
      const created = await billing
        .createCheckoutSession({
          workspaceId,
          customerId,
          planId: request.planId,
          interval: request.interval,
          successUrl: request.successUrl,
          cancelUrl: request.cancelUrl,
          expiresAt,
          idempotencyKey: `${workflowId}:checkout:${seq}`,
        })
        .catch(rethrowActivityFailure);
      const checkout: OpenCheckout = {
        id: created.checkoutId,
        url: created.url,
        expiresAt: created.expiresAt,
        planId: request.planId,
        interval: request.interval,
      };
      state = { ...openCheckout(state, checkout, customerId), checkoutSeq: seq };
      armCheckoutExpiry(checkout);
      await persist();
      return { checkoutId: checkout.id, url: checkout.url, expiresAt: new Date(checkout.expiresAt).toISOString(), created: true };
    } finally {
      checkoutBusy = false;
    }
  }

  setHandler(stateQuery, () => state);
  setHandler(stripeFactSignal, (fact) => {
    state = applyFact(state, fact);
  });
  setHandler(startCheckoutUpdate, startCheckout, {
    validator(request) {
      const parsed = checkoutRequestSchema.safeParse(request);
      if (!parsed.success) reject('validation_failed', 'The checkout request is invalid.', { issues: parsed.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })) });
      const decision = decideCheckout(state, parsed.data, Date.now());
      if (decision.kind === 'reject') reject(decision.code, decision.message, decision.details);
    },
  });

  const context = await runContext.loadRunContext(workspaceId);
  settings = context.settings;
  if (!input.state && context.storedProjectionVersion > state.version) {
    // Started afresh over an existing projection: keep its version counting upwards.
    state = { ...state, version: state.version + context.storedProjectionVersion };
  }
  if (state.checkout) armCheckoutExpiry(state.checkout);
  publishSearchAttributes(state);

  for (;;) {
    await condition(() => state.version !== savedVersion || workflowInfo().continueAsNewSuggested);
    if (state.version !== savedVersion) await persist();
    if (workflowInfo().continueAsNewSuggested) {
      await condition(allHandlersFinished);
      await persist();
      log.info('continuing as new', { workspaceId, version: state.version });
      await continueAsNew<typeof workspaceWorkflow>({ workspaceId, state });
    }
  }
}
