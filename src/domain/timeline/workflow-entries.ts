// Workflow histories → timeline candidates. The workspace workflow's history
// says which Stripe facts arrived (stripeFact signals, with their event ids),
// what the app and operators asked (Updates, with their answers), what it
// decided (each projection it wrote, compared with the one before) and what
// it recorded (reminders, sales leads); the wallet workflow's says which
// top-ups were paid and credited, grants, spend controls, alerts and blocks.
// Messages and activities are recognised by the names in the vocabulary;
// anything else is skipped, so a history written by newer code still reads.
import type { StripeFact } from '../billing-facts';
import { normalizeState, type WorkspaceState } from '../billing-state';
import { essentialProjection, toProjection, type BillingProjection } from '../projection';
import {
  describeFact,
  describeLedgerSource,
  describeOperatorAction,
  describeReminder,
  describeSalesLead,
  describeSpendAlert,
  money,
  planLabel,
} from './explain';
import type { HistoryOutcome, HistoryRecord, HistoryRun, HistoryVocabulary, WorkflowHistory } from './history-records';
import { projectionChanges } from './projection-changes';
import { RANK_WORKFLOW, type TimelineCandidate } from './timeline';

type Obj = Record<string, unknown>;
const obj = (value: unknown): Obj | null => (value && typeof value === 'object' && !Array.isArray(value) ? (value as Obj) : null);
const str = (value: unknown): string | null => (typeof value === 'string' ? value : null);
const num = (value: unknown): number | null => (typeof value === 'number' && Number.isFinite(value) ? value : null);

function refusal(outcome: HistoryOutcome): string {
  return outcome.ok ? '' : `${outcome.code ?? 'failed'}: ${outcome.message}`;
}

function isFact(value: unknown): value is StripeFact {
  const o = obj(value);
  return o !== null && typeof o.kind === 'string' && typeof o.eventId === 'string';
}

/** The projection the run started from: the carried state's, or an Essential workspace's for a first run. */
function baselineOf(run: HistoryRun, workflowId: string): BillingProjection {
  const started = run.records.find((r) => r.type === 'started');
  const input = obj(started?.type === 'started' ? started.input : null);
  const state = obj(input?.state);
  if (state) {
    try {
      return toProjection(normalizeState(state as unknown as WorkspaceState));
    } catch {
      // A carried state this code cannot read: compare with an empty workspace instead.
    }
  }
  return essentialProjection(str(input?.workspaceId) ?? workflowId);
}

interface Emit {
  (record: HistoryRecord, kind: string, summary: string, extra?: { key?: string; stripeEventId?: string; note?: string }): void;
}

export function workflowCandidates(history: WorkflowHistory, v: HistoryVocabulary): TimelineCandidate[] {
  const out: TimelineCandidate[] = [];
  for (const run of history.runs) {
    const emit: Emit = (record, kind, summary, extra = {}) => {
      out.push({
        atMs: record.atMs,
        kind,
        summary,
        rank: RANK_WORKFLOW,
        ...(extra.key ? { key: extra.key } : {}),
        ...(extra.note ? { note: extra.note } : {}),
        source: {
          workflow: { workflowId: history.workflowId, runId: run.runId, eventId: record.eventId },
          ...(extra.stripeEventId ? { stripeEventId: extra.stripeEventId } : {}),
        },
      });
    };
    const fact = (record: HistoryRecord, value: unknown, how: 'signal' | 'resync' | string) => {
      if (!isFact(value)) return;
      const described = describeFact(value);
      if (!described) return;
      const suffix = how === 'signal' ? '' : how === 'resync' ? ' (read from Stripe by a resync)' : ` (received by guest checkout ${how} before the claim)`;
      emit(record, described.kind, described.summary + suffix, {
        key: `stripe:${value.eventId}`,
        ...(how === 'resync' ? {} : { stripeEventId: value.eventId }),
      });
    };
    let projection = baselineOf(run, history.workflowId);

    for (const record of run.records) {
      switch (record.type) {
        case 'signal':
          if (record.name === v.signals.stripeFact || record.name === v.signals.topUpPaid) fact(record, record.args[0], 'signal');
          break;
        case 'update':
          updateEntry(record, v, emit, fact);
          break;
        case 'activity': {
          const input = obj(record.input[0]);
          if (record.name === v.activities.saveBillingProjection && record.outcome.ok && input) {
            const next = input as unknown as BillingProjection;
            for (const change of projectionChanges(projection, next)) emit(record, change.kind, change.summary);
            projection = next;
          } else {
            activityEntry(record, input, v, emit, fact);
          }
          break;
        }
        case 'timer':
          if (record.summary) emit(record, 'timer.fired', `Timer fired: ${record.summary}`);
          break;
        default:
          break;
      }
    }
  }
  return out;
}

function updateEntry(
  record: Extract<HistoryRecord, { type: 'update' }>,
  v: HistoryVocabulary,
  emit: Emit,
  fact: (record: HistoryRecord, value: unknown, how: string) => void,
): void {
  const u = v.updates;
  const request = obj(record.args[0]) ?? {};
  const outcome = record.outcome;
  const result = outcome?.ok ? obj(outcome.result) : null;
  const pending = outcome === null;
  const refused = outcome !== null && !outcome.ok ? refusal(outcome) : null;

  switch (record.name) {
    case u.startCheckout: {
      const plan = planLabel(str(request.planId), str(request.interval));
      if (refused) return emit(record, 'checkout.refused', `Checkout for ${plan} refused: ${refused}`);
      if (pending || !result) return emit(record, 'checkout.requested', `Checkout for ${plan} requested (no answer yet)`);
      if (result.created === false) return emit(record, 'checkout.resumed', `Open checkout ${str(result.checkoutId)} handed back again for ${plan}`);
      return emit(record, 'checkout.opened', `Checkout ${str(result.checkoutId)} opened for ${plan}; it expires ${str(result.expiresAt)}`);
    }
    case u.previewPlanChange: {
      const plan = planLabel(str(request.targetPlanId), str(request.interval));
      if (refused) return emit(record, 'plan_change.refused', `Preview of a change to ${plan} refused: ${refused}`);
      if (!result) return;
      const due = num(obj(result.estimatedInvoiceDue)?.amountCents);
      return emit(record, 'plan_change.previewed', `Change to ${plan} previewed: ${due === null ? 'nothing' : money(due)} due, effective ${str(result.effectiveAt)}`);
    }
    case u.applyPlanChange: {
      const plan = planLabel(str(request.targetPlanId), str(request.targetPlanId) === 'essential' ? null : str(request.interval));
      if (refused) return emit(record, 'plan_change.refused', `Change to ${plan} refused: ${refused}`);
      if (!result) return emit(record, 'plan_change.requested', `Change to ${plan} requested (no answer yet)`);
      const status = str(result.status);
      const how =
        status === 'applied'
          ? 'applied now'
          : status === 'scheduled'
            ? `scheduled for ${str(result.effectiveAt)}`
            : 'held by Stripe until its proration invoice is paid';
      return emit(record, 'plan_change.requested', `Change to ${plan} requested${request.timing ? ` (timing ${String(request.timing)})` : ''}: ${how}`);
    }
    case u.cancelPendingChange:
      if (refused) return emit(record, 'plan_change.refused', `Cancelling the scheduled change refused: ${refused}`);
      if (!result) return;
      return emit(record, 'plan_change.cancelled', `Scheduled change to ${planLabel(str(result.targetPlanId), str(result.interval))} cancelled by the app`);
    case u.startTopUp: {
      const amount = num(request.amountCents);
      if (refused) return emit(record, 'top_up.refused', `Top-up of ${amount === null ? '?' : money(amount)} refused: ${refused}`);
      if (!result) return;
      return emit(record, 'top_up.started', `Top-up ${str(result.topUpId)} of ${amount === null ? '?' : money(amount)} opened (checkout ${str(result.checkoutId)})`);
    }
    case u.setInvoicingControls: {
      if (refused) return emit(record, 'enterprise.refused', `Invoicing controls refused: ${refused}`);
      if (!result) return;
      const days = num(result.daysUntilDue);
      return emit(record, 'enterprise.invoicing', `Invoicing set to ${str(result.collectionMethod)}${days === null ? '' : `, due ${days} days after issue`}`);
    }
    case u.extendGrace:
    case u.endGrace:
    case u.cancelScheduledChange:
    case u.resyncFromStripe: {
      const action = {
        [u.extendGrace]: 'extend_grace',
        [u.endGrace]: 'end_grace',
        [u.cancelScheduledChange]: 'cancel_scheduled_change',
        [u.resyncFromStripe]: 'resync_from_stripe',
      }[record.name]!;
      const actor = str(request.actor) ?? 'operator';
      const reason = str(request.reason) ?? '';
      const requestId = str(request.requestId);
      if (refused) return emit(record, 'operator.refused', `Operator ${actor}'s ${action.replace(/_/g, ' ')} was refused: ${refused} (reason given: "${reason}")`);
      if (!result) return emit(record, `operator.${action}`, `Operator ${actor} asked to ${action.replace(/_/g, ' ')} (no answer yet): "${reason}"`);
      if (result.applied === false) {
        return emit(record, `operator.${action}`, `Operator ${actor} repeated request ${requestId}; nothing was done again`);
      }
      return emit(record, `operator.${action}`, describeOperatorAction(action, actor, reason, obj(result.details) ?? {}), requestId ? { key: `audit:${requestId}` } : {});
    }
    case u.attachGuestCheckout: {
      const guest = str(request.guestCheckoutId) ?? 'a guest checkout';
      if (refused) return emit(record, 'guest.claim_refused', `Claim of guest checkout ${guest} refused: ${refused}`);
      if (!result) return;
      emit(
        record,
        'guest.claimed',
        `Guest checkout ${guest} (${str(request.email) ?? 'no email'}) claimed into this workspace: customer ${str(request.customerId)}${str(request.subscriptionId) ? `, subscription ${request.subscriptionId}` : ''}`,
      );
      const facts = Array.isArray(request.facts) ? request.facts : [];
      for (const f of facts) fact(record, f, guest);
      return;
    }
    case u.grantCredit: {
      const actor = str(request.actor) ?? 'operator';
      const amount = num(request.amountCents) ?? 0;
      const reference = str(request.reference);
      if (refused) return emit(record, 'operator.refused', `Operator ${actor}'s credit grant of ${money(amount)} was refused: ${refused}`);
      if (!result) return;
      return emit(
        record,
        'operator.grant_credit',
        describeOperatorAction('grant_credit', actor, str(request.reason) ?? '', { amountCents: amount, reference, credited: result.credited }),
        reference ? { key: `audit:grant:${reference}` } : {},
      );
    }
    case u.setSpendControls: {
      if (refused) return emit(record, 'spend.controls_refused', `Spend controls refused: ${refused}`);
      if (!result) return;
      const cap = num(request.monthlyCapCents);
      const thresholds = Array.isArray(request.alertThresholdsPercent) ? request.alertThresholdsPercent.join(' %, ') : '';
      const action = str(request.action) === 'block' ? 'block production at the cap' : 'alert only at the cap';
      return emit(record, 'spend.controls', `Spend controls set: monthly cap ${cap === null ? '?' : money(cap)}, alerts at ${thresholds ? `${thresholds} %` : 'no thresholds'}, ${action}`);
    }
    case u.setContractPrices: {
      if (refused) return emit(record, 'enterprise.refused', `Contract prices refused: ${refused}`);
      if (pending) return;
      const prices = Object.entries(request)
        .map(([family, cents]) => `${family} ${String(cents)} ¢`)
        .join(', ');
      return emit(record, 'enterprise.contract_prices', `Contract prices set (per 1,000 requests): ${prices || 'none (public rate card)'}`);
    }
    default:
      return;
  }
}

function activityEntry(
  record: Extract<HistoryRecord, { type: 'activity' }>,
  input: Obj | null,
  v: HistoryVocabulary,
  emit: Emit,
  fact: (record: HistoryRecord, value: unknown, how: string) => void,
): void {
  const a = v.activities;
  const { outcome } = record;
  const result = outcome.ok ? outcome.result : undefined;
  if (!input) return;
  switch (record.name) {
    case a.recordDunningReminder: {
      const [startedAt, endsAt, offsetMs] = [num(input.graceStartedAt), num(input.graceEndsAt), num(input.offsetMs)];
      if (!outcome.ok || startedAt === null || endsAt === null || offsetMs === null) return;
      return emit(record, 'dunning.reminder', describeReminder({ offsetMs, graceEndsAt: endsAt, invoice: obj(input.invoice) }), { key: `reminder:${startedAt}:${offsetMs}` });
    }
    case a.recordSalesLead: {
      if (!outcome.ok) return;
      const requestId = str(input.requestId);
      return emit(
        record,
        'sales.lead',
        describeSalesLead({ planId: str(input.planId) ?? 'enterprise', interval: str(input.interval), source: str(input.source) ?? 'checkout', email: str(input.email) }),
        requestId ? { key: `lead:${requestId}` } : {},
      );
    }
    case a.applyPlanChange: {
      if (input.timing !== 'period_end') return; // immediate changes are told by the Update that made them
      const plan = planLabel(str(input.planId), str(input.interval));
      if (!outcome.ok) return emit(record, 'plan_change.failed', `Scheduled change to ${plan} could not be sent to Stripe: ${refusal(outcome)}`);
      return emit(record, 'plan_change.sent', `Scheduled change to ${plan} sent to Stripe; the renewal is billed at the new price`);
    }
    case a.readStripeSubscriptionFacts:
      if (Array.isArray(result)) for (const f of result) fact(record, f, 'resync');
      return;
    case a.creditWallet: {
      const r = obj(result);
      const [amount, sourceType, sourceId] = [num(input.amountCents), str(input.sourceType), str(input.sourceId)];
      if (!r || r.credited !== true || amount === null || !sourceType || !sourceId) return;
      const balance = num(r.balanceCents);
      return emit(
        record,
        'wallet.credited',
        `Wallet credited ${money(amount)} (${describeLedgerSource(sourceType, sourceId)})${balance === null ? '' : `; balance ${money(balance)}`}`,
        { key: `ledger:${sourceType}:${sourceId}` },
      );
    }
    case a.recordSpendAlert: {
      const [month, threshold, spent, cap] = [str(input.month), num(input.thresholdPercent), num(input.spentCents), num(input.capCents)];
      if (!outcome.ok || !month || threshold === null || spent === null || cap === null) return;
      return emit(record, 'spend.alert', describeSpendAlert({ month, thresholdPercent: threshold, spentCents: spent, capCents: cap }), { key: `spend_alert:${month}:${threshold}` });
    }
    case a.setSpendBlock: {
      if (!outcome.ok) return;
      const month = str(input.blockedMonth);
      if (month) return emit(record, 'spend.blocked', `Monthly spend cap reached: production traffic blocked for ${month}`);
      return emit(record, 'spend.unblocked', 'Spend cap block lifted (new month or a raised cap)');
    }
    default:
      return;
  }
}

