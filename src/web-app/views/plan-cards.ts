// The plan cards of /v1/plans: prices per interval, the monthly equivalent of
// the yearly price, production projects, and what this visitor or workspace
// can do from each card (which depends only on /billing's mode and plan).
import type { BillingView, RateCard } from '../engine-api';
import { formatUsd } from '../format';
import { html, type Markup } from '../html';
import { csrfField, formErrorBox, formErrorFor, type FormError, type PageContext } from './components';

type Plan = RateCard['plans'][number];
type Interval = 'month' | 'year';

const INTERVAL_WORD: Record<Interval, string> = { month: 'monthly', year: 'yearly' };

export const isSubscribed = (b: BillingView) => b.status === 'active' || b.status === 'past_due';

/** Yearly price per month, rounded once to the cent (display only). */
function monthlyEquivalent(yearlyCents: number): number {
  return Math.round(yearlyCents / 12);
}

function priceLines(plan: Plan): Markup {
  if (plan.purchase === 'sales_assisted') return html`<p class="price">Contract pricing</p>`;
  const month = plan.prices.find((p) => p.interval === 'month');
  const year = plan.prices.find((p) => p.interval === 'year');
  if (plan.purchase === 'free' || !month || !year) return html`<p class="price">Free</p>`;
  return html`<p class="price" data-testid="price-${plan.id}-month">${formatUsd(month.amountCents)} <span class="muted">/ month</span></p>
    <p data-testid="price-${plan.id}-year">or ${formatUsd(year.amountCents)} / year
      <span class="muted">(${formatUsd(monthlyEquivalent(year.amountCents))} / month equivalent)</span></p>`;
}

function checkoutForm(ctx: PageContext, plan: Plan, interval: Interval): Markup {
  return html`<form class="inline" method="post" action="/app/checkout">
    ${csrfField(ctx)}<input type="hidden" name="planId" value="${plan.id}"><input type="hidden" name="interval" value="${interval}">
    <button type="submit" aria-label="Subscribe to ${plan.name}, billed ${INTERVAL_WORD[interval]}">Subscribe ${INTERVAL_WORD[interval]}</button>
  </form>`;
}

function previewLink(plan: Plan, interval: Interval, secondary = false): Markup {
  const free = plan.purchase === 'free';
  return html`<a class="button${secondary ? ' secondary' : ''}" href="/app?change=${plan.id}&amp;interval=${interval}#plan-change"
    aria-label="${free ? `Preview a downgrade to ${plan.name}` : `Preview a change to ${plan.name}, billed ${INTERVAL_WORD[interval]}`}">${
      free ? `Downgrade to ${plan.name}` : `Change to ${INTERVAL_WORD[interval]}`
    }</a>`;
}

/** What a card offers: checkout, guest checkout, a change preview, sales, or nothing (recovery). */
function cardActions(ctx: PageContext, plan: Plan, billing: BillingView | null): Markup {
  if (plan.purchase === 'sales_assisted') {
    if (billing?.mode === 'enforced_recovery') return html``;
    return html`<form class="inline" method="post" action="/app/checkout">
      ${csrfField(ctx)}<input type="hidden" name="planId" value="${plan.id}"><input type="hidden" name="interval" value="year">
      <button class="secondary" type="submit">Talk to sales</button>
    </form>`;
  }
  if (!billing) {
    if (plan.purchase !== 'self_serve') return html`<p class="muted">Every workspace starts here.</p>`;
    return html`<a class="button" href="/app?plan=${plan.id}#guest-checkout">Start with ${plan.name}</a>`;
  }
  const current = billing.plan.id === plan.id;
  switch (billing.mode) {
    case 'enforced_recovery':
    case 'sales_assisted':
      return html``;
    case 'checkout_pending':
      return billing.checkout ? html`<a class="button secondary" href="${billing.checkout.url}">Resume the open checkout</a>` : html``;
    default:
      break;
  }
  if (!isSubscribed(billing)) {
    if (billing.mode === 'billing_recovery' || plan.purchase !== 'self_serve') return html``;
    return html`${checkoutForm(ctx, plan, 'month')} ${checkoutForm(ctx, plan, 'year')}`;
  }
  // Subscribed: changes, never a second checkout.
  if (plan.purchase === 'free') return current ? html`` : previewLink(plan, 'month', true);
  const intervals = (['month', 'year'] as const).filter((i) => !(current && billing.plan.interval === i));
  return html`${intervals.map((i) => previewLink(plan, i, i === 'year'))}`;
}

export function planCards(ctx: PageContext, card: RateCard, billing: BillingView | null, error?: FormError): Markup {
  const checkoutError = formErrorFor(error, 'checkout');
  return html`<section aria-labelledby="plans-title">
    <h2 id="plans-title">Access plans</h2>
    ${formErrorBox(checkoutError)}
    <ul class="cards">
      ${card.plans.map((plan) => {
        const current = billing?.plan.id === plan.id;
        return html`<li class="card${current ? ' current' : ''}" data-testid="plan-${plan.id}" aria-labelledby="plan-${plan.id}-name">
          <h3 id="plan-${plan.id}-name">${plan.name} ${current && html`<span class="tag">Current plan${billing?.plan.interval ? html`, ${INTERVAL_WORD[billing.plan.interval]}` : ''}</span>`}</h3>
          ${priceLines(plan)}
          <p>${plan.summary}</p>
          <p class="muted">${
            plan.productionKeys
              ? plan.productionProjects === null
                ? 'Production keys, unlimited production projects'
                : `Production keys, ${plan.productionProjects} production project${plan.productionProjects === 1 ? '' : 's'}`
              : 'Sandbox keys only'
          }</p>
          <div class="actions">${cardActions(ctx, plan, billing)}</div>
        </li>`;
      })}
    </ul>
  </section>`;
}

const FAMILY_NAMES: Record<string, string> = {
  rate_limiting: 'Rate limiting',
  waf: 'WAF',
  signup_protection: 'Signup protection',
  bot_protection: 'Bot protection',
  ip_intelligence: 'IP intelligence',
  email_validation: 'Email validation',
};
const GROUP_NAMES: Record<string, string> = { frontend_protection: 'Frontend protection', backend_verification: 'Backend verification' };
const humanise = (id: string) => id.replace(/_/g, ' ').replace(/^./, (c) => c.toUpperCase());

export function requestFamilyRates(card: RateCard): Markup {
  return html`<section class="panel" aria-labelledby="rates-title">
    <h2 id="rates-title">Request-family rates</h2>
    <p>Production traffic on paid plans is billed from the developer wallet, per 1,000 requests.
      ${card.freeEnvironments.length > 0 && html`Free: ${card.freeEnvironments.join(', ')} traffic.`}</p>
    <table data-testid="request-family-rates">
      <caption class="muted">Public rate card (USD)</caption>
      <thead><tr><th scope="col">Request family</th><th scope="col">Group</th><th scope="col" class="num">Per 1,000 requests</th></tr></thead>
      <tbody>
        ${card.requestFamilies.map(
          (f) => html`<tr><th scope="row">${FAMILY_NAMES[f.id] ?? humanise(f.id)}</th><td>${GROUP_NAMES[f.group] ?? humanise(f.group)}</td><td class="num">${formatUsd(f.centsPer1000Requests)}</td></tr>`,
        )}
      </tbody>
    </table>
  </section>`;
}
