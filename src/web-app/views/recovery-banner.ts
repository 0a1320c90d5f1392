// Billing recovery, as /billing's mode says: inside the grace window, the
// hosted invoice to pay and how long production stays on; once the grace
// window is over (enforced recovery), only payment recovery.
import type { BillingView } from '../engine-api';
import { countdown, formatDateTime, formatUsd } from '../format';
import { html, type Markup } from '../html';

function payLink(billing: BillingView): Markup {
  const invoice = billing.unpaidInvoice;
  if (!invoice) return html`<p>Stripe has not sent the invoice yet; it will appear here with its payment link.</p>`;
  return html`<p>Open invoice: <strong>${formatUsd(invoice.amountDueCents)}</strong> ${invoice.currency.toUpperCase()}.
    <a class="button" href="${invoice.hostedInvoiceUrl}" data-testid="pay-invoice">Pay the invoice on Stripe</a></p>`;
}

export function recoveryBanner(billing: BillingView | null, nowMs: number): Markup {
  if (!billing) return html``;
  if (billing.mode === 'enforced_recovery') {
    return html`<section class="alert bad" aria-labelledby="recovery-title" data-testid="enforced-recovery">
      <h2 id="recovery-title">Production access is blocked until billing is restored</h2>
      <p>The grace window${billing.grace && html` ended on ${formatDateTime(billing.grace.endsAt)}`}. Plan changes are unavailable until the unpaid invoice is paid.</p>
      ${payLink(billing)}
    </section>`;
  }
  if (billing.mode !== 'billing_recovery') return html``;
  const left = billing.grace && !billing.grace.expired ? countdown(Date.parse(billing.grace.endsAt), nowMs) : null;
  return html`<section class="alert warn" aria-labelledby="recovery-title" data-testid="billing-recovery">
    <h2 id="recovery-title">Payment needed: billing recovery</h2>
    <p>Your subscription has an unpaid invoice. Checkout alone cannot fix this: pay the invoice to keep your plan.</p>
    ${payLink(billing)}
    ${
      billing.grace &&
      html`<p data-testid="grace-countdown">Production access stays on for
        <strong data-countdown-end="${billing.grace.endsAt}">${left ?? 'no time: the grace window has ended'}</strong>
        (grace window ends ${formatDateTime(billing.grace.endsAt)}).</p>`
    }
  </section>`;
}
