// The billing dashboard: production readiness with every failing reason, the
// wallet (balance against the minimum, top-up, ledger), auto top-up settings
// and, on Business, spend controls with the alerts fired this month.
import type { AutoTopUpView, BillingView, SpendOversight, WalletView } from '../engine-api';
import { centsToInput, formatDateTime, formatUsd } from '../format';
import { html, type Markup } from '../html';
import { csrfField, field, formErrorBox, formErrorFor, select, type FormError, type PageContext } from './components';
import { layout } from './layout';
import { recoveryBanner } from './recovery-banner';

export interface DashboardModel {
  billing: BillingView;
  wallet: WalletView;
  spend: SpendOversight;
  /** null: the engine has no auto top-up route. */
  autoTopUp: AutoTopUpView | null;
  error?: FormError;
}

/** What each /access reason means to the person who can fix it. */
const REASONS: Record<string, (b: BillingView) => Markup> = {
  plan_not_production_capable: () => html`Your plan has no production access: Essential covers sandbox keys, docs and test-mode traffic. <a href="/app">Choose a paid plan</a>.`,
  wallet_below_minimum: (b) =>
    html`The wallet balance (${formatUsd(b.wallet.balanceCents)}) is below the minimum runtime credit of ${formatUsd(b.wallet.minimumCents)}. <a href="#wallet">Top up the wallet</a>.`,
  enforced_recovery: () => html`The grace window after a failed payment has ended: pay the open invoice to restore production.`,
  project_limit: () => html`Every production project your plan includes is in use: a new project needs a larger plan.`,
  spend_cap_reached: () => html`This month's spend reached the Business spend cap, whose action is "block". <a href="#spend-controls">Raise the cap</a> or wait for next month.`,
};

function readiness(b: BillingView): Markup {
  const p = b.production;
  return html`<section class="panel" aria-labelledby="readiness-title" data-testid="production-readiness">
    <h2 id="readiness-title">Production readiness</h2>
    ${
      p.allowed
        ? html`<p class="alert ok" data-testid="production-allowed">Production API-key traffic is enabled.</p>`
        : html`<p class="alert bad" data-testid="production-blocked">Production API-key traffic is blocked, because:</p>
          <ul class="reasons">${p.reasons.map((r) => html`<li data-reason="${r}">${REASONS[r]?.(b) ?? r}</li>`)}</ul>`
    }
  </section>`;
}

const SOURCE_NAMES: Record<string, string> = {
  top_up: 'Top-up',
  usage_batch: 'Usage',
  operator_grant: 'Credit grant',
  auto_top_up: 'Auto top-up',
};

function walletPanel(ctx: PageContext, w: WalletView, error?: FormError): Markup {
  const e = formErrorFor(error, 'top-up');
  const below = w.balanceCents < w.minimumCents;
  return html`<section class="panel" id="wallet" aria-labelledby="wallet-title">
    <h2 id="wallet-title">Developer wallet</h2>
    <p data-testid="wallet-balance">Balance <strong>${formatUsd(w.balanceCents)}</strong> · minimum runtime credit ${formatUsd(w.minimumCents)} ·
      ${below ? html`<span class="error">${formatUsd(w.minimumCents - w.balanceCents)} below the minimum</span>` : html`<span>above the minimum</span>`}</p>
    <h3>Top up</h3>
    ${formErrorBox(e)}
    <form method="post" action="/app/dashboard/top-up" novalidate>
      ${csrfField(ctx)}
      ${field({ form: 'top-up', name: 'amount', label: 'Amount (USD)', inputmode: 'decimal', required: true, value: below ? centsToInput(Math.max(w.minimumCents - w.balanceCents, 500)) : '', hint: 'Paid on Stripe; the wallet is credited once Stripe confirms the payment.', error: e })}
      <button type="submit">Continue to payment</button>
    </form>
    <h3>Ledger</h3>
    ${
      w.entries.length === 0
        ? html`<p class="muted" data-testid="ledger-empty">No entries yet.</p>`
        : html`<table data-testid="ledger">
          <caption class="muted">Newest first</caption>
          <thead><tr><th scope="col">When</th><th scope="col">What</th><th scope="col">Reference</th><th scope="col" class="num">Amount</th></tr></thead>
          <tbody>${w.entries.map(
            (x) => html`<tr><td>${formatDateTime(x.createdAt)}</td><td>${SOURCE_NAMES[x.sourceType] ?? x.sourceType}${x.reason && html` · ${x.reason}`}</td><td>${x.sourceId}</td>
              <td class="num">${x.amountCents > 0 ? '+' : ''}${formatUsd(x.amountCents)}</td></tr>`,
          )}</tbody>
        </table>`
    }
  </section>`;
}

function autoTopUpPanel(ctx: PageContext, current: AutoTopUpView | null, error?: FormError): Markup {
  const e = formErrorFor(error, 'auto-top-up');
  const set = current !== null && (current.enabled || current.amountCents > 0);
  const enabled = e ? e.values.enabled === 'on' : current ? current.enabled || !set : true;
  return html`<section class="panel" id="auto-top-up" aria-labelledby="auto-top-up-title">
    <h2 id="auto-top-up-title">Auto top-up</h2>
    <p>When a debit takes the balance below the threshold, the card saved at your first top-up is charged the amount. A declined charge turns auto top-up off.</p>
    ${
      current &&
      html`<p data-testid="auto-top-up-status">${
        set ? (current.enabled ? `On: below ${formatUsd(current.thresholdCents)}, add ${formatUsd(current.amountCents)}` : 'Off') : 'Not set up'
      }${current.disabledReason && html` · turned off by the engine: ${current.disabledReason}`} · ${current.paymentMethodSaved ? 'a card is saved' : 'no card saved yet (the first top-up saves it)'} · ${current.chargesToday} of at most ${current.maxPerDay} charges today.</p>`
    }
    ${formErrorBox(e)}
    <form method="post" action="/app/dashboard/auto-top-up" novalidate>
      ${csrfField(ctx)}
      ${field({ form: 'auto-top-up', name: 'threshold', label: 'Threshold (USD)', inputmode: 'decimal', required: true, value: set ? centsToInput(current!.thresholdCents) : '', error: e })}
      ${field({ form: 'auto-top-up', name: 'amount', label: 'Amount to add (USD)', inputmode: 'decimal', required: true, value: set ? centsToInput(current!.amountCents) : '', error: e })}
      <div class="field check">
        <input id="auto-top-up-enabled" name="enabled" type="checkbox" value="on"${enabled ? html` checked` : ''}>
        <label for="auto-top-up-enabled">Enabled</label>
      </div>
      <button type="submit">Save auto top-up</button>
    </form>
  </section>`;
}

function spendPanel(ctx: PageContext, s: SpendOversight, error?: FormError): Markup {
  if (!s.available) {
    return html`<section class="panel" id="spend-controls" aria-labelledby="spend-title">
      <h2 id="spend-title">Spend controls</h2>
      <p class="muted" data-testid="spend-unavailable">Team spend controls (a monthly cap, alerts, alert-or-block) are part of the Business plan. <a href="/app">See plans</a>.</p>
    </section>`;
  }
  const e = formErrorFor(error, 'spend-controls');
  const c = s.controls;
  return html`<section class="panel" id="spend-controls" aria-labelledby="spend-title">
    <h2 id="spend-title">Spend controls</h2>
    <p data-testid="spend-summary">${s.month}: spent <strong>${formatUsd(s.spentCents)}</strong>${
      c ? html` of a ${formatUsd(c.monthlyCapCents)} cap (${s.remainingCents !== null && s.remainingCents >= 0 ? `${formatUsd(s.remainingCents)} left` : 'cap passed'}); at the cap: ${c.action === 'block' ? 'block production' : 'alert only'}` : ' · no cap set'
    }.</p>
    ${s.capBlocks && html`<p class="alert bad" data-testid="spend-cap-blocks">The spend cap blocks production traffic until next month or a higher cap.</p>`}
    <h3>Alerts this month</h3>
    ${
      s.alerts.length === 0
        ? html`<p class="muted" data-testid="spend-alerts-none">No alert has fired this month.</p>`
        : html`<table data-testid="spend-alerts"><thead><tr><th scope="col">Threshold</th><th scope="col">Reached</th><th scope="col" class="num">Spent</th><th scope="col" class="num">Cap</th></tr></thead>
          <tbody>${s.alerts.map((a) => html`<tr><td>${a.thresholdPercent}%</td><td>${formatDateTime(a.reachedAt)}</td><td class="num">${formatUsd(a.spentCents)}</td><td class="num">${formatUsd(a.capCents)}</td></tr>`)}</tbody></table>`
    }
    <h3>Set controls</h3>
    ${formErrorBox(e)}
    <form method="post" action="/app/dashboard/spend-controls" novalidate>
      ${csrfField(ctx)}
      ${field({ form: 'spend-controls', name: 'cap', label: 'Monthly cap (USD)', inputmode: 'decimal', required: true, value: c ? centsToInput(c.monthlyCapCents) : '', error: e })}
      ${field({ form: 'spend-controls', name: 'thresholds', label: 'Alert thresholds (% of the cap)', hint: 'Comma-separated, e.g. 50, 80, 100', value: c ? c.alertThresholdsPercent.join(', ') : '50, 80, 100', error: e })}
      ${select({ form: 'spend-controls', name: 'action', label: 'At the cap', options: [['alert', 'Alert only'], ['block', 'Block production traffic']], value: c?.action, error: e })}
      <button type="submit">Save spend controls</button>
    </form>
  </section>`;
}

export function dashboardPage(ctx: PageContext, m: DashboardModel): Markup {
  return layout(
    ctx,
    'dashboard',
    'Billing dashboard',
    html`<h1>Billing dashboard</h1>
    ${recoveryBanner(m.billing, ctx.nowMs)}
    ${readiness(m.billing)}
    ${walletPanel(ctx, m.wallet, m.error)}
    ${autoTopUpPanel(ctx, m.autoTopUp, m.error)}
    ${spendPanel(ctx, m.spend, m.error)}`,
  );
}
