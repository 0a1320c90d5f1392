// One long-running workflow per workspace owns its billing lifecycle. State
// is a plain JSON object changed only through the pure rules in src/domain;
// handlers change it, the main loop persists the projection, runs due
// dunning steps and keeps the search attributes current, and the run
// continues as new when the server suggests it.
import {
  allHandlersFinished,
  condition,
  continueAsNew,
  log,
  setCurrentDetails,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { RunContext } from '../activities';
import type { BillingFact } from '../src/domain/billing-facts';
import {
  applyBillingFact,
  currentPlan,
  expireCheckoutIfDue,
  expireGraceIfDue,
  initialState,
  markRemindersSent,
  normalizeState,
  openCheckout,
  type OpenCheckout,
  type WorkspaceState,
} from '../src/domain/billing-state';
import { decideCheckout, type CheckoutRequest } from '../src/domain/checkout-rules';
import { evaluateDunning, type DunningPolicy } from '../src/domain/dunning';
import { settlePendingChange } from '../src/domain/plan-change-rules';
import { toProjection } from '../src/domain/projection';
import { summarizeState } from '../src/domain/state-summary';
import { checkoutRequestSchema, invoicingControlsSchema, topUpRequestSchema, type TopUpRequest } from '../src/domain/schemas';
import {
  searchAttributes,
  startCheckoutUpdate,
  setInvoicingControlsUpdate,
  startTopUpUpdate,
  stateQuery,
  stripeFactSignal,
  type CheckoutResult,
  type TopUpResult,
  type WorkspaceWorkflowInput,
} from './definitions';
import { registerGuestClaimHandlers } from './guest-claims';
import { registerOperatorHandlers } from './operator-actions';
import { registerPlanChangeHandlers } from './plan-changes';
import { billing, durable, fireAt, local, parseOrReject, reject, rethrowActivityFailure, createLock, createPersister } from './workflow-support';


export async function workspaceWorkflow(input: WorkspaceWorkflowInput): Promise<void> {
  const { workspaceId } = input;
  const { workflowId } = workflowInfo();
  // Handlers are registered before the first await: an update-with-start or
  // signal-with-start arrives in the very first workflow task.
  let state: WorkspaceState = input.state ? normalizeState(input.state) : initialState(workspaceId);
  let settings: RunContext['settings'] | undefined = undefined;
  let dunningDue = false;
  let publishedAttributes = '';
  /** Facts that arrived before the settings they need were loaded. */
  const earlyFacts: BillingFact[] = [];
  const armedDunningTimes = new Set<number>();

  const policy = (): DunningPolicy => ({
    gracePeriodMs: settings!.gracePeriodMs,
    reminderOffsetsMs: settings!.dunningReminderOffsetsMs,
  });

  function publishSearchAttributes(snapshot: WorkspaceState): void {
    // The Web UI's "current details": a query-served summary, no history event.
    setCurrentDetails(summarizeState(snapshot).text);
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
  const projection = createPersister({
    state: () => state,
    savedVersion: input.state ? state.version : -1,
    write: (snapshot) => durable.saveBillingProjection(toProjection(snapshot)),
    written: publishSearchAttributes,
  });
  const persist = projection.persist;

  function armCheckoutExpiry(checkout: OpenCheckout): void {
    fireAt(
      checkout.expiresAt,
      () => {
        state = expireCheckoutIfDue(state, checkout.id, Date.now());
      },
      `checkout ${checkout.id} expires`,
    );
  }

  /** Arms a timer for the grace window's next step (a reminder or its end). */
  function armDunning(): void {
    if (!state.grace || !settings) return;
    const { nextAt, dueReminders } = evaluateDunning(state.grace, policy(), Date.now());
    if (dueReminders.length > 0 || (nextAt !== null && nextAt <= Date.now())) dunningDue = true;
    if (nextAt === null || armedDunningTimes.has(nextAt)) return;
    armedDunningTimes.add(nextAt);
    const grace = state.grace;
    const step = nextAt >= grace.endsAt ? 'grace window ends (enforced recovery)' : 'dunning reminder due';
    fireAt(
      nextAt,
      () => {
        armedDunningTimes.delete(nextAt);
        dunningDue = true;
      },
      step,
    );
  }

  /** Expires the window at its end and records the reminders that are due, each once. */
  async function runDunning(): Promise<void> {
    dunningDue = false;
    state = expireGraceIfDue(state, Date.now());
    const grace = state.grace;
    if (grace) {
      const { dueReminders } = evaluateDunning(grace, policy(), Date.now());
      for (const offsetMs of dueReminders) {
        const unpaid = toProjection(state).unpaidInvoice;
        await durable.recordDunningReminder({
          workspaceId,
          graceStartedAt: grace.startedAt,
          graceEndsAt: grace.endsAt,
          offsetMs,
          invoice: unpaid,
        });
        state = markRemindersSent(state, [offsetMs]);
      }
    }
    armDunning();
  }

  function applyStripeFact(fact: BillingFact): void {
    state = settlePendingChange(applyBillingFact(state, fact, policy()));
    armDunning();
  }

  /** The workspace's Stripe customer, created once (same idempotency key whoever asks first). */
  async function ensureCustomer(email?: string): Promise<string> {
    const customerId =
      state.customerId ??
      (await billing
        .ensureStripeCustomer({ workspaceId, email, idempotencyKey: `${workflowId}:customer` })
        .catch(rethrowActivityFailure));
    if (state.customerId !== customerId) state = { ...state, customerId, version: state.version + 1 };
    return customerId;
  }

  /** Checkouts, top-ups and guest claims are set up one at a time. */
  const exclusive = createLock(() => settings !== undefined);

  async function startTopUp(request: TopUpRequest): Promise<TopUpResult> {
    return exclusive(async () => {
      const seq = state.topUpSeq + 1;
      state = { ...state, topUpSeq: seq };
      const customerId = await ensureCustomer();
      const created = await billing
        .createTopUpCheckout({
          workspaceId,
          customerId,
          topUpId: `tu_${workspaceId}_${seq}`,
          amountCents: request.amountCents,
          successUrl: request.successUrl,
          cancelUrl: request.cancelUrl,
          expiresAt: Math.floor((Date.now() + settings!.checkoutTtlMs) / 1000) * 1000,
          idempotencyKey: `${workflowId}:top-up:${seq}`,
        })
        .catch(rethrowActivityFailure);
      await persist();
      return { topUpId: created.topUpId, checkoutId: created.checkoutId, url: created.url, expiresAt: new Date(created.expiresAt).toISOString() };
    });
  }

  async function startCheckout(request: CheckoutRequest): Promise<CheckoutResult> {
    return exclusive(async () => {
      const decision = decideCheckout(state, request, Date.now());
      if (decision.kind === 'reject' && decision.code === 'sales_assisted') {
        // Enterprise never goes through self-serve checkout: keep the interest as a sales lead.
        const seq = state.checkoutSeq + 1;
        state = { ...state, checkoutSeq: seq };
        await durable.recordSalesLead({
          requestId: `${workflowId}:checkout:${seq}:lead`,
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
        return { checkoutId: c.id, url: c.url, expiresAt: new Date(c.expiresAt).toISOString(), created: false };
      }
      const seq = state.checkoutSeq + 1;
      // Reserve the sequence number first: a failed attempt never reuses its key with other parameters.
      state = { ...state, checkoutSeq: seq };
      const customerId = await ensureCustomer(request.email);
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
    });
  }

  /** What the handler modules share: the state, its projection and the run's settings. */
  const shared = {
    workspaceId,
    workflowId,
    state: () => state,
    setState: (next: WorkspaceState) => {
      state = next;
    },
    settings: () => settings,
    persist,
  };
  const planChanges = registerPlanChangeHandlers(shared);
  registerOperatorHandlers({ ...shared, armDunning, applyFact: applyStripeFact, cancelPendingChange: planChanges.cancelPending });
  const guestClaims = registerGuestClaimHandlers({ ...shared, exclusive, applyFact: applyStripeFact, armCheckoutExpiry });
  setHandler(stateQuery, () => state);
  setHandler(stripeFactSignal, (fact) => {
    if (settings) applyStripeFact(fact);
    else earlyFacts.push(fact);
  });
  setHandler(
    setInvoicingControlsUpdate,
    async (controls) => {
      const seq = state.planChangeSeq + 1;
      state = { ...state, planChangeSeq: seq };
      return billing
        .setInvoicingControls({ subscriptionId: state.subscription!.id, controls, idempotencyKey: `${workflowId}:invoicing:${seq}` })
        .catch(rethrowActivityFailure);
    },
    {
      validator(controls) {
        if (!invoicingControlsSchema.safeParse(controls).success) reject('validation_failed', 'Invoicing controls are invalid.');
        if (currentPlan(state).id !== 'enterprise') reject('not_available_on_plan', 'Invoicing controls are for Enterprise subscriptions.');
      },
    },
  );
  setHandler(startTopUpUpdate, startTopUp, {
    validator(request) {
      parseOrReject(topUpRequestSchema, request, 'The top-up request is invalid.');
    },
  });
  setHandler(startCheckoutUpdate, startCheckout, {
    validator(request) {
      const checkout = parseOrReject(checkoutRequestSchema, request, 'The checkout request is invalid.');
      const decision = decideCheckout(state, checkout, Date.now());
      // sales_assisted is refused by the handler, after it records the sales lead.
      if (decision.kind === 'reject' && decision.code !== 'sales_assisted') reject(decision.code, decision.message, decision.details);
    },
  });

  const context = await local.loadRunContext(workspaceId);
  settings = context.settings;
  if (!input.state && context.storedProjectionVersion > state.version) {
    // Started afresh over an existing projection: keep its version counting upwards.
    state = { ...state, version: state.version + context.storedProjectionVersion };
  }
  earlyFacts.splice(0).forEach(applyStripeFact);
  if (state.checkout) armCheckoutExpiry(state.checkout);
  planChanges.armScheduledChange();
  // Timers re-armed from the recorded absolute timestamps: a window that
  // spans a continue-as-new still ends when it was set to.
  armDunning();
  publishSearchAttributes(state);

  for (;;) {
    await condition(() => state.version !== projection.saved() || dunningDue || guestClaims.needsTagging() || workflowInfo().continueAsNewSuggested);
    if (dunningDue) await runDunning();
    if (guestClaims.needsTagging()) await guestClaims.tagOwnership();
    if (state.version !== projection.saved()) await persist();
    if (workflowInfo().continueAsNewSuggested) {
      await condition(allHandlersFinished);
      await persist();
      log.info('continuing as new', { workspaceId, version: state.version });
      await continueAsNew<typeof workspaceWorkflow>({ workspaceId, state });
    }
  }
}
