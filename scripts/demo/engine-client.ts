// The demo's only way into the engine: its public HTTP API with the app and
// operator tokens, and Stripe-shaped events signed with the webhook secret —
// what the product app, an operator and Stripe send. Nothing here reads the
// database or talks to Temporal.
import { signedEvent, type StripeEventPayload } from '../lib/stripe-payloads';

export interface EngineTarget {
  /** e.g. http://127.0.0.1:3000 */
  apiUrl: string;
  appToken: string;
  operatorToken: string;
  webhookSecret: string;
}

type Json = Record<string, unknown>;

export interface Answer<T = Json> {
  status: number;
  body: T;
}

export class DemoError extends Error {}

export interface RequestOptions {
  body?: unknown;
  /** Which bearer token: the product app's (default) or the operator's. */
  as?: 'app' | 'operator';
  /** Sent on POSTs: the same key for the same step on every run (ignored by routes without support). */
  idempotencyKey?: string;
  /** Statuses that are an answer rather than a failure (default: 2xx). */
  accept?: number[];
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export class EngineClient {
  constructor(readonly target: EngineTarget) {}

  async request<T = Json>(method: 'GET' | 'POST' | 'PUT' | 'DELETE', path: string, options: RequestOptions = {}): Promise<Answer<T>> {
    const token = options.as === 'operator' ? this.target.operatorToken : this.target.appToken;
    const headers: Record<string, string> = { Authorization: `Bearer ${token}` };
    if (options.body !== undefined) headers['Content-Type'] = 'application/json';
    if (options.idempotencyKey) headers['Idempotency-Key'] = options.idempotencyKey;
    const res = await fetch(`${this.target.apiUrl}${path}`, {
      method,
      headers,
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
      signal: AbortSignal.timeout(30_000),
    });
    const text = await res.text();
    const body = (text ? JSON.parse(text) : {}) as T;
    const ok = options.accept ? options.accept.includes(res.status) : res.status >= 200 && res.status < 300;
    if (!ok) throw new DemoError(`${method} ${path} answered ${res.status}: ${text.slice(0, 500)}`);
    return { status: res.status, body };
  }

  /** POSTs a signed event to /webhooks/stripe, as Stripe does; the engine answers 200 for new and repeated events alike. */
  async deliver(event: StripeEventPayload): Promise<{ outcome: string }> {
    const { payload, signature } = signedEvent(event, this.target.webhookSecret);
    const res = await fetch(`${this.target.apiUrl}/webhooks/stripe`, {
      method: 'POST',
      headers: { 'Stripe-Signature': signature, 'Content-Type': 'application/json' },
      body: payload,
      signal: AbortSignal.timeout(30_000),
    });
    const text = await res.text();
    if (res.status !== 200) throw new DemoError(`webhook ${event.type} ${event.id} answered ${res.status}: ${text.slice(0, 500)}`);
    return JSON.parse(text) as { outcome: string };
  }

  /** Polls `read` until `done` holds (the engine applies events asynchronously), or fails after `timeoutMs`. */
  async until<T>(what: string, read: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 60_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = await read();
      if (done(value)) return value;
      if (Date.now() > deadline) throw new DemoError(`timed out after ${timeoutMs / 1000} s waiting for ${what}; last seen: ${JSON.stringify(value).slice(0, 500)}`);
      await sleep(250);
    }
  }

  /** Fails fast with a hint when nothing answers at the API address. */
  async assertReachable(): Promise<void> {
    try {
      const res = await fetch(`${this.target.apiUrl}/readyz`, { signal: AbortSignal.timeout(5_000) });
      if (res.status !== 200) throw new Error(`/readyz answered ${res.status}`);
    } catch (error) {
      throw new DemoError(`the engine's API at ${this.target.apiUrl} is not ready (${(error as Error).message}). Is \`npm start\` running?`);
    }
  }
}
