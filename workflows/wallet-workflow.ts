// The wallet workflow (`wallet/{workspaceId}`): one per workspace, apart
// from the subscription workflow so that usage volume neither bloats nor
// delays the subscription's history. Ingestion nudges it only when no rating
// pass is pending (wallet_nudge), so a steady stream of batches costs one
// signal per pass, not per batch; it rates and debits everything pending in
// batches inside single database transactions (rows that cannot be rated are
// parked for operators, never retried forever), reports production usage to
// Stripe, credits paid top-ups and operator grants exactly once (non-USD
// money is refused and parked), and keeps Business spend controls: alerts
// once per threshold per month, block at the cap, unblock at the month
// boundary or when the cap is raised. It continues as new by size whatever
// is pending, carrying the pending work. Auto top-up (docs/auto-top-up.md):
// a debit that takes the balance below the workspace's threshold charges the
// saved card off-session, once per crossing, at most N times a day; a failed
// charge turns auto top-up off and notifies the app.
import { allHandlersFinished, condition, continueAsNew, log, patched, setHandler, sleep, workflowInfo } from '@temporalio/workflow';
import { crossesThreshold, planAutoTopUp, utcDayKey } from '../src/domain/auto-top-up';
import type { TopUpPaidFact } from '../src/domain/billing-facts';
import { contractPricesSchema } from '../src/domain/schemas';
import { capBlocks, monthKey, nextMonthStart, reachedThresholds, spendControlsSchema } from '../src/domain/spend-rules';
import {
  grantCreditUpdate,
  setContractPricesUpdate,
  setSpendControlsUpdate,
  topUpPaidSignal,
  usageRecordedSignal,
  walletStateQuery,
  type WalletState,
  type WalletWorkflowInput,
} from './wallet-definitions';
import { chargeAutoTopUp } from './auto-top-up-charge';
import { billing, durable, fireAt, localDurable, localReport, parseOrReject, quiesce, REPORT_BUDGET_MS, reject, createLock } from './workflow-support';

const TOP_UPS_REMEMBERED = 200;
/** Patch: continue as new by size with pending work carried, spend controls reloaded by a fresh run. */
export const WALLET_PATCH = 'wallet-v2';
/** Patch: remember the card of a paid top-up, charge it off-session when a debit crosses the auto top-up threshold. */
export const AUTO_TOP_UP_PATCH = 'auto-top-up';
/** Continue as new past this many events or signals even if the server has not suggested it. */
export const MAX_EVENTS_PER_RUN = 8_000;
export const MAX_SIGNALS_PER_RUN = 2_000;
/** After a pass failed for a reason retries cannot fix, wait this long before the next one. */
const FAILED_PASS_PAUSE = '1 minute';

export async function walletWorkflow(input: WalletWorkflowInput): Promise<void> {
  const v2 = patched(WALLET_PATCH);
  const autoTopUps = patched(AUTO_TOP_UP_PATCH);
  const { workspaceId } = input;
  const state: WalletState = input.state ?? { workspaceId, controls: null, spend: null, creditedTopUps: [], ratingPasses: 0 };
  // After continue-as-new, look for usage that arrived in between.
  let usagePending = input.state !== undefined;
  let monthRolled = false;
  let signalsThisRun = 0;
  const topUps: TopUpPaidFact[] = [...(input.pendingTopUps ?? [])];
  /** Crossings (debit ledger source ids) not charged yet. */
  const crossings: string[] = [...(input.pendingAutoTopUps ?? [])];
  const armedMonths = new Set<number>();

  const exclusively = createLock();

  function armMonthBoundary(): void {
    const at = nextMonthStart(Date.now());
    if (armedMonths.has(at)) return;
    armedMonths.add(at);
    fireAt(
      at,
      () => {
        monthRolled = true;
      },
      'month boundary: spend controls reset',
    );
  }

  /**
   * Alerts and block state for the month's spend so far. The new spend state
   * is published only once its effects are recorded, so a query never shows
   * a block that the gate cannot see yet.
   */
  async function evaluateSpend(spentCents: number): Promise<void> {
    const month = monthKey(Date.now());
    const previous = state.spend;
    const wasBlocked = previous?.blocked ?? false;
    const next = previous?.month === month ? { ...previous, alerted: [...previous.alerted] } : { month, spentCents: 0, alerted: [], blocked: false };
    next.spentCents = spentCents;
    const controls = state.controls;
    if (controls) {
      for (const thresholdPercent of reachedThresholds(controls, spentCents)) {
        if (next.alerted.includes(thresholdPercent)) continue;
        await durable.recordSpendAlert({ workspaceId, month, thresholdPercent, spentCents, capCents: controls.monthlyCapCents });
        next.alerted.push(thresholdPercent);
      }
    }
    next.blocked = capBlocks(controls, spentCents);
    if (next.blocked !== wasBlocked) {
      await durable.setSpendBlock({ workspaceId, blockedMonth: next.blocked ? month : null });
    }
    state.spend = next;
    if (controls) armMonthBoundary();
  }

  /**
   * Rates and debits everything pending, then reports production usage to
   * Stripe. (Runs started before wallet-v2 rate in a regular activity and
   * read the Stripe customer in a second one; v2 rates in a local activity
   * that also answers whether anything is left to report and for whom: a
   * pass is one marker, plus a report only when there is something to report.)
   */
  async function rateUsage(): Promise<void> {
    usagePending = false;
    let more = true;
    let report: { customerId: string | null; unreported: boolean } = { customerId: null, unreported: false };
    while (more) {
      const month = monthKey(Date.now());
      const result = v2 ? await localDurable.rateAndDebitUsage({ workspaceId, month }) : await durable.rateAndDebitUsage({ workspaceId, month });
      state.ratingPasses += 1;
      more = result.more;
      report = { customerId: result.stripeCustomerId ?? null, unreported: result.unreported ?? false };
      if (autoTopUps && result.debitSourceId && crossesThreshold(result.autoTopUpThresholdCents, result.balanceCents + result.debitedCents, result.balanceCents)) {
        crossings.push(result.debitSourceId);
      }
      if (result.parkedEvents) log.warn('usage events parked: they cannot be rated (see wallet_exception)', { workspaceId, parked: result.parkedEvents });
      if (result.ratedEvents > 0 || state.controls) await evaluateSpend(result.monthSpentCents);
    }
    if (v2 && !report.unreported) return;
    const stripeCustomerId = v2 ? report.customerId : (await durable.readWorkspaceBilling({ workspaceId })).stripeCustomerId;
    if (!stripeCustomerId) return; // reported once the workspace has a Stripe customer
    try {
      for (let again = true; again; ) {
        again = v2
          ? (await localReport.reportUsageToStripe({ workspaceId, customerId: stripeCustomerId, budgetMs: REPORT_BUDGET_MS })).more
          : (await billing.reportUsageToStripe({ workspaceId, customerId: stripeCustomerId })).more;
      }
    } catch (err) {
      // The wallet is already debited; reporting resumes with the next batch.
      log.warn('usage report to Stripe failed', { workspaceId, err });
    }
  }

  async function creditTopUp(fact: TopUpPaidFact): Promise<void> {
    const result = await durable.creditWallet({
      workspaceId,
      kind: 'top_up',
      amountCents: fact.amountCents,
      sourceType: 'top_up',
      sourceId: fact.topUpId,
      reason: `Stripe top-up ${fact.topUpId}`,
      currency: fact.currency,
    });
    if (result.refused) log.warn('top-up refused and parked (see wallet_exception)', { workspaceId, topUpId: fact.topUpId, refused: result.refused });
    state.creditedTopUps = [...state.creditedTopUps.filter((id) => id !== fact.topUpId), fact.topUpId].slice(-TOP_UPS_REMEMBERED);
    if (autoTopUps && !result.refused && fact.customerId && (fact.paymentMethodId || fact.paymentIntentId)) {
      // The top-up's Checkout saved its card for off-session use: auto top-ups charge it.
      await billing
        .rememberTopUpPaymentMethod({ workspaceId, customerId: fact.customerId, paymentMethodId: fact.paymentMethodId ?? null, paymentIntentId: fact.paymentIntentId ?? null })
        .catch((err: unknown) => log.warn('could not remember the payment method of a top-up', { workspaceId, topUpId: fact.topUpId, err }));
    }
  }

  /** Charges a crossing (or skips it, see planAutoTopUp); the outcome is kept in the state for operators. */
  async function autoTopUp(crossingId: string): Promise<void> {
    const day = utcDayKey(Date.now());
    const plan = planAutoTopUp(workspaceId, crossingId, await durable.loadAutoTopUp({ workspaceId, crossingId, day }));
    const outcome = plan.action === 'skip' ? `skipped:${plan.reason}` : await chargeAutoTopUp(workspaceId, crossingId, day, plan);
    state.lastAutoTopUp = { crossingId, outcome };
    state.autoTopUpsCharged = (state.autoTopUpsCharged ?? 0) + (plan.action === 'charge' ? 1 : 0);
  }

  setHandler(walletStateQuery, () => state);
  setHandler(usageRecordedSignal, () => {
    signalsThisRun++;
    usagePending = true;
  });
  setHandler(topUpPaidSignal, (fact) => {
    signalsThisRun++;
    topUps.push(fact);
  });
  setHandler(
    grantCreditUpdate,
    (request) =>
      exclusively(async () => {
        const result = await durable.creditWallet({
          workspaceId,
          kind: 'grant',
          amountCents: request.amountCents,
          sourceType: 'operator_grant',
          sourceId: request.reference,
          reason: request.reason,
        });
        // The audit row (request id from the reference, so a repeated grant is recorded once).
        await durable.recordOperatorAction({
          workspaceId,
          action: 'grant_credit',
          reason: request.reason,
          actor: request.actor ?? 'operator',
          requestId: `grant:${request.reference}`,
          details: { amountCents: request.amountCents, reference: request.reference, credited: result.credited, balanceCents: result.balanceCents },
        });
        return { credited: result.credited, balanceCents: result.balanceCents };
      }),
    {
      validator(request) {
        const ok = Number.isSafeInteger(request.amountCents) && request.amountCents > 0 && request.reason?.trim() && request.reference?.trim();
        if (!ok) reject('validation_failed', 'A grant needs a positive integer amountCents, a reason and a reference.');
      },
    },
  );
  setHandler(
    setSpendControlsUpdate,
    (controls) =>
      exclusively(async () => {
        const { planId } = await durable.readWorkspaceBilling({ workspaceId });
        if (planId !== 'business') reject('not_available_on_plan', 'Spend controls are part of the Business plan.');
        await durable.saveSpendControls({ workspaceId, controls });
        state.controls = controls;
        await evaluateSpend(await durable.readMonthSpend({ workspaceId, month: monthKey(Date.now()) }));
        return state.spend!;
      }),
    {
      validator(controls) {
        parseOrReject(spendControlsSchema, controls, 'The spend controls are invalid.');
      },
    },
  );

  setHandler(
    setContractPricesUpdate,
    (prices) =>
      exclusively(async () => {
        const { planId } = await durable.readWorkspaceBilling({ workspaceId });
        if (planId !== 'enterprise') reject('not_available_on_plan', 'Contract pricing is for Enterprise workspaces.');
        await durable.saveContractPrices({ workspaceId, prices });
      }),
    {
      validator(prices) {
        if (!contractPricesSchema.safeParse({ prices }).success) reject('validation_failed', 'Contract prices must be whole cents per 1,000 requests for known request families.');
      },
    },
  );

  if (v2 && !input.state) {
    // A run started afresh (the workflow was terminated, or failed) keeps the controls the workspace set.
    state.controls = await durable.loadSpendControls({ workspaceId });
  }
  if (state.controls) armMonthBoundary();

  const shouldContinueAsNew = () => {
    const info = workflowInfo();
    if (info.continueAsNewSuggested) return true;
    if (input.continueAsNewAfterEvents !== undefined && info.historyLength >= input.continueAsNewAfterEvents) return true;
    return v2 && (info.historyLength >= MAX_EVENTS_PER_RUN || signalsThisRun >= MAX_SIGNALS_PER_RUN);
  };

  for (;;) {
    await condition(() => usagePending || topUps.length > 0 || crossings.length > 0 || monthRolled || shouldContinueAsNew());
    let failed = false;
    await exclusively(async () => {
      for (const fact of topUps.splice(0)) await creditTopUp(fact);
      if (usagePending) await rateUsage();
      while (crossings.length > 0) {
        await autoTopUp(crossings[0]);
        crossings.shift();
      }
      if (monthRolled) {
        monthRolled = false;
        await evaluateSpend(await durable.readMonthSpend({ workspaceId, month: monthKey(Date.now()) }));
      }
    }).catch((err: unknown) => {
      if (!v2) throw err;
      // A failure retries cannot fix must not end the wallet (the next batch would start a run that meets it again).
      log.error('wallet pass failed; trying again later', { workspaceId, err });
      usagePending = true;
      failed = true;
    });
    if (failed) await sleep(FAILED_PASS_PAUSE);
    if (v2 && shouldContinueAsNew()) {
      await quiesce(async () => undefined, () => false);
      await continueAsNew<typeof walletWorkflow>({
        workspaceId,
        state,
        pendingTopUps: topUps,
        continueAsNewAfterEvents: input.continueAsNewAfterEvents,
        ...(crossings.length > 0 ? { pendingAutoTopUps: crossings } : {}),
      });
    }
    if (!v2 && workflowInfo().continueAsNewSuggested && !usagePending && topUps.length === 0) {
      await condition(allHandlersFinished);
      await continueAsNew<typeof walletWorkflow>({ workspaceId, state });
    }
  }
}
