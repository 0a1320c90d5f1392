// The webhook relay against the real PostgreSQL: events recorded by the
// intake (acknowledged before any signal) are signalled later, in order per
// workspace, whatever happens to Temporal or to the relay meanwhile. Temporal
// is the relay's port here, a recorder that can be taken down, held or
// failed per event; the workflow side (a repeated signal is ignored) is
// covered by test/api/checkout-and-webhooks.test.ts on the real test server.
import Stripe from 'stripe';
import { Client } from 'pg';
import type { StripeFact } from '../../src/domain/billing-facts';
import { DomainError } from '../../src/domain/errors';
import type { PrismaClient } from '../../src/infra/prisma';
import { ingestStripeWebhook } from '../../src/webhooks/stripe-webhook';
import { createWebhookRelay, type RelayPort, type WebhookRelay } from '../../src/webhooks/webhook-relay';
import { testPrisma, uniqueId } from '../support/db';
import { eventually } from '../support/fake-activities';
import { checkoutFixture, signedPayload, stripeEvent, subscription } from '../support/stripe-events';
import { TEST_DATABASE_URL, TEST_SECRETS } from '../support/test-env';

let prisma: PrismaClient;
const relays: WebhookRelay[] = [];
beforeAll(() => {
  prisma = testPrisma();
});
afterAll(async () => {
  await Promise.all(relays.map((r) => r.stop()));
  await prisma?.$disconnect();
});

interface Deferred {
  promise: Promise<void>;
  resolve(): void;
}
function deferred(): Deferred {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

/** Temporal as the relay sees it: calls in the order they started, successful signals, and switches. */
function fakeTemporal() {
  const calls: string[] = [];
  const signals: { target: string; eventId: string }[] = [];
  const held = new Map<string, Deferred>();
  const failuresLeft = new Map<string, number>();
  const state = { up: true };
  const openGuests = new Set<string>();
  const attempt = async (target: string, fact: StripeFact) => {
    calls.push(fact.eventId);
    await held.get(fact.eventId)?.promise;
    const left = failuresLeft.get(fact.eventId) ?? 0;
    if (!state.up || left > 0) {
      failuresLeft.set(fact.eventId, left - 1);
      throw new DomainError('temporal_unavailable', 'The workflow service could not be reached; try again.');
    }
    signals.push({ target, eventId: fact.eventId });
  };
  const port: RelayPort = {
    deliverFact: (workspaceId, fact) => attempt(`workspace/${workspaceId}`, fact),
    async deliverGuestFact(checkoutId, fact) {
      if (!openGuests.has(checkoutId)) return false;
      await attempt(`guest-checkout/${checkoutId}`, fact);
      return true;
    },
  };
  return {
    port,
    calls,
    signals,
    state,
    openGuests,
    hold(eventId: string) {
      const d = deferred();
      held.set(eventId, d);
      return d.resolve;
    },
    failTimes(eventId: string, times: number) {
      failuresLeft.set(eventId, times);
    },
    signalled: (eventId: string) => signals.filter((s) => s.eventId === eventId).length,
  };
}

function relayFor(taskQueue: string, port: RelayPort, extra: Partial<Parameters<typeof createWebhookRelay>[0]> = {}) {
  const relay = createWebhookRelay({
    databaseUrl: TEST_DATABASE_URL,
    taskQueue,
    workspaces: port,
    retryMinMs: 20,
    retryMaxMs: 200,
    leaderRetryMs: 100,
    sweepIntervalMs: 200,
    ...extra,
  });
  relays.push(relay);
  return relay;
}

const stripe = new Stripe(TEST_SECRETS.STRIPE_SECRET_KEY);

/** Posts the event to the intake as the API does, recorded for `taskQueue`; returns the answer's outcome. */
async function post(taskQueue: string, event: { id: string }, relay?: { poke(): void }) {
  const { payload, signature } = signedPayload(event);
  const result = await ingestStripeWebhook({ prisma, stripe, webhookSecret: TEST_SECRETS.STRIPE_WEBHOOK_SECRET, taskQueue, relay }, Buffer.from(payload), signature);
  return result.outcome;
}

function subscriptionEvents(workspaceId: string, count: number) {
  const f = { ...checkoutFixture('plus', 'month'), workspaceId };
  return Array.from({ length: count }, () => stripeEvent('customer.subscription.updated', subscription(f)));
}

const row = (id: string) => prisma.stripeEvent.findUniqueOrThrow({ where: { id } });

describe('webhook relay', () => {
  test('events accepted while Temporal is down are signalled once it is back, each once, in order per workspace', async () => {
    const queue = uniqueId('relay-q');
    const temporal = fakeTemporal();
    temporal.state.up = false;
    const relay = relayFor(queue, temporal.port);
    await relay.start();
    const a = subscriptionEvents(uniqueId('ws'), 3);
    const b = subscriptionEvents(uniqueId('ws'), 2);
    for (const e of [a[0], b[0], a[1], b[1], a[2]]) expect(await post(queue, e, relay)).toBe('accepted');

    // Down: attempts fail and are retried; nothing is marked delivered.
    await eventually(async () => relay.stats(), (s) => s.failedAttempts >= 4 && s.held === 5);
    for (const e of [...a, ...b]) expect((await row(e.id)).deliveredAt).toBeNull();
    expect(temporal.signals).toEqual([]);

    temporal.state.up = true;
    await eventually(() => Promise.all([...a, ...b].map((e) => row(e.id))), (rows) => rows.every((r) => r.deliveredAt !== null));
    for (const e of [...a, ...b]) expect(temporal.signalled(e.id)).toBe(1);
    const order = (events: { id: string }[]) => temporal.signals.map((s) => s.eventId).filter((id) => events.some((e) => e.id === id));
    expect(order(a)).toEqual(a.map((e) => e.id));
    expect(order(b)).toEqual(b.map((e) => e.id));
    expect((await row(a[0].id)).outcome).toBe('delivered');
    expect(relay.stats().held).toBe(0);
  });

  test("a workspace's later event waits for its earlier one (held or failing); other workspaces go on", async () => {
    const queue = uniqueId('relay-q');
    const temporal = fakeTemporal();
    const relay = relayFor(queue, temporal.port);
    await relay.start();
    const a = subscriptionEvents(uniqueId('ws'), 2);
    const b = subscriptionEvents(uniqueId('ws'), 2);
    const release = temporal.hold(a[0].id);
    temporal.failTimes(b[0].id, 2);
    for (const e of [a[0], a[1], b[0], b[1]]) await post(queue, e, relay);

    // b's first event fails twice, then b goes on in order while a's first is still in flight.
    await eventually(async () => temporal.signals.map((s) => s.eventId), (ids) => ids.includes(b[1].id));
    expect(temporal.signals.map((s) => s.eventId)).toEqual([b[0].id, b[1].id]);
    expect(temporal.calls).not.toContain(a[1].id);

    release();
    await eventually(() => Promise.all([...a, ...b].map((e) => row(e.id))), (rows) => rows.every((r) => r.deliveredAt !== null));
    const ids = temporal.signals.map((s) => s.eventId);
    expect(ids.indexOf(a[0].id)).toBeLessThan(ids.indexOf(a[1].id));
    expect(temporal.calls.filter((id) => id === a[1].id)).toHaveLength(1);
  });

  test('one relay is active per task queue; when it stops, the standby takes over and signals what was left', async () => {
    const queue = uniqueId('relay-q');
    const first = fakeTemporal();
    first.state.up = false;
    const second = fakeTemporal();
    const r1 = relayFor(queue, first.port);
    const r2 = relayFor(queue, second.port);
    await r1.start();
    await r2.start();
    expect(r1.stats().active).toBe(true);
    expect(r2.stats().active).toBe(false);

    const events = subscriptionEvents(uniqueId('ws'), 3);
    // Recorded through the standby's process: the NOTIFY wakes the active relay.
    for (const e of events) expect(await post(queue, e, r2)).toBe('accepted');
    await eventually(async () => r1.stats(), (s) => s.held === 3 && s.failedAttempts > 0);
    expect(second.calls).toEqual([]);

    await r1.stop(); // a restart during the outage
    await eventually(() => Promise.all(events.map((e) => row(e.id))), (rows) => rows.every((r) => r.deliveredAt !== null));
    expect(r2.stats().active).toBe(true);
    expect(second.signals.map((s) => s.eventId)).toEqual(events.map((e) => e.id));
    expect(first.signals).toEqual([]);
  });

  test('a relay whose database connection is cut loses its place; the standby signals, and the first comes back as standby', async () => {
    const queue = uniqueId('relay-q');
    const first = fakeTemporal();
    first.state.up = false;
    const second = fakeTemporal();
    const name = uniqueId('relay-conn');
    const r1 = relayFor(queue, first.port, { applicationName: name });
    const r2 = relayFor(queue, second.port);
    await r1.start();
    await r2.start();
    const events = subscriptionEvents(uniqueId('ws'), 2);
    for (const e of events) await post(queue, e);
    await eventually(async () => r1.stats(), (s) => s.held === 2);

    const admin = new Client({ connectionString: TEST_DATABASE_URL });
    await admin.connect();
    try {
      await admin.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1', [name]);
    } finally {
      await admin.end();
    }
    await eventually(() => Promise.all(events.map((e) => row(e.id))), (rows) => rows.every((r) => r.deliveredAt !== null));
    expect(second.signals.map((s) => s.eventId)).toEqual(events.map((e) => e.id));
    await eventually(async () => r1.stats(), (s) => !s.active && s.held === 0);
  });

  test('rows recorded before the relay started (or left by one that died) are found when it starts', async () => {
    const queue = uniqueId('relay-q');
    const events = subscriptionEvents(uniqueId('ws'), 3);
    for (const e of events) expect(await post(queue, e)).toBe('accepted');
    const temporal = fakeTemporal();
    const relay = relayFor(queue, temporal.port);
    await relay.start();
    await eventually(() => Promise.all(events.map((e) => row(e.id))), (rows) => rows.every((r) => r.deliveredAt !== null));
    expect(temporal.signals.map((s) => s.eventId)).toEqual(events.map((e) => e.id));
  });

  test('a guest checkout event: to the guest workflow while it runs, else to the claiming workspace, else closed', async () => {
    const queue = uniqueId('relay-q');
    const temporal = fakeTemporal();
    const relay = relayFor(queue, temporal.port);
    await relay.start();
    const open = uniqueId('gco');
    const claimed = uniqueId('gco');
    const lapsed = uniqueId('gco');
    const claimant = uniqueId('ws');
    temporal.openGuests.add(open);
    const base = { email: 'guest@example.com', planId: 'plus', interval: 'month', status: 'paid', billingStatus: 'active', createdAt: new Date(), version: 1 };
    await prisma.guestCheckout.createMany({
      data: [
        { ...base, checkoutId: claimed, claimedWorkspaceId: claimant },
        { ...base, checkoutId: lapsed },
      ],
    });
    const guestEvent = (checkoutId: string) =>
      stripeEvent('checkout.session.expired', {
        id: uniqueId('cs_test'),
        object: 'checkout.session',
        mode: 'subscription',
        status: 'expired',
        payment_status: 'unpaid',
        customer: null,
        subscription: null,
        client_reference_id: null,
        metadata: { guestCheckoutId: checkoutId },
        expires_at: Math.floor(Date.now() / 1000),
      });
    const [toOpen, toClaimed, toLapsed] = [guestEvent(open), guestEvent(claimed), guestEvent(lapsed)];
    for (const e of [toOpen, toClaimed, toLapsed]) await post(queue, e, relay);
    const rows = await eventually(() => Promise.all([toOpen, toClaimed, toLapsed].map((e) => row(e.id))), (rs) => rs.every((r) => r.deliveredAt !== null));
    expect(rows.map((r) => r.outcome)).toEqual(['delivered', 'delivered', 'guest_checkout_closed']);
    expect(rows[1].workspaceId).toBe(claimant);
    expect(temporal.signals).toEqual(
      expect.arrayContaining([
        { target: `guest-checkout/${open}`, eventId: toOpen.id },
        { target: `workspace/${claimant}`, eventId: toClaimed.id },
      ]),
    );
    expect(temporal.signalled(toLapsed.id)).toBe(0);
  });

  test('the intake records in one statement and a redelivery is a duplicate whether or not it was signalled yet', async () => {
    const queue = uniqueId('relay-q');
    const [event] = subscriptionEvents(uniqueId('ws'), 1);
    expect(await post(queue, event)).toBe('accepted');
    expect(await post(queue, event)).toBe('duplicate');
    const [pending] = await prisma.$queryRaw<{ outcome: string; delivered_at: Date | null; task_queue: string; fact: unknown }[]>`
      SELECT outcome, delivered_at, task_queue, fact FROM stripe_event WHERE id = ${event.id}`;
    expect(pending).toMatchObject({ outcome: 'received', delivered_at: null, task_queue: queue, fact: { eventId: event.id } });
    const temporal = fakeTemporal();
    const relay = relayFor(queue, temporal.port);
    await relay.start();
    await eventually(() => row(event.id), (r) => r.deliveredAt !== null);
    expect(await post(queue, event)).toBe('duplicate');
    expect(temporal.signalled(event.id)).toBe(1);
  });

  test('a row recorded before the outbox (no fact, never delivered) takes the fact of its redelivery', async () => {
    const queue = uniqueId('relay-q');
    const [event] = subscriptionEvents(uniqueId('ws'), 1);
    await prisma.stripeEvent.create({ data: { id: event.id, type: event.type, createdAt: new Date(), outcome: 'received' } });
    expect(await post(queue, event)).toBe('accepted');
    const temporal = fakeTemporal();
    const relay = relayFor(queue, temporal.port);
    await relay.start();
    await eventually(() => row(event.id), (r) => r.deliveredAt !== null);
    expect(temporal.signalled(event.id)).toBe(1);
  });
});
