// A random customer: what a workspace does on a given day, decided from its
// seeded stream and what it sees (its Stripe account, its wallet). The same
// seed makes the same life, as far as the engine answers the same.
import type { Interval } from '../../src/domain/plans';
import type { Action, SelfServePlan } from './actions';
import { Rng } from './rng';
import type { StripeAccount } from './stripe-account';

export type Profile = 'essential' | 'self_serve' | 'guest' | 'enterprise';

export interface CustomerView {
  account: StripeAccount;
  /** A guest purchase not yet claimed. */
  guest: StripeAccount | null;
  claimed: boolean;
  walletCents: number;
  /** The workspace has asked for a change that is still pending (cancel or scheduled change). */
  pendingChange: boolean;
  /** Days since the card started failing (null: it works). */
  cardFailingDays: number | null;
}

const PLANS: SelfServePlan[] = ['plus', 'family', 'business'];
const INTERVALS: Interval[] = ['month', 'month', 'month', 'year'];

export class Customer {
  readonly profile: Profile;
  private readonly rng: Rng;
  private readonly startDay: number;
  private checkoutDay: number | null = null;
  private guestDay: number | null = null;
  private enterpriseDone = false;
  private controlsSet = false;
  private contractSet = false;

  constructor(seed: number) {
    this.rng = new Rng(seed);
    this.profile = this.rng.pick<Profile>(['essential', 'self_serve', 'self_serve', 'self_serve', 'self_serve', 'self_serve', 'guest', 'guest', 'enterprise']);
    this.startDay = this.rng.int(0, 20);
  }

  /** Days since the last decision: per-day chances are scaled to it. */
  private span = 1;

  /** True with probability `perDay` compounded over the days since the last decision. */
  private daily(perDay: number): boolean {
    return this.rng.chance(1 - (1 - perDay) ** this.span);
  }

  /** What the customer does on `day`, `span` days after its last decision. */
  decide(day: number, span: number, v: CustomerView): Action[] {
    this.span = span;
    const r = this.rng;
    const out: Action[] = [];
    if (day < this.startDay) return out;
    const sub = v.account.subscription;
    const live = v.account.isLive();

    if (this.profile === 'enterprise') {
      if (!this.enterpriseDone) {
        this.enterpriseDone = true;
        out.push({ kind: 'enterprise' });
        return out;
      }
      if (!this.contractSet && live) {
        this.contractSet = true;
        out.push({ kind: 'contractPrices' }, { kind: 'grant', amountCents: 50_000 });
        return out;
      }
    } else if (this.profile === 'essential') {
      if (this.daily(0.01)) out.push({ kind: 'checkout', plan: r.pick(PLANS), interval: 'month', retries: 0 }); // and never pays
      if (this.daily(0.15)) out.push({ kind: 'usage', batches: 1, size: r.int(2, 8), resend: false });
      return out;
    } else if (!live && !v.guest && (!sub || sub.status === 'canceled' || sub.status === 'incomplete_expired')) {
      // Buying: as a guest (the guest profile's first purchase) or through the workspace's own checkout.
      const firstGuest = this.profile === 'guest' && !v.claimed && this.guestDay === null;
      if (firstGuest) {
        this.guestDay = day;
        out.push({ kind: 'guestCheckout', plan: r.pick(PLANS), interval: r.pick(INTERVALS) });
        if (r.chance(0.9)) out.push({ kind: 'payGuest' });
        return out;
      }
      if (this.checkoutDay === null || (day - this.checkoutDay > 2 && this.daily(sub ? 0.05 : 0.5))) {
        this.checkoutDay = day;
        out.push({ kind: 'checkout', plan: r.pick(PLANS), interval: r.pick(INTERVALS), retries: r.chance(0.2) ? 1 : 0 });
        const outcome = r.int(0, 99);
        if (outcome < 80) out.push({ kind: 'payCheckout', outcome: 'paid' });
        else if (outcome < 90) out.push({ kind: 'payCheckout', outcome: 'unpaid' });
        return out;
      }
    }
    if (v.guest && !v.claimed && this.guestDay !== null && day - this.guestDay >= r.int(1, 5)) {
      out.push({ kind: 'claimGuest' });
    }

    // Money in the wallet: enough for production traffic, topped up when low.
    if (live && v.walletCents < 3_000 && this.daily(0.4)) out.push({ kind: 'topUp', amountCents: r.pick([2_000, 5_000, 10_000]), pay: r.chance(0.9), retries: r.chance(0.15) ? 1 : 0 });
    if (this.daily(live ? 0.25 : 0.05)) out.push({ kind: 'usage', batches: r.int(1, 2), size: r.int(2, 12), resend: r.chance(0.1) });

    // Payment trouble: the card fails now and then, and is fixed after a while (sometimes after the grace window).
    if (v.cardFailingDays === null && live && this.daily(1 / 150)) out.push({ kind: 'cardFails' });
    if (v.cardFailingDays !== null && this.daily(v.cardFailingDays > 9 ? 0.5 : 0.15)) out.push({ kind: 'cardFixed' });
    if (v.account.delinquentSince() !== null) {
      if (this.daily(0.04)) out.push({ kind: 'extendGrace', days: r.int(1, 4) });
      else if (this.daily(0.02)) out.push({ kind: 'endGrace' });
    }

    if (live && sub && sub.planId !== 'enterprise' && v.cardFailingDays === null) {
      if (!v.pendingChange && this.daily(1 / 100)) {
        out.push({ kind: 'planChange', plan: r.pick(PLANS), interval: r.pick(INTERVALS), timing: r.pick(['auto', 'auto', 'immediate', 'period_end'] as const), preview: r.chance(0.5), retries: r.chance(0.2) ? 1 : 0 });
      } else if (!v.pendingChange && this.daily(1 / 300)) {
        out.push({ kind: 'cancel' });
      } else if (v.pendingChange && this.daily(0.05)) {
        out.push({ kind: 'revokeChange' });
      }
      if (sub.planId === 'business' && !this.controlsSet && this.daily(0.2)) {
        this.controlsSet = true;
        out.push({ kind: 'spendControls', capCents: r.pick([500, 5_000, 50_000]), action: r.pick(['alert', 'block'] as const) });
      }
    }
    if (live && this.daily(1 / 400)) out.push({ kind: 'grant', amountCents: r.pick([500, 2_500]) });
    if (this.daily(1 / 250)) out.push({ kind: 'terminate', which: r.pick(['workspace', 'wallet'] as const) });
    if (this.daily(1 / 60)) out.push({ kind: 'restartWorker' });
    return out;
  }
}
