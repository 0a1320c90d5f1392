// A recording proxy in front of stripe-mock: stripe-mock validates every
// request against Stripe's OpenAPI spec but does not reflect everything back
// (metadata, idempotency keys), so tests read what was actually sent here.
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedRequest {
  method: string;
  path: string;
  idempotencyKey: string | undefined;
  /** Form fields as sent, e.g. `metadata[workspaceId]`. */
  form: Record<string, string>;
  status: number;
  /** The JSON stripe-mock answered (its ids are fresh per create call). */
  response: unknown;
}

export interface StripeRecorder {
  url: string;
  requests: RecordedRequest[];
  close(): Promise<void>;
}

/** Replaces stripe-mock's answer to a request (e.g. the outcome Stripe's test cards give); undefined keeps it. */
export type StripeAnswer = (req: { method: string; path: string; form: Record<string, string> }, response: unknown) => { status: number; body: unknown } | undefined;

export async function startStripeRecorder(upstream = process.env.STRIPE_API_URL, options: { answer?: StripeAnswer } = {}): Promise<StripeRecorder> {
  if (!upstream) throw new Error('STRIPE_API_URL (stripe-mock) is not set: run the suite through jest globalSetup');
  const target = new URL(upstream);
  const requests: RecordedRequest[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const [path, query = ''] = (req.url ?? '').split('?');
      const form = Object.fromEntries(new URLSearchParams(req.method === 'GET' ? query : body.toString('utf8')));
      const forward = http.request(
        { host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers },
        (upstreamRes) => {
          const answer: Buffer[] = [];
          upstreamRes.on('data', (c: Buffer) => answer.push(c));
          upstreamRes.on('end', () => {
            const text = Buffer.concat(answer);
            let response: unknown = null;
            try {
              response = JSON.parse(text.toString('utf8'));
            } catch {
              response = null;
            }
            const replaced = options.answer?.({ method: req.method ?? '', path, form }, response);
            requests.push({
              method: req.method ?? '',
              path,
              idempotencyKey: req.headers['idempotency-key'] as string | undefined,
              form,
              status: replaced?.status ?? upstreamRes.statusCode ?? 0,
              response: replaced ? replaced.body : response,
            });
            if (replaced) {
              const json = JSON.stringify(replaced.body);
              res.writeHead(replaced.status, { 'content-type': 'application/json', 'request-id': String(upstreamRes.headers['request-id'] ?? 'req_test') });
              res.end(json);
              return;
            }
            res.writeHead(upstreamRes.statusCode ?? 502, upstreamRes.headers);
            res.end(text);
          });
        },
      );
      forward.on('error', (err) => {
        res.writeHead(502);
        res.end(String(err));
      });
      forward.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
