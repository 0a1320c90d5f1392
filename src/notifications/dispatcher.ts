// The worker's dispatcher of outbound webhooks. It runs beside the Temporal
// worker, never inside a workflow or an activity: activities only insert
// into the outbox, so a slow or dead receiver can never hold up billing.
//
// Loop: claim due notifications (lease + FOR UPDATE SKIP LOCKED, so several
// workers share the work), POST each (at most `concurrency` at once, each
// bounded by the timeout), record the attempt and schedule the next one with
// bounded exponential backoff, or mark it delivered / failed. It wakes on
// LISTEN notification_due (a new notification, a redelivery), when an
// attempt finishes, when the next retry is due, and at least every `pollMs`
// (which also covers a lost NOTIFY or a dead listener connection).
import { Client } from 'pg';
import type { PrismaClient } from '@prisma/client';
import { attemptOutcome, type RetryPolicy } from '../domain/webhook-delivery';
import type { Logger } from '../infra/logger';
import { createNotificationStore, NOTIFICATION_DUE_CHANNEL, type ClaimedNotification, type StoreScope } from './notification-store';
import { createWebhookSender, type WebhookSender } from './webhook-sender';

export interface DispatcherOptions {
  prisma: PrismaClient;
  /** For the LISTEN connection. */
  databaseUrl: string;
  url: string;
  /** whsec_<base64 key> */
  secret: string;
  timeoutMs: number;
  retry: RetryPolicy;
  /** Most POSTs in flight at once (default 8). */
  concurrency?: number;
  /** Longest sleep between looks at the outbox (default 5 s). */
  pollMs?: number;
  log?: Pick<Logger, 'info' | 'warn' | 'error'>;
  random?: () => number;
  /** Only these workspaces' notifications (see StoreScope). */
  scope?: StoreScope;
}

export interface NotificationDispatcher {
  start(): Promise<void>;
  /** Stops claiming, then waits for the attempts in flight (each bounded by the timeout). */
  stop(): Promise<void>;
  /** Look at the outbox now. */
  wake(): void;
}

/** A claim outlives its POST by this much, so a slow recording never lets another worker take it meanwhile. */
const LEASE_MARGIN_MS = 30_000;
/** Tries at recording an attempt (250 ms, 500 ms, … apart) before leaving the row to its lease. */
const RECORD_ATTEMPTS = 5;

export function createNotificationDispatcher(options: DispatcherOptions): NotificationDispatcher {
  const store = createNotificationStore(options.prisma, options.scope);
  const concurrency = options.concurrency ?? 8;
  const pollMs = options.pollMs ?? 5_000;
  const random = options.random ?? Math.random;
  const log = options.log;
  const sender: WebhookSender = createWebhookSender({ url: options.url, secret: options.secret, timeoutMs: options.timeoutMs });

  let stopped = true;
  let pumping = false;
  let again = false;
  let timer: NodeJS.Timeout | null = null;
  let listener: Client | null = null;
  let reconnect: NodeJS.Timeout | null = null;
  const inFlight = new Set<Promise<void>>();

  async function deliver(claim: ClaimedNotification): Promise<void> {
    const startedAt = new Date();
    const sent = await sender.send(claim.id, claim.body);
    const result = sent.statusCode !== undefined ? { statusCode: sent.statusCode } : { error: sent.error };
    const outcome = attemptOutcome(result, claim.attempt, options.retry, random());
    const attempt = {
      url: sender.url,
      startedAt,
      durationMs: sent.durationMs,
      statusCode: sent.statusCode ?? null,
      error: sent.statusCode === undefined ? sent.error : sent.statusCode >= 300 ? `HTTP ${sent.statusCode}` : null,
      responseBody: sent.responseBody,
    };
    // A busy or briefly unreachable database should not leave the row to its lease: try the record again a few times.
    for (let n = 1; ; n++) {
      try {
        await store.complete(claim, attempt, outcome);
        break;
      } catch (err) {
        if (n >= RECORD_ATTEMPTS || stopped) throw err;
        await new Promise((resolve) => setTimeout(resolve, 250 * 2 ** (n - 1)));
      }
    }
    if (outcome.status === 'failed') {
      log?.warn({ notificationId: claim.id, attempts: claim.attempt, round: claim.round }, 'notification failed: every attempt of the round was refused');
    }
  }

  function track(claim: ClaimedNotification): void {
    const p = deliver(claim)
      .catch((err: unknown) => {
        // The lease runs out and the notification is claimed again: nothing is lost.
        log?.error({ err, notificationId: claim.id }, 'notification attempt could not be recorded');
      })
      .finally(() => {
        inFlight.delete(p);
        wake();
      });
    inFlight.add(p);
  }

  async function pump(): Promise<void> {
    if (pumping) {
      again = true;
      return;
    }
    pumping = true;
    let saturated = false;
    try {
      do {
        again = false;
        if (stopped) break;
        const free = concurrency - inFlight.size;
        if (free <= 0) {
          saturated = true; // every finished attempt wakes the loop
          break;
        }
        const claims = await store.claimDue(free, options.timeoutMs + LEASE_MARGIN_MS);
        claims.forEach(track);
        if (claims.length === free) again = true;
      } while (again);
      if (saturated) armIn(pollMs);
      else await arm();
    } catch (err) {
      log?.warn({ err: err instanceof Error ? err.message : err }, 'notification dispatcher: the outbox could not be read; retrying');
      again = false;
      armIn(Math.min(pollMs, 1_000));
    } finally {
      pumping = false;
    }
    // Woken while it was scheduling the next look: look again now.
    if (again && !stopped) wake();
  }

  function armIn(ms: number): void {
    if (stopped) return;
    if (timer) clearTimeout(timer);
    timer = setTimeout(() => {
      timer = null;
      void pump();
    }, Math.max(0, ms));
  }

  /** Sleeps until the next retry is due, at most pollMs. */
  async function arm(): Promise<void> {
    const next = await store.msUntilNextDue();
    armIn(next === null ? pollMs : Math.min(pollMs, Math.max(next, 0) + 5));
  }

  function wake(): void {
    if (stopped) return;
    if (timer) clearTimeout(timer);
    timer = null;
    void pump();
  }

  function dropListener(client: Client): void {
    if (listener !== client) return;
    listener = null;
    client.removeAllListeners('notification');
    client.end().catch(() => undefined);
    if (stopped || reconnect) return;
    // The poll keeps delivering meanwhile; LISTEN only makes it prompt.
    reconnect = setTimeout(() => {
      reconnect = null;
      void listen();
    }, 2_000);
  }

  async function listen(): Promise<void> {
    if (stopped) return;
    const client = new Client({ connectionString: options.databaseUrl, keepAlive: true, application_name: 'billing-notification-dispatcher' });
    listener = client;
    client.on('notification', (msg) => {
      if (msg.channel === NOTIFICATION_DUE_CHANNEL) wake();
    });
    client.on('error', () => dropListener(client));
    client.on('end', () => dropListener(client));
    try {
      await client.connect();
      await client.query(`LISTEN ${NOTIFICATION_DUE_CHANNEL}`);
    } catch (err) {
      log?.warn({ err: err instanceof Error ? err.message : err }, 'notification dispatcher: LISTEN failed; polling until it is back');
      dropListener(client);
    }
  }

  return {
    async start() {
      if (!stopped) return;
      stopped = false;
      await listen();
      log?.info({ url: sender.url, maxAttempts: options.retry.maxAttempts, timeoutMs: options.timeoutMs }, 'notification dispatcher started');
      wake();
    },
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      if (reconnect) clearTimeout(reconnect);
      timer = null;
      reconnect = null;
      const client = listener;
      listener = null;
      await client?.end().catch(() => undefined);
      while (pumping || inFlight.size > 0) {
        await Promise.all([...inFlight]);
        if (pumping) await new Promise((resolve) => setTimeout(resolve, 10));
      }
    },
    wake,
  };
}
