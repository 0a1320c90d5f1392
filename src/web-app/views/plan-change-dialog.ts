// The plan-change dialog: the engine's preview (current plan, target plan,
// estimated invoice due from Stripe, monthly-equivalent delta, effective
// date), then apply now or schedule for the period end, as the preview's
// timing says. And the scheduled change with its cancel.
import type { BillingView, PlanChangePreview, Problem, RateCard } from '../engine-api';
import { formatDate, formatDateTime, formatUsd, formatUsdDelta } from '../format';
import { html, type Markup } from '../html';
import { csrfField, formErrorBox, formErrorFor, type FormError, type PageContext } from './components';

export interface ChangeRequest {
  targetPlanId: string;
  interval: string;
  preview?: PlanChangePreview;
  problem?: Problem;
}

const INTERVAL_WORD: Record<string, string> = { month: 'monthly', year: 'yearly' };

export function planLabel(card: RateCard, ref: { id: string; interval: string | null }): string {
  const plan = card.plans.find((p) => p.id === ref.id);
  const name = plan?.name ?? ref.id;
  // A free plan has no billing interval to speak of.
  return ref.interval && plan?.purchase !== 'free' ? `${name} (${INTERVAL_WORD[ref.interval] ?? ref.interval})` : name;
}

export function planChangeDialog(ctx: PageContext, card: RateCard, billing: BillingView, change: ChangeRequest, error?: FormError): Markup {
  const applyError = formErrorFor(error, 'plan-change');
  const p = change.preview;
  let content: Markup;
  if (!p) {
    content = html`<div class="alert bad" role="alert" data-testid="form-error-plan-change-preview"><p>${change.problem?.detail ?? 'The change could not be previewed.'}</p></div>`;
  } else {
    const immediate = p.timing === 'immediate';
    const mayApply = billing.mode === 'self_serve';
    content = html`<dl class="facts" data-testid="plan-change-preview">
        <dt>Current plan</dt><dd data-testid="preview-current">${planLabel(card, p.currentPlan)}</dd>
        <dt>Target plan</dt><dd data-testid="preview-target">${planLabel(card, p.targetPlan)}</dd>
        <dt>Estimated invoice due</dt><dd data-testid="preview-invoice">${formatUsd(p.estimatedInvoiceDue.amountCents)} <span class="muted">${p.estimatedInvoiceDue.currency.toUpperCase()}, calculated by Stripe</span></dd>
        <dt>Monthly-equivalent delta</dt><dd data-testid="preview-delta">${formatUsdDelta(p.monthlyEquivalentDelta.amountCents)} / month</dd>
        <dt>Effective date</dt><dd data-testid="preview-effective">${immediate ? html`Now (${formatDateTime(p.effectiveAt)})` : html`${formatDate(p.effectiveAt)}, at the end of the current period`}</dd>
      </dl>
      ${formErrorBox(applyError)}
      ${
        mayApply
          ? html`<form method="post" action="/app/plan-change">
              ${csrfField(ctx)}
              <input type="hidden" name="targetPlanId" value="${p.targetPlan.id}">
              <input type="hidden" name="interval" value="${change.interval}">
              <input type="hidden" name="timing" value="${p.timing}">
              ${p.prorationDate !== null && html`<input type="hidden" name="prorationDate" value="${p.prorationDate}">`}
              <button type="submit">${immediate ? 'Apply the change now' : `Schedule the change for ${formatDate(p.effectiveAt)}`}</button>
              <a class="button secondary" href="/app">Close</a>
            </form>`
          : html`<p class="alert warn">Pay the open invoice first: changes can be applied once billing is restored.</p><p><a class="button secondary" href="/app">Close</a></p>`
      }`;
  }
  return html`<dialog open id="plan-change" aria-labelledby="plan-change-title" data-testid="plan-change-dialog">
    <h2 id="plan-change-title">Change to ${planLabel(card, { id: change.targetPlanId, interval: change.interval })}</h2>
    ${content}
  </dialog>`;
}

export function pendingChangePanel(ctx: PageContext, card: RateCard, billing: BillingView, error?: FormError): Markup {
  const pending = billing.pendingChange;
  if (!pending) return html``;
  return html`<section class="panel" aria-labelledby="pending-title" data-testid="pending-change">
    <h2 id="pending-title">Scheduled plan change</h2>
    <p>Your plan changes to <strong>${planLabel(card, { id: pending.targetPlanId, interval: pending.interval })}</strong> on ${formatDate(pending.effectiveAt)}.</p>
    ${formErrorBox(formErrorFor(error, 'cancel-change'))}
    <form method="post" action="/app/pending-change/cancel">
      ${csrfField(ctx)}
      <button class="danger" type="submit">Cancel the scheduled change</button>
    </form>
  </section>`;
}
