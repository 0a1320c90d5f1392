// One simulated workspace: its Stripe account(s) as the simulator plays them,
// what it sent the engine (for the invariants), and how each action is done
// — through the engine's public HTTP API, its webhook endpoint, or (for
// operators' faults) the Temporal client.
import { randomUUID } from 'node:crypto';
import { workflowIdFor } from '../../workflows/definitions';
import { guestWorkflowIdFor } from '../../workflows/guest-definitions';
import { walletWorkflowIdFor } from '../../workflows/wallet-definitions';
import { signedEvent, type StripeEventPayload } from '../../scripts/lib/stripe-payloads';
import { TEST_SECRETS } from '../support/test-env';
import type { Action, Step } from './actions';
import type { SimEngine } from './engine';
import { Customer, type CustomerView } from './policy';
import { Rng } from './rng';
import { StripeAccount } from './stripe-account';

const FAMILIES = ['rate_limiting', 'waf', 'signup_protection', 'bot_protection', 'ip_intelligence', 'email_validation'] as const;
const RETURN = { successUrl: 'https://app.example.com/ok', cancelUrl: 'https://app.example.com/no' };
const app = { Authorization: `Bearer ${TEST_SECRETS.APP_API_TOKEN}`, 'Content-Type': 'application/json' };
const operator = { Authorization: `Bearer ${TEST_SECRETS.OPERATOR_API_TOKEN}`, 'Content-Type': 'application/json' };

export interface SentUsage {
  family: string;
  environment: string;
  quantity: number;
}

export interface HttpAnswer {
  status: number;
  body: Record<string, unknown>;
}

export class WorkspaceSim {
  readonly id: string;
  /** The workspace's own Stripe objects (a guest purchase claimed into it becomes current). */
  readonly own: StripeAccount;
  guest: { checkoutId: string; email: string; account: StripeAccount } | null = null;
  claimed = false;
  readonly trace: Step[] = [];
  /** Usage events the engine accepted, by id. */
  readonly usage = new Map<string, SentUsage>();
  private usageSeq = 0;
  private keySeq = 0;
  /** Idempotency keys of requests that start something. */
  readonly intents: { key: string; kind: string }[] = [];
  granted = 0;
  /** Workflows that did not replay from their history after a simulated restart. */
  readonly replayFailures: { workflowId: string; error: string }[] = [];
  /** A worker restart happened in this tick: the workspace's workflows are to be replayed from their histories. */
  restartRequested = false;
  cardFailingSince: number | null = null;
  /** The delinquency (its start) during which an operator moved or ended the grace window. */
  graceTouchedFor: number | null = null;
  readonly contractPrices: Record<string, number> = {};
  readonly noise: Rng;
  private readonly customer: Customer | null;

  constructor(
    readonly index: number,
    prefix: string,
    readonly seed: number,
    private readonly script: Step[] | null,
  ) {
    this.id = `${prefix}_w${index}`;
    this.own = new StripeAccount(this.id, { workspaceId: this.id });
    const streams = new Rng(seed);
    this.customer = script ? null : new Customer(streams.seed());
    this.noise = new Rng(streams.seed());
  }

  get profile(): string {
    return this.customer?.profile ?? 'scripted';
  }

  /** The Stripe objects the engine holds for the workspace: its own, or the guest purchase it claimed. */
  current(): StripeAccount {
    return this.claimed && this.guest ? this.guest.account : this.own;
  }

  /** The ids of the workspace's workflows (the guest checkout's too, once there is one). */
  workflowIds(): string[] {
    return [workflowIdFor(this.id), walletWorkflowIdFor(this.id), ...(this.guest ? [guestWorkflowIdFor(this.guest.checkoutId)] : [])];
  }

  /** Every Stripe account this workspace's requests and events may belong to. */
  accounts(): StripeAccount[] {
    return this.guest ? [this.own, this.guest.account] : [this.own];
  }

  decide(day: number, span: number, nowMs: number, walletCents: number, pendingChange: boolean): Action[] {
    if (this.script) return this.script.filter((s) => s.day === day).map((s) => s.action);
    const view: CustomerView = {
      account: this.current(),
      guest: this.guest?.account ?? null,
      claimed: this.claimed,
      walletCents,
      pendingChange,
      cardFailingDays: this.cardFailingSince === null ? null : Math.floor((nowMs - this.cardFailingSince) / 86_400_000),
    };
    return this.customer!.decide(day, span, view);
  }

  private key(kind: string): string {
    this.keySeq += 1;
    const key = `${this.id}:${kind}:${this.keySeq}`;
    this.intents.push({ key, kind });
    return key;
  }

  /** Performs one action; `sync` applies what the engine asked Stripe so far. */
  async perform(action: Action, e: SimEngine, sync: () => void): Promise<void> {
    const now = e.now();
    const acct = this.current();
    switch (action.kind) {
      case 'checkout': {
        const key = this.key('checkout');
        for (let i = 0; i <= action.retries; i++) {
          await post(e, `/v1/workspaces/${this.id}/checkout`, { planId: action.plan, interval: action.interval, ...RETURN }, key);
        }
        sync();
        return;
      }
      case 'payCheckout':
        sync();
        acct.paySubscriptionSession(now, action.outcome);
        if (action.outcome === 'unpaid') this.cardFailingSince = now;
        return;
      case 'guestCheckout': {
        const email = `${this.id}@guests.example.com`;
        const res = await post(e, '/v1/checkout/guest', { email, planId: action.plan, interval: action.interval, ...RETURN }, this.key('guest'));
        if (res.status === 201) this.guest = { checkoutId: String(res.body.checkoutId), email, account: new StripeAccount(`${this.id}_g`, { guestCheckoutId: String(res.body.checkoutId) }) };
        sync();
        return;
      }
      case 'payGuest':
        sync();
        this.guest?.account.paySubscriptionSession(now, 'paid');
        return;
      case 'claimGuest': {
        if (!this.guest || this.claimed) return;
        const res = await post(e, `/v1/checkout/${this.guest.checkoutId}/claim`, { workspaceId: this.id, verifiedEmail: this.guest.email }, this.key('claim'));
        // The workspace now owns the guest's Stripe objects (the engine tags them with the workspace id).
        if (res.status === 200) this.claimed = true;
        sync();
        return;
      }
      case 'enterprise':
        acct.startEnterprise(now);
        return;
      case 'planChange': {
        const body = { targetPlanId: action.plan, interval: action.interval, timing: action.timing };
        let prorationDate: number | undefined;
        if (action.preview) {
          const preview = await post(e, `/v1/workspaces/${this.id}/plan-changes/preview`, body);
          if (preview.status === 200 && typeof preview.body.prorationDate === 'number') prorationDate = preview.body.prorationDate;
        }
        const key = this.key('plan-change');
        for (let i = 0; i <= action.retries; i++) await post(e, `/v1/workspaces/${this.id}/plan-changes`, { ...body, ...(prorationDate ? { prorationDate } : {}) }, key);
        sync();
        return;
      }
      case 'cancel':
        await post(e, `/v1/workspaces/${this.id}/plan-changes`, { targetPlanId: 'essential', interval: 'month' }, this.key('cancel'));
        sync();
        return;
      case 'revokeChange':
        await call(e, 'DELETE', `/v1/workspaces/${this.id}/plan-changes/pending`, undefined, app);
        sync();
        return;
      case 'cardFails':
        acct.cardWorks = false;
        this.cardFailingSince ??= now;
        return;
      case 'cardFixed':
        acct.fixCard(now);
        this.guest?.account.fixCard(now);
        this.cardFailingSince = null;
        return;
      case 'topUp': {
        const key = this.key('top-up');
        for (let i = 0; i <= action.retries; i++) await post(e, `/v1/workspaces/${this.id}/wallet/top-ups`, { amountCents: action.amountCents, ...RETURN }, key);
        sync();
        if (action.pay) acct.payTopUp(now, this.noise.chance(0.5));
        return;
      }
      case 'usage': {
        const production = acct.isLive();
        for (let b = 0; b < action.batches; b++) {
          const events = Array.from({ length: action.size }, () => {
            this.usageSeq += 1;
            return {
              id: `${this.id}_u${this.usageSeq}`,
              projectId: 'p1',
              family: FAMILIES[this.usageSeq % FAMILIES.length],
              environment: production && this.usageSeq % 7 !== 0 ? 'production' : 'sandbox',
              quantity: 1 + ((this.usageSeq * 37) % 500),
              occurredAt: new Date(now).toISOString(),
            };
          });
          const res = await post(e, `/v1/workspaces/${this.id}/usage`, { events });
          if (res.status === 202) for (const ev of events) if (!this.usage.has(ev.id)) this.usage.set(ev.id, ev);
          if (action.resend && res.status === 202) await post(e, `/v1/workspaces/${this.id}/usage`, { events: events.slice(0, 5) });
        }
        // The gateway asks about the project too (it becomes a production project when first allowed).
        await call(e, 'GET', `/v1/workspaces/${this.id}/access?projectId=p1&environment=production`, undefined, app);
        return;
      }
      case 'spendControls':
        await call(e, 'PUT', `/v1/workspaces/${this.id}/spend-controls`, { monthlyCapCents: action.capCents, alertThresholdsPercent: [50, 80], action: action.action }, app);
        return;
      case 'extendGrace': {
        const res = await call(e, 'POST', `/v1/operator/workspaces/${this.id}/grace/extend`, { byMs: action.days * 86_400_000, reason: 'simulated operator' }, { ...operator, 'Idempotency-Key': this.key('extend') });
        if (res.status === 200) this.graceTouchedFor = acct.delinquentSince();
        return;
      }
      case 'endGrace': {
        const res = await call(e, 'POST', `/v1/operator/workspaces/${this.id}/grace/end`, { reason: 'simulated operator' }, { ...operator, 'Idempotency-Key': this.key('end') });
        if (res.status === 200) this.graceTouchedFor = acct.delinquentSince();
        return;
      }
      case 'grant': {
        const reference = `${this.id}-grant-${this.keySeq + 1}`;
        const res = await call(e, 'POST', `/v1/operator/workspaces/${this.id}/credits`, { amountCents: action.amountCents, reason: 'simulated goodwill', reference }, { ...operator, 'Idempotency-Key': this.key('grant') });
        if (res.status === 201) this.granted += action.amountCents;
        return;
      }
      case 'contractPrices': {
        const prices = { waf: 15, email_validation: 80 };
        const res = await call(e, 'PUT', `/v1/operator/workspaces/${this.id}/contract-prices`, { prices }, operator);
        // Usage rated from now on uses them (none was sent before).
        if (res.status === 200) Object.assign(this.contractPrices, prices);
        return;
      }
      case 'terminate': {
        const id = action.which === 'workspace' ? workflowIdFor(this.id) : walletWorkflowIdFor(this.id);
        await e.settle();
        await e.env.client.workflow
          .getHandle(id)
          .terminate('simulated: an operator terminates the workflow')
          .catch(() => undefined);
        return;
      }
      case 'fault': {
        const sourceId = `fault-${this.id}-${++this.keySeq}`;
        await e.prisma.$transaction([
          e.prisma.walletEntry.create({ data: { workspaceId: this.id, kind: 'grant', amountCents: 100n, sourceType: 'operator_grant', sourceId } }),
          e.prisma.walletBalance.upsert({ where: { workspaceId: this.id }, create: { workspaceId: this.id, balanceCents: 100n }, update: { balanceCents: { increment: 100n } } }),
        ]);
        return;
      }
      case 'restartWorker':
        // Replayed together with every other workspace restarted in this tick, on the replayer thread (simulator.ts).
        this.restartRequested = true;
        return;
    }
  }

  /** Delivers the Stripe events of this tick, shuffled and some twice, as Stripe may; returns the ids the engine took on. */
  async deliver(e: SimEngine, events: StripeEventPayload[]): Promise<string[]> {
    if (events.length === 0) return [];
    const taken = new Set<string>();
    const order = this.noise.chance(0.3) ? this.noise.shuffle([...events]) : [...events];
    const sends = order.flatMap((ev) => (this.noise.chance(0.08) ? [ev, ev] : [ev]));
    for (const ev of sends) {
      const { payload, signature } = signedEvent(ev, e.config.STRIPE_WEBHOOK_SECRET);
      const res = await send(`${e.apiUrl}/webhooks/stripe`, { method: 'POST', headers: { 'Stripe-Signature': signature, 'Content-Type': 'application/json' }, body: payload });
      if (res.status !== 200) throw new Error(`webhook ${ev.type} ${ev.id} answered ${res.status}: ${await res.text()}`);
      const { outcome } = (await res.json()) as { outcome: string };
      if (outcome === 'accepted' || outcome === 'delivered' || outcome === 'duplicate') taken.add(ev.id);
    }
    return [...taken];
  }
}

/**
 * fetch, again on a connection reset (a kept-alive socket the server closed
 * as it was reused). Every request the simulator sends is safe to repeat:
 * writes carry an Idempotency-Key, usage events and Stripe events their ids.
 */
async function send(url: string, init: RequestInit): Promise<Response> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fetch(url, init);
    } catch (err) {
      if (attempt >= 3) throw err;
    }
  }
}

/** One request as an app makes it: a 503 ("try again with the same Idempotency-Key") is retried a few times. */
async function call(e: SimEngine, method: string, path: string, body: unknown, headers: Record<string, string>): Promise<HttpAnswer> {
  for (let attempt = 1; ; attempt++) {
    const res = await send(`${e.apiUrl}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await res.text();
    if (res.status === 503 && attempt < 5) {
      await new Promise((resolve) => setTimeout(resolve, 200 * attempt));
      continue;
    }
    if (res.status >= 500) throw new Error(`${method} ${path} answered ${res.status}: ${text}`);
    return { status: res.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
  }
}

function post(e: SimEngine, path: string, body: unknown, idempotencyKey?: string): Promise<HttpAnswer> {
  return call(e, 'POST', path, body, idempotencyKey ? { ...app, 'Idempotency-Key': idempotencyKey } : app);
}

export function getJson(e: SimEngine, path: string): Promise<HttpAnswer> {
  return call(e, 'GET', path, undefined, path.startsWith('/v1/operator') ? operator : app);
}

export const runNonce = () => randomUUID().replace(/-/g, '').slice(0, 8);
