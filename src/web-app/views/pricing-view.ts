// The pricing page: plan cards, request-family rates, and for a signed-in
// workspace its billing state (recovery banner, open checkout, scheduled
// change, the plan-change dialog); for a visitor the guest checkout form.
import type { BillingView, RateCard } from '../engine-api';
import { formatDate } from '../format';
import { html, type Markup } from '../html';
import { csrfField, field, formErrorBox, formErrorFor, select, type FormError, type PageContext } from './components';
import { layout } from './layout';
import { planChangeDialog, pendingChangePanel, planLabel, type ChangeRequest } from './plan-change-dialog';
import { planCards, requestFamilyRates } from './plan-cards';
import { recoveryBanner } from './recovery-banner';

export interface PricingModel {
  card: RateCard;
  billing: BillingView | null;
  change?: ChangeRequest;
  /** The plan a visitor chose on a card (preselected in the guest form). */
  guestPlan?: string;
  error?: FormError;
}

function guestForm(ctx: PageContext, card: RateCard, chosen: string | undefined, error?: FormError): Markup {
  const e = formErrorFor(error, 'guest-checkout');
  const plans = card.plans.filter((p) => p.purchase === 'self_serve');
  return html`<section class="panel" id="guest-checkout" aria-labelledby="guest-title">
    <h2 id="guest-title">Buy without an account</h2>
    <p>Start checkout with your email address; the subscription attaches to your workspace after you sign in with a verified email.</p>
    ${formErrorBox(e)}
    <form method="post" action="/app/guest-checkout" novalidate>
      ${csrfField(ctx)}
      ${field({ form: 'guest-checkout', name: 'email', label: 'Email address', type: 'email', required: true, autocomplete: 'email', error: e })}
      ${select({ form: 'guest-checkout', name: 'planId', label: 'Plan', options: plans.map((p) => [p.id, p.name]), value: chosen, error: e })}
      ${select({ form: 'guest-checkout', name: 'interval', label: 'Billing interval', options: [['month', 'Monthly'], ['year', 'Yearly']], error: e })}
      <button type="submit">Continue to checkout</button>
    </form>
  </section>`;
}

function workspaceSummary(card: RateCard, billing: BillingView): Markup {
  return html`<p data-testid="billing-summary">Current plan: <strong>${planLabel(card, billing.plan)}</strong> · status ${billing.status}${
    billing.currentPeriodEnd && html` · current period ends ${formatDate(billing.currentPeriodEnd)}`
  }</p>
  ${
    billing.mode === 'checkout_pending' &&
    billing.checkout &&
    html`<p class="alert warn">A checkout is open until ${formatDate(billing.checkout.expiresAt)}. <a href="${billing.checkout.url}">Resume it on Stripe</a>.</p>`
  }
  ${billing.mode === 'sales_assisted' && html`<p class="alert warn">Your plan is managed by our sales team: contact them for any change.</p>`}`;
}

export function pricingPage(ctx: PageContext, m: PricingModel): Markup {
  const b = m.billing;
  return layout(
    ctx,
    'pricing',
    'Pricing',
    html`<h1>Pricing</h1>
    ${b && recoveryBanner(b, ctx.nowMs)}
    ${b && workspaceSummary(m.card, b)}
    ${b && m.change && b.mode !== 'enforced_recovery' && planChangeDialog(ctx, m.card, b, m.change, m.error)}
    ${b && b.mode !== 'enforced_recovery' && pendingChangePanel(ctx, m.card, b, m.error)}
    ${planCards(ctx, m.card, b, m.error)}
    ${requestFamilyRates(m.card)}
    ${!b && guestForm(ctx, m.card, m.guestPlan, m.error)}`,
  );
}
