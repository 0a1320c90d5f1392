// A real HTTP receiver of the engine's outbound webhooks, as the product app
// would run one: every request's signature is verified with
// `standardwebhooks` (Webhook.verify), its body parsed with the published
// schema, and what it answers is up to the test (a status, or no answer at
// all to make the sender time out).
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { Webhook } from 'standardwebhooks';
import { notificationBodySchema, type NotificationBody } from '../../src/domain/notification-schemas';

/** whsec_ + 32 bytes in base64 (Standard Webhooks keys are 24–64 bytes). */
export const TEST_WEBHOOK_SECRET = `whsec_${Buffer.from('outbound-webhook-test-key-32byte').toString('base64')}`;

export interface ReceivedWebhook {
  /** The webhook-id header. */
  id: string;
  timestamp: number;
  body: NotificationBody;
  receivedAt: number;
  /** What the receiver answered: an HTTP status, or 'hang' (no answer). */
  answer: number | 'hang';
}

/** Given a verified delivery and how many deliveries of that webhook-id came before it, what to answer. */
export type Responder = (delivery: Omit<ReceivedWebhook, 'answer'>, previousOfSameId: number) => number | 'hang';

export interface WebhookReceiver {
  url: string;
  /** Verified deliveries, in arrival order (duplicates included). */
  received: ReceivedWebhook[];
  /** Requests whose signature or body did not verify (a test expects none). */
  rejected: { headers: http.IncomingHttpHeaders; body: string; reason: string }[];
  respondWith(responder: Responder): void;
  /** Deliveries of one workspace's notifications. */
  of(workspaceId: string): ReceivedWebhook[];
  close(): Promise<void>;
}

export async function startWebhookReceiver(
  options: { secret?: string; responder?: Responder; port?: number } = {},
): Promise<WebhookReceiver> {
  const { secret = TEST_WEBHOOK_SECRET, responder = () => 204 } = options;
  const verifier = new Webhook(secret);
  const received: ReceivedWebhook[] = [];
  const rejected: WebhookReceiver['rejected'] = [];
  const sockets = new Set<Socket>();
  let respond = responder;

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      let body: NotificationBody;
      try {
        verifier.verify(raw, req.headers as Record<string, string>);
        body = notificationBodySchema.parse(JSON.parse(raw));
      } catch (err) {
        rejected.push({ headers: req.headers, body: raw, reason: err instanceof Error ? err.message : String(err) });
        res.writeHead(400).end('invalid signature or body');
        return;
      }
      const delivery = { id: String(req.headers['webhook-id']), timestamp: Number(req.headers['webhook-timestamp']), body, receivedAt: Date.now() };
      const answer = respond(delivery, received.filter((r) => r.id === delivery.id).length);
      received.push({ ...delivery, answer });
      if (answer !== 'hang') res.writeHead(answer, { 'content-type': 'text/plain' }).end(`answered ${answer}`);
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hooks/billing`,
    received,
    rejected,
    respondWith(next) {
      respond = next;
    },
    of: (workspaceId) => received.filter((r) => r.body.workspaceId === workspaceId),
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
