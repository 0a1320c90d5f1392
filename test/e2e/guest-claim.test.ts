// A guest's purchase attached at sign-in by email alone, end to end: the
// Temporal dev server, the worker and API as processes, PostgreSQL,
// stripe-mock. A visitor buys Plus with an email (guest checkout), pays
// (signed webhooks), and later a brand-new workspace of the same, verified
// email claims it without knowing any checkout id; /billing shows the plan.
import { startTemporalDevServer, type TemporalDevServer } from '../../scripts/lib/dev-servers';
import type { PrismaClient } from '../../src/infra/prisma';
import { testPrisma, uniqueId } from '../support/db';
import { startEngine, type EngineProcesses } from '../support/engine-processes';
import { eventually } from '../support/fake-activities';
import { checkoutSession, invoice, signedPayload, stripeEvent, subscription } from '../support/stripe-events';
import { TEST_SECRETS } from '../support/test-env';

let temporal: TemporalDevServer;
let engine: EngineProcesses;
let prisma: PrismaClient;

beforeAll(async () => {
  temporal = await startTemporalDevServer({ headless: true });
  engine = await startEngine({ temporalAddress: temporal.address, taskQueue: 'e2e-guest-claim' });
  prisma = testPrisma();
}, 120_000);

afterAll(async () => {
  await prisma?.$disconnect();
  await engine?.stop();
  await temporal?.stop();
});

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
async function api(path: string, body?: object): Promise<{ status: number; body: Json }> {
  const res = await fetch(`${engine.apiUrl}${path}`, {
    method: body ? 'POST' : 'GET',
    headers: { Authorization: `Bearer ${TEST_SECRETS.APP_API_TOKEN}`, 'Content-Type': 'application/json' },
    body: body ? JSON.stringify(body) : undefined,
  });
  return { status: res.status, body: (await res.json()) as Json };
}

async function webhook(event: unknown): Promise<Json> {
  const { payload, signature } = signedPayload(event);
  const res = await fetch(`${engine.apiUrl}/webhooks/stripe`, { method: 'POST', headers: { 'Stripe-Signature': signature, 'Content-Type': 'application/json' }, body: payload });
  expect(res.status).toBe(200);
  return (await res.json()) as Json;
}

test('(d) a guest pays, then a new workspace claims by email alone and its /billing shows the plan', async () => {
  const email = `${uniqueId('guest')}@example.com`;
  const started = await api('/v1/checkout/guest', { email, planId: 'plus', interval: 'year', successUrl: 'https://app.example.com/welcome', cancelUrl: 'https://app.example.com/pricing' });
  expect(started.status).toBe(201);
  const guestCheckoutId = started.body.checkoutId as string;

  // The Stripe ids the guest workflow created (stripe-mock mints them); the app never sees them.
  const opened = await eventually(() => prisma.guestCheckout.findUnique({ where: { checkoutId: guestCheckoutId } }), (r) => r?.status === 'open', 20_000);
  const f = {
    workspaceId: '',
    checkoutId: opened!.stripeCheckoutSessionId!,
    customerId: opened!.stripeCustomerId!,
    subscriptionId: uniqueId('sub_guest'),
    planId: 'plus' as const,
    interval: 'year' as const,
  };
  const metadata = { guestCheckoutId, planId: f.planId, interval: f.interval };
  const paidInvoice = invoice(f, { status: 'paid' });
  const events = [
    stripeEvent('customer.subscription.created', { ...subscription(f), metadata }),
    stripeEvent('checkout.session.completed', checkoutSession(f, { metadata, client_reference_id: guestCheckoutId })),
    stripeEvent('invoice.paid', { ...paidInvoice, parent: { ...paidInvoice.parent, subscription_details: { subscription: f.subscriptionId, metadata } } }),
  ];
  for (const event of events) expect(await webhook(event)).toMatchObject({ outcome: 'accepted', guestCheckoutId });
  await eventually(() => prisma.guestCheckout.findUnique({ where: { checkoutId: guestCheckoutId } }), (r) => r?.status === 'paid', 20_000);

  // The cookie with the gco_ id is gone: the app only knows the verified email of the new workspace's user.
  const workspaceId = uniqueId('ws');
  expect((await api(`/v1/workspaces/${workspaceId}/billing`)).body).toMatchObject({ plan: { id: 'essential' }, status: 'none' });
  const claimed = await api(`/v1/workspaces/${workspaceId}/guest-checkouts/claim`, { verifiedEmail: email.toUpperCase() });
  expect(claimed.status).toBe(200);
  expect(claimed.body).toMatchObject({
    checkoutId: guestCheckoutId,
    workspaceId,
    status: 'active',
    plan: { id: 'plus', interval: 'year' },
    stripe: { customerId: f.customerId, subscriptionId: f.subscriptionId },
  });

  const billing = await eventually(async () => (await api(`/v1/workspaces/${workspaceId}/billing`)).body, (b) => b.status === 'active', 20_000);
  expect(billing).toMatchObject({ plan: { id: 'plus', interval: 'year' }, status: 'active', mode: 'self_serve', stripe: { customerId: f.customerId, subscriptionId: f.subscriptionId } });

  // Signing in again repeats the claim: the same answer; another workspace of the same email finds nothing left.
  expect((await api(`/v1/workspaces/${workspaceId}/guest-checkouts/claim`, { verifiedEmail: email })).body).toEqual(claimed.body);
  const other = await api(`/v1/workspaces/${uniqueId('ws')}/guest-checkouts/claim`, { verifiedEmail: email });
  expect(other.status).toBe(404);
  expect(other.body.code).toBe('nothing_to_claim');
}, 120_000);
