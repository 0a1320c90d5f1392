// The simulator plays Stripe for one workspace (or one guest): it keeps what
// Stripe would know (customer, sessions, the subscription, invoices, whether
// the card works), reacts to the requests the engine really sent (read from
// the recording proxy in front of stripe-mock) and to the passing of time
// (renewals, payment retries, expiring sessions), and emits the events
// Stripe would send — the engine learns everything from those, as in
// production. It is also the truth the invariants compare the engine with.
import { PLANS, lookupKey, type Interval, type PlanId } from '../../src/domain/plans';
import { checkoutSessionObject, eventPayload, invoiceObject, subscriptionObject, type StripeEventPayload } from '../../scripts/lib/stripe-payloads';
import type { RecordedRequest } from '../support/stripe-recorder';

const DAY = 86_400_000;
/** Stripe retries a failed invoice this often, this many times, then gives up (uncollectible, subscription canceled). */
const RETRY_EVERY_MS = 3 * DAY;
const ATTEMPTS = 4;
/** An incomplete first payment not completed within this long ends the subscription (incomplete_expired). */
const INCOMPLETE_EXPIRES_MS = DAY;
/** What sales put on an Enterprise contract (cents per year). */
export const ENTERPRISE_YEARLY_CENTS = 1_200_000;

export interface SimSession {
  id: string;
  mode: 'subscription' | 'payment';
  planId: PlanId | null;
  interval: Interval | null;
  topUpId: string | null;
  amountCents: number;
  expiresAt: number;
  state: 'open' | 'complete' | 'expired';
  metadata: Record<string, string>;
}

export interface SimSubscription {
  id: string;
  itemId: string;
  planId: PlanId;
  interval: Interval;
  status: 'incomplete' | 'active' | 'past_due' | 'canceled' | 'incomplete_expired';
  periodStart: number;
  periodEnd: number;
  cancelAtPeriodEnd: boolean;
  metadata: Record<string, string>;
  createdAt: number;
}

export interface SimInvoice {
  id: string;
  subscriptionId: string;
  amountCents: number;
  status: 'open' | 'paid' | 'void' | 'uncollectible';
  /** First failed collection attempt of this invoice (null: none failed). */
  failedAt: number | null;
  attempts: number;
  nextAttemptAt: number | null;
}

export interface PaidTopUp {
  topUpId: string;
  amountCents: number;
}

const price = (planId: PlanId, interval: Interval) => (planId === 'enterprise' ? ENTERPRISE_YEARLY_CENTS : (PLANS[planId].prices?.[interval] ?? 0));
const plusInterval = (ms: number, interval: Interval) => {
  const d = new Date(ms);
  return interval === 'year' ? Date.UTC(d.getUTCFullYear() + 1, d.getUTCMonth(), d.getUTCDate(), d.getUTCHours(), d.getUTCMinutes(), d.getUTCSeconds()) : ms + 30 * DAY;
};

export class StripeAccount {
  customerId: string | null = null;
  subscription: SimSubscription | null = null;
  /** Subscriptions that ended (their late events stay routable). */
  readonly pastSubscriptionIds: string[] = [];
  invoices: SimInvoice[] = [];
  sessions: SimSession[] = [];
  cardWorks = true;
  readonly paidTopUps: PaidTopUp[] = [];
  /** Events emitted and not delivered yet. */
  outbox: StripeEventPayload[] = [];
  /** Customer creations the engine sent, by idempotency key. */
  readonly customerKeys = new Set<string>();
  private seq = 0;
  private createdOffset = 0;

  constructor(
    /** Unique per run: prefixes every id this account invents. */
    readonly prefix: string,
    /** The metadata Stripe objects of this account carry (workspaceId, or guestCheckoutId before a claim). */
    public metadata: Record<string, string>,
  ) {}

  private id(kind: string): string {
    this.seq += 1;
    return `${kind}_${this.prefix}_${this.seq}`;
  }

  /** A new tick: events of the same tick get increasing `created` seconds, so their true order survives reordered delivery. */
  startTick(): void {
    this.createdOffset = 0;
  }

  private emit(type: string, object: Record<string, unknown>, nowMs: number): void {
    this.createdOffset += 1;
    this.outbox.push(eventPayload(this.id('evt'), type, Math.floor(nowMs / 1000) + this.createdOffset, object));
  }

  private subscriptionPayload(s: SimSubscription) {
    return subscriptionObject({
      id: s.id,
      customerId: this.customerId ?? `cus_${this.prefix}`,
      status: s.status,
      metadata: { ...s.metadata },
      itemId: s.itemId,
      priceId: `price_${s.planId}_${s.interval}`,
      lookupKey: s.planId === 'enterprise' ? null : lookupKey(s.planId, s.interval),
      interval: s.interval,
      periodStart: Math.floor(s.periodStart / 1000),
      periodEnd: Math.floor(s.periodEnd / 1000),
      cancelAtPeriodEnd: s.cancelAtPeriodEnd,
    });
  }

  private invoicePayload(i: SimInvoice, attempted = false) {
    return invoiceObject({
      id: i.id,
      customerId: this.customerId ?? `cus_${this.prefix}`,
      subscriptionId: i.subscriptionId,
      subscriptionMetadata: { ...(this.subscription?.metadata ?? this.metadata) },
      status: i.status,
      amountDueCents: i.amountCents,
      attempted,
    });
  }

  private sessionPayload(s: SimSession, paymentStatus: 'paid' | 'unpaid' = 'paid') {
    return checkoutSessionObject({
      id: s.id,
      mode: s.mode,
      customerId: this.customerId,
      subscriptionId: s.mode === 'subscription' ? (this.subscription?.id ?? null) : null,
      clientReferenceId: this.metadata.workspaceId ?? null,
      metadata: s.metadata,
      status: s.state,
      paymentStatus,
      amountTotalCents: s.mode === 'payment' ? s.amountCents : null,
      expiresAt: Math.floor(s.expiresAt / 1000),
    });
  }

  /** What the engine asked Stripe to do, applied to this account (ids from stripe-mock's answers). */
  applyRequest(r: RecordedRequest, nowMs: number): void {
    if (r.status >= 300) return;
    const answer = (r.response ?? {}) as { id?: string };
    const f = r.form;
    if (r.method === 'POST' && r.path === '/v1/customers') {
      if (r.idempotencyKey) this.customerKeys.add(r.idempotencyKey);
      this.customerId ??= answer.id ?? null;
      return;
    }
    if (r.method === 'POST' && r.path === '/v1/checkout/sessions' && answer.id) {
      const metadata = Object.fromEntries(Object.entries(f).filter(([k]) => k.startsWith('metadata[')).map(([k, v]) => [k.slice(9, -1), v]));
      const payment = f.mode === 'payment';
      this.customerId ??= f.customer ?? null;
      this.sessions.push({
        id: answer.id,
        mode: payment ? 'payment' : 'subscription',
        planId: (metadata.planId as PlanId | undefined) ?? null,
        interval: (metadata.interval as Interval | undefined) ?? null,
        topUpId: metadata.topUpId ?? null,
        amountCents: Number(f['line_items[0][price_data][unit_amount]'] ?? 0),
        expiresAt: Number(f.expires_at ?? Math.floor((nowMs + DAY) / 1000)) * 1000,
        state: 'open',
        metadata,
      });
      return;
    }
    const expire = /^\/v1\/checkout\/sessions\/([^/]+)\/expire$/.exec(r.path);
    if (r.method === 'POST' && expire) {
      const s = this.sessions.find((x) => x.id === expire[1]);
      if (s && s.state === 'open') s.state = 'expired';
      return;
    }
    const update = /^\/v1\/subscriptions\/([^/]+)$/.exec(r.path);
    const sub = this.subscription;
    if (r.method === 'POST' && update && sub && sub.id === update[1]) {
      let changed = false;
      const planId = f['metadata[planId]'] as PlanId | undefined;
      const interval = f['metadata[interval]'] as Interval | undefined;
      if (planId && interval && (planId !== sub.planId || interval !== sub.interval)) {
        const immediate = f.proration_behavior === 'always_invoice';
        sub.planId = planId;
        sub.interval = interval;
        if (immediate) {
          const proration: SimInvoice = { id: this.id('in'), subscriptionId: sub.id, amountCents: 1000, status: 'paid', failedAt: null, attempts: 1, nextAttemptAt: null };
          this.invoices.push(proration);
          this.emit('invoice.paid', this.invoicePayload(proration, true), nowMs);
        }
        changed = true;
      }
      if (f['metadata[workspaceId]'] && sub.metadata.workspaceId !== f['metadata[workspaceId]']) {
        sub.metadata = { ...sub.metadata, workspaceId: f['metadata[workspaceId]'] };
        changed = true;
      }
      if (f.cancel_at_period_end !== undefined && (f.cancel_at_period_end === 'true') !== sub.cancelAtPeriodEnd) {
        sub.cancelAtPeriodEnd = f.cancel_at_period_end === 'true';
        changed = true;
      }
      if (changed) this.emit('customer.subscription.updated', this.subscriptionPayload(sub), nowMs);
    }
  }

  /** The customer completes the newest open subscription checkout; false when there is none. */
  paySubscriptionSession(nowMs: number, outcome: 'paid' | 'unpaid'): boolean {
    const session = [...this.sessions].reverse().find((s) => s.mode === 'subscription' && s.state === 'open' && s.expiresAt > nowMs);
    if (!session || !session.planId || !session.interval || (this.subscription && this.isLive())) return false;
    session.state = 'complete';
    if (this.subscription) this.pastSubscriptionIds.push(this.subscription.id);
    const metadata = { ...session.metadata };
    const sub: SimSubscription = {
      id: this.id('sub'),
      itemId: this.id('si'),
      planId: session.planId,
      interval: session.interval,
      status: outcome === 'paid' ? 'active' : 'incomplete',
      periodStart: nowMs,
      periodEnd: plusInterval(nowMs, session.interval),
      cancelAtPeriodEnd: false,
      metadata,
      createdAt: nowMs,
    };
    this.subscription = sub;
    const first: SimInvoice = {
      id: this.id('in'),
      subscriptionId: sub.id,
      amountCents: price(sub.planId, sub.interval),
      status: outcome === 'paid' ? 'paid' : 'open',
      failedAt: outcome === 'paid' ? null : nowMs,
      attempts: 1,
      nextAttemptAt: null,
    };
    this.invoices.push(first);
    this.emit('customer.subscription.created', this.subscriptionPayload(sub), nowMs);
    this.emit('checkout.session.completed', this.sessionPayload(session, outcome), nowMs);
    this.emit(outcome === 'paid' ? 'invoice.paid' : 'invoice.payment_failed', this.invoicePayload(first, true), nowMs);
    if (outcome === 'unpaid') this.cardWorks = false;
    return true;
  }

  /** Sales sets up an Enterprise subscription directly in Stripe (no checkout). */
  startEnterprise(nowMs: number): void {
    const sub: SimSubscription = {
      id: this.id('sub'),
      itemId: this.id('si'),
      planId: 'enterprise',
      interval: 'year',
      status: 'active',
      periodStart: nowMs,
      periodEnd: plusInterval(nowMs, 'year'),
      cancelAtPeriodEnd: false,
      metadata: { ...this.metadata, planId: 'enterprise', interval: 'year' },
      createdAt: nowMs,
    };
    this.customerId ??= `cus_${this.prefix}`;
    this.subscription = sub;
    const first: SimInvoice = { id: this.id('in'), subscriptionId: sub.id, amountCents: ENTERPRISE_YEARLY_CENTS, status: 'paid', failedAt: null, attempts: 1, nextAttemptAt: null };
    this.invoices.push(first);
    this.emit('customer.subscription.created', this.subscriptionPayload(sub), nowMs);
    this.emit('invoice.paid', this.invoicePayload(first, true), nowMs);
  }

  /** The customer pays the newest open top-up checkout (reported twice, as Stripe does: session and payment intent). */
  payTopUp(nowMs: number, reportIntent: boolean): boolean {
    const session = [...this.sessions].reverse().find((s) => s.mode === 'payment' && s.state === 'open' && s.expiresAt > nowMs);
    if (!session || !session.topUpId) return false;
    session.state = 'complete';
    this.paidTopUps.push({ topUpId: session.topUpId, amountCents: session.amountCents });
    this.emit('checkout.session.completed', this.sessionPayload(session), nowMs);
    if (reportIntent) {
      this.emit(
        'payment_intent.succeeded',
        { id: this.id('pi'), object: 'payment_intent', status: 'succeeded', amount: session.amountCents, amount_received: session.amountCents, currency: 'usd', customer: this.customerId, livemode: false, metadata: session.metadata },
        nowMs,
      );
    }
    return true;
  }

  isLive(): boolean {
    const s = this.subscription;
    return s !== null && (s.status === 'active' || s.status === 'past_due');
  }

  /** Time passes: sessions expire, periods renew (or end), failed invoices are retried. */
  advance(nowMs: number): void {
    for (const s of this.sessions) {
      if (s.state === 'open' && s.expiresAt <= nowMs) {
        s.state = 'expired';
        this.emit('checkout.session.expired', this.sessionPayload(s), nowMs);
      }
    }
    const sub = this.subscription;
    if (!sub) return;
    if (sub.status === 'incomplete') {
      if (this.cardWorks) this.collectOpen(nowMs);
      else if (nowMs - sub.createdAt >= INCOMPLETE_EXPIRES_MS) {
        sub.status = 'incomplete_expired';
        for (const i of this.unpaid()) {
          i.status = 'void';
          this.emit('invoice.voided', this.invoicePayload(i), nowMs);
        }
        this.emit('customer.subscription.updated', this.subscriptionPayload(sub), nowMs);
      }
      return;
    }
    if (!this.isLive()) return;
    while (this.isLive() && sub.periodEnd <= nowMs) {
      if (sub.cancelAtPeriodEnd) {
        sub.status = 'canceled';
        this.emit('customer.subscription.deleted', this.subscriptionPayload(sub), nowMs);
        return;
      }
      const invoice: SimInvoice = { id: this.id('in'), subscriptionId: sub.id, amountCents: price(sub.planId, sub.interval), status: 'open', failedAt: null, attempts: 0, nextAttemptAt: null };
      this.invoices.push(invoice);
      sub.periodStart = sub.periodEnd;
      sub.periodEnd = plusInterval(sub.periodEnd, sub.interval);
      this.attempt(invoice, nowMs);
    }
    for (const i of this.unpaid()) {
      if (i.nextAttemptAt !== null && i.nextAttemptAt <= nowMs) this.attempt(i, nowMs);
    }
  }

  /** The card works again: the next retry (or this one, for a first payment) collects. */
  fixCard(nowMs: number): void {
    this.cardWorks = true;
    if (this.subscription?.status === 'incomplete') this.collectOpen(nowMs);
  }

  private collectOpen(nowMs: number): void {
    for (const i of this.unpaid()) this.attempt(i, nowMs);
  }

  private unpaid(): SimInvoice[] {
    return this.invoices.filter((i) => i.status === 'open' && i.subscriptionId === this.subscription?.id);
  }

  private attempt(invoice: SimInvoice, nowMs: number): void {
    const sub = this.subscription!;
    invoice.attempts += 1;
    if (this.cardWorks) {
      invoice.status = 'paid';
      invoice.nextAttemptAt = null;
      this.emit('invoice.paid', this.invoicePayload(invoice, true), nowMs);
      if (this.unpaid().length === 0 && sub.status !== 'active') {
        sub.status = 'active';
        this.emit('customer.subscription.updated', this.subscriptionPayload(sub), nowMs);
      } else if (sub.status === 'active') {
        this.emit('customer.subscription.updated', this.subscriptionPayload(sub), nowMs);
      }
      return;
    }
    invoice.failedAt ??= nowMs;
    this.emit('invoice.payment_failed', this.invoicePayload(invoice, true), nowMs);
    if (invoice.attempts >= ATTEMPTS) {
      invoice.status = 'uncollectible';
      invoice.nextAttemptAt = null;
      this.emit('invoice.marked_uncollectible', this.invoicePayload(invoice), nowMs);
      sub.status = 'canceled';
      this.emit('customer.subscription.deleted', this.subscriptionPayload(sub), nowMs);
      return;
    }
    invoice.nextAttemptAt = nowMs + RETRY_EVERY_MS;
    if (sub.status === 'active') {
      sub.status = 'past_due';
      this.emit('customer.subscription.updated', this.subscriptionPayload(sub), nowMs);
    }
  }

  /** Truth: the subscription is paid up (live and nothing owed). */
  paidUp(): boolean {
    return this.subscription?.status === 'active' && this.invoices.every((i) => i.subscriptionId !== this.subscription!.id || i.status !== 'open' || i.failedAt === null);
  }

  /** Truth: since when the customer owes a failed payment on the live subscription (null: nothing failed). */
  delinquentSince(): number | null {
    if (!this.isLive()) return null;
    const failed = this.unpaid().map((i) => i.failedAt).filter((t): t is number => t !== null);
    return failed.length ? Math.min(...failed) : null;
  }

  takeEvents(): StripeEventPayload[] {
    return this.outbox.splice(0);
  }
}
