// One workflow per guest checkout (`guest-checkout/{checkoutId}`): it opens
// the hosted Checkout for a visitor without a workspace, receives the Stripe
// facts of the guest's customer and subscription, and on a verified claim
// hands all of it to the workspace workflow. Facts that arrive while the
// claim is in flight are kept and forwarded once the workspace holds the
// guest's state; the workspace ignores event ids it already applied, so a
// payment is neither lost nor counted twice. A paid checkout nobody claims
// stays (listed for operators, flagged after GUEST_CHECKOUT_FLAG_AFTER); a
// claimed or lapsed one ends after a retention period.
import {
  ActivityFailure,
  ApplicationFailure,
  allHandlersFinished,
  condition,
  continueAsNew,
  getExternalWorkflowHandle,
  log,
  patched,
  proxyActivities,
  setCurrentDetails,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities, RunContext } from '../activities';
import type { BillingFact } from '../src/domain/billing-facts';
import {
  GUEST_CHECKOUT_RETENTION_MS,
  abandonClaim,
  applyGuestFact,
  beginClaim,
  completeClaim,
  decideClaim,
  decideGuestCheckout,
  expireGuestSessionIfDue,
  flagDueAt,
  flagIfDue,
  guestStatus,
  initialGuestState,
  recordRefusal,
  recordSession,
  toGuestView,
  type ClaimRequest,
  type ClaimResult,
  type GuestCheckoutRequest,
  type GuestCheckoutState,
} from '../src/domain/guest-checkout';
import { claimRequestSchema, guestCheckoutRequestSchema } from '../src/domain/schemas';
import { searchAttributes, stripeFactSignal, workflowIdFor } from './definitions';
import {
  claimGuestCheckoutUpdate,
  guestStateQuery,
  startGuestCheckoutUpdate,
  type GuestCheckoutLink,
  type GuestCheckoutWorkflowInput,
} from './guest-definitions';
import { billing, durable, fireAt, local, parseOrReject, quiesce, reject, rethrowActivityFailure, createLock, createPersister } from './workflow-support';

/** The claim handler's attach: a few quick attempts, so the caller gets an answer within its deadline. */
const claimNow = proxyActivities<Activities>({
  startToCloseTimeout: '15 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumAttempts: 3 },
});
/** Settling a pinned claim: retried until the workspace answers. */
const claimEventually = proxyActivities<Activities>({
  startToCloseTimeout: '75 seconds',
  retry: { initialInterval: '5 seconds', maximumInterval: '5 minutes' },
});

/** A run started by a request its validator refused holds nothing: it ends after this long. */
const UNUSED_RUN_MS = 60_000;
/** Patch: end and continue as new only after persist → all handlers finished → nothing left. */
export const GUEST_QUIESCE_PATCH = 'guest-quiesce-v2';
/** Continue as new past this many events even if the server has not suggested it. */
const MAX_EVENTS_PER_RUN = 8_000;

export async function guestCheckoutWorkflow(input: GuestCheckoutWorkflowInput): Promise<void> {
  const v2 = patched(GUEST_QUIESCE_PATCH);
  const { checkoutId } = input;
  const { workflowId } = workflowInfo();
  let state: GuestCheckoutState = input.state ?? initialGuestState(checkoutId, Date.now());
  let settings: RunContext['settings'] | undefined = undefined;
  let startAttempted = input.state !== undefined;
  /** Start requests accepted and not finished (counted from the handler's first line, before it waits for the lock). */
  let startsRunning = 0;
  let sessionArmed: string | null = null;
  let publishedAttributes = '';
  let flagArmedAt: number | null = null;
  let retentionArmedAt: number | null = null;

  const link = (): GuestCheckoutLink => {
    const session = state.session!;
    return { checkoutId, url: session.url, expiresAt: new Date(session.expiresAt).toISOString() };
  };

  const row = createPersister({
    state: () => state,
    savedVersion: input.state ? state.version : -1,
    write: (snapshot) => durable.saveGuestCheckout(toGuestView(snapshot)),
    written: publish,
  });

  /** Current details, and the search attributes operators filter by (PlanId, BillingStatus; WorkspaceId once claimed). */
  function publish(snapshot: GuestCheckoutState): void {
    setCurrentDetails(describe(snapshot));
    const view = toGuestView(snapshot);
    const key = `${view.planId}|${view.billingStatus}|${view.claimedWorkspaceId}`;
    if (key === publishedAttributes) return;
    publishedAttributes = key;
    upsertSearchAttributes([
      ...(view.planId ? [{ key: searchAttributes.planId, value: view.planId }] : []),
      { key: searchAttributes.billingStatus, value: view.billingStatus },
      { key: searchAttributes.workspaceId, value: view.claimedWorkspaceId },
    ]);
  }
  const persist = row.persist;

  function armTimers(): void {
    const session = state.billing.checkout;
    if (session && sessionArmed !== session.id) {
      sessionArmed = session.id;
      fireAt(session.expiresAt, () => (state = expireGuestSessionIfDue(state, Date.now())), `guest checkout ${checkoutId} expires`);
    }
    const flagAt = settings ? flagDueAt(state, settings.guestFlagAfterMs) : null;
    if (flagAt !== null && flagArmedAt !== flagAt) {
      flagArmedAt = flagAt;
      fireAt(flagAt, () => (state = flagIfDue(state, settings!.guestFlagAfterMs, Date.now())), 'flag paid guest checkout left unclaimed');
    }
    const endAt = state.settledAt === null ? null : state.settledAt + GUEST_CHECKOUT_RETENTION_MS;
    if (endAt !== null && retentionArmedAt !== endAt) {
      retentionArmedAt = endAt;
      // Wakes the main loop, which ends the run if the checkout is still settled.
      fireAt(endAt, () => undefined, 'guest checkout retention ends');
    }
  }

  /** Facts that reach a claimed guest belong to the workspace now. */
  function forward(workspaceId: string, fact: BillingFact): void {
    getExternalWorkflowHandle(workflowIdFor(workspaceId))
      .signal(stripeFactSignal, fact)
      .catch((err: unknown) => log.warn('could not forward a Stripe fact to the claiming workspace', { workspaceId, eventId: fact.eventId, err }));
  }

  /** One start or claim at a time. */
  const exclusive = createLock(() => settings !== undefined);

  async function start(request: GuestCheckoutRequest): Promise<GuestCheckoutLink> {
    startAttempted = true;
    startsRunning++;
    try {
      return await exclusive(() => open(request));
    } finally {
      startsRunning--;
    }
  }

  async function open(request: GuestCheckoutRequest): Promise<GuestCheckoutLink> {
    const decision = decideGuestCheckout(state, request);
    if (decision.kind === 'reject') {
      if (decision.code === 'sales_assisted' || decision.code === 'not_purchasable') {
        if (decision.code === 'sales_assisted') {
          // Enterprise never goes through self-serve checkout: keep the interest as a sales lead.
          await durable.recordSalesLead({
            requestId: `${workflowId}:lead`,
            workspaceId: null,
            email: request.email,
            planId: request.planId,
            interval: request.interval,
            source: 'guest_checkout',
          });
        }
        state = recordRefusal(state, request, Date.now());
        await persist();
      }
      reject(decision.code, decision.message);
    }
    if (decision.kind === 'reuse') return link();
    const customerId = await billing
      .ensureGuestCustomer({ guestCheckoutId: checkoutId, email: request.email, idempotencyKey: `${workflowId}:customer` })
      .catch(rethrowActivityFailure);
    const created = await billing
      .createGuestCheckoutSession({
        guestCheckoutId: checkoutId,
        customerId,
        planId: request.planId,
        interval: request.interval,
        successUrl: request.successUrl,
        cancelUrl: request.cancelUrl,
        expiresAt: Math.floor((Date.now() + settings!.checkoutTtlMs) / 1000) * 1000,
        idempotencyKey: `${workflowId}:session`,
      })
      .catch(rethrowActivityFailure);
    const session = { id: created.checkoutId, url: created.url, expiresAt: created.expiresAt, planId: request.planId, interval: request.interval };
    state = recordSession(state, request, session, customerId);
    armTimers();
    await persist();
    return link();
  }

  /**
   * Hands the guest's billing state to the workspace. A refusal by the
   * workspace releases the claim; an unknown outcome keeps it pinned to this
   * workspace (the main loop settles it in the background).
   */
  async function attachTo(request: ClaimRequest, via: typeof claimNow): Promise<ClaimResult> {
    const decision = decideClaim(state, request, Date.now());
    if (decision.kind === 'reject') reject(decision.code, decision.message, decision.details);
    if (decision.kind === 'done') return decision.result;
    const { workspaceId } = request;
    const handedOver = decision.attachment.facts.length;
    state = beginClaim(state, workspaceId);
    let result: ClaimResult;
    try {
      result = await via.attachGuestToWorkspace({ workspaceId, attachment: decision.attachment });
    } catch (err) {
      if (err instanceof ActivityFailure && err.cause instanceof ApplicationFailure && err.cause.nonRetryable) {
        // The workspace refused; nothing changed there.
        state = abandonClaim(state);
        await persist();
        rethrowActivityFailure(err);
      }
      reject(
        'temporal_unavailable',
        'The workspace could not be reached in time; the claim is reserved for it and completes in the background. Repeat the claim to read the result.',
      );
    }
    const late = state.facts.slice(handedOver);
    state = completeClaim(state, result, Date.now());
    late.forEach((fact) => forward(workspaceId, fact));
    armTimers();
    await persist();
    return result;
  }

  const claim = (request: ClaimRequest) => exclusive(() => attachTo(request, claimNow));

  /** A claim left with an unknown outcome is retried until the workspace answers. */
  async function settlePinnedClaim(): Promise<void> {
    await exclusive(async () => {
      const workspaceId = state.claiming;
      if (workspaceId === null || state.claim || !state.request) return;
      await attachTo({ workspaceId, verifiedEmail: state.request.email }, claimEventually).then(
        (result) => log.info('pinned guest claim completed', { checkoutId, workspaceId: result.workspaceId }),
        (err: unknown) => {
          // Refused (by the workspace, or by the rules now): release it, so the loop cannot spin on it.
          if (state.claim === null && state.claiming === workspaceId) state = abandonClaim(state);
          log.warn('pinned guest claim released', { checkoutId, workspaceId, err });
        },
      );
    });
  }

  setHandler(guestStateQuery, () => state);
  setHandler(stripeFactSignal, (fact) => {
    if (state.claim) {
      forward(state.claim.workspaceId, fact);
      return;
    }
    state = applyGuestFact(state, fact, Date.now());
    armTimers();
  });
  setHandler(startGuestCheckoutUpdate, start, {
    validator(request) {
      parseOrReject(guestCheckoutRequestSchema, request, 'The guest checkout request is invalid.');
    },
  });
  setHandler(claimGuestCheckoutUpdate, claim, {
    validator(request) {
      parseOrReject(claimRequestSchema, request, 'The claim request is invalid.');
      // Refusals are answered without a history event (the handler decides again once it runs).
      const decision = decideClaim(state, request, Date.now());
      if (decision.kind === 'reject') reject(decision.code, decision.message, decision.details);
    },
  });

  const context = await local.loadGuestRunContext(checkoutId);
  settings = context.settings;
  if (!input.state && context.storedProjectionVersion > state.version) {
    state = { ...state, version: state.version + context.storedProjectionVersion };
  }
  if (!(await condition(() => startAttempted, UNUSED_RUN_MS))) return;
  armTimers();

  const retentionOver = () => state.settledAt !== null && Date.now() >= state.settledAt + GUEST_CHECKOUT_RETENTION_MS;
  const finished = () => state.claiming === null && startsRunning === 0 && (state.refused || retentionOver() || state.request === null);
  const pinned = () => state.claiming !== null && state.claim === null;
  const shouldContinueAsNew = () => {
    const info = workflowInfo();
    const limit = input.continueAsNewAfterEvents ?? (v2 ? MAX_EVENTS_PER_RUN : undefined);
    return info.continueAsNewSuggested || (limit !== undefined && info.historyLength >= limit);
  };
  const doWork = async () => {
    if (state.version !== row.saved()) await persist();
    if (pinned()) await settlePinnedClaim();
    armTimers();
  };
  /** Persist, let handlers finish, until nothing is left (runs started before the patch: the old order). */
  const settle = async () => {
    if (v2) return quiesce(doWork, () => state.version !== row.saved() || pinned());
    await condition(allHandlersFinished);
    await persist();
  };
  for (;;) {
    await condition(() => state.version !== row.saved() || finished() || pinned() || shouldContinueAsNew());
    await doWork();
    if (finished()) {
      await settle();
      // A start or claim that arrived meanwhile may have given the checkout a future.
      if (v2 && !finished()) continue;
      log.info('guest checkout ends', { checkoutId, status: guestStatus(state) });
      return;
    }
    if (shouldContinueAsNew()) {
      await settle();
      await continueAsNew<typeof guestCheckoutWorkflow>({ checkoutId, state, continueAsNewAfterEvents: input.continueAsNewAfterEvents });
    }
  }
}

function describe(state: GuestCheckoutState): string {
  const status = guestStatus(state);
  const who = state.request ? `${state.request.email}, ${state.request.planId}/${state.request.interval}` : 'not started';
  const claimed = state.claim ? ` → workspace ${state.claim.workspaceId}` : state.claiming ? ` (claim by ${state.claiming} in flight)` : '';
  const flagged = state.flaggedAt !== null ? ' — FLAGGED: paid, unclaimed' : '';
  return `Guest checkout ${status}${claimed} (${who})${flagged}`;
}
