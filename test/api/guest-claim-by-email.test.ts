// POST /v1/workspaces/{workspaceId}/guest-checkouts/claim without OIDC: the
// app sends the email it verified; the engine finds the guest checkout in the
// guest_checkout read model and claims it through the guest-checkout
// workflow. Real servers: the API, the time-skipping Temporal server with the
// real activities against stripe-mock, PostgreSQL, signed webhook events.
import request from 'supertest';
import { claimResultSchema, problemSchema } from '../../src/domain/response-schemas';
import { startApiHarness, type ApiHarness } from '../support/api-harness';
import { uniqueId } from '../support/db';
import { eventually } from '../support/fake-activities';
import { appAuth as auth, guestTools, type Guest } from '../support/guest-checkouts';
import { stripeEvent, subscription } from '../support/stripe-events';
import { TEST_SECRETS } from '../support/test-env';

let h: ApiHarness;
let tools: ReturnType<typeof guestTools>;
beforeAll(async () => {
  h = await startApiHarness('api-guest-claim-by-email');
  tools = guestTools(h.app, h.workspaces);
}, 120_000);
afterAll(async () => {
  await h?.close();
});

const operator = { Authorization: `Bearer ${TEST_SECRETS.OPERATOR_API_TOKEN}` };
const claimByEmail = (workspaceId: string, body: unknown, app = h.app) =>
  request(app).post(`/v1/workspaces/${workspaceId}/guest-checkouts/claim`).set(auth).send(body as object);
const billing = (workspaceId: string) => request(h.app).get(`/v1/workspaces/${workspaceId}/billing`).set(auth).then((r) => r.body);
const row = (checkoutId: string) => h.prisma.guestCheckout.findUniqueOrThrow({ where: { checkoutId } });
const rowIs = (g: Guest, status: string) => eventually(() => row(g.checkoutId), (r) => r.status === status);

async function paidGuest(overrides: Record<string, unknown> = {}): Promise<Guest> {
  const g = await tools.startGuest(overrides);
  await tools.pay(g);
  await rowIs(g, 'paid');
  return g;
}

describe('POST /v1/workspaces/{workspaceId}/guest-checkouts/claim', () => {
  test('401 without the app token (the operator token is not it)', async () => {
    const body = { verifiedEmail: 'someone@example.com' };
    expect((await request(h.app).post('/v1/workspaces/ws_1/guest-checkouts/claim').send(body)).status).toBe(401);
    const asOperator = await request(h.app).post('/v1/workspaces/ws_1/guest-checkouts/claim').set(operator).send(body);
    expect(asOperator.status).toBe(401);
    expect(asOperator.body.code).toBe('unauthorized');
  });

  test('400 for a bad body or workspace id, and for an ID token while OIDC is not configured; nothing is claimed', async () => {
    const g = await paidGuest();
    const workspaceId = uniqueId('ws');
    const cases: [unknown, string, string][] = [
      [{}, 'validation_failed', 'body'],
      [{ verifiedEmail: 'not-an-email' }, 'validation_failed', 'body.verifiedEmail'],
      [{ verifiedEmail: g.email, idToken: 'x.y.z' }, 'validation_failed', 'body'],
      [{ verifiedEmail: g.email, workspaceId }, 'validation_failed', 'body'],
      [{ idToken: '' }, 'validation_failed', 'body.idToken'],
    ];
    for (const [body, code, path] of cases) {
      const res = await claimByEmail(workspaceId, body);
      expect(res.status).toBe(400);
      expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
      expect(problemSchema.parse(res.body).code).toBe(code);
      expect(res.body.errors[0].path).toBe(path);
    }
    const badWorkspace = await claimByEmail('bad id!', { verifiedEmail: g.email });
    expect(badWorkspace.status).toBe(400);
    expect(badWorkspace.body.errors[0].path).toBe('params.workspaceId');

    const token = await claimByEmail(workspaceId, { idToken: 'eyJhbGciOiJSUzI1NiJ9.e30.c2ln' });
    expect(token.status).toBe(400);
    expect(token.body.code).toBe('oidc_not_configured');

    expect(await row(g.checkoutId)).toMatchObject({ status: 'paid', claimedWorkspaceId: null });
    expect((await billing(workspaceId)).status).toBe('none');
  });

  test('404 nothing_to_claim: no guest for the email, only an expired one, or one another workspace claimed; a stranger’s email finds nothing (replaces 403 email_mismatch)', async () => {
    const workspaceId = uniqueId('ws');
    const none = await claimByEmail(workspaceId, { verifiedEmail: `${uniqueId('nobody')}@example.com` });
    expect(none.status).toBe(404);
    expect(problemSchema.parse(none.body)).toMatchObject({ code: 'nothing_to_claim', status: 404 });

    const lapsed = await tools.startGuest();
    await tools.deliver(lapsed.events.expired());
    await rowIs(lapsed, 'expired');
    expect((await claimByEmail(workspaceId, { verifiedEmail: lapsed.email })).body.code).toBe('nothing_to_claim');

    // Someone else's paid guest checkout: a stranger's verified email cannot reach it.
    const victim = await paidGuest();
    const stranger = await claimByEmail(workspaceId, { verifiedEmail: `not-${victim.email}` });
    expect(stranger.status).toBe(404);
    expect(stranger.body.code).toBe('nothing_to_claim');
    expect(await row(victim.checkoutId)).toMatchObject({ status: 'paid', claimedWorkspaceId: null });

    // Claimed by one workspace: no longer a candidate for another.
    const first = await claimByEmail(uniqueId('ws'), { verifiedEmail: victim.email });
    expect(first.status).toBe(200);
    await rowIs(victim, 'claimed');
    const second = await claimByEmail(workspaceId, { verifiedEmail: victim.email });
    expect(second.status).toBe(404);
    expect(second.body.code).toBe('nothing_to_claim');
    expect((await billing(workspaceId)).status).toBe('none');
  });

  test('picks the newest paid one among several guests of the email (paid beats a newer open one), case-insensitively; a repeat answers the same', async () => {
    const email = `${uniqueId('many')}@example.com`;
    const olderPaid = await paidGuest({ email });
    await h.env.sleep('1 minute');
    const newerPaid = await paidGuest({ email: email.toUpperCase(), planId: 'family', interval: 'year' });
    await h.env.sleep('1 minute');
    const open = await tools.startGuest({ email, planId: 'business' });
    await rowIs(open, 'open');
    const lapsed = await tools.startGuest({ email });
    await tools.deliver(lapsed.events.expired());
    await rowIs(lapsed, 'expired');
    const otherEmail = await paidGuest();

    const workspaceId = uniqueId('ws');
    const res = await claimByEmail(workspaceId, { verifiedEmail: email.replace('many', 'MANY') });
    expect(res.status).toBe(200);
    expect(claimResultSchema.parse(res.body)).toEqual(res.body);
    expect(res.body).toMatchObject({
      checkoutId: newerPaid.checkoutId,
      workspaceId,
      status: 'active',
      plan: { id: 'family', interval: 'year' },
      stripe: { customerId: newerPaid.f.customerId, subscriptionId: newerPaid.f.subscriptionId },
    });
    const view = await eventually(() => billing(workspaceId), (b) => b.status === 'active');
    expect(view).toMatchObject({ plan: { id: 'family', interval: 'year' }, stripe: { subscriptionId: newerPaid.f.subscriptionId } });
    await rowIs(newerPaid, 'claimed');
    expect(await row(olderPaid.checkoutId)).toMatchObject({ status: 'paid', claimedWorkspaceId: null });
    expect(await row(open.checkoutId)).toMatchObject({ status: 'open', claimedWorkspaceId: null });
    expect(await row(otherEmail.checkoutId)).toMatchObject({ status: 'paid', claimedWorkspaceId: null });

    const again = await claimByEmail(workspaceId, { verifiedEmail: email });
    expect(again.status).toBe(200);
    expect(again.body).toEqual(res.body);
  });

  test('an open (unpaid) guest checkout is claimed too, and its payment then lands on the workspace', async () => {
    const g = await tools.startGuest();
    await rowIs(g, 'open');
    const workspaceId = uniqueId('ws');
    const res = await claimByEmail(workspaceId, { verifiedEmail: g.email });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ checkoutId: g.checkoutId, status: 'incomplete', plan: { id: 'essential' }, stripe: { customerId: g.f.customerId, subscriptionId: null } });
    await eventually(() => billing(workspaceId), (b) => b.mode === 'checkout_pending');
    await tools.pay(g);
    const active = await eventually(() => billing(workspaceId), (b) => b.status === 'active');
    expect(active).toMatchObject({ plan: { id: 'plus', interval: 'month' }, stripe: { subscriptionId: g.f.subscriptionId } });
  });

  test('409 workspace_already_subscribed names both subscriptions and changes nothing', async () => {
    const workspaceId = uniqueId('ws');
    await request(h.app)
      .post(`/v1/workspaces/${workspaceId}/checkout`)
      .set(auth)
      .send({ planId: 'business', interval: 'month', successUrl: 'https://a.example.com/s', cancelUrl: 'https://a.example.com/c' });
    const ownSub = uniqueId('sub_own');
    const customerId = (await billing(workspaceId)).stripe.customerId;
    await tools.deliver(stripeEvent('customer.subscription.created', subscription({ workspaceId, customerId, subscriptionId: ownSub, planId: 'business', interval: 'month' })));
    const before = await eventually(() => billing(workspaceId), (b) => b.status === 'active');

    const g = await paidGuest();
    const res = await claimByEmail(workspaceId, { verifiedEmail: g.email });
    expect(res.status).toBe(409);
    expect(res.body).toMatchObject({ code: 'workspace_already_subscribed', workspaceSubscriptionId: ownSub, guestSubscriptionId: g.f.subscriptionId });
    expect(await billing(workspaceId)).toEqual(before);
    expect(await row(g.checkoutId)).toMatchObject({ status: 'paid', claimedWorkspaceId: null });
  });

  test('two workspaces claiming the same email at once: one gets it, the other is refused, nothing is split', async () => {
    const g = await paidGuest();
    const [a, b] = [uniqueId('ws'), uniqueId('ws')];
    const answers = await Promise.all([claimByEmail(a, { verifiedEmail: g.email }), claimByEmail(b, { verifiedEmail: g.email })]);
    const won = answers.filter((r) => r.status === 200);
    expect(won).toHaveLength(1);
    const lost = answers.find((r) => r.status !== 200)!;
    expect(['already_claimed', 'claim_in_progress', 'nothing_to_claim']).toContain(lost.body.code);
    const winner = won[0].body.workspaceId as string;
    const claimed = await rowIs(g, 'claimed');
    expect(claimed.claimedWorkspaceId).toBe(winner);
    expect((await billing(winner === a ? b : a)).status).toBe('none');
  });

  test('a read model row whose workflow is gone is passed over for the next candidate', async () => {
    const g = await paidGuest();
    // A stale row: paid later than g, but its workflow no longer exists.
    const ghost = `gco_${'f'.repeat(32)}`;
    await h.prisma.guestCheckout.upsert({
      where: { checkoutId: ghost },
      create: { checkoutId: ghost, email: g.email, status: 'paid', billingStatus: 'active', paidAt: new Date(Date.now() + 86_400_000), createdAt: new Date(), version: 1 },
      update: { email: g.email, status: 'paid', claimedWorkspaceId: null },
    });
    try {
      const res = await claimByEmail(uniqueId('ws'), { verifiedEmail: g.email });
      expect(res.status).toBe(200);
      expect(res.body.checkoutId).toBe(g.checkoutId);
    } finally {
      await h.prisma.guestCheckout.delete({ where: { checkoutId: ghost } });
    }
  });

  test('Idempotency-Key: a retry gets the first answer; the key with another body is 409 idempotency_key_reused', async () => {
    const g = await paidGuest();
    const workspaceId = uniqueId('ws');
    const key = uniqueId('idem');
    const send = (body: object) => request(h.app).post(`/v1/workspaces/${workspaceId}/guest-checkouts/claim`).set(auth).set('Idempotency-Key', key).send(body);
    const first = await send({ verifiedEmail: g.email });
    expect(first.status).toBe(200);
    const retry = await send({ verifiedEmail: g.email });
    expect(retry.headers['idempotent-replayed']).toBe('true');
    expect(retry.body).toEqual(first.body);
    const other = await send({ verifiedEmail: `x${g.email}` });
    expect(other.status).toBe(409);
    expect(other.body.code).toBe('idempotency_key_reused');
    const bad = await request(h.app).post(`/v1/workspaces/${workspaceId}/guest-checkouts/claim`).set(auth).set('Idempotency-Key', 'k'.repeat(256)).send({ verifiedEmail: g.email });
    expect(bad.status).toBe(400);
  });

  test('503 temporal_unavailable when the workflow service cannot be reached; the guest stays unclaimed', async () => {
    const g = await paidGuest();
    const res = await claimByEmail(uniqueId('ws'), { verifiedEmail: g.email }, h.appWithoutTemporal());
    expect(res.status).toBe(503);
    expect(res.body.code).toBe('temporal_unavailable');
    expect(await row(g.checkoutId)).toMatchObject({ status: 'paid', claimedWorkspaceId: null });
  });
});
