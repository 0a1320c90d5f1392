// Activities for workflow tests on the time-skipping server: typed against
// the real ones (a signature change breaks these tests at compile time) and
// recording every call so tests can assert what the workflow asked for.
import { ApplicationFailure } from '@temporalio/common';
import type { Activities, EngineSettings, GuestClaimPort } from '../../activities';
import { attachThrough } from '../../activities/guest-claims';
import type { BillingFact } from '../../src/domain/billing-facts';
import { DEFAULT_AUTO_TOP_UP_MAX_PER_DAY } from '../../src/domain/auto-top-up';
import type { BillingProjection } from '../../src/domain/projection';
import type { PlanId } from '../../src/domain/plans';

export const TEST_SETTINGS: EngineSettings = {
  checkoutTtlMs: 60 * 60_000,
  gracePeriodMs: 7 * 86_400_000,
  dunningReminderOffsetsMs: [0, 3 * 86_400_000, 6 * 86_400_000],
  walletMinimumCents: 1000,
  guestFlagAfterMs: 30 * 86_400_000,
};

export function fakeActivities(settings: EngineSettings = TEST_SETTINGS) {
  /** What the fake database holds, set by tests: plans per workspace, spend per workspace and month. */
  const world = {
    planOf: new Map<string, PlanId>(),
    spendOf: new Map<string, number>(),
    /** What the fake Stripe answers a resync with, per subscription id (occurredAt and eventId are filled in). */
    liveFactsOf: new Map<string, BillingFact[]>(),
    /** Workspace ids the reconciliation lists. */
    reconcilable: [] as string[],
    /** The workspace workflows a claim attaches to (the harness sets the real WorkspaceClient). */
    workspaces: undefined as GuestClaimPort | undefined,
    /** While set, a claim's attach waits for it (lets a test land a webhook mid-claim). */
    attachGate: undefined as Promise<void> | undefined,
    /** How many more attach attempts fail as if the workflow service were unreachable. */
    attachOutages: 0,
    /** What Stripe says about a session asked to expire (default: it was open). */
    sessionStatusOf: new Map<string, 'open' | 'complete' | 'expired'>(),
    /** How many more rating passes fail as if a stored row could not be handled (non-retryable). */
    ratingFailures: 0,
    /** Spend controls as saved (what a new wallet run loads). */
    controlsOf: new Map<string, Parameters<Activities['saveSpendControls']>[0]['controls']>(),
    /** Wallet balances of workspaces whose balance a test tracks (rating debits `debitNext`, credits add). */
    balanceOf: new Map<string, number>(),
    /** What the next rating pass debits, per workspace (then back to 0). */
    debitNext: new Map<string, number>(),
    /** Auto top-up settings and saved card, as stored. */
    autoTopUpOf: new Map<string, { enabled: boolean; thresholdCents: number; amountCents: number; customerId: string | null; paymentMethodId: string | null }>(),
    /** The stored charge rows (the daily limit counts them). */
    autoTopUpCharges: [] as { workspaceId: string; crossingId: string; day: string }[],
    /** What Stripe answers the next charges of a workspace with: a failure code, 'processing', 'throw' (the activity fails), or (unset) succeeded. */
    chargeAnswerOf: new Map<string, string>(),
    /** AUTO_TOP_UP_MAX_PER_DAY of the fake worker. */
    autoTopUpMaxPerDay: DEFAULT_AUTO_TOP_UP_MAX_PER_DAY,
    /** Activities held in flight until released (see hold()). */
    held: new Map<string, Promise<void>>(),
  };
  /**
   * Holds every call of `activity` (by name) once it started, until the
   * returned release() is called: lets a test land a message while that
   * activity is in flight.
   */
  const hold = (activity: keyof Activities): (() => void) => {
    let release!: () => void;
    world.held.set(activity, new Promise<void>((resolve) => (release = resolve)));
    return () => {
      world.held.delete(activity);
      release();
    };
  };
  const heldIf = (activity: keyof Activities) => world.held.get(activity);
  const calls = {
    customers: [] as Parameters<Activities['ensureStripeCustomer']>[0][],
    sessions: [] as Parameters<Activities['createCheckoutSession']>[0][],
    projections: [] as BillingProjection[],
    reminders: [] as Parameters<Activities['recordDunningReminder']>[0][],
    previews: [] as Parameters<Activities['previewPlanChange']>[0][],
    changes: [] as Parameters<Activities['applyPlanChange']>[0][],
    cancellations: [] as Parameters<Activities['setCancelAtPeriodEnd']>[0][],
    topUps: [] as Parameters<Activities['createTopUpCheckout']>[0][],
    spendControls: [] as Parameters<Activities['saveSpendControls']>[0][],
    spendBlocks: [] as Parameters<Activities['setSpendBlock']>[0][],
    spendAlerts: [] as Parameters<Activities['recordSpendAlert']>[0][],
    salesLeads: [] as Parameters<Activities['recordSalesLead']>[0][],
    ratings: [] as Parameters<Activities['rateAndDebitUsage']>[0][],
    credits: [] as Parameters<Activities['creditWallet']>[0][],
    usageReports: [] as Parameters<Activities['reportUsageToStripe']>[0][],
    audits: [] as Parameters<Activities['recordOperatorAction']>[0][],
    resyncs: [] as Parameters<Activities['readStripeSubscriptionFacts']>[0][],
    reconciliations: [] as Parameters<Activities['resyncWorkspace']>[0][],
    guestCustomers: [] as Parameters<Activities['ensureGuestCustomer']>[0][],
    guestSessions: [] as Parameters<Activities['createGuestCheckoutSession']>[0][],
    guestViews: [] as Parameters<Activities['saveGuestCheckout']>[0][],
    attaches: [] as Parameters<Activities['attachGuestToWorkspace']>[0][],
    expirations: [] as Parameters<Activities['expireCheckoutSession']>[0][],
    tags: [] as Parameters<Activities['tagStripeOwnership']>[0][],
    rememberedCards: [] as Parameters<Activities['rememberTopUpPaymentMethod']>[0][],
    autoTopUpCharges: [] as Parameters<Activities['chargeAutoTopUp']>[0][],
    autoTopUpDisables: [] as Parameters<Activities['disableAutoTopUp']>[0][],
  };
  let debitSeq = 0;
  /** What the fake Stripe answers a preview with: derived from the proration date, so tests can check it was passed through. */
  const previewAmount = (prorationDate: number | undefined) => (prorationDate ?? 0) % 100_000;
  const activities: Activities = {
    async loadRunContext() {
      return { settings, storedProjectionVersion: 0 };
    },
    async loadGuestRunContext() {
      return { settings, storedProjectionVersion: 0 };
    },
    async ensureGuestCustomer(input) {
      calls.guestCustomers.push(input);
      return `cus_guest_${input.guestCheckoutId}`;
    },
    async createGuestCheckoutSession(input) {
      calls.guestSessions.push(input);
      return { checkoutId: `cs_guest_${input.guestCheckoutId}`, url: `https://checkout.stripe.test/g/${input.guestCheckoutId}`, expiresAt: input.expiresAt };
    },
    async saveGuestCheckout(view) {
      calls.guestViews.push(view);
      return true;
    },
    async attachGuestToWorkspace(input) {
      calls.attaches.push(input);
      await world.attachGate;
      if (world.attachOutages > 0) {
        world.attachOutages--;
        throw new Error('fake outage: the workflow service is unreachable');
      }
      if (!world.workspaces) throw new Error('fake activities: world.workspaces is not set');
      return attachThrough(world.workspaces, input);
    },
    async expireCheckoutSession(input) {
      calls.expirations.push(input);
      const status = world.sessionStatusOf.get(input.checkoutId) ?? 'open';
      return status === 'complete' ? 'complete' : 'expired';
    },
    async tagStripeOwnership(input) {
      calls.tags.push(input);
      return [input.customerId, input.subscriptionId].filter((id): id is string => id !== null);
    },
    async ensureStripeCustomer(input) {
      calls.customers.push(input);
      return `cus_for_${input.workspaceId}`;
    },
    async createCheckoutSession(input) {
      calls.sessions.push(input);
      const n = calls.sessions.length;
      return { checkoutId: `cs_test_${n}_${input.workspaceId}`, url: `https://checkout.stripe.test/c/${n}`, expiresAt: input.expiresAt };
    },
    async saveBillingProjection(p) {
      calls.projections.push(p);
      await heldIf('saveBillingProjection');
      return true;
    },
    async recordDunningReminder(input) {
      const first = !calls.reminders.some((r) => r.workspaceId === input.workspaceId && r.graceStartedAt === input.graceStartedAt && r.offsetMs === input.offsetMs);
      calls.reminders.push(input);
      return first;
    },
    async previewPlanChange(input) {
      calls.previews.push(input);
      await heldIf('previewPlanChange');
      const immediate = (input.timing ?? 'immediate') === 'immediate';
      return { amountDueCents: previewAmount(input.prorationDate), currency: 'usd', prorationDate: immediate ? input.prorationDate : null };
    },
    async applyPlanChange(input) {
      calls.changes.push(input);
      await heldIf('applyPlanChange');
      return { subscriptionId: input.subscriptionId, status: 'active', currentPeriodEnd: null, itemId: input.itemId, pendingUpdateExpiresAt: null };
    },
    async setCancelAtPeriodEnd(input) {
      calls.cancellations.push(input);
      await heldIf('setCancelAtPeriodEnd');
      return { subscriptionId: input.subscriptionId, cancelAtPeriodEnd: input.cancel, currentPeriodEnd: null };
    },
    async createTopUpCheckout(input) {
      calls.topUps.push(input);
      return { topUpId: input.topUpId, checkoutId: `cs_topup_${calls.topUps.length}`, url: `https://checkout.stripe.test/t/${calls.topUps.length}`, expiresAt: input.expiresAt };
    },
    async readWorkspaceBilling({ workspaceId }) {
      return { planId: world.planOf.get(workspaceId) ?? 'essential', stripeCustomerId: `cus_for_${workspaceId}` };
    },
    async loadSpendControls({ workspaceId }) {
      return world.controlsOf.get(workspaceId) ?? null;
    },
    async saveSpendControls(input) {
      calls.spendControls.push(input);
      world.controlsOf.set(input.workspaceId, input.controls);
    },
    async setSpendBlock(input) {
      calls.spendBlocks.push(input);
    },
    async saveContractPrices() {},
    async recordSalesLead(input) {
      calls.salesLeads.push(input);
    },
    /** Rating reads the month's spend the test has put in `world.spendOf` ("workspace|YYYY-MM"). */
    async rateAndDebitUsage(input) {
      calls.ratings.push(input);
      if (world.ratingFailures > 0) {
        world.ratingFailures--;
        throw ApplicationFailure.create({ type: 'internal_error', message: 'fake: a row this pass cannot handle', nonRetryable: true });
      }
      const monthSpentCents = world.spendOf.get(`${input.workspaceId}|${input.month}`) ?? 0;
      const debit = world.debitNext.get(input.workspaceId) ?? 0;
      world.debitNext.delete(input.workspaceId);
      if (!world.balanceOf.has(input.workspaceId)) return { ratedEvents: 1, debitedCents: 0, balanceCents: 0, monthSpentCents, more: false };
      const balanceCents = world.balanceOf.get(input.workspaceId)! - debit;
      world.balanceOf.set(input.workspaceId, balanceCents);
      const auto = world.autoTopUpOf.get(input.workspaceId);
      const debitSourceId = debit > 0 ? `${++debitSeq}-${debitSeq}` : null;
      return { ratedEvents: 1, debitedCents: debit, balanceCents, monthSpentCents, more: false, debitSourceId, autoTopUpThresholdCents: auto?.enabled ? auto.thresholdCents : null };
    },
    async readMonthSpend({ workspaceId, month }) {
      return world.spendOf.get(`${workspaceId}|${month}`) ?? 0;
    },
    async creditWallet(input) {
      const credited = !calls.credits.some((c) => c.workspaceId === input.workspaceId && c.sourceType === input.sourceType && c.sourceId === input.sourceId);
      calls.credits.push(input);
      if (!world.balanceOf.has(input.workspaceId)) return { credited, balanceCents: 0 };
      if (credited) world.balanceOf.set(input.workspaceId, world.balanceOf.get(input.workspaceId)! + input.amountCents);
      return { credited, balanceCents: world.balanceOf.get(input.workspaceId)! };
    },
    async reportUsageToStripe(input) {
      calls.usageReports.push(input);
      return { reported: 0, more: false };
    },
    async setInvoicingControls({ controls }) {
      return { collectionMethod: controls.collectionMethod, daysUntilDue: controls.collectionMethod === 'send_invoice' ? controls.daysUntilDue : null };
    },
    async recordOperatorAction(input) {
      const first = !calls.audits.some((a) => a.workspaceId === input.workspaceId && a.requestId === input.requestId);
      calls.audits.push(input);
      return first;
    },
    async readStripeSubscriptionFacts(input) {
      calls.resyncs.push(input);
      return (world.liveFactsOf.get(input.subscriptionId) ?? []).map((f, i) => ({ ...f, eventId: `resync:${input.requestId}:${i}`, occurredAt: input.occurredAt }));
    },
    async listReconcilableWorkspaces({ afterWorkspaceId, limit }) {
      return [...world.reconcilable].sort().filter((id) => !afterWorkspaceId || id > afterWorkspaceId).slice(0, limit);
    },
    async resyncWorkspace(input) {
      calls.reconciliations.push(input);
      const same = { status: 'active', mode: 'self_serve', plan: 'plus' };
      return { workspaceId: input.workspaceId, changed: false, applied: true, before: same, after: same };
    },
    async rememberTopUpPaymentMethod(input) {
      calls.rememberedCards.push(input);
      const stored = world.autoTopUpOf.get(input.workspaceId) ?? { enabled: false, thresholdCents: 0, amountCents: 0, customerId: null, paymentMethodId: null };
      const paymentMethodId = input.paymentMethodId ?? (input.paymentIntentId ? `pm_of_${input.paymentIntentId}` : null);
      if (!input.customerId || !paymentMethodId) return { saved: false };
      world.autoTopUpOf.set(input.workspaceId, { ...stored, customerId: input.customerId, paymentMethodId });
      return { saved: true };
    },
    async loadAutoTopUp({ workspaceId, crossingId, day }) {
      const s = world.autoTopUpOf.get(workspaceId);
      const rows = world.autoTopUpCharges.filter((c) => c.workspaceId === workspaceId);
      return {
        settings: s ? { enabled: s.enabled, amountCents: s.amountCents, customerId: s.customerId, paymentMethodId: s.paymentMethodId } : null,
        chargesToday: rows.filter((c) => c.day === day).length,
        alreadyCharged: rows.some((c) => c.crossingId === crossingId),
        maxPerDay: world.autoTopUpMaxPerDay,
      };
    },
    async chargeAutoTopUp(input) {
      calls.autoTopUpCharges.push(input);
      if (!world.autoTopUpCharges.some((c) => c.workspaceId === input.workspaceId && c.crossingId === input.crossingId)) {
        world.autoTopUpCharges.push({ workspaceId: input.workspaceId, crossingId: input.crossingId, day: input.day });
      }
      const answer = world.chargeAnswerOf.get(input.workspaceId);
      const paymentIntentId = `pi_for_${input.idempotencyKey}`;
      if (answer === undefined) return { outcome: 'succeeded', paymentIntentId };
      if (answer === 'processing') return { outcome: 'processing', paymentIntentId };
      if (answer === 'throw') throw ApplicationFailure.create({ type: 'payment_provider_error', message: 'fake: Stripe kept failing', nonRetryable: true });
      return { outcome: 'failed', paymentIntentId, failureCode: answer };
    },
    async disableAutoTopUp(input) {
      calls.autoTopUpDisables.push(input);
      const s = world.autoTopUpOf.get(input.workspaceId);
      if (s) world.autoTopUpOf.set(input.workspaceId, { ...s, enabled: false });
    },
    async recordSpendAlert(input) {
      const first = !calls.spendAlerts.some((a) => a.workspaceId === input.workspaceId && a.month === input.month && a.thresholdPercent === input.thresholdPercent);
      calls.spendAlerts.push(input);
      return first;
    },
  };
  return { activities, calls, world, hold };
}

/** Polls `read` until `accept` holds (signals are applied asynchronously). */
export async function eventually<T>(read: () => Promise<T>, accept: (value: T) => boolean, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T = await read();
  while (!accept(last)) {
    if (Date.now() > deadline) throw new Error(`condition not met in ${timeoutMs} ms; last value: ${JSON.stringify(last)}`);
    await new Promise((r) => setTimeout(r, 50));
    last = await read();
  }
  return last;
}
