// One delivery attempt of an outbound webhook: the body signed per the
// Standard Webhooks specification (npm `standardwebhooks`: HMAC-SHA256 of
// "id.timestamp.body", header `webhook-signature: v1,<base64>`), POSTed with
// a timeout. The timestamp is the attempt's (receivers reject stale ones);
// the id is the notification's, the same on every attempt.
import { Webhook } from 'standardwebhooks';
import type { AttemptResult } from '../domain/webhook-delivery';

export const WEBHOOK_USER_AGENT = 'billing-engine-webhooks/1';
/** How much of a receiver's answer is kept in the attempt log. */
const RESPONSE_EXCERPT_BYTES = 1024;

export interface SenderOptions {
  url: string;
  /** whsec_<base64 key> */
  secret: string;
  timeoutMs: number;
  now?: () => number;
}

export type SentAttempt = AttemptResult & { responseBody: string | null; durationMs: number };

export interface WebhookSender {
  readonly url: string;
  /** The headers of a delivery of `body` under `id` at `atMs`. */
  headers(id: string, body: string, atMs: number): Record<string, string>;
  send(id: string, body: string): Promise<SentAttempt>;
}

/** The first bytes of a response; never waits for (or buffers) the rest. */
async function excerpt(res: Response): Promise<string | null> {
  if (!res.body) return null;
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    while (size < RESPONSE_EXCERPT_BYTES) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      size += value.byteLength;
    }
  } catch {
    // The status is what counts; a body cut short by the timeout keeps what arrived.
  } finally {
    await reader.cancel().catch(() => undefined);
  }
  const text = Buffer.concat(chunks).subarray(0, RESPONSE_EXCERPT_BYTES).toString('utf8');
  return text === '' ? null : text;
}

/** Duck-typed: errors thrown by fetch may come from another realm (instanceof Error is not reliable). */
function describeFailure(err: unknown, timeoutMs: number): string {
  const e = (err ?? {}) as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (e.name === 'TimeoutError' || e.name === 'AbortError') return `timeout after ${timeoutMs} ms`;
  if (e.cause?.code) return `${e.cause.code}${e.cause.message ? `: ${e.cause.message}` : ''}`;
  return e.message ?? String(err);
}

export function createWebhookSender(options: SenderOptions): WebhookSender {
  const signer = new Webhook(options.secret);
  const now = options.now ?? Date.now;
  const headers = (id: string, body: string, atMs: number) => ({
    'content-type': 'application/json',
    'user-agent': WEBHOOK_USER_AGENT,
    'webhook-id': id,
    'webhook-timestamp': String(Math.floor(atMs / 1000)),
    'webhook-signature': signer.sign(id, new Date(atMs), body),
  });
  return {
    url: options.url,
    headers,
    async send(id, body) {
      const started = now();
      try {
        const res = await fetch(options.url, {
          method: 'POST',
          headers: headers(id, body, started),
          body,
          redirect: 'manual',
          signal: AbortSignal.timeout(options.timeoutMs),
        });
        const responseBody = await excerpt(res);
        return { statusCode: res.status, responseBody, durationMs: now() - started };
      } catch (err) {
        return { error: describeFailure(err, options.timeoutMs), responseBody: null, durationMs: now() - started };
      }
    },
  };
}
