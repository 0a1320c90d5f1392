// The web app's only way into the engine: its public HTTP API, called from
// the server with the app token (which never reaches the browser). Answers
// are the routes' JSON; a refusal is the route's problem+json, returned (not
// thrown) so a form can show it inline.
import type { z } from 'zod';
import type {
  billingViewSchema,
  checkoutResponseSchema,
  guestCheckoutResponseSchema,
  planChangePreviewSchema,
  planChangeResultSchema,
  problemSchema,
  rateCardSchema,
  topUpResponseSchema,
} from '../domain/response-schemas';
import type { WalletSnapshot } from '../domain/projection';
import type { spendOversightSchema } from '../domain/spend-oversight';
import type { WalletLedgerPage } from '../read-model/wallet-reader';

export type RateCard = z.infer<typeof rateCardSchema>;
export type BillingView = z.infer<typeof billingViewSchema>;
export type PlanChangePreview = z.infer<typeof planChangePreviewSchema>;
export type PlanChangeResult = z.infer<typeof planChangeResultSchema>;
export type CheckoutLink = z.infer<typeof checkoutResponseSchema> | z.infer<typeof guestCheckoutResponseSchema> | z.infer<typeof topUpResponseSchema>;
export type SpendOversight = z.infer<typeof spendOversightSchema>;
export type Problem = z.infer<typeof problemSchema> & Record<string, unknown>;

/** GET …/wallet's answer: the wallet and a page of its ledger, as the route composes them. */
export type WalletView = WalletSnapshot & WalletLedgerPage;

/** GET/PUT …/wallet/auto-top-up (absent on engines before auto top-up). */
export interface AutoTopUpView {
  enabled: boolean;
  thresholdCents: number;
  amountCents: number;
  paymentMethodSaved: boolean;
  disabledReason: string | null;
  chargesToday: number;
  maxPerDay: number;
}

export type ApiAnswer<T> = { ok: true; status: number; body: T } | { ok: false; status: number; problem: Problem };

export class EngineApiError extends Error {
  constructor(
    readonly status: number,
    readonly problem: Problem,
  ) {
    super(`${problem.title} (${status} ${problem.code}): ${problem.detail}`);
    this.name = 'EngineApiError';
  }
}

type Method = 'GET' | 'POST' | 'PUT' | 'DELETE';

export interface EngineApi {
  call<T>(method: Method, path: string, body?: unknown): Promise<ApiAnswer<T>>;
  /** For reads a page cannot do without: a refusal throws (the page shows the error). */
  read<T>(path: string): Promise<T>;
}

/** A problem for an answer that is not problem+json (a proxy's 502, a broken body). */
function foreignProblem(status: number, text: string): Problem {
  return { type: 'about:blank', title: 'Unexpected answer', status, detail: text.slice(0, 200) || `HTTP ${status}`, code: 'internal_error' };
}

export function createEngineApi(baseUrl: string, appToken: string, timeoutMs = 30_000): EngineApi {
  const call = async <T>(method: Method, path: string, body?: unknown): Promise<ApiAnswer<T>> => {
    const headers: Record<string, string> = { Authorization: `Bearer ${appToken}`, Accept: 'application/json' };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    const res = await fetch(new URL(path, baseUrl), {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(timeoutMs),
    });
    const text = await res.text();
    let json: unknown = undefined;
    try {
      json = text ? JSON.parse(text) : {};
    } catch {
      return { ok: false, status: res.status, problem: foreignProblem(res.status, text) };
    }
    if (res.ok) return { ok: true, status: res.status, body: json as T };
    const problem = json && typeof json === 'object' && 'code' in json && 'detail' in json ? (json as Problem) : foreignProblem(res.status, text);
    return { ok: false, status: res.status, problem };
  };
  return {
    call,
    async read<T>(path: string): Promise<T> {
      const answer = await call<T>('GET', path);
      if (!answer.ok) throw new EngineApiError(answer.status, answer.problem);
      return answer.body;
    },
  };
}
